"""Third-party evaluation: which evaluator office follows a project, its visits and effect evaluations.

All four are statements signed by the office that wrote them (the province for an assignment and its
withdrawal, the evaluator for a visit or an evaluation) and never change once written; only the first
signature is added to an unsigned row when it first leaves its office. The one exception: an
assignment is deleted together with the withdrawal that ends it (a new assignment of the project may
follow), never otherwise.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models.base import Base, UTCDateTime, utcnow


class EvaluationAssignment(Base):
    """The province's assignment of an approved project to an evaluator office (one per project)."""

    __tablename__ = "evaluation_assignment"
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), primary_key=True)
    evaluator_code: Mapped[str] = mapped_column(String(12), index=True)
    evaluator_name: Mapped[str] = mapped_column(String(100))
    assigned_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    office_code: Mapped[str] = mapped_column(String(12))  # the assigning province
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class FollowUpVisit(Base):
    """跟踪回访: an evaluator's visit to a project — when, who went, what they found."""

    __tablename__ = "followup_visit"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), index=True)
    evaluator_code: Mapped[str] = mapped_column(String(12))
    evaluator_name: Mapped[str] = mapped_column(String(100))
    visited_on: Mapped[date] = mapped_column(Date)
    who: Mapped[str] = mapped_column(String(200))
    findings: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class EffectEvaluation(Base):
    """An effect evaluation: points per criterion, total, grade 优/良/中/差 and the report file."""

    __tablename__ = "effect_evaluation"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), index=True)
    evaluator_code: Mapped[str] = mapped_column(String(12))
    evaluator_name: Mapped[str] = mapped_column(String(100))
    evaluated_on: Mapped[date] = mapped_column(Date)
    # [{"name": "需求回应", "max": 20, "points": 18}, …] in the order of the criteria
    scores: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(2))
    grade_reason: Mapped[str] = mapped_column(Text, default="")  # why a grade differs from the thresholds
    report_sha256: Mapped[str] = mapped_column(ForeignKey("attachment.sha256"))
    report_name: Mapped[str] = mapped_column(String(255))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class EvaluationWithdrawal(Base):
    """The province's withdrawal of an assignment (wrong evaluator, project cancelled), with its reason.

    It names the assignment it ends by evaluator and assignment time, and outlives it: the assignment
    row is deleted with it, so that the project may be assigned again, while the withdrawal keeps the
    history and stops a late copy of the old assignment from being applied again. ``declaration_id``
    is no foreign key: an evaluator may receive the withdrawal of an assignment whose project copy never
    reached it (the package was lost), and must keep it all the same.
    """

    __tablename__ = "evaluation_withdrawal"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(String(36), index=True)
    evaluator_code: Mapped[str] = mapped_column(String(12), index=True)
    evaluator_name: Mapped[str] = mapped_column(String(100))
    assigned_on: Mapped[date] = mapped_column(Date)  # of the assignment withdrawn
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the assignment's ``at``: which one it ends
    withdrawn_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    office_code: Mapped[str] = mapped_column(String(12))  # the withdrawing province
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # False when the assignment withdrawn had never been signed for export: it never left the province,
    # so neither does its withdrawal.
    travels: Mapped[bool] = mapped_column(Boolean, default=True)
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)

    def ends(self, assignment: EvaluationAssignment) -> bool:
        """Whether this withdrawal ends that assignment."""
        return (assignment.declaration_id == self.declaration_id and assignment.evaluator_code == self.evaluator_code
                and assignment.at == self.assigned_at)


_IMMUTABLE = (EvaluationAssignment, FollowUpVisit, EffectEvaluation, EvaluationWithdrawal)
_LABELS = {EvaluationAssignment: "评估指派", FollowUpVisit: "跟踪回访记录", EffectEvaluation: "成效评估",
           EvaluationWithdrawal: "评估指派的撤回"}


def _first_signature_only(obj: Any) -> bool:
    state: Any = inspect(obj)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    return bool(changed) and changed <= {"signer_code", "signature"} and all(
        not any(state.attrs[k].history.deleted) for k in changed)


@event.listens_for(Session, "before_flush")
def _guard_evaluation_rows(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.deleted) + list(session.dirty):
        if not isinstance(obj, _IMMUTABLE):
            continue
        if obj in session.deleted and isinstance(obj, EvaluationAssignment) and _withdrawn(session, obj):
            continue
        if obj in session.dirty and (not session.is_modified(obj, include_collections=False)
                                     or _first_signature_only(obj)):
            continue
        what = _LABELS[type(obj)]
        raise UserError(f"{what}一经写入不能修改或删除", f"{what} is immutable once written")


def _withdrawn(session: Session, assignment: EvaluationAssignment) -> bool:
    """Whether a withdrawal ending ``assignment`` is written in this flush or held already."""
    if any(isinstance(w, EvaluationWithdrawal) and w.ends(assignment) for w in session.new):
        return True
    with session.no_autoflush:
        held = session.scalars(select(EvaluationWithdrawal).where(
            EvaluationWithdrawal.declaration_id == assignment.declaration_id,
            EvaluationWithdrawal.evaluator_code == assignment.evaluator_code))
        return any(w.ends(assignment) for w in held)
