"""The review dialog and batch approval, and one declaration walked through the county by GUI alone."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from sanlian_desktop.declarations import drafts, lookup
from sanlian_desktop.demo import generate as demo
from sanlian_desktop.kernel.vocab import Decision, Level, Status
from sanlian_desktop.models import Declaration
from sanlian_desktop.ui.form.dialog import DeclarationDialog
from sanlian_desktop.ui.inbox.page import DeclarationsPage, InboxPage
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.review.batch import BatchApproveDialog
from sanlian_desktop.ui.review.dialog import ReviewDialog
from tests.helpers import Office, example_declaration, make_office
from tests.ui.helpers import Modals, is_deleted, modals_fixture, settle, submitted, ui_context, writes_done  # noqa: F401


def _status(office: Office, decl_id: str) -> Declaration:
    with office.store.read_session() as s:
        decl = s.get(Declaration, decl_id)
        assert decl is not None
        return decl


def test_diff_after_return_and_revise(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals) -> None:
    decl_id = submitted(county, example_declaration())
    with county.session() as s:
        from sanlian_desktop.declarations import workflow

        workflow.review(s, county.reviewer, lookup.get(s, decl_id), decision=Decision.RETURN, text="请补充")
        decl = lookup.get(s, decl_id)
        fields = drafts.current_fields(s, decl)
        fields["title"] = "东岗西路社区“银龄守望”空巢老人关爱服务项目（修订）"
        drafts.edit(s, county.clerk, decl, fields)
        paper = {Level.STREET: drafts.PaperOpinion("同意上报。", date.today())}
        drafts.submit(s, county.clerk, decl, county.store.paths, paper_opinions=paper)
    dialog = ReviewDialog(county.store, county.reviewer, decl_id, jobs=jobs)
    qtbot.addWidget(dialog)
    assert dialog.changes.rowCount() == 1
    assert dialog.changes.item(0, 0).text() == "项目名称"
    assert dialog.changes.item(0, 2).text().endswith("（修订）")
    assert "第 1 版" in dialog.changes_title
    assert dialog.tabs.currentWidget() is dialog.changes
    assert "退回修改" in dialog.timeline.toPlainText()
    assert "纸质代录" in dialog.timeline.toPlainText()
    assert dialog.granted.isHidden()  # only the province grants


def test_first_submission_has_no_changes(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals) -> None:
    decl_id = submitted(county, example_declaration())
    dialog = ReviewDialog(county.store, county.reviewer, decl_id, jobs=jobs)
    qtbot.addWidget(dialog)
    assert dialog.changes.rowCount() == 0
    assert dialog.form.is_read_only()


def test_phrase_picker_and_ctrl_enter(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals) -> None:
    decl_id = submitted(county, example_declaration())
    dialog = ReviewDialog(county.store, county.reviewer, decl_id, jobs=jobs)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
    dialog.phrases.activated.emit(1)
    assert dialog.text.toPlainText() == "同意上报。"
    with qtbot.waitSignal(dialog.reviewed, timeout=2000):
        qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    decl = _status(county, decl_id)
    assert decl.awaiting_level == Level.CITY and decl.awaiting_office == "620100"


def test_empty_opinion_is_refused_with_the_service_message(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals) -> None:
    decl_id = submitted(county, example_declaration())
    dialog = ReviewDialog(county.store, county.reviewer, decl_id, jobs=jobs)
    qtbot.addWidget(dialog)
    assert dialog.submit_review()  # started; the service refuses it on the worker
    writes_done(qtbot, jobs)
    assert modals.warnings == ["请填写审核意见"]
    assert dialog.message.text() == "请填写审核意见"
    assert dialog.submit_button.isEnabled() and _status(county, decl_id).status == Status.UNDER_REVIEW


def test_province_grants_an_amount(qtbot: Any, jobs: JobRunner, tmp_path: Path, modals: Modals) -> None:
    province = make_office(tmp_path / "province", "province", "620000", "甘肃省民政厅")
    try:
        demo.generate(province.store, province.admin, count=80, seed=3)
        with province.store.read_session() as s:
            decl = s.scalar(select(Declaration).where(Declaration.awaiting_office == "620000",
                                                      Declaration.status == Status.UNDER_REVIEW.value))
            assert decl is not None
            decl_id, requested = decl.id, decl.requested_fen
        dialog = ReviewDialog(province.store, province.reviewer, decl_id, jobs=jobs)
        qtbot.addWidget(dialog)
        assert not dialog.granted.isHidden()
        assert dialog.granted.value() == f"{requested / 100:.2f}"
        assert dialog.granted.capitals.text().startswith("人民币")
        dialog.granted.set_value("10000")
        assert dialog.granted.capitals.text() == "人民币壹万元整"
        dialog.text.setPlainText("同意，批准补助一万元。")
        assert dialog.submit_review()
        writes_done(qtbot, jobs)
        decl = _status(province, decl_id)
        assert decl.status == Status.APPROVED and decl.granted_fen == 1_000_000
    finally:
        province.store.close()


def test_batch_approval_reports_each(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, tmp_path: Path) -> None:
    ids = [submitted(county, example_declaration(title=f"东岗西路社区第{i}个服务项目")) for i in range(3)]
    with county.session() as s:
        draft = drafts.create(s, county.clerk, example_declaration(title="尚未提交的项目")).id
    page = InboxPage(ui_context(county, county.reviewer, tmp_path, jobs))
    qtbot.addWidget(page)
    page.view.selectAll()
    assert len(page.selected_ids()) == 3
    dialog = BatchApproveDialog(county.store, county.reviewer, [*ids, draft], page, jobs=jobs)
    qtbot.addWidget(dialog)
    dialog.text.setPlainText("同意上报。")
    assert dialog.run()
    writes_done(qtbot, jobs)
    outcomes = dialog.outcomes
    assert [o.ok for o in outcomes] == [True, True, True, False]
    assert "不在审核中" in outcomes[3].message
    assert "已同意 3 份，未能处理 1 份" in dialog.report.toPlainText()
    for decl_id in ids:
        assert _status(county, decl_id).awaiting_level == Level.CITY
    page.refresh()
    settle(qtbot, page)
    assert page.model.rowCount() == 0


def test_review_dialog_freed_on_close(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals) -> None:
    decl_id = submitted(county, example_declaration())
    dialog = ReviewDialog(county.store, county.reviewer, decl_id, jobs=jobs)
    dialog.show()
    dialog.close()
    QApplication.sendPostedEvents(None, 0)
    qtbot.waitUntil(lambda: is_deleted(dialog), timeout=2000)


def test_walkthrough_submit_return_revise_approve(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                                  tmp_path: Path) -> None:
    """A county clerk keys in a paper form, the county reviewer returns it, it is revised and approved."""
    raw = example_declaration()
    clerk_page = DeclarationsPage(ui_context(county, county.clerk, tmp_path, jobs))
    qtbot.addWidget(clerk_page)
    # 1. The clerk starts a new declaration from the 申报 page and fills the form.
    qtbot.mouseClick(clerk_page.new_button, Qt.MouseButton.LeftButton)
    form_dialog = clerk_page.findChildren(DeclarationDialog)[-1]
    form = form_dialog.form
    raw["undertaker"]["phone"] = None
    form.load(raw)  # the paper form's content; individual widgets are driven in test_form.py
    qtbot.keyClicks(form.widgets["undertaker.phone"], "0931-8812345")
    # 2. Submit: the confirmation asks for the street's paper opinion (filled by the modals fixture).
    qtbot.mouseClick(form_dialog.submit_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, jobs)
    decl_id = form_dialog.decl_id
    assert decl_id is not None
    assert _status(county, decl_id).status == Status.UNDER_REVIEW
    form_dialog.close()

    # 3. The county reviewer opens it from 待办 and returns it.
    inbox = InboxPage(ui_context(county, county.reviewer, tmp_path, jobs))
    qtbot.addWidget(inbox)
    assert inbox.model.rowCount() == 1
    inbox.view.selectRow(0)
    qtbot.mouseClick(inbox.open_button, Qt.MouseButton.LeftButton)
    review = inbox.findChildren(ReviewDialog)[-1]
    qtbot.mouseClick(review.decision_buttons[Decision.RETURN], Qt.MouseButton.LeftButton)
    review.text.setPlainText("资金来源说明不清，请补充配套资金证明后重新申报。")
    qtbot.mouseClick(review.submit_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, jobs)
    assert _status(county, decl_id).status == Status.RETURNED

    # 4. The clerk finds it in 待办 (returned to revise), changes the amounts and resubmits.
    clerk_inbox = InboxPage(ui_context(county, county.clerk, tmp_path, jobs))
    qtbot.addWidget(clerk_inbox)
    assert clerk_inbox.model.rowCount() == 1
    revise = clerk_inbox.open_declaration(clerk_inbox.model.id_at(0))
    assert isinstance(revise, DeclarationDialog) and not revise.form.is_read_only()
    funding = revise.form.widgets["funding_sources"]
    funding.rows[1].amount.edit.clear()  # type: ignore[attr-defined]
    qtbot.keyClicks(funding.rows[1].amount.edit, "15000")  # type: ignore[attr-defined]
    qtbot.mouseClick(funding.add_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    funding.rows[3].source.setCurrentText("爱心捐赠/慈善基金")  # type: ignore[attr-defined]
    qtbot.keyClicks(funding.rows[3].amount.edit, "5000")  # type: ignore[attr-defined]
    assert revise.form.validate_now(for_submit=True) == []
    qtbot.mouseClick(revise.submit_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, jobs)
    decl = _status(county, decl_id)
    assert decl.status == Status.UNDER_REVIEW and decl.current_version == 2
    revise.close()

    # 5. The reviewer sees what changed since version 1 and approves; it now awaits the city.
    inbox.refresh()
    settle(qtbot, inbox)
    review = inbox.open_declaration(decl_id)  # type: ignore[assignment]
    assert isinstance(review, ReviewDialog)
    changed = {review.changes.item(r, 0).text() for r in range(review.changes.rowCount())}
    assert changed == {"资金来源"}
    qtbot.mouseClick(review.decision_buttons[Decision.APPROVE], Qt.MouseButton.LeftButton)
    review.phrases.activated.emit(1)
    qtbot.mouseClick(review.submit_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, jobs)
    decl = _status(county, decl_id)
    assert decl.status == Status.UNDER_REVIEW
    assert (decl.awaiting_level, decl.awaiting_office) == (Level.CITY, "620100")
    inbox.tabs.setCurrentIndex(2)
    settle(qtbot, inbox)
    assert inbox.model.ids() == [decl_id]
    inbox.tabs.setCurrentIndex(1)
    settle(qtbot, inbox)
    assert inbox.model.ids() == [decl_id]


def test_a_slow_review_runs_off_the_gui_thread_and_a_refusal_shows_its_sentence(
        qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, monkeypatch: pytest.MonkeyPatch) -> None:
    """While ``workflow.review`` blocks on the worker the window stays live, a second click starts nothing,
    and a refusal raised there comes back as the service's Chinese sentence, never a traceback."""
    from sanlian_desktop.declarations import workflow
    from sanlian_desktop.kernel.errors import UserError

    decl_id = submitted(county, example_declaration())
    real_review = workflow.review
    entered, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow_review(*args: Any, **kwargs: Any) -> Any:
        calls.append(threading.current_thread().name)
        entered.set()
        assert release.wait(10)
        return real_review(*args, **kwargs)

    monkeypatch.setattr(workflow, "review", slow_review)
    dialog = ReviewDialog(county.store, county.reviewer, decl_id, jobs=jobs)
    qtbot.addWidget(dialog)
    dialog.text.setPlainText("同意上报。")
    ticks: list[int] = []
    timer = QTimer(dialog)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert entered.wait(5)
    # The write is blocked on the worker, yet the GUI thread still runs its timers and events.
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=3000)
    assert jobs.writing(dialog) and not dialog.submit_button.isEnabled()
    assert not dialog.submit_review()  # a second click (or Ctrl+Enter) starts no second write
    assert _status(county, decl_id).awaiting_level == Level.COUNTY
    with qtbot.waitSignal(dialog.reviewed, timeout=5000):
        release.set()
    writes_done(qtbot, jobs)
    assert len(calls) == 1 and calls[0] != threading.current_thread().name
    assert _status(county, decl_id).awaiting_level == Level.CITY
    assert modals.warnings == []

    # A refusal raised on the worker: the sentence in the dialog and in a warning, the button usable again.
    other = submitted(county, example_declaration(title="东岗西路社区第二个服务项目"))

    def refusing(*_args: Any, **_kwargs: Any) -> Any:
        raise UserError("该申报已被其他审核人处理", "already reviewed")

    monkeypatch.setattr(workflow, "review", refusing)
    second = ReviewDialog(county.store, county.reviewer, other, jobs=jobs)
    qtbot.addWidget(second)
    second.text.setPlainText("同意上报。")
    qtbot.mouseClick(second.submit_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, jobs)
    assert modals.warnings == ["该申报已被其他审核人处理"]
    assert second.message.text() == "该申报已被其他审核人处理"
    assert second.submit_button.isEnabled() and not jobs.writing(second)
    assert _status(county, other).awaiting_level == Level.COUNTY
