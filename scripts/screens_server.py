"""Render the office on a database server offscreen (1366×768) into docs/screenshots/: the wizard's
本单位有数据库服务器 page (a wrong password, then a successful test), its joining page, and 设置 → 本单位 of
an office on a server.

Needs Debian's postgresql (as the tests do, tests/pgserver.py): a throw-away cluster is started for the
run, this time also listening on 127.0.0.1 (on port 5432 when it is free), and removed at the end.
Usage: python scripts/screens_server.py [OUTPUT_DIR]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import screenkit

ROLE, DATABASE, SECRET = "sanlian_app", "sanlian", "screen-db-secret"


def free_port() -> int:
    """PostgreSQL's own port when nothing listens on it here (the pictures show it), else any free one."""
    import socket

    for port in (5432, 0):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is free
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise SystemExit("screens_server: no free port")


PORT = free_port()


def tcp_server() -> object:
    """The test cluster, restarted to listen on 127.0.0.1 too, with a role and a database made as the
    manual tells an office to (the role asked for its password, as an office's server asks every
    workstation)."""
    from tests import pgserver

    reason = pgserver.unavailable_reason()
    if reason is not None:
        raise SystemExit(f"screens_server: {reason}")
    server = pgserver.PgServer()
    hba = server.data / "pg_hba.conf"
    hba.write_text(f"host {DATABASE} {ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text("utf-8"),
                   "utf-8")
    os.environ["PGPORT"] = str(PORT)  # the socket's name follows the port: every connection of this run
    options = f"-k {server.socket} -p {PORT} -c listen_addresses='127.0.0.1' -c fsync=off"
    server._run("pg_ctl", "-D", str(server.data), "-l", str(server.folder / "server.log"), "-w", "-m", "fast",
                "-o", options, "restart")
    server._admin(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{SECRET}'")
    server._admin(f"CREATE DATABASE {DATABASE} OWNER {ROLE} ENCODING 'UTF8'")
    return server


def main() -> int:
    from PySide6.QtWidgets import QWizard

    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard, PageId
    from sanlian_desktop.ui.settings.page import SettingsPage
    from tests import pgserver

    screens = screenkit.start()
    server = tcp_server()
    assert isinstance(server, pgserver.PgServer)
    try:
        os.environ["PGPASSWORD"] = SECRET
        office = screens.office("county", "620102", "城关区民政局", prefix="sanlian-server-shot-",
                                database=f"postgresql+psycopg://{ROLE}@127.0.0.1:{PORT}/{DATABASE}")
        os.environ.pop("PGPASSWORD")
        work = Path(tempfile.mkdtemp(prefix="sanlian-server-wizard-"))
        screens.use_screen(screenkit.SIZE)

        wizard = FirstRunWizard(work / "second", screens.settings(work), screens.jobs)
        wizard.welcome_page.server_choice.setChecked(True)
        screens.save_on_screen(wizard, "server-welcome.png", screenkit.SIZE)
        wizard.next()
        assert wizard.currentId() == PageId.SERVER
        page = wizard.server_page
        page.host_edit.setText("127.0.0.1")
        page.port_edit.setText(str(PORT))
        page.user_edit.setText(ROLE)
        page.password_edit.setText("wrong-password")
        page.test_connection()
        screens.save_on_screen(wizard, "server-wizard-refused.png", screenkit.SIZE)
        page.password_edit.setText(SECRET)
        page.test_connection()
        screens.save_on_screen(wizard, "server-wizard.png", screenkit.SIZE)
        assert page.probe is not None and page.join_choice.isChecked(), page.error.text()
        wizard.next()
        assert wizard.currentId() == PageId.JOIN
        wizard.join_page.username.setText("clerk")
        wizard.join_page.password.setText("screen-pass")
        screens.save_on_screen(wizard, "server-wizard-join.png", screenkit.SIZE)
        wizard.button(QWizard.WizardButton.CancelButton).click()

        settings_page = SettingsPage(UiContext(office.store, office.admin, screens.settings(work), screens.jobs))
        settings_page.tabs.setCurrentIndex(next(i for i in range(settings_page.tabs.count())
                                                if settings_page.tabs.tabText(i) == "本单位"))
        screens.save(settings_page, "server-settings-office.png", screenkit.SIZE)
        local = screens.office("county", "620102", "城关区民政局", prefix="sanlian-local-shot-", database=None)
        local_page = SettingsPage(UiContext(local.store, local.admin, screens.settings(work), screens.jobs))
        local_page.tabs.setCurrentIndex(settings_page.tabs.currentIndex())
        screens.save(local_page, "local-settings-office.png", screenkit.SIZE)
        local.store.close()
        return screens.finish(office.store, wizard, settings_page, local_page)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
