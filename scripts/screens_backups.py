"""Render 设置 → 备份与恢复 offscreen (1280×800) into docs/screenshots/backups.png.

The office has a few automatic backups and an attachment whose file went missing, so the data check
shows a problem in red. Usage: python scripts/screens_backups.py [OUTPUT_DIR]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SANLIAN_FAST_HASH", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = (1280, 800)
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def main() -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QFontDatabase
    from PySide6.QtWidgets import QApplication

    from sanlian_desktop import attachments, backup
    from sanlian_desktop.ui.app import choose_ui_font, make_application
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.jobs import JobRunner
    from sanlian_desktop.ui.settings.backups import BackupsTab
    from sanlian_desktop.ui.settings.page import SettingsPage
    from tests.helpers import make_office
    from tests.shipping.shiphelpers import add_declaration_with_attachment

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    app = make_application([])
    if WQY.exists() and "WenQuanYi Micro Hei" not in QFontDatabase.families():
        QFontDatabase.addApplicationFont(str(WQY))
    print(f"UI font: {choose_ui_font(app)}")
    QApplication.setCursorFlashTime(0)
    work = Path(tempfile.mkdtemp(prefix="sanlian-backups-shot-"))
    office = make_office(work / "county", "county", "620102", "城关区民政局")
    _decl, sha = add_declaration_with_attachment(office, work)
    for reason in ("before-upgrade", "daily", "before-import", "manual", "daily"):
        backup.take(office.store, reason=reason)
    attachments.blob_path(office.store.paths, sha).unlink()
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    jobs = JobRunner(app)
    page = SettingsPage(UiContext(office.store, office.admin, settings, jobs))
    tab = page.findChild(BackupsTab)
    assert tab is not None
    page.tabs.setCurrentWidget(tab)
    page.resize(*SIZE)
    page.show()
    tab.check_data()
    deadline = time.monotonic() + 30
    while (tab.job is not None or jobs.active) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)
    target = out / "backups.png"
    page.grab().save(str(target))
    print(target)
    page.close()
    office.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
