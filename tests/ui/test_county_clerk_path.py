"""A county office alone, from a fresh install to a declaration approved and sent up (issue 15 §3).

Everything the county does goes through its windows: the first-run wizard (with the certificate request),
the 证书 tab, the 同步 page, the users tab, the sign-in dialog, the 新建申报 form with its 代录 submit dialog,
the review dialog. Only the other offices are played with the command line: the province and the city are
made here, the city certifies the county and sends it the province's batch, and takes the county's package.
Every window and dialog shown is checked to fit a 1366×768 office screen with a taskbar (1366×705 left).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox, QWidget, QWizard
from pytestqt.qtbot import QtBot

from sanlian_desktop.kernel.vocab import Decision, Level, Status
from sanlian_desktop.models import Declaration
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.firstrun.certpage import CertificateRequestPage
from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard, PageId
from sanlian_desktop.ui.form.dialog import DeclarationDialog
from sanlian_desktop.ui.form.fields import CheckGroup, DateField, FundingList, MoneyEdit
from sanlian_desktop.ui.form.submit import SubmitDialog
from sanlian_desktop.ui.geometry import FRAME
from sanlian_desktop.ui.inbox.page import DeclarationsPage, InboxPage
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.mainwindow import MainWindow
from sanlian_desktop.ui.review.dialog import ReviewDialog
from sanlian_desktop.ui.settings.page import SettingsPage
from sanlian_desktop.ui.settings.userdialogs import AddUserDialog
from sanlian_desktop.ui.signin.dialog import SignInDialog
from sanlian_desktop.ui.sync.page import SyncPage
from tests.helpers import PASSWORD
from tests.sync.helpers_cli import Offices
from tests.ui.conftest import Modals
from tests.ui.helpers import is_deleted, writes_done

PROVINCE, CITY, COUNTY = "620000", "620100", "620102"
SCREEN = QRect(0, 0, 1366, 705)  # the office screen less its taskbar (tests/ui/conftest.py: office_screen)
OFFICE_PASSWORD = "county-pass-1"
CLERK_PASSWORD = "clerk-pass-1"
REVIEWER_PASSWORD = "review-pass-1"
WAIT = 20_000


def fits(window: QWidget) -> None:
    """``window`` is shown and, with a desktop's title bar and borders (``FRAME``), no larger than the office
    screen; the main window, which places itself, lies wholly on it (its ``frameGeometry``: the offscreen
    platform's own 2-pixel frame). Where a dialog goes is Qt's: it centres it on its parent within the real
    screen, which the offscreen platform cannot be told."""
    assert window.isVisible(), type(window).__name__
    QApplication.processEvents()
    outer = window.geometry().marginsAdded(FRAME)
    assert outer.width() <= SCREEN.width() and outer.height() <= SCREEN.height(), (
        type(window).__name__, outer, SCREEN)
    if isinstance(window, MainWindow):
        assert SCREEN.contains(window.frameGeometry()), window.frameGeometry()


def click(qtbot: QtBot, button: QWidget) -> None:
    assert button.isVisible() and button.isEnabled(), button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def ok_button(box: QDialogButtonBox) -> QWidget:
    button = box.button(QDialogButtonBox.StandardButton.Ok)
    assert button is not None
    return button


@pytest.fixture
def others(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Offices:
    """The province (with an open batch) and the city it certified, by the command line; the county's home
    is where the wizard will create it."""
    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
    monkeypatch.setenv("SANLIAN_NEW_PASSWORD", PASSWORD)
    o = Offices(tmp_path / "others", capsys)
    o.homes = {PROVINCE: tmp_path / "others" / "province", CITY: tmp_path / "others" / "city",
               COUNTY: tmp_path / "county"}
    for level, code, name in (("province", PROVINCE, "甘肃省民政厅"), ("city", CITY, "兰州市民政局")):
        o.ok(code, "init", "--level", level, "--region", code, "--name", name, "--admin", "admin", user=None)
        o.ok(code, "user", "add", "rev", "--role", "reviewer")
    request, cert = o.files / "city.req", o.files / "city.cert"
    o.ok(CITY, "office", "request", "--out", str(request))
    o.ok(PROVINCE, "office", "certify", str(request), "--out", str(cert))
    o.ok(CITY, "office", "install", str(cert))
    today = date.today()
    o.ok(PROVINCE, "batch", "add", "--name", "2027年试点项目申报", "--code", "2027", "--opens",
         (today - timedelta(days=30)).isoformat(), "--closes", (today + timedelta(days=30)).isoformat(),
         "--budget", "10000000", "--quota", "200", "--quota-communities", "100")
    o.carry(PROVINCE, CITY)
    return o


def create_county(qtbot: QtBot, home: Path, settings: QSettings, jobs: JobRunner, usb: Path) -> FirstRunWizard:
    """The first-run wizard as the program starts it: county level, 城关区 by pinyin, the admin's password,
    the certificate request written to the USB stick."""
    wizard = FirstRunWizard(home, settings, jobs, after_setup=[CertificateRequestPage])
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)

    def next_(which: QWizard.WizardButton = QWizard.WizardButton.NextButton) -> None:
        fits(wizard)
        click(qtbot, wizard.button(which))
        writes_done(qtbot, jobs)

    assert wizard.currentId() == PageId.WELCOME
    click(qtbot, wizard.welcome_page.create_choice)
    next_()
    assert wizard.currentId() == PageId.LEVEL
    click(qtbot, wizard.level_page.buttons[Level.COUNTY])
    next_()
    assert wizard.currentId() == PageId.REGION
    qtbot.keyClicks(wizard.region_page.search, "cgq")
    assert wizard.region_page.region() == (COUNTY, "城关区")
    next_()
    office = wizard.office_page
    assert office.office_name.text() == "城关区民政局"
    office.admin_name.clear()
    qtbot.keyClicks(office.admin_name, "admin")
    office.name_edit.setText("张管理")  # the admin's real name: 姓名 shows it, not the user name
    qtbot.keyClicks(office.passwords.first, OFFICE_PASSWORD)
    qtbot.keyClicks(office.passwords.second, OFFICE_PASSWORD)
    next_(QWizard.WizardButton.CommitButton)
    assert wizard.currentId() == PageId.AFTER_SETUP, office.error.text()
    page = wizard.currentPage()
    assert isinstance(page, CertificateRequestPage)
    page.destination.set_folder(usb)
    fits(wizard)
    click(qtbot, page.write_button)
    qtbot.waitUntil(lambda: page.written is not None, timeout=WAIT)
    next_()
    assert wizard.currentId() == PageId.DONE
    assert "以管理员 张管理（用户名 admin）" in wizard.currentPage().summary.text()
    next_(QWizard.WizardButton.FinishButton)
    assert wizard.result() == QWizard.DialogCode.Accepted and wizard.store is not None
    return wizard


def sync_page(qtbot: QtBot, window: MainWindow) -> SyncPage:
    window.show_page("sync")
    page = window.current_page()
    assert isinstance(page, SyncPage)
    qtbot.waitUntil(lambda: page.loading is None and page.ctx.jobs.active == 0, timeout=WAIT)
    fits(window)
    return page


def import_on_sync_page(qtbot: QtBot, window: MainWindow, package: Path) -> None:
    page = sync_page(qtbot, window)
    importing = page.open_package(package)
    qtbot.waitUntil(lambda: importing.preview is not None, timeout=WAIT)
    fits(importing)
    click(qtbot, importing.confirm_button)
    qtbot.waitUntil(lambda: importing.import_result is not None, timeout=WAIT)
    importing.close()
    writes_done(qtbot, page.ctx.jobs)


def add_user(qtbot: QtBot, settings_page: SettingsPage, username: str, name: str, role: str, password: str) -> None:
    click(qtbot, settings_page.add_button)
    dialog = settings_page.dialog
    assert isinstance(dialog, AddUserDialog)
    fits(dialog)
    qtbot.keyClicks(dialog.username, username)
    dialog.display_name.setText(name)
    dialog.role.setCurrentIndex(dialog.role.findText(role))
    qtbot.keyClicks(dialog.passwords.first, password)
    qtbot.keyClicks(dialog.passwords.second, password)
    click(qtbot, ok_button(dialog.buttons))
    writes_done(qtbot, settings_page.ctx.jobs)
    assert dialog.added == username, dialog.error.text()


def sign_in(qtbot: QtBot, store: Store, settings: QSettings, jobs: JobRunner, username: str,
            password: str) -> UiContext:
    dialog = SignInDialog(store, settings, jobs=jobs)
    qtbot.addWidget(dialog)
    dialog.show()
    fits(dialog)
    dialog.user_combo.setCurrentIndex(dialog.user_combo.findData(username))
    qtbot.keyClicks(dialog.password_edit, password)
    click(qtbot, ok_button(dialog.buttons))
    writes_done(qtbot, jobs)
    assert dialog.actor is not None and dialog.actor.username == username, dialog.error.text()
    return UiContext(store=store, actor=dialog.actor, settings=settings, jobs=jobs)


def main_window(qtbot: QtBot, ctx: UiContext) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    fits(window)
    return window


def inbox_page(qtbot: QtBot, window: MainWindow) -> InboxPage:
    window.show_page("inbox")
    page = window.current_page()
    assert isinstance(page, InboxPage)
    qtbot.waitUntil(lambda: not page.model.loading, timeout=WAIT)
    return page


def type_line(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """ASCII by keys, Chinese by setText (keyClicks cannot type it)."""
    if text.isascii():
        qtbot.keyClicks(widget, text)
    else:
        widget.setText(text)  # type: ignore[attr-defined]


def fill_the_form(qtbot: QtBot, dialog: DeclarationDialog, community: str) -> None:
    """Every field of a new declaration, as a clerk keys in a paper form."""
    form = dialog.form
    today = date.today()
    assert form.batch.currentData() == "2027"  # the province's batch, come by the city's package
    index = form.community.findText(community, Qt.MatchFlag.MatchStartsWith)
    assert index > 0, community
    form.community.setCurrentIndex(index)
    code = str(form.community.currentData())
    assert len(code) == 12 and code.startswith("620102"), code  # a 居委会 of 城关区 by its official code
    type_line(qtbot, form.title_edit, "东岗西路社区“银龄守望”空巢老人关爱服务项目")
    w = form.widgets
    w["community_profile.text"].setPlainText(  # type: ignore[attr-defined]
        "东岗西路社区位于城关区东部，常住人口8,640人，60岁以上老年人1,512人。")
    click(qtbot, form.urban)
    for key, value in (("population", "8640"), ("households", "3120"), ("social_organisations", "4"),
                       ("social_workers", "1"), ("registered_volunteers", "610")):
        qtbot.keyClicks(w[f"community_profile.{key}"], value)
    w["needs_analysis"].setPlainText("入户调查312户空巢老人，68%缺少日常照料和陪伴。")  # type: ignore[attr-defined]
    for path, terms in (("target_groups", ["老年人"]), ("focus_areas", ["扶老救孤"]),
                        ("service_methods", ["个案工作", "小组工作"])):
        group = w[path]
        assert isinstance(group, CheckGroup)
        for term in terms:
            box = group.boxes[term]  # stretched across its column: click on the box and its label
            assert box.isVisible()
            qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
            assert box.isChecked(), term
    w["service_plan"].setPlainText("建立空巢老人需求档案；组建10支志愿者守望小组；每月开展2次小组活动。")  # type: ignore[attr-defined]
    start, end = today + timedelta(days=30), today + timedelta(days=390)
    for path, day in (("period_start", start), ("period_end", end)):
        field = w[path]
        assert isinstance(field, DateField)
        field.setFocus()
        qtbot.keyClicks(field, day.isoformat())
    budget = w["budget_total"]
    assert isinstance(budget, MoneyEdit)
    qtbot.keyClicks(budget.edit, "80000")
    funding = w["funding_sources"]
    assert isinstance(funding, FundingList)
    for number, (source, amount) in enumerate((("省级补助", "50000"), ("市县财政配套", "20000"),
                                               ("社区自筹", "10000"))):
        if number >= len(funding.rows):
            click(qtbot, funding.add_button)
        row = funding.rows[number]
        row.source.setCurrentIndex(row.source.findText(source))
        row.amount.edit.clear()
        qtbot.keyClicks(row.amount.edit, amount)
    subsidy = w["subsidy_requested"]
    assert isinstance(subsidy, MoneyEdit)
    qtbot.keyClicks(subsidy.edit, "50000")
    w["expected_effect.text"].setPlainText("为300名空巢老人建立档案，开展个案服务60例、小组活动24次。")  # type: ignore[attr-defined]
    qtbot.keyClicks(w["expected_effect.beneficiaries"], "300")
    qtbot.keyClicks(w["expected_effect.service_sessions"], "84")
    type_line(qtbot, w["undertaker.name"], "城关区和煦社会工作服务中心")
    qtbot.keyClicks(w["undertaker.credit_code"], "52620102MJ0000123U")
    type_line(qtbot, w["undertaker.lead_worker"], "李娟")
    certificate = w["undertaker.lead_worker_certificate"]
    certificate.setCurrentIndex(certificate.findText("社会工作师"))  # type: ignore[attr-defined]
    qtbot.keyClicks(w["undertaker.phone"], "0931-8812345")
    base = today - timedelta(days=25)
    for key, days in (("solicitation_date", 0), ("hearing_date", 5), ("council_date", 10), ("notice_start", 11),
                      ("notice_end", 18)):
        field = w[f"pre_steps.{key}"]
        field.setFocus()
        qtbot.keyClicks(field, (base + timedelta(days=days)).isoformat())
    form.title_edit.setFocus()
    assert not form.validate_now(for_submit=True), form.validate_now(for_submit=True)


class PaperOpinions:
    """The 代录 submit dialog, answered as the clerk copies the street's opinion from the paper form."""

    def __init__(self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
        self.levels: list[list[Level]] = []
        shown = self.levels

        def run(dialog: SubmitDialog) -> int:
            dialog.show()
            fits(dialog)
            shown.append([box.level for box in dialog.boxes])
            for box in dialog.boxes:
                box.text.setPlainText("同意上报。")
                box.date.setFocus()
                qtbot.keyClicks(box.date, date.today().isoformat())
            click(qtbot, dialog.ok)
            return int(dialog.result())

        monkeypatch.setattr(SubmitDialog, "exec", run)


def status(store: Store, decl_id: str) -> tuple[str, str | None, int]:
    with store.read_session() as s:
        decl = s.get(Declaration, decl_id)
        assert decl is not None
        return decl.status, decl.awaiting_level, decl.current_version


def test_a_county_clerk_from_fresh_install_to_a_declaration_sent_up(
        qtbot: QtBot, tmp_path: Path, settings: QSettings, jobs: JobRunner, modals: Modals, others: Offices,
        monkeypatch: pytest.MonkeyPatch) -> None:
    usb = others.files
    paper = PaperOpinions(qtbot, monkeypatch)
    counter = itertools.count(1)

    # -- the administrator installs the program: the wizard, the certificate, the city's batch, the users --
    wizard = create_county(qtbot, others.homes[COUNTY], settings, jobs, usb)
    store, admin = wizard.store, wizard.actor
    assert store is not None and admin is not None
    wizard.store = wizard.actor = None  # the program takes them over, as start_session does
    try:
        request = usb / "城关区民政局-620102-证书申请.req"
        assert request.exists()
        cert = usb / "城关区民政局-620102-证书.cert"
        others.ok(CITY, "office", "certify", str(request), "--out", str(cert))  # at the city, by its admin

        window = main_window(qtbot, UiContext(store=store, actor=admin, settings=settings, jobs=jobs))
        window.show_page("settings")
        settings_page = window.current_page()
        assert isinstance(settings_page, SettingsPage)
        settings_page.tabs.setCurrentWidget(settings_page.certificates)
        tab = settings_page.certificates
        assert tab.state.text() == "尚未安装"
        modals.open_file = str(cert)
        click(qtbot, tab.install_button)
        qtbot.waitUntil(lambda: tab.handle is None, timeout=WAIT)
        assert modals.texts()[-1].startswith("已安装本单位证书"), modals.boxes
        assert tab.state.text() == "已安装" and tab.issuer.text() == "兰州市民政局（620100）"
        fits(window)

        down = usb / f"{next(counter):03d}-city-county.sanlian"
        others.ok(CITY, "sync", "export", "--to", COUNTY, "--out", str(down))
        import_on_sync_page(qtbot, window, down)

        window.show_page("settings")
        settings_page.tabs.setCurrentIndex(0)
        add_user(qtbot, settings_page, "clerk", "王经办", "经办人", CLERK_PASSWORD)
        add_user(qtbot, settings_page, "rev", "赵审核", "审核人", REVIEWER_PASSWORD)
        window.close()

        # -- the clerk keys in a community's paper declaration ---------------------------------------------
        clerk = sign_in(qtbot, store, settings, jobs, "clerk", CLERK_PASSWORD)
        window = main_window(qtbot, clerk)
        window.show_page("declarations")
        page = window.current_page()
        assert isinstance(page, DeclarationsPage)
        click(qtbot, page.new_button)
        dialog = page.findChildren(DeclarationDialog)[-1]
        qtbot.waitExposed(dialog)
        fits(dialog)
        # 东岗西路社区 of 东岗街道 comes with the program's region data: the new county has entered none.
        assert dialog.form.community.count() > 100
        fill_the_form(qtbot, dialog, "东岗西路社区")

        modals.answer = QMessageBox.StandardButton.Cancel  # Esc on the dirty form: 取消 keeps it open
        asked = len(modals.boxes)
        qtbot.keyClick(dialog.form.title_edit, Qt.Key.Key_Escape)
        assert len(modals.boxes) == asked + 1 and "未保存的修改" in modals.boxes[-1][1]
        assert dialog.isVisible() and dialog.form.title_edit.text().startswith("东岗西路社区")

        click(qtbot, dialog.save_button)
        writes_done(qtbot, jobs)
        decl_id = dialog.decl_id
        assert decl_id is not None and status(store, decl_id)[0] == Status.DRAFT
        click(qtbot, dialog.submit_button)
        writes_done(qtbot, jobs)
        assert paper.levels == [[Level.STREET]]  # the street signed on paper; the county keys it in
        assert status(store, decl_id) == (Status.UNDER_REVIEW, "county", 1)
        dialog.close()
        qtbot.waitUntil(lambda: is_deleted(dialog) or not dialog.isVisible(), timeout=5000)
        window.close()

        # -- the county's reviewer returns it -----------------------------------------------------------
        reviewer = sign_in(qtbot, store, settings, jobs, "rev", REVIEWER_PASSWORD)
        window = main_window(qtbot, reviewer)
        inbox = inbox_page(qtbot, window)
        assert inbox.model.ids() == [decl_id]
        review = inbox.open_declaration(decl_id)
        assert isinstance(review, ReviewDialog)
        fits(review)
        click(qtbot, review.decision_buttons[Decision.RETURN])
        review.text.setPlainText("资金来源说明不清，请补充社区自筹资金的来源。")
        click(qtbot, review.submit_button)
        writes_done(qtbot, jobs)
        assert status(store, decl_id)[0] == Status.RETURNED
        window.close()

        # -- the clerk reads why at the top of the form, fixes and resubmits -----------------------------
        clerk = sign_in(qtbot, store, settings, jobs, "clerk", CLERK_PASSWORD)
        window = main_window(qtbot, clerk)
        inbox = inbox_page(qtbot, window)
        revise = inbox.open_declaration(decl_id)
        assert isinstance(revise, DeclarationDialog) and not revise.form.is_read_only()
        fits(revise)
        opinions = revise.form.opinions
        assert opinions.isVisible() and "资金来源说明不清" in opinions.text() and "退回修改" in opinions.text()
        assert not revise.form.scroll_area.isAncestorOf(opinions)
        funding = revise.form.widgets["funding_sources"]
        assert isinstance(funding, FundingList)
        funding.rows[2].amount.edit.clear()
        qtbot.keyClicks(funding.rows[2].amount.edit, "5000")
        click(qtbot, funding.add_button)
        funding.rows[3].source.setCurrentIndex(funding.rows[3].source.findText("爱心捐赠/慈善基金"))
        qtbot.keyClicks(funding.rows[3].amount.edit, "5000")
        click(qtbot, revise.submit_button)
        writes_done(qtbot, jobs)
        assert status(store, decl_id) == (Status.UNDER_REVIEW, "county", 2)
        revise.close()
        window.close()

        # -- the reviewer approves; the admin sends it up on the 同步 page --------------------------------
        reviewer = sign_in(qtbot, store, settings, jobs, "rev", REVIEWER_PASSWORD)
        window = main_window(qtbot, reviewer)
        inbox = inbox_page(qtbot, window)
        review = inbox.open_declaration(decl_id)
        assert isinstance(review, ReviewDialog)
        fits(review)
        changed = {item.text() for r in range(review.changes.rowCount()) if (item := review.changes.item(r, 0))}
        assert changed == {"资金来源"}
        click(qtbot, review.decision_buttons[Decision.APPROVE])
        review.text.setPlainText("同意上报。")
        click(qtbot, review.submit_button)
        writes_done(qtbot, jobs)
        assert status(store, decl_id) == (Status.UNDER_REVIEW, "city", 2)
        window.close()

        window = main_window(qtbot, sign_in(qtbot, store, settings, jobs, "admin", OFFICE_PASSWORD))
        page_ = sync_page(qtbot, window)
        export = page_.export_packages(CITY)
        fits(export)
        assert export.recipient.currentData() == CITY
        up = tmp_path / "usb-up"
        up.mkdir()
        export.destination.set_folder(up)
        click(qtbot, export.export_button)
        qtbot.waitUntil(lambda: export.handle is None, timeout=WAIT)
        export.close()
        (package,) = up.glob("*.sanlian")
        window.close()

        # -- the city takes the package and its reviewer approves it on to the province -----------------
        report = others.json(CITY, "sync", "import", str(package))
        assert report, report
        city_store = Store.open(others.homes[CITY])
        try:
            assert status(city_store, decl_id) == (Status.UNDER_REVIEW, "city", 2)
        finally:
            city_store.close()
        others.ok(CITY, "review", decl_id, "--decision", Decision.APPROVE.value, "--opinion", "同意上报。",
                  user="rev")
        city_store = Store.open(others.homes[CITY])
        try:
            assert status(city_store, decl_id) == (Status.UNDER_REVIEW, "province", 2)
        finally:
            city_store.close()
    finally:
        jobs.cancel_all()
        jobs.wait(10_000)
        store.close()
