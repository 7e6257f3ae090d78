"""The 项目实施 page and a project's dialog, driven as a clerk of the county office would."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from sanlian_desktop.declarations import drafts
from sanlian_desktop.implementation import service as impl
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.models import ProjectDisbursement, ProjectProgress, ProjectTender
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.implementation import model as model_module
from sanlian_desktop.ui.implementation import page as page_module
from sanlian_desktop.ui.implementation.corrections import DisbursementCorrection, ProgressCorrection
from sanlian_desktop.ui.implementation.dialog import ProjectDialog
from sanlian_desktop.ui.implementation.model import COL_WARNINGS, load_rows
from sanlian_desktop.ui.implementation.page import ImplementationPage
from sanlian_desktop.ui.implementation.tabs import DisbursementTab, ProgressTab, TenderTab, WorkersTab
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.pages import available_pages
from tests.helpers import Office, example_declaration
from tests.implementation.conftest import COMMUNITY, approve
from tests.ui.conftest import Modals
from tests.ui.helpers import Blocked, is_deleted, stays_live, writes_done

ORG = "城关区和煦社会工作服务中心"


@pytest.fixture
def decl_id(county: Office) -> str:
    with county.session() as s:
        decl = drafts.create(s, county.clerk, example_declaration(period_start="2016-10-01",
                                                                        period_end="2017-09-30"),
                                   now=datetime(2016, 7, 30, tzinfo=UTC))
        approve(s, decl)
        return str(decl.id)


def dialog_for(qtbot: QtBot, ctx: UiContext, decl_id: str) -> ProjectDialog:
    dialog = ProjectDialog(ctx, decl_id, today=date(2017, 1, 20))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def click(qtbot: QtBot, button: object, jobs: JobRunner) -> None:
    """Click, and wait for the write it started (if any) to finish."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]
    writes_done(qtbot, jobs)


def closed(qtbot: QtBot, dialog: object) -> None:
    """The correction dialog was accepted: it closed and deleted itself."""
    QApplication.sendPostedEvents(None, 0)
    qtbot.waitUntil(lambda: is_deleted(dialog), timeout=2000)


def test_the_page_follows_declarations_in_the_navigation() -> None:
    keys = [p.key for p in available_pages()]
    assert keys.index("implementation") == keys.index("declarations") + 1


def computed(qtbot: QtBot, page: ImplementationPage) -> None:
    """Wait for the page's background computation of the list."""
    qtbot.waitUntil(lambda: not page.computing, timeout=10_000)


def test_projects_are_listed_with_their_warnings(qtbot: QtBot, clerk_ctx: UiContext, decl_id: str) -> None:
    page = ImplementationPage(clerk_ctx)
    qtbot.addWidget(page)
    page.today = date(2017, 1, 20)
    page.refresh()
    assert page.summary.text().startswith("正在计算…")
    computed(qtbot, page)
    assert page.model.rowCount() == 1
    cell = page.model.index(0, COL_WARNINGS)
    assert "进展报告逾期" in cell.data()
    icon = cell.data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(icon, QIcon) and not icon.isNull()
    assert "其中 1 个有预警" in page.summary.text()
    page.today = date(2016, 10, 2)
    page.refresh()
    computed(qtbot, page)
    assert page.model.index(0, COL_WARNINGS).data() == "无"
    page.only_warned.setChecked(True)
    assert page.model.rowCount() == 0 and not page.open_button.isEnabled()


def test_the_tender_form_refuses_then_records(qtbot: QtBot, clerk_ctx: UiContext, decl_id: str,
                                              county: Office) -> None:
    dialog = dialog_for(qtbot, clerk_ctx, decl_id)
    tab = dialog.tab_pages[0]
    assert isinstance(tab, TenderTab)
    tab.tendered_on.setDate(QDate(2016, 9, 25))
    tab.bidders.setPlainText(f"{ORG}\n兰州益民社会工作服务中心")
    tab.winner.setText("别的机构")
    click(qtbot, tab.submit_button, clerk_ctx.jobs)
    assert "不在投标单位之中" in tab.error.text() and tab.error.isVisible()
    with county.session() as s:
        assert impl.history(s, ProjectTender, decl_id) == []
    tab.winner.setText(ORG)
    click(qtbot, tab.submit_button, clerk_ctx.jobs)
    assert not tab.error.isVisible()
    assert "中标单位：" + ORG in tab.summary.text()
    assert tab.box.title() == "更正招标记录" and tab.reason.isVisible() and tab.submit_button.text() == "更正"
    # A correction without a reason is refused; with one it supersedes the first record.
    tab.winner.setText("兰州益民社会工作服务中心")
    click(qtbot, tab.submit_button, clerk_ctx.jobs)
    assert "必须说明原因" in tab.error.text()
    tab.reason.setText("评标结果登记有误")
    click(qtbot, tab.submit_button, clerk_ctx.jobs)
    with county.session() as s:
        assert [t.winner for t in impl.current(s, ProjectTender, decl_id)] == ["兰州益民社会工作服务中心"]
        assert len(impl.history(s, ProjectTender, decl_id)) == 2


def test_workers_are_added_and_taken_off(qtbot: QtBot, clerk_ctx: UiContext, decl_id: str) -> None:
    dialog = dialog_for(qtbot, clerk_ctx, decl_id)
    tab = dialog.tab_pages[2]
    assert isinstance(tab, WorkersTab)
    tab.name.setText("李娟")
    tab.certificate.setCurrentText("社会工作师")
    click(qtbot, tab.submit_button, clerk_ctx.jobs)
    assert tab.table.rowCount() == 1 and tab.table.item(0, 1).text() == "社会工作师"
    click(qtbot, tab.remove_button, clerk_ctx.jobs)
    assert "请先在上表中选择" in tab.error.text()
    tab.table.selectRow(0)
    tab.remove_reason.setText("调离")
    click(qtbot, tab.remove_button, clerk_ctx.jobs)
    assert tab.table.rowCount() == 0


def test_disbursement_and_progress_with_a_file(qtbot: QtBot, clerk_ctx: UiContext, decl_id: str, county: Office,
                                               modals: Modals, tmp_path: Path) -> None:
    dialog = dialog_for(qtbot, clerk_ctx, decl_id)
    pay = dialog.tab_pages[3]
    assert isinstance(pay, DisbursementTab)
    pay.paid_on.setDate(QDate(2016, 10, 10))
    pay.amount.setText("50000")
    click(qtbot, pay.submit_button, clerk_ctx.jobs)
    assert "超过批准补助" in pay.error.text()
    pay.amount.setText("20000")
    click(qtbot, pay.submit_button, clerk_ctx.jobs)
    assert pay.table.item(0, 3).text() == "城关区民政局" and pay.tranche.value() == 2
    assert "尚未拨付 25000.00 元" in pay.summary.text()

    report = dialog.tab_pages[4]
    assert isinstance(report, ProgressTab)
    photo = tmp_path / "活动照片.jpg"
    photo.write_bytes(b"\xff\xd8 photo")
    modals.open_file = str(photo)
    click(qtbot, report.add_file_button, clerk_ctx.jobs)
    assert report.files_label.text() == "活动照片.jpg"
    report.period_start.setDate(QDate(2016, 10, 1))
    report.period_end.setDate(QDate(2016, 12, 31))
    report.activities.setPlainText("建档120户")
    report.beneficiaries.setValue(100)
    report.spent.setText("9000")
    click(qtbot, report.submit_button, clerk_ctx.jobs)
    assert report.error.text() == "" and report.table.rowCount() == 1
    assert report.table.item(0, 5).text() == "活动照片.jpg" and report.files_label.text() == "无附件"
    with county.session() as s:
        [row] = impl.current(s, ProjectProgress, decl_id)
        assert row.attachments[0]["name"] == "活动照片.jpg" and row.spent_fen == 9000_00
        assert impl.disbursed_fen(s, decl_id) == 20000_00
    # The header's warnings follow: the report overdue on 2017-01-20 is gone.
    texts = [w.text() for w in dialog.warning_box.findChildren(type(dialog.heading))]
    assert "没有预警" in texts
    QApplication.processEvents()


@pytest.mark.parametrize("who", ["street", "reviewer"])
def test_other_offices_and_reviewers_only_read(qtbot: QtBot, county: Office, clerk_ctx: UiContext, decl_id: str,
                                               who: str) -> None:
    actor = county.reviewer if who == "reviewer" else Actor(
        username="x", display_name="", role=Role.CLERK, office_code="620102001", office_level=Level.STREET,
        office_name="东岗街道办事处")
    ctx = UiContext(clerk_ctx.store, actor, clerk_ctx.settings, clerk_ctx.jobs)
    dialog = dialog_for(qtbot, ctx, decl_id)
    for tab in dialog.tab_pages:
        assert not tab.may_enter and tab.box.isHidden() and not tab.readonly_note.isHidden()
    disbursement = dialog.tab_pages[3]
    assert "拨付由城关区民政局登记" in disbursement.readonly_note.text()
    with county.session() as s:
        assert impl.history(s, ProjectDisbursement, decl_id) == []


# -- the list is computed in the background ---------------------------------------------------------------


def test_a_newer_refresh_supersedes_an_older_one_and_the_page_stays_responsive(
        qtbot: QtBot, clerk_ctx: UiContext, decl_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    page = ImplementationPage(clerk_ctx)
    qtbot.addWidget(page)
    computed(qtbot, page)
    gate, started, days = threading.Event(), threading.Event(), []

    def slow(store: Any, actor: Any, today: date | None = None, **kw: Any) -> Any:
        days.append(today)
        if len(days) == 1:  # the first computation waits, and ignores the cancel: its result must be dropped
            started.set()
            assert gate.wait(10)
            kw["is_cancelled"] = lambda: False
        return load_rows(store, actor, today, **kw)

    monkeypatch.setattr(page_module, "load_rows", slow)
    shown: list[int] = []
    monkeypatch.setattr(page.model, "set_rows", lambda rows, real=page.model.set_rows: (shown.append(len(rows)),
                                                                                        real(rows)))
    page.today = date(2016, 10, 2)  # no warnings that day
    first = page.refresh()
    assert started.wait(10)
    page.today = date(2017, 1, 20)  # the report is overdue
    second = page.refresh()
    assert first.cancel_requested and not second.cancel_requested
    # The GUI thread is free while the worker computes: events run, the check box answers.
    qtbot.wait(50)
    assert page.summary.text().startswith("正在计算…") and page.computing
    page.only_warned.setChecked(True)
    page.only_warned.setChecked(False)
    gate.set()
    computed(qtbot, page)
    qtbot.waitUntil(lambda: len(days) == 2)
    assert days == [date(2016, 10, 2), date(2017, 1, 20)]
    assert shown == [1, 1, 1]  # the two toggles re-filter what was shown, then the newer result alone
    assert "进展报告逾期" in page.model.index(0, COL_WARNINGS).data()
    assert "其中 1 个有预警" in page.summary.text()


@pytest.mark.parametrize("error", ["user", "internal"])
def test_a_failed_computation_says_so_in_chinese(qtbot: QtBot, clerk_ctx: UiContext, decl_id: str, modals: Modals,
                                                 monkeypatch: pytest.MonkeyPatch, error: str) -> None:
    def broken(*_args: Any, **_kw: Any) -> Any:
        if error == "user":
            raise UserError("数据库正被其他程序占用，请稍后重试", "store busy")
        raise RuntimeError("boom")

    monkeypatch.setattr(model_module, "many_project_facts", broken)
    page = ImplementationPage(clerk_ctx)
    qtbot.addWidget(page)
    computed(qtbot, page)
    text = page.summary.text()
    assert text.startswith("项目预警没有计算完成：")
    if error == "user":
        assert "数据库正被其他程序占用" in text and modals.executed == []
    else:
        assert "程序内部出错" in text and "boom" not in text and modals.executed == ["ErrorDialog"]
    assert page.model.rowCount() == 0 and not page.open_button.isEnabled()


# -- corrections ---------------------------------------------------------------------------------------


def _paid_and_reported(county: Office, decl_id: str, tmp_path: Path) -> None:
    photo, minutes = tmp_path / "活动照片.jpg", tmp_path / "会议纪要.pdf"
    photo.write_bytes(b"\xff\xd8 photo")
    minutes.write_bytes(b"%PDF minutes")
    with county.session() as s:
        decl = impl.approved_project(s, county.clerk, decl_id)
        impl.record_disbursement(s, county.clerk, decl, paid_on="2016-10-10", amount="20000", tranche=1)
        impl.record_disbursement(s, county.clerk, decl, paid_on="2017-01-05", amount="15000", tranche=2)
        impl.record_progress(s, county.clerk, decl, county.store.paths, period_start="2016-10-01",
                             period_end="2016-12-31", activities="建档120户", beneficiaries=80, spent="9000",
                             files=[photo, minutes])


def _history(county: Office, model: type, decl_id: str) -> list[tuple[str, str | None]]:
    with county.session() as s:
        return [(r.id, r.supersedes) for r in impl.history(s, model, decl_id)]


def test_a_disbursement_is_corrected_with_a_reason(qtbot: QtBot, clerk_ctx: UiContext, decl_id: str, county: Office,
                                                   tmp_path: Path) -> None:
    _paid_and_reported(county, decl_id, tmp_path)
    before = _history(county, ProjectDisbursement, decl_id)
    dialog = dialog_for(qtbot, clerk_ctx, decl_id)
    tab = dialog.tab_pages[3]
    assert isinstance(tab, DisbursementTab)
    dialog.tabs.setCurrentWidget(tab)
    assert tab.correct_button.isVisible() and not tab.correct_button.isEnabled()
    assert tab.correct_selected() is None and "请先在上表中选择" in tab.error.text()
    tab.table.selectRow(0)
    assert tab.correct_button.isEnabled()
    click(qtbot, tab.correct_button, clerk_ctx.jobs)
    fix = tab.correction_dialog
    assert isinstance(fix, DisbursementCorrection) and fix.isVisible()
    assert fix.amount.text() == "20000.00" and fix.tranche.value() == 1 and fix.paid_on.date() == QDate(2016, 10, 10)
    # Refused: no reason; a total above the grant; a tranche already recorded. Nothing changes.
    fix.amount.setText("18000")
    click(qtbot, fix.ok_button, clerk_ctx.jobs)
    assert fix.error.text() == "更正原因：更正已有记录时必须说明原因" and fix.isVisible()
    fix.reason.setPlainText("金额登记有误")
    fix.amount.setText("30000.01")
    click(qtbot, fix.ok_button, clerk_ctx.jobs)
    assert fix.error.text() == "拨付合计 45000.01 元将超过批准补助 45000.00 元"
    fix.amount.setText("18000")
    fix.tranche.setValue(2)
    click(qtbot, fix.ok_button, clerk_ctx.jobs)
    assert "第2批拨付已登记" in fix.error.text()
    assert _history(county, ProjectDisbursement, decl_id) == before
    assert tab.table.rowCount() == 2
    fix.tranche.setValue(1)
    click(qtbot, fix.ok_button, clerk_ctx.jobs)
    assert tab.correction_dialog is None
    closed(qtbot, fix)
    after = _history(county, ProjectDisbursement, decl_id)
    assert len(after) == 3 and after[2][1] == before[0][0]
    # The superseded tranche stays, struck through and marked; its tooltip names the correction and why.
    assert tab.table.rowCount() == 3
    states = [tab.table.item(r, 5).text() for r in range(3)]
    assert states == ["已更正", "更正记录", ""]
    old = tab.table.item(0, 2)
    assert old.text() == "20000.00" and old.font().strikeOut() and "金额登记有误" in old.toolTip()
    assert after[2][0][:8] in tab.table.item(0, 5).toolTip() and "城关区民政局" in tab.table.item(0, 5).toolTip()
    assert not tab.table.item(1, 2).font().strikeOut() and "更正了记录 " + before[0][0][:8] in tab.table.item(1, 5).toolTip()
    assert "已拨付 33000.00 元" in tab.summary.text()
    tab.table.selectRow(0)
    assert not tab.correct_button.isEnabled() and "已被更正" in tab.correct_button.toolTip()


def test_a_progress_report_is_corrected_keeping_the_files_still_wanted(
        qtbot: QtBot, clerk_ctx: UiContext, decl_id: str, county: Office, tmp_path: Path, modals: Modals) -> None:
    _paid_and_reported(county, decl_id, tmp_path)
    dialog = dialog_for(qtbot, clerk_ctx, decl_id)
    tab = dialog.tab_pages[4]
    assert isinstance(tab, ProgressTab)
    tab.table.selectRow(0)
    fix = tab.correct_selected()
    assert isinstance(fix, ProgressCorrection)
    assert fix.activities.toPlainText() == "建档120户" and fix.beneficiaries.value() == 80 and fix.spent.text() == "9000.00"
    assert [box.text() for box, _ in fix.kept] == ["保留 活动照片.jpg", "保留 会议纪要.pdf"]
    fix.kept[0][0].setChecked(False)
    receipt = tmp_path / "票据.pdf"
    receipt.write_bytes(b"%PDF receipt")
    modals.open_file = str(receipt)
    click(qtbot, fix.add_file_button, clerk_ctx.jobs)
    fix.beneficiaries.setValue(95)
    fix.period_end.setDate(QDate(2099, 1, 1))
    fix.reason.setPlainText("漏计入户走访的15人")
    click(qtbot, fix.ok_button, clerk_ctx.jobs)
    assert "不能晚于今天" in fix.error.text()
    assert len(_history(county, ProjectProgress, decl_id)) == 1
    fix.period_end.setDate(QDate(2016, 12, 31))
    click(qtbot, fix.ok_button, clerk_ctx.jobs)
    closed(qtbot, fix)
    with county.session() as s:
        [now] = impl.current(s, ProjectProgress, decl_id)
        assert now.beneficiaries == 95 and now.reason == "漏计入户走访的15人"
        assert [a["name"] for a in now.attachments] == ["会议纪要.pdf", "票据.pdf"]
    assert tab.table.rowCount() == 2 and tab.table.item(0, 6).text() == "已更正"
    assert tab.table.item(0, 0).font().strikeOut() and "漏计入户走访的15人" in tab.table.item(0, 2).toolTip()
    assert tab.table.item(1, 2).text() == "95" and "累计服务 95 人" in tab.summary.text()


def test_corrections_follow_who_may_enter_what(qtbot: QtBot, clerk_ctx: UiContext, decl_id: str, county: Office,
                                               tmp_path: Path) -> None:
    _paid_and_reported(county, decl_id, tmp_path)
    community = Actor(username="c", display_name="", role=Role.CLERK, office_code=COMMUNITY,
                      office_level=Level.COMMUNITY, office_name="")
    ctx = UiContext(clerk_ctx.store, community, clerk_ctx.settings, clerk_ctx.jobs)
    dialog = dialog_for(qtbot, ctx, decl_id)
    pay, report = dialog.tab_pages[3], dialog.tab_pages[4]
    assert isinstance(pay, DisbursementTab) and isinstance(report, ProgressTab)
    # The county pays: the community sees no 更正 for disbursements, and the service refuses one anyway.
    assert pay.correct_button.isHidden() and pay.table.rowCount() == 2
    before = _history(county, ProjectDisbursement, decl_id)
    fix = DisbursementCorrection(ctx, decl_id, pay.entries[0], dialog)
    qtbot.addWidget(fix)
    fix.reason.setPlainText("金额登记有误")
    assert fix.submit()  # started; the service refuses it on the worker
    writes_done(qtbot, ctx.jobs)
    assert fix.error.text() == "拨付记录由城关区民政局登记，本单位不能登记" and fix.ok_button.isEnabled()
    assert _history(county, ProjectDisbursement, decl_id) == before
    # The community enters its reports (the county entered this one on its behalf): it may correct them.
    assert not report.correct_button.isHidden()
    report.table.selectRow(0)
    progress_fix = report.correct_selected()
    assert progress_fix is not None
    progress_fix.reason.setPlainText("补充活动内容")
    progress_fix.activities.setPlainText("建档120户，开展小组活动6次")
    click(qtbot, progress_fix.ok_button, clerk_ctx.jobs)
    assert report.correction_dialog is None  # accepted without a refusal
    closed(qtbot, progress_fix)
    with county.session() as s:
        [row] = impl.current(s, ProjectProgress, decl_id)
        assert row.office_code == COMMUNITY and row.activities == "建档120户，开展小组活动6次"
    # A reviewer corrects nothing.
    reviewer = UiContext(clerk_ctx.store, county.reviewer, clerk_ctx.settings, clerk_ctx.jobs)
    read_only = dialog_for(qtbot, reviewer, decl_id)
    for tab in read_only.tab_pages[3:]:
        assert isinstance(tab, DisbursementTab | ProgressTab) and tab.correct_button.isHidden()


def test_at_the_default_size_the_tables_keep_room_for_six_rows(qtbot: QtBot, clerk_ctx: UiContext,
                                                                decl_id: str) -> None:
    dialog = dialog_for(qtbot, clerk_ctx, decl_id)
    assert (dialog.width(), dialog.height()) == (900, 640)
    for index in (3, 4):  # 拨付, 进展报告: the table above the form in a splitter
        tab = dialog.tab_pages[index]
        assert isinstance(tab, DisbursementTab | ProgressTab)
        dialog.tabs.setCurrentIndex(index)
        qtbot.waitUntil(lambda tab=tab: tab.table.viewport().height() > 0)
        QApplication.processEvents()
        assert tab.splitter.indexOf(tab.records) == 0 and tab.box.isVisibleTo(tab)
        row = tab.table.verticalHeader().defaultSectionSize()
        assert tab.table.viewport().height() >= 6 * row, tab.title
        # The form below scrolls when the window is too low for it; the table takes what it grows by.
        before = tab.table.viewport().height()
        dialog.resize(900, 800)
        QApplication.processEvents()
        assert tab.table.viewport().height() > before
        dialog.resize(900, 640)
        QApplication.processEvents()


def test_a_slow_record_runs_off_the_gui_thread(qtbot: QtBot, clerk_ctx: UiContext, decl_id: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = Blocked(monkeypatch, impl, "add_worker")
    dialog = dialog_for(qtbot, clerk_ctx, decl_id)
    tab = dialog.tab_pages[2]
    assert isinstance(tab, WorkersTab)
    tab.name.setText("李娟")
    assert tab.submit()
    stays_live(qtbot, blocked, tab)
    assert clerk_ctx.jobs.writing(tab) and not tab.submit_button.isEnabled() and not tab.remove_button.isEnabled()
    assert not tab.submit()  # a second click starts no second write
    with qtbot.waitSignal(tab.saved, timeout=5000):
        blocked.release.set()
    writes_done(qtbot, clerk_ctx.jobs)
    assert blocked.ran_off_the_gui_thread()
    assert tab.table.rowCount() == 1 and tab.name.text() == "" and tab.submit_button.isEnabled()
