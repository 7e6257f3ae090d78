"""Start-up: arguments, Qt's Chinese buttons, crash reporting, and the paths into the first run or sign-in."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.ui import app as app_module
from sanlian_desktop.ui.app import install_translations, parse_args, start_session
from sanlian_desktop.ui.crash import LOG_NAME, FaultLog, install_excepthook, setup_logging
from sanlian_desktop.ui.jobs import JobRunner
from tests import pgserver
from tests.helpers import Office, make_office
from tests.pgserver import PgServer
from tests.ui.conftest import Modals


@pytest.fixture
def clean_logging() -> object:
    logger = logging.getLogger("sanlian")
    before = list(logger.handlers)
    yield logger
    for handler in logger.handlers[:]:
        if handler not in before:
            logger.removeHandler(handler)
            handler.close()


def test_home_option(tmp_path: Path) -> None:
    assert parse_args(["--home", str(tmp_path)]).home == tmp_path
    assert parse_args([]).home is None


def test_standard_buttons_read_chinese(qapp: QApplication) -> None:
    translators = install_translations(qapp)
    try:
        assert translators, "Qt's qtbase_zh_CN.qm was not found"
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        assert box.button(QDialogButtonBox.StandardButton.Ok).text() == "确定"
        assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"
        box.deleteLater()
    finally:
        for translator in translators:
            QCoreApplication.removeTranslator(translator)


def test_a_hard_crash_is_reported_by_the_next_start(tmp_path: Path) -> None:
    code = ("import sys, faulthandler; sys.path.insert(0, sys.argv[2]);"
            "from pathlib import Path; from sanlian_desktop.ui.crash import FaultLog;"
            "FaultLog(Path(sys.argv[1])).enable(); faulthandler._sigsegv()")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path), str(root)], capture_output=True,
                            timeout=60, check=False)
    assert result.returncode != 0
    faults = FaultLog(tmp_path)
    report = faults.previous_crash()
    assert "Segmentation fault" in report or "Fatal Python error" in report
    assert faults.previous_crash() == ""  # reported once
    faults.enable()
    faults.disable()
    assert faults.previous_crash() == ""  # a clean exit leaves nothing to report


def test_uncaught_exception_is_logged_and_shown(tmp_path: Path, modals: Modals, monkeypatch: pytest.MonkeyPatch,
                                                clean_logging: object) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    log_file = setup_logging(tmp_path)
    install_excepthook()
    try:
        raise KeyError("lost")
    except KeyError:
        sys.excepthook(*sys.exc_info())
    assert modals.executed == ["ErrorDialog"]
    for handler in logging.getLogger("sanlian").handlers:
        handler.flush()
    assert "KeyError: 'lost'" in log_file.read_text("utf-8")
    assert log_file.name == LOG_NAME


@pytest.mark.engines
def test_existing_store_asks_for_sign_in(county: Office, settings: QSettings, jobs: JobRunner,
                                         modals: Modals) -> None:
    assert start_session(county.home, settings, jobs) is None  # the patched exec() cancels
    assert modals.executed == ["SignInDialog"]


def test_a_server_asking_for_a_password_gets_it_typed(tmp_path: Path, settings: QSettings, jobs: JobRunner,
                                                      modals: Modals, pg_server: PgServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL only: the server wants a password and PGPASSWORD has none; the user is asked once."""
    url = pg_server.password_url(pg_server.new_database())
    monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)
    make_office(tmp_path / "office", "county", "620102", "城关区民政局", database=url).store.close()
    monkeypatch.delenv("PGPASSWORD")
    asked: list[str] = []

    def typed(_parent: object) -> str | None:
        asked.append("wrong" if not asked else pgserver.PASSWORD)
        return asked[-1]

    monkeypatch.setattr(app_module, "ask_server_password", typed)
    with pytest.raises(UserError, match="连接数据库服务器失败"):  # a wrong password: refused, not retried for ever
        start_session(tmp_path / "office", settings, jobs)
    monkeypatch.delenv("PGPASSWORD")
    assert start_session(tmp_path / "office", settings, jobs) is None  # the patched exec() cancels the sign-in
    assert asked == ["wrong", pgserver.PASSWORD]
    assert modals.executed == ["SignInDialog"]
    assert "pg-secret" not in (tmp_path / "office" / "database.json").read_text("utf-8")


def test_no_store_starts_the_wizard(tmp_path: Path, settings: QSettings, jobs: JobRunner, modals: Modals) -> None:
    assert start_session(tmp_path / "empty", settings, jobs) is None
    assert modals.executed == ["FirstRunWizard"]


def test_main_reports_the_previous_crash_and_exits_when_the_wizard_is_cancelled(
        tmp_path: Path, modals: Modals, monkeypatch: pytest.MonkeyPatch, clean_logging: object) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(FaultLog, "enable", lambda self: None)  # leave pytest's own faulthandler alone
    monkeypatch.setattr(FaultLog, "disable", lambda self: None)
    monkeypatch.setattr(app_module, "QSettings", lambda: QSettings(str(tmp_path / "s.ini"),
                                                                   QSettings.Format.IniFormat))
    logs = tmp_path / "home" / "logs"
    logs.mkdir(parents=True)
    (logs / "faulthandler.log").write_text("Fatal Python error: Segmentation fault", "utf-8")
    assert app_module.main(["--home", str(tmp_path / "home")]) == 0
    assert modals.executed == ["ErrorDialog", "FirstRunWizard"]
    assert (logs / LOG_NAME).exists()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_workstation_shares_the_files_the_server_lacks_when_the_program_starts(
        county: Office, jobs: JobRunner, tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from sanlian_desktop.models import AttachmentContent
    from sanlian_desktop.store import attachments

    source = tmp_path / "会议记录.pdf"
    source.write_bytes(b"%PDF-1.4 minutes")
    with county.store.session() as s:
        attachments.store_file(s, county.store.paths, source)
        s.execute(AttachmentContent.__table__.delete())  # stored before the server kept files
    app_module.share_attachments(county.store, jobs)
    assert jobs.wait(30_000)
    with county.store.read_session() as s:
        assert s.scalar(select(func.count()).select_from(AttachmentContent)) == 1
