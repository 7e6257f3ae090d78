"""Certificates through the UI: the 证书 tab (request → certify at the parent → install → revoke) and the
wizard page that writes the request after a new office is created."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QWizard
from pytestqt.qtbot import QtBot

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import import_package
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.firstrun.certpage import CertificateRequestPage
from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard, PageId
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.settings.certificates import CertificatesTab, RevokeDialog
from sanlian_desktop.ui.settings.page import SettingsPage
from tests.helpers import Office, make_office
from tests.ui.conftest import Modals
from tests.ui.helpers import writes_done
from tests.ui.test_freed import check_freed_on_close


@pytest.fixture
def province(tmp_path: Path) -> Iterator[Office]:
    office = make_office(tmp_path / "province", "province", "620000", "甘肃省民政厅", with_batch=False)
    yield office
    office.store.close()


@pytest.fixture
def city(tmp_path: Path) -> Iterator[Office]:
    office = make_office(tmp_path / "city", "city", "620100", "兰州市民政局", with_batch=False)
    yield office
    office.store.close()


def _tab(qtbot: QtBot, office: Office, settings: QSettings, jobs: JobRunner, *, admin: bool = True
         ) -> CertificatesTab:
    ctx = UiContext(store=office.store, actor=office.admin if admin else office.clerk, settings=settings, jobs=jobs)
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    page.tabs.setCurrentWidget(page.certificates)
    return page.certificates


def _wait(qtbot: QtBot, tab: CertificatesTab) -> None:
    qtbot.waitUntil(lambda: tab.handle is None, timeout=20_000)


def test_request_certify_install_and_revoke_through_the_tab(qtbot: QtBot, province: Office, city: Office,
                                                            settings: QSettings, jobs: JobRunner, modals: Modals,
                                                            tmp_path: Path) -> None:
    city_tab = _tab(qtbot, city, settings, jobs)
    assert city_tab.state.text() == "尚未安装"
    assert city_tab.request_button.isVisible() and city_tab.install_button.isVisible()

    request = tmp_path / "usb" / "兰州市民政局-620100-证书申请.req"
    request.parent.mkdir()
    modals.save_file = str(request)
    assert city_tab.write_request() is not None
    _wait(qtbot, city_tab)
    assert request.exists()
    assert "已生成证书申请文件" in modals.texts()[-1]

    province_tab = _tab(qtbot, province, settings, jobs)
    assert province_tab.state.text() == "根证书（本单位自签）"
    assert not province_tab.request_button.isVisible()
    assert province_tab.certify_button.isVisible()
    cert_file = tmp_path / "usb" / "兰州市民政局-620100-证书.cert"
    modals.open_file, modals.save_file, modals.answer = str(request), str(cert_file), QMessageBox.StandardButton.Yes
    assert province_tab.certify() is not None
    assert modals.boxes[-1] == ("question", "为 兰州市民政局（620100） 签发证书（有效期三年）？\n请先与对方核实这份申请确实来自该单位。")
    _wait(qtbot, province_tab)
    assert cert_file.exists()
    assert "已为 兰州市民政局（620100） 签发证书" in modals.texts()[-1]
    assert province_tab.child_table.rowCount() == 1
    assert province_tab.child_table.item(0, 0).text() == "兰州市民政局"
    assert province_tab.child_table.item(0, 3).text() == "有效，尚未确认安装"

    modals.open_file = str(request)  # the wrong file: the service's refusal is shown
    city_tab.install()
    _wait(qtbot, city_tab)
    assert modals.boxes[-1] == ("warning", "这不是本系统的证书文件")
    modals.open_file = str(cert_file)
    city_tab.install()
    _wait(qtbot, city_tab)
    assert modals.texts()[-1].startswith("已安装本单位证书（有效期至")
    assert city_tab.state.text() == "已安装"
    assert city_tab.issuer.text() == "甘肃省民政厅（620000）"
    with city.store.read_session() as s:
        assert trust.own_certificate(s) is not None
    # The city's first package, signed under the certificate, tells the province it is installed (issue 14).
    package = tmp_path / "usb" / "up.sanlian"
    export_package(city.store, city.admin, "620000", package)
    assert province_tab.child_table.item(0, 3).text() == "有效，尚未确认安装"
    import_package(province.store, province.admin, package)
    province_tab.refresh()
    assert province_tab.child_table.item(0, 3).text() == "有效，证书已安装"

    dialog = province_tab.revoke()
    assert isinstance(dialog, RevokeDialog) and dialog.child.currentData() == "620100"
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == "请写明吊销原因"
    dialog.reason.setText("电脑丢失")
    check_freed_on_close(qtbot, dialog, lambda: qtbot.mouseClick(ok, Qt.MouseButton.LeftButton))
    writes_done(qtbot, jobs)
    assert province_tab.child_table.item(0, 3).text() == "已吊销"
    assert not province_tab.revoke_button.isEnabled()


def test_a_damaged_request_is_refused_before_anything_is_signed(qtbot: QtBot, province: Office,
                                                                settings: QSettings, jobs: JobRunner,
                                                                modals: Modals, tmp_path: Path) -> None:
    tab = _tab(qtbot, province, settings, jobs)
    bad = tmp_path / "bad.req"
    bad.write_text('{"format": "nothing"}', "utf-8")
    modals.open_file = str(bad)
    assert tab.certify() is None
    assert modals.boxes[-1][0] == "warning" and "证书申请" in modals.boxes[-1][1]


def test_a_clerk_sees_the_certificate_but_no_buttons(qtbot: QtBot, city: Office, settings: QSettings,
                                                     jobs: JobRunner) -> None:
    tab = _tab(qtbot, city, settings, jobs, admin=False)
    assert tab.state.text() == "尚未安装"
    assert not tab.request_button.isVisible() and not tab.certify_button.isVisible()
    assert tab.note.isVisible() and "管理员" in tab.note.text()


def _wizard(qtbot: QtBot, home: Path, settings: QSettings, jobs: JobRunner) -> FirstRunWizard:
    wizard = FirstRunWizard(home, settings, jobs, after_setup=[CertificateRequestPage])
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _create(qtbot: QtBot, wizard: FirstRunWizard, level: Level, search: str) -> None:
    jobs = wizard.jobs
    wizard.next()
    wizard.level_page.set_level(level)
    wizard.next()
    wizard.region_page.search.setText(search)
    wizard.next()
    wizard.office_page.name_edit.setText("王建国")
    wizard.office_page.passwords.set_passwords("office-pass-1")
    wizard.next()  # creates the office on the wizard's job runner, then moves on
    writes_done(qtbot, jobs)


def test_wizard_writes_the_certificate_request_after_creating_a_county(
        qtbot: QtBot, tmp_path: Path, settings: QSettings, jobs: JobRunner) -> None:
    wizard = _wizard(qtbot, tmp_path / "office", settings, jobs)
    _create(qtbot, wizard, Level.COUNTY, "cgq")
    assert wizard.currentId() == PageId.AFTER_SETUP, wizard.office_page.error.text()
    page = wizard.currentPage()
    assert isinstance(page, CertificateRequestPage)
    assert not wizard.button(QWizard.WizardButton.CancelButton).isVisible()
    assert "上级单位（兰州市）" in page.steps.text() and "设置 → 证书 → 安装上级签发的证书" in page.steps.text()
    usb = tmp_path / "usb"
    usb.mkdir()
    page.destination.set_folder(usb)
    qtbot.mouseClick(page.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.written is not None, timeout=20_000)
    assert page.written == usb / "城关区民政局-620102-证书申请.req"
    assert page.written.exists() and page.open_button.isVisible()
    assert trust.read_request(page.written).code == "620102"
    wizard.next()
    assert wizard.currentId() == PageId.DONE
    assert wizard.button(QWizard.WizardButton.FinishButton).isVisible()
    wizard.drop_result()


def test_wizard_skips_the_request_for_the_province(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                                  jobs: JobRunner) -> None:
    wizard = _wizard(qtbot, tmp_path / "province", settings, jobs)
    _create(qtbot, wizard, Level.PROVINCE, "")
    assert wizard.currentId() == PageId.DONE, wizard.office_page.error.text()
    wizard.drop_result()


def test_the_province_moves_its_chain_to_gm_and_a_child_requests_in_gm(
        qtbot: QtBot, province: Office, city: Office, settings: QSettings, jobs: JobRunner, modals: Modals,
        tmp_path: Path) -> None:
    from sanlian_desktop.sync.trust.gm import GM_SUITE
    from sanlian_desktop.ui.settings.certificates import MigrateSuiteDialog

    tab = _tab(qtbot, province, settings, jobs)
    assert tab.migrate_button.isVisible() and tab.suite.text().startswith("国际通用算法")
    dialog = tab.migrate()
    assert isinstance(dialog, MigrateSuiteDialog)
    assert [dialog.suite.itemData(i) for i in range(dialog.suite.count())] == ["gm"]
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    check_freed_on_close(qtbot, dialog, lambda: qtbot.mouseClick(ok, Qt.MouseButton.LeftButton))
    writes_done(qtbot, jobs)
    assert "正在改用“国密算法（SM2/SM3/SM4）”" in tab.suite.text() and not tab.migrate_button.isVisible()
    with province.store.read_session() as s:
        assert {r.suite for r in trust.pinned_roots(s)} == {GM_SUITE.name, trust.DEFAULT_SUITE.name}

    # The city, still on SL1, is certified by the province's SL1 root; the bundle brings the new root along.
    usb = tmp_path / "usb"
    usb.mkdir()
    with city.store.session() as s:
        trust.request_certificate(s, city.admin, usb / "sl1.req")
    with province.store.session() as s:
        trust.certify_child(s, province.admin, usb / "sl1.req", usb / "sl1.cert")
    with city.store.session() as s:
        trust.install_certificate(s, city.admin, usb / "sl1.cert")
    city_tab = _tab(qtbot, city, settings, jobs)
    assert "过渡期至" in city_tab.suite.text() and not city_tab.migrate_button.isVisible()
    # 生成证书申请… now asks for 国密 keys.
    modals.save_file = str(usb / "gm.req")
    assert city_tab.write_request() is not None
    _wait(qtbot, city_tab)
    with province.store.session() as s:
        done = trust.certify_child(s, province.admin, usb / "gm.req", usb / "gm.cert")
    assert done.cert.suite == GM_SUITE.name
    with city.store.session() as s:
        trust.install_certificate(s, city.admin, usb / "gm.cert")
    city_tab.refresh()
    assert city_tab.suite.text().startswith("国密算法")
