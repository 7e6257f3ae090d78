"""The province's selection: expert scoring sheets and scores, the shortlist, and public notices (公示)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models.base import Base, UTCDateTime, utcnow


class ScoringCriterion(Base):
    """One criterion of a batch's scoring sheet: its weight (the weights sum to 100) and its top mark."""

    __tablename__ = "scoring_criterion"
    batch_id: Mapped[str] = mapped_column(ForeignKey("batch.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    weight: Mapped[int] = mapped_column(Integer)
    max_points: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (UniqueConstraint("batch_id", "name", name="uq_scoring_criterion_batch_name"),)


class ExpertScore(Base):
    """One expert's marks for one declaration: points per criterion, as the scoring sheet was."""

    __tablename__ = "expert_score"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), index=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batch.id"), index=True)
    scorer: Mapped[str] = mapped_column(String(64))
    # criterion name -> points as exact decimal text ("18.5")
    points: Mapped[dict[str, Any]] = mapped_column(JSON)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entered_by: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (UniqueConstraint("declaration_id", "scorer", name="uq_expert_score_decl_scorer"),)


class Shortlisting(Base):
    """A declaration awaiting the province put on the shortlist, with the subsidy planned for it."""

    __tablename__ = "shortlisting"
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batch.id"), index=True)
    planned_fen: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    override_reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(64), default="")


class PublicNotice(Base):
    """A 公示 of a batch's selected projects; never changed once issued, a later one supersedes it."""

    __tablename__ = "public_notice"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batch.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(64), default="")
    office_code: Mapped[str] = mapped_column(String(12))
    supersedes: Mapped[str | None] = mapped_column(String(36))
    # The selected projects as they stood when the notice was issued (list of dicts).
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The province's signature over the notice, made when it first leaves the province.
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("batch_id", "seq", name="uq_public_notice_batch_seq"),)


_SIGNATURE = {"signer_code", "signature"}


def _first_signature_only(obj: PublicNotice) -> bool:
    state: Any = inspect(obj)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    return bool(changed) and changed <= _SIGNATURE and all(not any(state.attrs[k].history.deleted) for k in changed)


@event.listens_for(Session, "before_flush")
def _guard_notices(session: Session, _context: Any, _instances: Any) -> None:
    """An issued notice is never changed or removed (it may be signed once, when it first travels)."""
    refused = UserError("已发布的公示不能修改或删除，请发布新的公示替代", "an issued notice is immutable")
    for obj in session.deleted:
        if isinstance(obj, PublicNotice):
            raise refused
    for obj in session.dirty:
        if isinstance(obj, PublicNotice) and session.is_modified(obj, include_collections=False) \
                and not _first_signature_only(obj):
            raise refused
