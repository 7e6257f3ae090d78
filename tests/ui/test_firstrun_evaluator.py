"""The first-run wizard's evaluator path: a third-party evaluator office with the code the province gave
it, its admin, its certificate request carried to the province, and a window with only its pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.offices import auth
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.firstrun.certpage import CertificateRequestPage
from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard, PageId
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.mainwindow import MainWindow
from tests.helpers import Office, make_office
from tests.ui.helpers import writes_done

PASSWORD = "eval-pass-1"
NAME = "甘肃省社会工作评估中心"


@pytest.fixture
def province(tmp_path: Path) -> Iterator[Office]:
    office = make_office(tmp_path / "province", "province", "620000", "甘肃省民政厅", with_batch=False)
    yield office
    office.store.close()


def _wizard(qtbot: QtBot, home: Path, settings: QSettings, jobs: JobRunner) -> FirstRunWizard:
    wizard = FirstRunWizard(home, settings, jobs, after_setup=[CertificateRequestPage])
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    return wizard


def _click(qtbot: QtBot, wizard: FirstRunWizard, which: QWizard.WizardButton) -> None:
    button = wizard.button(which)
    assert button.isEnabled(), f"{which} is disabled on page {wizard.currentId()}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, wizard.jobs)  # creating the office runs on the wizard's job runner


def _to_office_page(qtbot: QtBot, wizard: FirstRunWizard) -> None:
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentId() == PageId.LEVEL
    assert "第三方评估机构" in wizard.level_page.buttons[Level.EVALUATOR].text()
    wizard.level_page.set_level(Level.EVALUATOR)
    assert wizard.level is Level.EVALUATOR
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentId() == PageId.OFFICE  # no region to choose


def test_the_wizard_sets_up_an_evaluator_office(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                                jobs: JobRunner, province: Office) -> None:
    home = tmp_path / "evaluator"
    wizard = _wizard(qtbot, home, settings, jobs)
    _to_office_page(qtbot, wizard)
    page = wizard.office_page
    assert page.title() == "评估机构的名称、代码和管理员"
    assert page.code_edit.isVisible() and page.code_hint.isVisible() and not page.region_label.isVisible()
    assert page.office_name.text() == "" and "620000E001" in page.code_hint.text()
    assert page.form.labelForField(page.office_name).text() == "机构名称："
    assert wizard.button(QWizard.WizardButton.CommitButton).text() == "创建本机构"
    page.office_name.setText(NAME)
    page.name_edit.setText("陈评估")
    page.passwords.set_passwords(PASSWORD)
    assert not wizard.button(QWizard.WizardButton.CommitButton).isEnabled()  # no code yet

    # The code as the command line checks it, with its sentences; nothing is created on a refusal.
    qtbot.keyClicks(page.code_edit, "620100e001")
    assert page.code_edit.text() == "620100E001"
    _click(qtbot, wizard, QWizard.WizardButton.CommitButton)
    assert wizard.currentId() == PageId.OFFICE
    assert page.error.text() == ("评估机构代码 620100E001 格式不对：应为省级区划代码、字母 E 和三位数字，"
                                 "如 620000E001")
    page.code_edit.setText("630000E001")
    assert page.error.text() == ""
    _click(qtbot, wizard, QWizard.WizardButton.CommitButton)
    assert page.error.text() == "没有代码为 630000 的省份"
    assert not AppPaths(home).database.exists()
    page.code_edit.setText("620000E001")
    _click(qtbot, wizard, QWizard.WizardButton.CommitButton)

    # The office exists; next, the certificate request for the province.
    assert wizard.currentId() == PageId.AFTER_SETUP, page.error.text()
    actor = wizard.actor
    assert actor is not None and actor.office_level is Level.EVALUATOR and actor.role is Role.ADMIN
    assert (actor.office_code, actor.office_name) == ("620000E001", NAME)
    request_page = wizard.currentPage()
    assert isinstance(request_page, CertificateRequestPage)
    assert "甘肃省民政厅签发的证书" in request_page.subTitle()
    assert "交给甘肃省民政厅的管理员" in request_page.steps.text()
    assert "只能由省民政厅签发" in request_page.steps.text()
    usb = tmp_path / "usb"
    usb.mkdir()
    request_page.destination.set_folder(usb)
    qtbot.mouseClick(request_page.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: request_page.written is not None, timeout=20_000)
    assert request_page.written == usb / f"{NAME}-620000E001-证书申请.req"
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentId() == PageId.DONE
    assert "“评估”“同步”“设置”三页" in wizard.done_page.summary.text()
    assert wizard.done_page.title() == "本机构已创建"
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    assert wizard.result() == QWizard.DialogCode.Accepted
    store = wizard.store
    assert store is not None

    # The province certifies the request; the evaluator installs what it gets back.
    office = trust.read_request(usb / f"{NAME}-620000E001-证书申请.req")
    assert (office.code, office.name, office.level) == ("620000E001", NAME, Level.EVALUATOR)
    bundle = usb / "evaluator.cert"
    with province.store.session() as s:
        trust.certify_child(s, province.admin, usb / f"{NAME}-620000E001-证书申请.req", bundle)
    with store.session() as s:
        cert = trust.install_certificate(s, actor, bundle)
    assert cert.issuer_code == "620000"

    # Its window shows only the evaluator's pages.
    window = MainWindow(UiContext(store=store, actor=actor, settings=settings, jobs=jobs))
    qtbot.addWidget(window)
    window.show()
    assert window.page_keys() == ["sync", "evaluation", "settings"]
    window.close()
    store.close()
    from sanlian_desktop.store.engine import Store

    again = Store.open(home)
    with again.session() as s:
        assert auth.sign_in(s, "admin", PASSWORD).office_level is Level.EVALUATOR
    again.close()


def test_going_back_from_the_evaluator_keeps_the_region_path_intact(qtbot: QtBot, tmp_path: Path,
                                                                    settings: QSettings, jobs: JobRunner) -> None:
    wizard = _wizard(qtbot, tmp_path / "office", settings, jobs)
    _to_office_page(qtbot, wizard)
    wizard.office_page.office_name.setText(NAME)
    _click(qtbot, wizard, QWizard.WizardButton.BackButton)
    assert wizard.currentId() == PageId.LEVEL
    wizard.level_page.set_level(Level.COUNTY)
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentId() == PageId.REGION
    wizard.region_page.search.setText("cgq")
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    page = wizard.office_page
    assert page.title() == "单位名称和管理员"
    assert wizard.button(QWizard.WizardButton.CommitButton).text() == "创建本单位"
    assert page.form.labelForField(page.office_name).text() == "单位名称："
    assert page.region_label.isVisible() and not page.code_edit.isVisible()
    assert page.office_name.text() == NAME  # typed by hand: kept
    assert page.office_code() == "620102"
    page.office_name.clear()
    _click(qtbot, wizard, QWizard.WizardButton.BackButton)
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert page.office_name.text() == "城关区民政局"
