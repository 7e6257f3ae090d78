"""The first-run wizard: creating a county office end to end, region search, streets, the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from sanlian_desktop.demo.office import DEMO_OFFICE_NAME, demo_home
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.offices import auth
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.firstrun.regionmodel import CODE_ROLE, RegionFilterProxy, build_region_model
from sanlian_desktop.ui.firstrun.regionpage import ENTRY, SEARCH
from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard, PageId
from sanlian_desktop.ui.jobs import JobRunner
from tests.ui.helpers import Blocked, stays_live, writes_done

PASSWORD = "county-pass-1"


def _wizard(qtbot: QtBot, home: Path, settings: QSettings, jobs: JobRunner) -> FirstRunWizard:
    wizard = FirstRunWizard(home, settings, jobs)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    return wizard


def _next(qtbot: QtBot, wizard: FirstRunWizard, which: QWizard.WizardButton = QWizard.WizardButton.NextButton
          ) -> None:
    button = wizard.button(which)
    assert button.isEnabled(), f"{which} is disabled on page {wizard.currentId()}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, wizard.jobs)  # creating the office runs on the wizard's job runner


def _to_region_page(qtbot: QtBot, wizard: FirstRunWizard, level: Level) -> None:
    _next(qtbot, wizard)
    assert wizard.currentId() == PageId.LEVEL
    wizard.level_page.set_level(level)
    assert wizard.level is level
    _next(qtbot, wizard)
    assert wizard.currentId() == PageId.REGION


def test_wizard_creates_a_county_office(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                        jobs: JobRunner) -> None:
    home = tmp_path / "office"
    wizard = _wizard(qtbot, home, settings, jobs)
    _to_region_page(qtbot, wizard, Level.COUNTY)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.keyClicks(wizard.region_page.search, "cgq")
    assert wizard.region_page.region() == ("620102", "城关区")
    _next(qtbot, wizard)
    office = wizard.office_page
    assert office.office_name.text() == "城关区民政局"
    assert office.region_label.text() == "城关区（620102）"
    office.admin_name.clear()
    qtbot.keyClicks(office.admin_name, "chief")
    qtbot.keyClicks(office.passwords.first, PASSWORD)
    qtbot.keyClicks(office.passwords.second, PASSWORD)
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    assert office.form.labelForField(office.name_edit).text() == "管理员姓名："
    assert not commit.isEnabled()  # the admin's name (姓名) is required
    qtbot.keyClicks(office.name_edit, "   ")
    assert not commit.isEnabled()  # blanks are no name
    office.name_edit.setText(" 王建国 ")
    assert commit.isEnabled()
    _next(qtbot, wizard, QWizard.WizardButton.CommitButton)
    assert wizard.currentId() == PageId.DONE
    assert "城关区民政局" in wizard.done_page.summary.text()
    assert "以管理员 王建国（用户名 chief）的身份进入系统" in wizard.done_page.summary.text()
    assert wizard.actor is not None and wizard.actor.username == "chief" and wizard.actor.role is Role.ADMIN
    assert wizard.actor.display_name == "王建国"  # trimmed
    _next(qtbot, wizard, QWizard.WizardButton.FinishButton)
    assert wizard.result() == QWizard.DialogCode.Accepted
    assert wizard.store is not None
    wizard.store.close()
    store = Store.open(home)
    with store.session() as session:
        assert auth.this_office(session).name == "城关区民政局"
        assert auth.sign_in(session, "chief", PASSWORD).office_level is Level.COUNTY
        assert [(u.username, u.display_name) for u in auth.list_users(session)] == [("chief", "王建国")]
    store.close()


def test_the_admins_name_is_limited_like_any_users(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                                   jobs: JobRunner) -> None:
    wizard = _wizard(qtbot, tmp_path / "office", settings, jobs)
    _to_region_page(qtbot, wizard, Level.COUNTY)
    wizard.region_page.search.setText("cgq")
    _next(qtbot, wizard)
    office = wizard.office_page
    office.passwords.set_passwords(PASSWORD)
    office.name_edit.setText("名" * (auth.MAX_DISPLAY_NAME + 5))
    assert office.name_edit.text() == "名" * auth.MAX_DISPLAY_NAME  # the field takes no more
    assert wizard.button(QWizard.WizardButton.CommitButton).isEnabled()


def test_service_refusal_shows_inline_and_creates_nothing(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                                          jobs: JobRunner) -> None:
    home = tmp_path / "office"
    wizard = _wizard(qtbot, home, settings, jobs)
    _to_region_page(qtbot, wizard, Level.CITY)
    qtbot.keyClicks(wizard.region_page.search, "620100")
    assert wizard.region_page.region() == ("620100", "兰州市")
    _next(qtbot, wizard)
    office = wizard.office_page
    assert office.office_name.text() == "兰州市民政局"
    office.name_edit.setText("李明")
    office.passwords.set_passwords("short1", "short2")
    _next(qtbot, wizard, QWizard.WizardButton.CommitButton)
    assert office.error.text() == "两次输入的密码不一致"
    office.passwords.set_passwords("short1")
    _next(qtbot, wizard, QWizard.WizardButton.CommitButton)
    assert office.error.text() == "密码至少需要8位"
    assert wizard.currentId() == PageId.OFFICE
    assert not AppPaths(home).database.exists()


def test_a_street_the_data_lacks_is_entered_by_code_and_name(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                                             jobs: JobRunner) -> None:
    wizard = _wizard(qtbot, tmp_path / "street", settings, jobs)
    _to_region_page(qtbot, wizard, Level.STREET)
    page = wizard.region_page
    assert page.stack.currentIndex() == SEARCH
    qtbot.mouseClick(page.by_hand_button, Qt.MouseButton.LeftButton)
    assert page.stack.currentIndex() == ENTRY
    qtbot.keyClicks(page.code_edit, "620102001")
    page.name_edit.setText("东岗街道")
    _next(qtbot, wizard)
    assert wizard.office_page.office_name.text() == "东岗街道"
    wizard.office_page.name_edit.setText("张华")
    wizard.office_page.passwords.set_passwords(PASSWORD)
    _next(qtbot, wizard, QWizard.WizardButton.CommitButton)
    assert wizard.currentId() == PageId.DONE, wizard.office_page.error.text()
    assert wizard.actor is not None and wizard.actor.office_code == "620102001"
    assert wizard.store is not None
    wizard.store.close()


def test_pinyin_initials_find_chengguan_in_the_filter_model(qtmodeltester: object) -> None:
    proxy = RegionFilterProxy()
    proxy.setSourceModel(build_region_model())
    proxy.set_level(Level.COUNTY)
    proxy.set_query("cgq")
    found: list[str] = []

    def walk(parent: object) -> None:
        for row in range(proxy.rowCount(parent)):  # type: ignore[arg-type]
            index = proxy.index(row, 0, parent)  # type: ignore[arg-type]
            found.append(index.data())
            walk(index)

    from PySide6.QtCore import QModelIndex

    walk(QModelIndex())
    # The path to each match stays visible (甘肃省 → 兰州市 → 城关区); nothing else does.
    assert "城关区" in found and "甘肃省" in found and "兰州市" in found
    assert "七里河区" not in found
    qtmodeltester.check(proxy)  # type: ignore[attr-defined]
    proxy.set_query("")
    qtmodeltester.check(proxy)  # type: ignore[attr-defined]


def test_level_filter_hides_lower_levels_and_disables_upper(qapp: object) -> None:
    proxy = RegionFilterProxy()
    proxy.setSourceModel(build_region_model())
    proxy.set_level(Level.CITY)
    province = proxy.index(0, 0)
    assert province.data() == "甘肃省"
    assert not proxy.flags(province) & Qt.ItemFlag.ItemIsSelectable
    lanzhou = proxy.index(0, 0, province)
    assert lanzhou.data(CODE_ROLE) == "620100"
    assert proxy.flags(lanzhou) & Qt.ItemFlag.ItemIsSelectable
    assert proxy.rowCount(lanzhou) == 0
    names = {proxy.index(r, 0, province).data() for r in range(proxy.rowCount(province))}
    assert {"兰州新区", "甘肃矿区", "东风场区", "嘉峪关市"} <= names


def test_demo_choice_builds_the_demo_and_signs_in_the_reviewer(qtbot: QtBot, tmp_path: Path,
                                                               settings: QSettings, jobs: JobRunner) -> None:
    home = tmp_path / "data"
    wizard = _wizard(qtbot, home, settings, jobs)
    wizard.welcome_page.demo_choice.setChecked(True)
    _next(qtbot, wizard)
    assert wizard.currentId() == PageId.DEMO
    # Making 300 declarations and screening them takes a few seconds alone; the bound is for a loaded
    # machine (a GUI wait, not a speed goal: bench/ holds those), below pytest-timeout's 300 s.
    qtbot.waitUntil(lambda: wizard.button(QWizard.WizardButton.FinishButton).isEnabled(), timeout=200_000)
    assert wizard.is_demo and wizard.actor is not None
    assert wizard.actor.role is Role.REVIEWER and wizard.actor.office_name == DEMO_OFFICE_NAME
    assert "demo1234" in wizard.demo_page.accounts.text()
    assert not AppPaths(home).database.exists()  # the office's own store is untouched
    assert AppPaths(demo_home(home)).database.exists()
    from sanlian_desktop.declarations import listing

    assert wizard.store is not None
    with wizard.store.read_session() as session:
        assert listing.count(session, listing.list_query(wizard.actor)) == 300
    # Back to the welcome page lets go of the demo store.
    _next(qtbot, wizard, QWizard.WizardButton.BackButton)
    assert wizard.store is None and wizard.actor is None


def test_creating_the_office_runs_off_the_gui_thread(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                                     jobs: JobRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from sanlian_desktop.ui.firstrun import steps

    blocked = Blocked(monkeypatch, steps, "init_office")
    wizard = _wizard(qtbot, tmp_path / "office", settings, jobs)
    _to_region_page(qtbot, wizard, Level.COUNTY)
    wizard.region_page.search.setText("cgq")
    _next(qtbot, wizard)
    wizard.office_page.name_edit.setText("张华")
    wizard.office_page.passwords.set_passwords(PASSWORD)
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    qtbot.mouseClick(commit, Qt.MouseButton.LeftButton)
    stays_live(qtbot, blocked, wizard)
    assert wizard.office_page.creating() and not commit.isEnabled() and not wizard.office_page.isEnabled()
    wizard.reject()  # cancelling waits for the office being created
    assert wizard.isVisible() and wizard.currentId() == PageId.OFFICE
    blocked.release.set()
    writes_done(qtbot, jobs)
    assert blocked.ran_off_the_gui_thread()
    assert wizard.currentId() == PageId.DONE and wizard.actor is not None and wizard.actor.username == "admin"
    assert wizard.store is not None
    wizard.store.close()
