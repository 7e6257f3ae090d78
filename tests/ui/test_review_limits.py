"""The review dialog at the province: an approval past the batch's quotas or budget asks for a reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sanlian_desktop import declarations, selection
from sanlian_desktop.models import AuditEntry, Declaration
from sanlian_desktop.ui.review.dialog import ReviewDialog
from sanlian_desktop.vocab import Decision, Status
from tests.helpers import Office
from tests.selection.helpers import awaiting, province_office
from tests.ui.uifixtures import Modals, modals_fixture  # noqa: F401


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


def _dialog(qtbot: Any, office: Office, decl_id: str) -> ReviewDialog:
    dialog = ReviewDialog(office.store, office.reviewer, decl_id)
    qtbot.addWidget(dialog)
    return dialog


def test_approval_past_the_limits_needs_a_reason(qtbot: Any, province: Office, modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    b = awaiting(province, "620402001001", requested="60000")
    c = awaiting(province, "620402001002", requested="40000")
    with province.session() as s:
        for decl_id in (a, b):
            selection.approve(s, province.reviewer, declarations.get(s, decl_id))
    dialog = _dialog(qtbot, province, c)
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
    decl = _decl(province, c)
    assert decl.status == Status.APPROVED and decl.granted_fen == 30_000_00
    [entry] = _overrides(province)
    assert entry.entity_id == c
    assert entry.details["reason"] == "革命老区，厅务会同意" and entry.details["action"] == "批准"
    assert entry.details["exceeded"] == {"communities": [3, 2]}
    assert modals.warnings == []


def test_below_the_limits_the_dialog_is_as_before(qtbot: Any, province: Office, modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    dialog = _dialog(qtbot, province, a)
    assert not dialog.reason.isVisibleTo(dialog) and not dialog.limits.isVisibleTo(dialog)
    assert not dialog.reason_label.isVisibleTo(dialog)
    # Typing a grant past the budget's remainder would not pass it here (60,000 of 150,000 yuan).
    dialog.granted.set_value("50000")
    assert not dialog.reason.isVisibleTo(dialog)
    dialog.text.setPlainText("同意立项。")
    assert dialog.submit_review()
    assert _decl(province, a).granted_fen == 50_000_00 and _overrides(province) == []


def test_the_grant_typed_decides_whether_a_limit_is_passed(qtbot: Any, province: Office, modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    b = awaiting(province, "620102001002", requested="60000")
    with province.session() as s:
        selection.approve(s, province.reviewer, declarations.get(s, a))
    dialog = _dialog(qtbot, province, b)
    assert not dialog.reason.isVisibleTo(dialog)  # 120,000 of 150,000 yuan
    dialog.granted.set_value("59999.99")
    assert not dialog.reason.isVisibleTo(dialog)
    with province.session() as s:  # meanwhile the 遴选 page shortlists another for 40,000 yuan
        selection.shortlist(s, province.reviewer, declarations.get(s, awaiting(province, "620402001001",
                                                                                 requested="40000")))
    dialog.text.setPlainText("同意立项。")
    # The limits are checked again on submitting: now the budget would be passed.
    assert not dialog.submit_review()
    assert dialog.reason.isVisibleTo(dialog)
    assert "补助金额将达 159,999.99 元，超过上限 150,000.00 元" in dialog.limits.text()
    assert _decl(province, b).status == Status.UNDER_REVIEW


def test_a_shortlisted_declaration_is_granted_its_planned_amount(qtbot: Any, province: Office,
                                                                 modals: Modals) -> None:
    a = awaiting(province, "620102001001", requested="60000")
    with province.session() as s:
        selection.shortlist(s, province.reviewer, declarations.get(s, a), planned="45000")
    dialog = _dialog(qtbot, province, a)
    assert dialog.granted.value() == "45000.00"
    dialog.text.setPlainText("同意立项。")
    assert dialog.submit_review()
    assert _decl(province, a).granted_fen == 45_000_00
