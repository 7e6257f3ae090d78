"""The first-run wizard's 本单位有数据库服务器: creating the office on a real PostgreSQL server, joining it
from a second computer with the same users, and what the 测试连接 button says when it cannot go on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot
from sqlalchemy import create_engine, make_url, text

from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.offices import auth
from sanlian_desktop.store import server
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.firstrun import serverpage
from sanlian_desktop.ui.firstrun.certpage import CertificateRequestPage
from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard, PageId
from sanlian_desktop.ui.jobs import JobRunner
from tests import pgserver
from tests.helpers import PASSWORD, make_office
from tests.pgserver import PgServer
from tests.ui.helpers import writes_done

ADMIN_PASSWORD = "county-pass-1"


@pytest.fixture(autouse=True)
def _own_pgpassword(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wizard puts the server's password into PGPASSWORD of this process: undone after each test."""
    monkeypatch.delenv("PGPASSWORD", raising=False)


def _wizard(qtbot: QtBot, home: Path, settings: QSettings, jobs: JobRunner, *, as_the_program: bool = False
            ) -> FirstRunWizard:
    """The wizard; ``as_the_program``: with the certificate request page after creating, as ui/app.py makes it."""
    wizard = FirstRunWizard(home, settings, jobs, after_setup=[CertificateRequestPage] if as_the_program else [])
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    return wizard


def _click(qtbot: QtBot, wizard: FirstRunWizard, which: QWizard.WizardButton = QWizard.WizardButton.NextButton
           ) -> None:
    button = wizard.button(which)
    assert button.isEnabled(), f"{which} is disabled on page {wizard.currentId()}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, wizard.jobs)


def _to_server_page(qtbot: QtBot, wizard: FirstRunWizard) -> serverpage.ServerPage:
    wizard.welcome_page.server_choice.setChecked(True)
    _click(qtbot, wizard)
    assert wizard.currentId() == PageId.SERVER
    return wizard.server_page


def _fill(qtbot: QtBot, page: serverpage.ServerPage, url: str, password: str = "") -> None:
    """Type the address of ``url`` (the test server's socket folder as the host) into the form."""
    parsed = make_url(url)
    for edit, value in ((page.host_edit, str(parsed.query["host"])), (page.database_edit, parsed.database or ""),
                        (page.user_edit, parsed.username or ""), (page.password_edit, password)):
        edit.clear()
        qtbot.keyClicks(edit, value)


def _test(qtbot: QtBot, wizard: FirstRunWizard) -> None:
    qtbot.mouseClick(wizard.server_page.test_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, wizard.jobs)


def test_the_first_computer_creates_the_office_on_the_server(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                                              jobs: JobRunner, pg_server: PgServer) -> None:
    url = pg_server.password_url(pg_server.new_database(migrated=False))
    home = tmp_path / "office"
    wizard = _wizard(qtbot, home, settings, jobs)
    page = _to_server_page(qtbot, wizard)
    assert page.port_edit.text() == "5432"
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()  # no address yet
    _fill(qtbot, page, url, "wrong-password")
    _test(qtbot, wizard)
    assert "服务器拒绝了用户 clerk_pw 的密码" in page.error.text()
    assert page.result.text() == ""
    page.password_edit.clear()
    qtbot.keyClicks(page.password_edit, pgserver.PASSWORD)
    _test(qtbot, wizard)
    assert page.error.isHidden()
    assert page.result.text() == "连接成功：数据库是空的，可以在其中创建本单位。"
    assert page.create_choice.isChecked()
    _click(qtbot, wizard)
    assert wizard.currentId() == PageId.LEVEL
    wizard.level_page.set_level(Level.COUNTY)
    _click(qtbot, wizard)
    wizard.region_page.search.setText("cgq")
    _click(qtbot, wizard)
    office = wizard.office_page
    office.name_edit.setText("王建国")
    office.passwords.set_passwords(ADMIN_PASSWORD)
    _click(qtbot, wizard, QWizard.WizardButton.CommitButton)
    assert wizard.currentId() == PageId.DONE
    summary = wizard.done_page.summary.text()
    assert f"单位服务器 {page.host_edit.text()}:5432/" in summary and "（用户 clerk_pw）" in summary
    assert "选择“加入服务器上已有的本单位”" in summary
    assert wizard.store is not None and wizard.store.on_server
    wizard.store.close()
    kept = AppPaths(home).server_settings.read_text("utf-8")
    assert server.ServerAddress.from_url(json.loads(kept)["url"]) == page.address()
    assert pgserver.PASSWORD not in kept and not AppPaths(home).database.exists()
    settings.sync()
    assert all(pgserver.PASSWORD not in str(settings.value(key)) for key in settings.allKeys())
    store = Store.open(home)  # PGPASSWORD of this process holds the password typed in the wizard
    with store.session() as session:
        assert auth.this_office(session).name == "城关区民政局"
        assert auth.sign_in(session, "admin", ADMIN_PASSWORD).role is Role.ADMIN
    store.close()


def test_another_computer_joins_and_signs_in_as_one_of_the_offices_users(
        qtbot: QtBot, tmp_path: Path, settings: QSettings, jobs: JobRunner, pg_server: PgServer) -> None:
    url = pg_server.new_database(migrated=False)
    make_office(tmp_path / "first", "county", "620102", "城关区民政局", database=url).store.close()
    home = tmp_path / "second"
    wizard = _wizard(qtbot, home, settings, jobs, as_the_program=True)
    page = _to_server_page(qtbot, wizard)
    _fill(qtbot, page, url)
    _click(qtbot, wizard)  # 下一步 tests the connection first, finds the office and moves on to joining it
    assert page.join_choice.isChecked()
    assert page.result.text() == "连接成功：数据库中是城关区民政局（620102）的数据，这台电脑可以加入。"
    assert wizard.currentId() == PageId.JOIN
    join = wizard.join_page
    assert join.office_label.text() == "城关区民政局（620102）"
    assert join.server_label.text().endswith(f"/{make_url(url).database}（用户 sanlian）")
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    assert commit.text() == "加入并登录" and not commit.isEnabled()
    qtbot.keyClicks(join.username, "clerk")
    qtbot.keyClicks(join.password, "not-the-password")
    _click(qtbot, wizard, QWizard.WizardButton.CommitButton)
    assert wizard.currentId() == PageId.JOIN
    assert join.error.text() == "用户名或密码不正确"
    assert not AppPaths(home).server_settings.exists()  # a refused sign-in leaves this computer as it was
    join.password.setText(PASSWORD)
    _click(qtbot, wizard, QWizard.WizardButton.CommitButton)
    assert wizard.currentId() == PageId.DONE  # a clerk joining is not asked to request the office's certificate
    assert wizard.joined and wizard.actor is not None
    assert (wizard.actor.username, wizard.actor.role, wizard.actor.office_code) == ("clerk", Role.CLERK, "620102")
    assert wizard.done_page.title() == "已加入本单位"
    assert "这台电脑已加入城关区民政局（620102），数据保存在单位服务器" in wizard.done_page.summary.text()
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    assert wizard.result() == QWizard.DialogCode.Accepted
    assert wizard.store is not None
    wizard.store.close()
    kept = json.loads(AppPaths(home).server_settings.read_text("utf-8"))["url"]
    assert server.ServerAddress.from_url(kept) == page.address()


def test_a_database_that_does_not_fit_the_chosen_way_is_refused(
        qtbot: QtBot, tmp_path: Path, settings: QSettings, jobs: JobRunner, pg_server: PgServer) -> None:
    url = pg_server.new_database(migrated=False)
    make_office(tmp_path / "first", "county", "620102", "城关区民政局", database=url).store.close()
    wizard = _wizard(qtbot, tmp_path / "second", settings, jobs)
    page = _to_server_page(qtbot, wizard)
    _fill(qtbot, page, url)
    _test(qtbot, wizard)
    page.create_choice.setChecked(True)  # a second office in the same database is refused
    _click(qtbot, wizard)
    assert wizard.currentId() == PageId.SERVER
    assert page.error.text() == ("该数据库中已有城关区民政局（620102）的数据，不能再创建：这台电脑请选择“加入服务器上已有的本单位”。")
    empty = pg_server.new_database(migrated=False)
    _fill(qtbot, page, empty)
    _test(qtbot, wizard)
    page.join_choice.setChecked(True)  # nothing to join yet
    _click(qtbot, wizard)
    assert wizard.currentId() == PageId.SERVER
    assert page.error.text().startswith("该数据库中还没有本单位的数据")


def _database_with(pg_server: PgServer, *statements: str) -> str:
    url = pg_server.new_database(migrated=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()
    return url


@pytest.mark.parametrize(("case", "said"), [
    ("unreachable", "连接数据库服务器失败：连接不上服务器"),
    ("no database", "服务器上没有名为 no_such_db 的数据库"),
    ("foreign", "该数据库中已有其他程序的数据表，不是本程序的数据库"),
    ("newer", "这份数据由更新版本的程序创建（数据版本 9999）"),
])
def test_a_failed_test_says_why_in_chinese(qtbot: QtBot, tmp_path: Path, settings: QSettings, jobs: JobRunner,
                                           pg_server: PgServer, case: str, said: str) -> None:
    if case == "unreachable":
        url = make_url(pg_server.new_database()).update_query_dict({"host": str(tmp_path / "nowhere")})
        address = url.render_as_string(hide_password=False)
    elif case == "no database":
        address = make_url(pg_server.new_database()).set(database="no_such_db").render_as_string(hide_password=False)
    elif case == "foreign":
        address = _database_with(pg_server, "CREATE TABLE invoices (id integer)")
    else:
        address = _database_with(pg_server, "CREATE TABLE alembic_version (version_num varchar(32))",
                                 "INSERT INTO alembic_version VALUES ('9999')")
    home = tmp_path / "office"
    wizard = _wizard(qtbot, home, settings, jobs)
    page = _to_server_page(qtbot, wizard)
    _fill(qtbot, page, address)
    _click(qtbot, wizard)  # 下一步 tests first, and stays
    assert wizard.currentId() == PageId.SERVER
    assert said in page.error.text()
    shown = page.error.text()
    for name in ("no_such_db", str(tmp_path / "nowhere"), "PostgreSQL"):  # names, not English sentences
        shown = shown.replace(name, "")
    assert not any(c.isascii() and c.isalpha() for c in shown), page.error.text()
    assert page.result.text() == "" and page.url() is None
    assert not home.exists() or not any(home.iterdir())  # nothing was written on this computer


def test_without_the_driver_the_page_says_so_and_offers_nothing(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                                                 jobs: JobRunner, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    """A build that could not bundle psycopg and its libpq: the page explains instead of failing."""
    monkeypatch.setattr(server, "driver_problem", lambda: "这一版本的程序未包含 PostgreSQL 数据库驱动")
    wizard = _wizard(qtbot, tmp_path / "office", settings, jobs)
    page = _to_server_page(qtbot, wizard)
    assert page.problem.isVisible() and "未包含 PostgreSQL 数据库驱动" in page.problem.text()
    assert not page.test_button.isEnabled() and not page.host_edit.isEnabled()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_going_back_from_the_server_keeps_the_office_on_this_computer(qtbot: QtBot, tmp_path: Path,
                                                                     settings: QSettings, jobs: JobRunner) -> None:
    """SQLite: a look at the server page, then back to 创建本单位, makes the usual SQLite office."""
    home = tmp_path / "office"
    wizard = _wizard(qtbot, home, settings, jobs)
    page = _to_server_page(qtbot, wizard)
    qtbot.keyClicks(page.host_edit, "192.168.1.10")
    qtbot.keyClicks(page.user_edit, "sanlian")
    page.password_edit.setText("服务器密码")
    _click(qtbot, wizard, QWizard.WizardButton.BackButton)
    wizard.welcome_page.create_choice.setChecked(True)
    _click(qtbot, wizard)
    assert wizard.currentId() == PageId.LEVEL and wizard.database_url() is None
    wizard.level_page.set_level(Level.COUNTY)
    _click(qtbot, wizard)
    wizard.region_page.search.setText("cgq")
    _click(qtbot, wizard)
    wizard.office_page.name_edit.setText("王建国")
    wizard.office_page.passwords.set_passwords(ADMIN_PASSWORD)
    _click(qtbot, wizard, QWizard.WizardButton.CommitButton)
    assert wizard.currentId() == PageId.DONE
    assert str(home) in wizard.done_page.summary.text() and "单位服务器" not in wizard.done_page.summary.text()
    assert wizard.store is not None and not wizard.store.on_server
    wizard.store.close()
    assert AppPaths(home).database.exists() and not AppPaths(home).server_settings.exists()
    assert "PGPASSWORD" not in os.environ  # nothing was tested: the typed password went nowhere
