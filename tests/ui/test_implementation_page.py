"""The 项目实施 page and a project's dialog, driven as a clerk of the county office would."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from sanlian_desktop import declarations
from sanlian_desktop import implementation as impl
from sanlian_desktop.auth import Actor
from sanlian_desktop.models import ProjectDisbursement, ProjectProgress, ProjectTender
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.implementation.dialog import ProjectDialog
from sanlian_desktop.ui.implementation.model import COL_WARNINGS
from sanlian_desktop.ui.implementation.page import ImplementationPage
from sanlian_desktop.ui.implementation.tabs import DisbursementTab, ProgressTab, TenderTab, WorkersTab
from sanlian_desktop.ui.pages import available_pages
from sanlian_desktop.vocab import Level, Role
from tests.helpers import Office, example_declaration
from tests.implementation.conftest import approve
from tests.ui.conftest import Modals

ORG = "城关区和煦社会工作服务中心"


@pytest.fixture
def decl_id(county: Office) -> str:
    with county.session() as s:
        decl = declarations.create(s, county.clerk, example_declaration(period_start="2016-10-01",
                                                                        period_end="2017-09-30"),
                                   now=datetime(2016, 7, 30, tzinfo=UTC))
        approve(s, decl)
        return str(decl.id)


def dialog_for(qtbot: QtBot, ctx: UiContext, decl_id: str) -> ProjectDialog:
    dialog = ProjectDialog(ctx, decl_id, today=date(2017, 1, 20))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def test_the_page_follows_declarations_in_the_navigation() -> None:
    keys = [p.key for p in available_pages()]
    assert keys.index("implementation") == keys.index("declarations") + 1


def test_projects_are_listed_with_their_warnings(qtbot: QtBot, clerk_ctx: UiContext, decl_id: str) -> None:
    page = ImplementationPage(clerk_ctx)
    qtbot.addWidget(page)
    page.today = date(2017, 1, 20)
    page.refresh()
    assert page.model.rowCount() == 1
    cell = page.model.index(0, COL_WARNINGS)
    assert "进展报告逾期" in cell.data()
    icon = cell.data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(icon, QIcon) and not icon.isNull()
    assert "其中 1 个有预警" in page.summary.text()
    page.today = date(2016, 10, 2)
    page.refresh()
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
    click(qtbot, tab.submit_button)
    assert "不在投标单位之中" in tab.error.text() and tab.error.isVisible()
    with county.session() as s:
        assert impl.history(s, ProjectTender, decl_id) == []
    tab.winner.setText(ORG)
    click(qtbot, tab.submit_button)
    assert not tab.error.isVisible()
    assert "中标单位：" + ORG in tab.summary.text()
    assert tab.box.title() == "更正招标记录" and tab.reason.isVisible() and tab.submit_button.text() == "更正"
    # A correction without a reason is refused; with one it supersedes the first record.
    tab.winner.setText("兰州益民社会工作服务中心")
    click(qtbot, tab.submit_button)
    assert "必须说明原因" in tab.error.text()
    tab.reason.setText("评标结果登记有误")
    click(qtbot, tab.submit_button)
    with county.session() as s:
        assert [t.winner for t in impl.current(s, ProjectTender, decl_id)] == ["兰州益民社会工作服务中心"]
        assert len(impl.history(s, ProjectTender, decl_id)) == 2


def test_workers_are_added_and_taken_off(qtbot: QtBot, clerk_ctx: UiContext, decl_id: str) -> None:
    dialog = dialog_for(qtbot, clerk_ctx, decl_id)
    tab = dialog.tab_pages[2]
    assert isinstance(tab, WorkersTab)
    tab.name.setText("李娟")
    tab.certificate.setCurrentText("社会工作师")
    click(qtbot, tab.submit_button)
    assert tab.table.rowCount() == 1 and tab.table.item(0, 1).text() == "社会工作师"
    click(qtbot, tab.remove_button)
    assert "请先在上表中选择" in tab.error.text()
    tab.table.selectRow(0)
    tab.remove_reason.setText("调离")
    click(qtbot, tab.remove_button)
    assert tab.table.rowCount() == 0


def test_disbursement_and_progress_with_a_file(qtbot: QtBot, clerk_ctx: UiContext, decl_id: str, county: Office,
                                               modals: Modals, tmp_path: Path) -> None:
    dialog = dialog_for(qtbot, clerk_ctx, decl_id)
    pay = dialog.tab_pages[3]
    assert isinstance(pay, DisbursementTab)
    pay.paid_on.setDate(QDate(2016, 10, 10))
    pay.amount.setText("50000")
    click(qtbot, pay.submit_button)
    assert "超过批准补助" in pay.error.text()
    pay.amount.setText("20000")
    click(qtbot, pay.submit_button)
    assert pay.table.item(0, 3).text() == "城关区民政局" and pay.tranche.value() == 2
    assert "尚未拨付 25000.00 元" in pay.summary.text()

    report = dialog.tab_pages[4]
    assert isinstance(report, ProgressTab)
    photo = tmp_path / "活动照片.jpg"
    photo.write_bytes(b"\xff\xd8 photo")
    modals.open_file = str(photo)
    click(qtbot, report.add_file_button)
    assert report.files_label.text() == "活动照片.jpg"
    report.period_start.setDate(QDate(2016, 10, 1))
    report.period_end.setDate(QDate(2016, 12, 31))
    report.activities.setPlainText("建档120户")
    report.beneficiaries.setValue(100)
    report.spent.setText("9000")
    click(qtbot, report.submit_button)
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
