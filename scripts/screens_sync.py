"""Render the 同步 page, an import preview, the export dialog and the 证书 tab with real packages offscreen.

Five offices are certified down the chain through the command line (as the sync tests do); a declaration
climbs from the community to the street, whose package the county previews.

Usage: python scripts/screens_sync.py [OUTPUT_DIR]
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import screenkit


class _Capture:
    """Stands in for pytest's capsys: what the CLI prints, collected until read."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.real = sys.stdout
        sys.stdout = self.buffer

    def readouterr(self) -> tuple[str, str]:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text, ""

    def close(self) -> None:
        sys.stdout = self.real


def _chain(work: Path) -> Any:
    from tests.helpers import PASSWORD
    from tests.sync.helpers_cli import Offices

    os.environ["SANLIAN_PASSWORD"] = PASSWORD
    os.environ["SANLIAN_NEW_PASSWORD"] = PASSWORD
    capture = _Capture()
    o = Offices(work, capture)  # type: ignore[arg-type]
    try:
        _fill(o, work)
    finally:
        capture.close()
    return o


def _fill(o: Any, work: Path) -> None:
    from datetime import date, timedelta

    from tests.helpers import example_declaration

    o.setup()
    today = date.today()
    o.ok("620000", "batch", "add", "--name", "2016年试点项目申报", "--code", "2016", "--opens",
         (today - timedelta(days=30)).isoformat(), "--closes", (today + timedelta(days=30)).isoformat(),
         "--budget", "10000000", "--quota", "200", "--quota-communities", "100")
    codes = ["620000", "620100", "620102", "620102001", "620102001001"]
    o.down(codes)
    decl_file = work / "decl.json"
    for title in ("东岗西路社区“银龄守望”空巢老人关爱服务项目", "东岗西路社区“四点半课堂”留守儿童关爱项目"):
        decl_file.write_text(json.dumps(example_declaration(title=title), ensure_ascii=False), "utf-8")
        rc = o.run("620102001001", "--json", "decl", "new", "--file", str(decl_file), user="clerk")
        assert rc[0] == 0
    for row in o.json("620102001001", "decl", "list", user="clerk")["items"]:
        o.ok("620102001001", "decl", "submit", row["id"], user="clerk")
    o.carry("620102001001", "620102001")
    for row in o.json("620102001", "inbox", user="rev")["items"]:
        o.ok("620102001", "review", row["id"], "--decision", "approve", "--opinion", "同意上报", user="rev")


def main() -> int:
    from sanlian_desktop.models import SyncConflict
    from sanlian_desktop.offices import auth
    from sanlian_desktop.store.engine import Store
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.settings.page import SettingsPage
    from sanlian_desktop.ui.sync.page import SyncPage
    from tests.helpers import PASSWORD

    screens = screenkit.start()
    from sanlian_desktop import app as composition

    composition.compose_cli()  # the offices are made through the command line, as in tests/sync
    settle, save = screens.settle, screens.save
    # A fixed folder (emptied first) keeps the paths in the pictures the same run to run.
    work = Path(tempfile.gettempdir()) / "sanlian-sync-shots"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    o = _chain(work)
    outbox = work / "street-outbox"
    outbox.mkdir()
    o.ok("620102001", "sync", "export", "--out", str(outbox))
    street_package = next(outbox.glob("620102001-至-620102-*.sanlian"))

    store = Store.open(o.homes["620102"])
    with store.session() as s:
        actor = auth.sign_in(s, "admin", PASSWORD)
        s.add(SyncConflict(kind="opinion", key="op-1", record={}, declaration_id=None,
                           reason="市州民政部门对第 1 版已有另一条意见", from_office="620100", package_id="e" * 32))
    settings = screens.settings(work)
    jobs = screens.jobs
    ctx = UiContext(store=store, actor=actor, settings=settings, jobs=jobs)

    window = screens.main_window(ctx, "sync")
    settle()
    page = window.current_page()
    assert isinstance(page, SyncPage)
    save(window, "sync.png")

    dialog = page.open_package(street_package)
    settle(0.8)
    save(dialog, "sync-import-preview.png")
    dialog.close()
    damaged = work / "damaged.sanlian"
    damaged.write_bytes(street_package.read_bytes()[:-100])
    dialog = page.open_package(damaged)
    settle(0.8)
    dialog.problem.toggle_button.click()
    save(dialog, "sync-import-damaged.png")
    dialog.close()
    export = page.export_packages("620100")
    outbox = work / "county-outbox"
    outbox.mkdir()
    export.destination.set_folder(outbox)
    export.start_export()
    save(export, "sync-export.png")
    export.close()

    window.show_page("settings")
    settings_page = window.current_page()
    assert isinstance(settings_page, SettingsPage)
    settings_page.tabs.setCurrentWidget(settings_page.certificates)
    save(window, "certificates.png")
    window.close()

    from sanlian_desktop.kernel.vocab import Level
    from sanlian_desktop.ui.firstrun.certpage import CertificateRequestPage
    from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard

    wizard = FirstRunWizard(work / "new-office", settings, jobs, after_setup=[CertificateRequestPage])
    wizard.resize(820, 600)
    wizard.show()
    wizard.next()
    wizard.level_page.set_level(Level.COUNTY)
    wizard.next()
    wizard.region_page.search.setText("cgq")
    wizard.next()
    wizard.office_page.name_edit.setText("王建国")
    wizard.office_page.passwords.set_passwords("screen-pass-1")
    wizard.next()
    settle()  # the office is created on the job runner; the wizard moves on when it is done
    cert_page = wizard.currentPage()
    assert isinstance(cert_page, CertificateRequestPage)
    cert_page.destination.set_folder(work)
    cert_page.write_request()
    settle()
    save(wizard, "firstrun-certificate.png")
    wizard.drop_result()
    wizard.close()
    jobs.wait(10_000)
    store.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
