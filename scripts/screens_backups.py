"""Render 设置 → 备份与恢复 offscreen (1366×768) into docs/screenshots/backups.png.

The office has a few automatic backups and an attachment whose file went missing, so the data check
shows a problem in red. Usage: python scripts/screens_backups.py [OUTPUT_DIR]
"""

from __future__ import annotations

import screenkit


def main() -> int:
    from sanlian_desktop.store import attachments, backup
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.settings.backups import BackupsTab
    from sanlian_desktop.ui.settings.page import SettingsPage
    from tests.shipping.helpers import add_declaration_with_attachment

    screens = screenkit.start()
    office = screens.office("county", "620102", "城关区民政局", prefix="sanlian-backups-shot-")
    work = office.home.parent
    _decl, sha = add_declaration_with_attachment(office, work)
    for reason in ("before-upgrade", "daily", "before-import", "manual", "daily"):
        backup.take(office.store, reason=reason)
    attachments.blob_path(office.store.paths, sha).unlink()
    page = SettingsPage(UiContext(office.store, office.admin, screens.settings(work), screens.jobs))
    tab = page.findChild(BackupsTab)
    assert tab is not None
    page.tabs.setCurrentWidget(tab)
    page.resize(*screenkit.SIZE)
    page.show()
    tab.check_data()
    screens.save(page, "backups.png", seconds=0.2, ready=lambda: tab.job is None)
    return screens.finish(office.store, page)


if __name__ == "__main__":
    raise SystemExit(main())
