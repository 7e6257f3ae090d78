"""The review dialogs at the province: an approval past the batch's quotas or budget asks for a reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sanlian_desktop.declarations import lookup, workflow
from sanlian_desktop.kernel.vocab import Decision, Status
from sanlian_desktop.models import AuditEntry, Declaration
from sanlian_desktop.selection import shortlist
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.review.batch import BatchApproveDialog
from sanlian_desktop.ui.review.dialog import ReviewDialog
from tests.helpers import Office
from tests.selection.helpers import awaiting, province_office
from tests.ui.helpers import Modals, modals_fixture, writes_done  # noqa: F401


@pytest.fixture
def province(tmp_path: Path) -> Iterator[Office]:
    """Limits: 3 projects, 2 communities, 150,000 yuan."""
    office = province_office(tmp_path / "province")
    yield office
    office.store.close()


def _decl(office: Office, decl_id: str) -> Declaration:
    with office.store.read_session() as s:
        decl = s.get(Declaration, decl_id)
        assert decl is not None
        return decl


def _overrides(office: Office) -> list[AuditEntry]:
    with office.store.read_session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "selection.override")))


def _dialog(qtbot: Any, jobs: JobRunner, office: Office, decl_id: str) -> ReviewDialog:
    dialog = ReviewDialog(office.store, office.reviewer, decl_id, jobs=jobs)
    qtbot.addWidget(dialog)
    return dialog


def test_approval_past_the_limits_needs_a_reason(qtbot: Any, jobs: JobRunner, province: Office, modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    b = awaiting(province, "620402001001", requested="60000")
    c = awaiting(province, "620402001002", requested="40000")
    with province.session() as s:
        for decl_id in (a, b):
            shortlist.approve(s, province.reviewer, lookup.get(s, decl_id))
    dialog = _dialog(qtbot, jobs, province, c)
    assert dialog.reason.isVisibleTo(dialog) and dialog.reason_label.isVisibleTo(dialog)
    assert dialog.reason_label.text() == "超出限额的理由"
    text = dialog.limits.text()
    assert dialog.limits.isVisibleTo(dialog)
    assert "入选社区将达 3 个，超过上限 2 个" in text
    assert "补助金额将达 160,000.00 元，超过上限 150,000.00 元" in text
    assert "入选项目" not in text  # 3 of 3: at the limit, not past it

    # A smaller grant keeps within the budget; the community quota is still passed.
    dialog.granted.set_value("30000")
    assert "补助金额" not in dialog.limits.text() and "入选社区将达 3 个" in dialog.limits.text()
    # Returning or rejecting takes nothing from the limits: no reason asked for.
    dialog.decision_buttons[Decision.RETURN].setChecked(True)
    assert not dialog.reason.isVisibleTo(dialog) and not dialog.limits.isVisibleTo(dialog)
    dialog.decision_buttons[Decision.APPROVE].setChecked(True)
    assert dialog.reason.isVisibleTo(dialog)

    dialog.text.setPlainText("同意立项。")
    assert not dialog.submit_review()
    assert dialog.message.text() == "请填写超出限额的理由"
    assert _decl(province, c).status == Status.UNDER_REVIEW and _overrides(province) == []

    dialog.reason.setText("  革命老区，厅务会同意  ")
    assert dialog.submit_review()
    writes_done(qtbot, jobs)
    decl = _decl(province, c)
    assert decl.status == Status.APPROVED and decl.granted_fen == 30_000_00
    [entry] = _overrides(province)
    assert entry.entity_id == c
    assert entry.details["reason"] == "革命老区，厅务会同意" and entry.details["action"] == "批准"
    assert entry.details["exceeded"] == {"communities": [3, 2]}
    assert modals.warnings == []


def test_below_the_limits_the_dialog_is_as_before(qtbot: Any, jobs: JobRunner, province: Office, modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    dialog = _dialog(qtbot, jobs, province, a)
    assert not dialog.reason.isVisibleTo(dialog) and not dialog.limits.isVisibleTo(dialog)
    assert not dialog.reason_label.isVisibleTo(dialog)
    # Typing a grant past the budget's remainder would not pass it here (60,000 of 150,000 yuan).
    dialog.granted.set_value("50000")
    assert not dialog.reason.isVisibleTo(dialog)
    dialog.text.setPlainText("同意立项。")
    assert dialog.submit_review()
    writes_done(qtbot, jobs)
    assert _decl(province, a).granted_fen == 50_000_00 and _overrides(province) == []


def test_the_grant_typed_decides_whether_a_limit_is_passed(qtbot: Any, jobs: JobRunner, province: Office, modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    b = awaiting(province, "620102001002", requested="60000")
    with province.session() as s:
        shortlist.approve(s, province.reviewer, lookup.get(s, a))
    dialog = _dialog(qtbot, jobs, province, b)
    assert not dialog.reason.isVisibleTo(dialog)  # 120,000 of 150,000 yuan
    dialog.granted.set_value("59999.99")
    assert not dialog.reason.isVisibleTo(dialog)
    with province.session() as s:  # meanwhile the 遴选 page shortlists another for 40,000 yuan
        shortlist.shortlist(s, province.reviewer, lookup.get(s, awaiting(province, "620402001001",
                                                                                 requested="40000")))
    dialog.text.setPlainText("同意立项。")
    # The limits are checked again on submitting: now the budget would be passed.
    assert not dialog.submit_review()
    assert dialog.reason.isVisibleTo(dialog)
    assert "补助金额将达 159,999.99 元，超过上限 150,000.00 元" in dialog.limits.text()
    assert _decl(province, b).status == Status.UNDER_REVIEW


def test_a_shortlisted_declaration_is_granted_its_planned_amount(qtbot: Any, jobs: JobRunner, province: Office,
                                                                 modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    with province.session() as s:
        shortlist.shortlist(s, province.reviewer, lookup.get(s, a), planned="45000")
    dialog = _dialog(qtbot, jobs, province, a)
    assert dialog.granted.value() == "45000.00"
    dialog.text.setPlainText("同意立项。")
    assert dialog.submit_review()
    writes_done(qtbot, jobs)
    assert _decl(province, a).granted_fen == 45_000_00


# -- 批量同意 at the province ------------------------------------------------------------------------


def _batch(qtbot: Any, jobs: JobRunner, office: Office, ids: list[str]) -> BatchApproveDialog:
    dialog = BatchApproveDialog(office.store, office.reviewer, ids, jobs=jobs)
    qtbot.addWidget(dialog)
    dialog.text.setPlainText("同意立项。")
    return dialog


def test_batch_approval_past_the_limits_needs_one_reason(qtbot: Any, jobs: JobRunner, province: Office, modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    b = awaiting(province, "620402001001", requested="60000")
    c = awaiting(province, "620402001002", requested="40000")
    d = awaiting(province, "620102001002", requested="10000")
    dialog = _batch(qtbot, jobs, province, [a, b, c, d])
    assert dialog.reason.isVisibleTo(dialog) and dialog.limits.isVisibleTo(dialog)
    text = dialog.limits.text()
    assert "入选项目将达 4 个，超过上限 3 个，超出 1 个" in text
    assert "入选社区将达 4 个，超过上限 2 个，超出 2 个" in text
    assert "补助金额将达 170,000.00 元，超过上限 150,000.00 元，超出 20,000.00 元" in text

    # Without a reason nothing is approved and the dialog says why, in the window.
    assert not dialog.run()
    assert dialog.message.text() == "请填写超出限额的理由"
    assert not dialog.report.isVisibleTo(dialog) and dialog.run_button.isEnabled()
    assert all(_decl(province, i).status == Status.UNDER_REVIEW for i in (a, b, c, d))
    assert _overrides(province) == []

    dialog.reason.setText("  革命老区，厅务会同意  ")
    assert dialog.run()
    writes_done(qtbot, jobs)
    outcomes = dialog.outcomes
    assert [o.ok for o in outcomes] == [True] * 4 and dialog.message.text() == ""
    assert all(_decl(province, i).status == Status.APPROVED for i in (a, b, c, d))
    # Each declaration approved past a limit is audited with the reason, as a single override is.
    entries = {e.entity_id: e.details for e in _overrides(province)}
    assert set(entries) == {c, d}  # a and b fit: 2 projects, 2 communities, 120,000 yuan
    assert all(e["reason"] == "革命老区，厅务会同意" and e["action"] == "批准" for e in entries.values())
    assert entries[c]["exceeded"] == {"communities": [3, 2], "budget": [160_000_00, 150_000_00]}
    assert entries[d]["exceeded"] == {"projects": [4, 3], "communities": [4, 2], "budget": [170_000_00, 150_000_00]}
    assert "命令行" not in dialog.report.toPlainText() and "✘" not in dialog.report.toPlainText()
    # The report marks those that went past a limit, with the reason (issue 14 §4).
    assert {o.decl_id: o.over_limit for o in outcomes} == {a: None, b: None, c: "革命老区，厅务会同意",
                                                           d: "革命老区，厅务会同意"}
    shown = {line.split()[1]: line for line in dialog.report.toPlainText().splitlines() if line.startswith("✔")}
    numbers = {i: _decl(province, i).number for i in (a, b, c, d)}
    assert "超出限额（理由：革命老区，厅务会同意）" in shown[numbers[c]] and "超出限额" in shown[numbers[d]]
    assert "超出限额" not in shown[numbers[a]] and "超出限额" not in shown[numbers[b]]
    assert modals.warnings == []


def test_batch_approval_counts_what_is_chosen_already(qtbot: Any, jobs: JobRunner, province: Office, modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    b = awaiting(province, "620402001001", requested="60000")
    c = awaiting(province, "620102001001", title="第二个项目", requested="50000")  # a's community
    with province.session() as s:  # shortlisted a for less: the approval grants the planned 50,000 yuan
        shortlist.shortlist(s, province.reviewer, lookup.get(s, a), planned="50000")
        shortlist.approve(s, province.reviewer, lookup.get(s, b))
    dialog = _batch(qtbot, jobs, province, [a, c])
    assert "补助金额将达 160,000.00 元，超过上限 150,000.00 元，超出 10,000.00 元" in dialog.limits.text()
    assert "入选项目" not in dialog.limits.text() and "入选社区" not in dialog.limits.text()


def test_batch_approval_below_the_limits_is_as_before(qtbot: Any, jobs: JobRunner, province: Office, modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    b = awaiting(province, "620402001001", requested="60000")
    dialog = _batch(qtbot, jobs, province, [a, b])
    assert not dialog.reason.isVisibleTo(dialog) and not dialog.limits.isVisibleTo(dialog)
    assert not dialog.reason_label.isVisibleTo(dialog)
    assert dialog.run()
    writes_done(qtbot, jobs)
    outcomes = dialog.outcomes
    assert [o.ok for o in outcomes] == [True, True] and dialog.report.isVisibleTo(dialog)
    assert _overrides(province) == [] and not dialog.run_button.isEnabled()


def test_batch_limit_refusal_meanwhile_has_no_command_line_hint(qtbot: Any, jobs: JobRunner, province: Office,
                                                                modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    b = awaiting(province, "620402001001", requested="60000")
    dialog = _batch(qtbot, jobs, province, [a, b])
    assert not dialog.reason.isVisibleTo(dialog)
    # Meanwhile another approval fills the budget: checked again on running, the reason is asked for.
    with province.session() as s:
        shortlist.approve(s, province.reviewer, lookup.get(s, awaiting(province, "620402001002",
                                                                              requested="40000")))
    assert not dialog.run() and dialog.reason.isVisibleTo(dialog)
    assert "补助金额将达 160,000.00 元" in dialog.limits.text()
    # Should it still be refused by the service, the report names the limit, not the command line.
    outcomes = workflow.review_each(province.store, province.reviewer, [a, b], decision=Decision.APPROVE,
                                    text="同意")
    assert [o.ok for o in outcomes] == [True, False]
    assert outcomes[1].message == ("入选社区将达 3 个，超过上限 2 个；补助金额将达 160,000.00 元，超过上限 150,000.00 元，"
                                   "未填写超出限额的理由")
