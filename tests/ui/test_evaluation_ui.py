"""The evaluator office's main window (评估, 同步, 设置), its visit and evaluation dialogs, and the
evaluation shown read-only with the declaration at the community."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QSettings
from pytestqt.qtbot import QtBot

from sanlian_desktop.evaluation import service as evaluation
from sanlian_desktop.models import Declaration
from sanlian_desktop.offices import auth
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.evaluation.dialogs import ScoreDialog, VisitDialog
from sanlian_desktop.ui.evaluation.page import EvaluationPage
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.mainwindow import MainWindow
from tests.helpers import PASSWORD
from tests.sync.helpers_cli import Offices, prepared_chain
from tests.sync.helpers_evaluation import (
    CODES,
    COMMUNITY,
    EVAL,
    PDF,
    PROVINCE,
    add_evaluator,
    approved_project,
)
from tests.ui.helpers import Blocked, stays_live, writes_done


@pytest.fixture
def offices(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Offices:
    """The chain, an evaluator certified by the province and an approved project assigned to it, carried there."""
    o, decl_id = prepared_chain("evaluation-assigned", tmp_path / "chain", capsys, monkeypatch, _assigned)
    o.decl_id = decl_id  # type: ignore[attr-defined]
    return o


def _approved(o: Offices, work: Path) -> str:
    add_evaluator(o, EVAL, "甘肃省社会工作评估中心")
    o.down(CODES)
    work.mkdir()
    return approved_project(o, work)


def _assigned(o: Offices, work: Path) -> str:
    decl_id = _approved(o, work)
    o.ok(PROVINCE, "evaluate", "assign", decl_id, "--to", EVAL, user="rev")
    o.carry(PROVINCE, EVAL)
    return decl_id


def _ctx(o: Offices, code: str, user: str, settings: QSettings, jobs: JobRunner) -> Iterator[UiContext]:
    store = Store.open(o.homes[code])
    with store.session() as s:
        actor = auth.sign_in(s, user, PASSWORD)
    yield UiContext(store=store, actor=actor, settings=settings, jobs=jobs)
    store.close()


@pytest.fixture
def evaluator_ctx(offices: Offices, settings: QSettings, jobs: JobRunner) -> Iterator[UiContext]:
    yield from _ctx(offices, EVAL, "rev", settings, jobs)


def test_the_evaluator_window_has_only_its_pages(qtbot: QtBot, evaluator_ctx: UiContext) -> None:
    window = MainWindow(evaluator_ctx)
    qtbot.addWidget(window)
    window.show()
    assert window.page_keys() == ["sync", "evaluation", "settings"]  # no 待办, no 申报
    assert "机构代码 620000E001" in window.office_label.toolTip()
    for key in window.page_keys():  # every page builds and shows for an evaluator
        window.show_page(key)
        assert window.current_page() is window.page(key)


def test_visit_and_evaluation_dialogs_record_and_refuse(qtbot: QtBot, evaluator_ctx: UiContext, offices: Offices,
                                                         tmp_path: Path, jobs: JobRunner) -> None:
    page = EvaluationPage(evaluator_ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.table.rowCount() == 1 and page.table.item(0, 6).text() == "未评估"
    assert page.visit_button.isVisible() and page.score_button.isVisible()

    visit = page.add_visit()
    assert isinstance(visit, VisitDialog)
    assert visit.save()  # nothing filled in: the service's sentence (from the worker), nothing saved
    writes_done(qtbot, jobs)
    assert "回访人员" in visit.error.text() and visit.isVisible()
    assert page.table.item(0, 5).text() == "0"
    visit.visited_on.setDate(QDate.currentDate().addDays(-2))
    visit.who.setText("李评估")
    visit.findings.setPlainText("活动按计划开展")
    assert visit.save()
    writes_done(qtbot, jobs)
    assert not visit.isVisible()
    assert page.table.item(0, 5).text() == "1"

    score = page.add_evaluation()
    assert isinstance(score, ScoreDialog)
    for name, value in zip(score.points, (18, 22, 17, 18, 12), strict=True):
        score.points[name].setValue(value)
    assert "87 / 100" in score.total.text() and "良" in score.total.text()
    assert not score.reason.isEnabled()
    assert not score.save() and "评估报告" in score.error.text()
    pdf = tmp_path / "报告.pdf"
    pdf.write_bytes(PDF)
    score.report.setText(str(pdf))
    score.grade.setCurrentIndex(score.grade.findData("优"))
    assert score.reason.isEnabled()
    assert score.save()
    writes_done(qtbot, jobs)
    assert "理由" in score.error.text() and score.isVisible()
    score.reason.setText("服务对象反馈特别好")
    assert score.save()
    writes_done(qtbot, jobs)
    assert page.table.item(0, 6).text() == "87 分 优"
    with evaluator_ctx.store.read_session() as s:
        (ev,) = evaluation.evaluations_of(s, offices.decl_id)  # type: ignore[attr-defined]
        assert (ev.total, ev.grade, ev.grade_reason) == (87, "优", "服务对象反馈特别好")


def test_the_community_sees_the_evaluation_with_the_declaration(qtbot: QtBot, offices: Offices, tmp_path: Path,
                                                                settings: QSettings, jobs: JobRunner) -> None:
    o = offices
    decl_id = o.decl_id  # type: ignore[attr-defined]
    pdf = tmp_path / "评估报告.pdf"
    pdf.write_bytes(PDF)
    o.ok(EVAL, "evaluate", "visit", decl_id, "--date", QDate.currentDate().toString("yyyy-MM-dd"), "--who", "李评估",
         "--findings", "活动按计划开展", user="rev")
    o.ok(EVAL, "evaluate", "score", decl_id, "--points", "需求回应=18,目标达成=22,服务质量=17,资金使用=18,三社联动=12",
         "--report", str(pdf), user="rev")
    o.carry(EVAL, PROVINCE)
    o.down(CODES)
    for ctx in _ctx(o, COMMUNITY, "clerk", settings, jobs):
        from sanlian_desktop.ui.form.dialog import DeclarationDialog

        dialog = DeclarationDialog(ctx.store, ctx.actor, decl_id, jobs=ctx.jobs)
        qtbot.addWidget(dialog)
        panel = dialog.evaluation_panel
        assert dialog.tabs.count() == 2 and dialog.tabs.tabText(1) == "第三方评估（2）"
        assert "甘肃省社会工作评估中心" in panel.assignment.text()
        assert panel.visits.item(0, 2).text() == "活动按计划开展"
        assert panel.evaluations.item(0, 1).text() == "87/100" and panel.evaluations.item(0, 2).text() == "良"
        assert panel.evaluations.item(0, 4).text() == "评估报告.pdf" and panel.open_report.isEnabled()
        page = EvaluationPage(ctx)
        qtbot.addWidget(page)
        assert page.table.rowCount() == 1 and not page.visit_button.isVisibleTo(page)
        with ctx.store.read_session() as s:
            assert s.get(Declaration, decl_id) is not None


def test_the_province_assigns_from_the_evaluation_page(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                                       jobs: JobRunner, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    o, decl_id = prepared_chain("evaluation-approved", tmp_path / "chain", capsys, monkeypatch, _approved)
    for ctx in _ctx(o, PROVINCE, "rev", settings, jobs):
        page = EvaluationPage(ctx)
        qtbot.addWidget(page)
        page.show()
        assert page.table.rowCount() == 0 and page.assign_button.isVisible() and not page.visit_button.isVisible()
        dialog = page.assign()
        from sanlian_desktop.ui.evaluation.dialogs import AssignDialog

        assert isinstance(dialog, AssignDialog)
        assert dialog.project.count() == 1 and dialog.project.currentData() == decl_id
        assert dialog.evaluator.currentData() == EVAL
        dialog.note.setText("中期、结项各一次")
        assert dialog.save()
        writes_done(qtbot, jobs)
        assert page.table.rowCount() == 1 and page.table.item(0, 4).text() == "甘肃省社会工作评估中心"
        again = page.assign()
        assert isinstance(again, AssignDialog) and again.project.count() == 0
        assert "没有尚未指派" in again.error.text()


def test_the_province_withdraws_from_the_evaluation_page(qtbot: QtBot, offices: Offices, settings: QSettings,
                                                         jobs: JobRunner, tmp_path: Path) -> None:
    o = offices
    decl_id = o.decl_id  # type: ignore[attr-defined]
    from sanlian_desktop.ui.evaluation.dialogs import WithdrawDialog

    for ctx in _ctx(o, PROVINCE, "rev", settings, jobs):
        page = EvaluationPage(ctx)
        qtbot.addWidget(page)
        page.show()
        assert page.table.rowCount() == 1 and page.withdraw_button.isVisible() and page.withdraw_button.isEnabled()
        page.table.clearSelection()
        assert not page.withdraw_button.isEnabled() and page.withdraw() is None
        page.table.selectRow(0)
        dialog = page.withdraw()
        assert isinstance(dialog, WithdrawDialog)
        assert "甘肃省社会工作评估中心（620000E001）" in dialog.assigned.text()
        assert dialog.save()
        writes_done(qtbot, jobs)
        assert dialog.error.text() == "请填写撤回理由"
        assert page.table.rowCount() == 1
        dialog.reason.setPlainText("项目已终止")
        assert dialog.save()
        writes_done(qtbot, jobs)
        assert page.table.rowCount() == 0 and not page.withdraw_button.isEnabled()
        with ctx.store.read_session() as s:
            (w,) = evaluation.withdrawals_of(s, decl_id)
            assert (w.evaluator_code, w.reason) == (EVAL, "项目已终止")
        from sanlian_desktop.ui.evaluation.panel import EvaluationPanel

        panel = EvaluationPanel(ctx.store, decl_id)
        qtbot.addWidget(panel)
        assert panel.assignment.text().startswith("本项目目前没有指派第三方评估机构。")
        assert "已撤回" in panel.assignment.text() and "理由：项目已终止" in panel.assignment.text()
        assert panel.has_anything()
    o.carry(PROVINCE, EVAL)
    for ctx in _ctx(o, EVAL, "rev", settings, jobs):
        page = EvaluationPage(ctx)
        qtbot.addWidget(page)
        page.show()
        assert page.table.rowCount() == 0 and not page.withdraw_button.isVisible()
        assert "省民政厅已撤回 1 个项目的指派" in page.hint.text() and "项目已终止" in page.hint.text()


def test_withdrawing_an_evaluated_project_is_refused_in_the_dialog(qtbot: QtBot, offices: Offices,
                                                                   settings: QSettings, jobs: JobRunner,
                                                                   tmp_path: Path) -> None:
    o = offices
    decl_id = o.decl_id  # type: ignore[attr-defined]
    pdf = tmp_path / "评估报告.pdf"
    pdf.write_bytes(PDF)
    o.ok(EVAL, "evaluate", "score", decl_id, "--points", "需求回应=18,目标达成=22,服务质量=17,资金使用=18,三社联动=12",
         "--report", str(pdf), user="rev")
    o.carry(EVAL, PROVINCE)
    for ctx in _ctx(o, PROVINCE, "rev", settings, jobs):
        page = EvaluationPage(ctx)
        qtbot.addWidget(page)
        page.show()
        dialog = page.withdraw()
        assert dialog is not None
        dialog.reason.setPlainText("指派有误")  # type: ignore[attr-defined]
        assert dialog.save()  # type: ignore[attr-defined]
        writes_done(qtbot, jobs)
        assert "已报送" in dialog.error.text() and "不能再撤回" in dialog.error.text()  # type: ignore[attr-defined]
        assert page.table.rowCount() == 1


def test_a_slow_visit_runs_off_the_gui_thread(qtbot: QtBot, evaluator_ctx: UiContext, jobs: JobRunner,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = Blocked(monkeypatch, evaluation, "record_visit")
    page = EvaluationPage(evaluator_ctx)
    qtbot.addWidget(page)
    page.show()
    visit = page.add_visit()
    assert isinstance(visit, VisitDialog)
    visit.who.setText("李评估")
    visit.findings.setPlainText("活动按计划开展")
    assert visit.save()
    stays_live(qtbot, blocked, visit)
    assert jobs.writing(visit) and not visit.buttons.isEnabled() and visit.isVisible()
    assert not visit.save()  # a second click starts no second write
    with qtbot.waitSignal(visit.saved, timeout=5000):
        blocked.release.set()
    writes_done(qtbot, jobs)
    assert blocked.ran_off_the_gui_thread() and not visit.isVisible()
    assert page.table.item(0, 5).text() == "1"
