"""Choosing at the province: the shortlist with its planned subsidies, approval within the batch's
limits, and the selection view (the batch's declarations awaiting the province or approved, with
their scores and state)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import workflow
from sanlian_desktop.declarations.listing import region_names
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.money import from_fen, parse_money, to_fen
from sanlian_desktop.kernel.vocab import Decision, Level, Status
from sanlian_desktop.models import Batch, Declaration, Shortlisting, utcnow
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.selection import scoring
from sanlian_desktop.selection.limits import MAX_REASON, awaiting_province, check_limits
from sanlian_desktop.selection.scoring import ScoreSummary, require_province
from sanlian_desktop.store import audit

SORTS = ("score", "amount", "region", "area")


# -- shortlist and approval ---------------------------------------------------------------------------


def batch_of(session: Session, decl: Declaration) -> Batch:
    """The batch a declaration belongs to; refused for one in no batch."""
    batch = session.get(Batch, decl.batch_id) if decl.batch_id else None
    if batch is None:
        raise UserError(f"申报 {decl.number} 不属于任何申报批次，不参加遴选", f"{decl.number} is in no batch")
    return batch


def _require_awaiting(decl: Declaration) -> None:
    if decl.status != Status.UNDER_REVIEW or decl.awaiting_level != Level.PROVINCE:
        raise UserError(f"申报 {decl.number} 当前状态为“{Status(decl.status).label}”，不在省民政厅待遴选之列",
                        f"declaration {decl.number} is not awaiting the province")


def _amount(value: Decimal | str | None, decl: Declaration, label: str) -> int:
    if value in (None, ""):
        return decl.requested_fen
    try:
        fen = to_fen(parse_money(value))
    except ValueError as exc:
        raise UserError(f"{label}：{exc}", f"invalid {label}") from None
    if fen <= 0:
        raise UserError(f"{label}应大于0", "the amount must be positive")
    if fen > decl.requested_fen:
        raise UserError(f"{label}不能超过申请金额 {from_fen(decl.requested_fen)} 元",
                        "the amount cannot exceed the requested amount")
    return fen


def shortlist(session: Session, actor: Actor, decl: Declaration, *, planned: Decimal | str | None = None,
              note: str = "", override_reason: str | None = None, now: datetime | None = None) -> Shortlisting:
    """Put a declaration awaiting the province on the shortlist with its planned subsidy (default: as
    requested); changing the planned amount of one already listed is the same call."""
    now = now or utcnow()
    require_province(actor)
    _require_awaiting(decl)
    batch = batch_of(session, decl)
    fen = _amount(planned, decl, "拟补助金额")
    reason = check_limits(session, actor, batch, decl, fen, override_reason, "入围", now)
    row = session.get(Shortlisting, decl.id)
    if row is None:
        row = Shortlisting(declaration_id=decl.id, batch_id=batch.id)
        session.add(row)
    row.planned_fen, row.note, row.at, row.by = fen, note.strip()[:MAX_REASON], now, actor.username
    row.override_reason = reason
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="selection.shortlist",
                 entity="declaration", entity_id=decl.id,
                 details={"number": decl.number, "planned_fen": fen, "override": reason}, at=now)
    return row


def unshortlist(session: Session, actor: Actor, decl: Declaration, *, now: datetime | None = None) -> None:
    """Take a declaration off the shortlist."""
    now = now or utcnow()
    require_province(actor)
    row = session.get(Shortlisting, decl.id)
    if row is None:
        raise UserError(f"申报 {decl.number} 不在入围名单中", f"{decl.number} is not shortlisted")
    session.delete(row)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="selection.unshortlist",
                 entity="declaration", entity_id=decl.id, details={"number": decl.number}, at=now)


def approve(session: Session, actor: Actor, decl: Declaration, *, granted: Decimal | str | None = None,
            text: str = "同意立项。", override_reason: str | None = None, now: datetime | None = None) -> None:
    """Approve at the province through the review chain, granting the planned (or given) amount."""
    require_province(actor, "批准项目")
    _require_awaiting(decl)
    row = session.get(Shortlisting, decl.id)
    if granted in (None, "") and row is not None:
        granted = from_fen(row.planned_fen)
    workflow.review(session, actor, decl, decision=Decision.APPROVE, text=text, granted=granted,
                    override_reason=override_reason, now=now)


# -- the selection view -------------------------------------------------------------------------------


@dataclass
class Row:
    """One declaration in the selection view."""

    id: str
    number: str
    title: str
    community_code: str
    community: str
    county: str
    city: str
    focus_areas: str
    requested_fen: int
    state: str  # pending | shortlisted | approved
    amount_fen: int | None  # planned (shortlisted) or granted (approved)
    scores: ScoreSummary = field(default_factory=lambda: ScoreSummary(()))
    street_code: str = ""
    county_code: str = ""
    city_code: str = ""

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    def as_dict(self) -> dict[str, Any]:
        s = self.scores
        return {
            "id": self.id, "number": self.number, "title": self.title, "community_code": self.community_code,
            "community": self.community, "county": self.county, "city": self.city, "focus_areas": self.focus_areas,
            "requested": str(from_fen(self.requested_fen)), "state": self.state,
            "amount": None if self.amount_fen is None else str(from_fen(self.amount_fen)),
            "scorers": s.count, "average": _str(s.average), "spread": _str(s.spread), "stdev": _str(s.stdev),
        }


STATE_LABELS = {"pending": "待遴选", "shortlisted": "已入围", "approved": "已批准"}


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def sort_rows(rows: list[Row], sort: str) -> list[Row]:
    """score: average high to low (unscored last); amount: requested high to low; region; focus area."""
    if sort == "score":
        return sorted(rows, key=lambda r: (r.scores.average is None, -(r.scores.average or 0), r.number))
    if sort == "amount":
        return sorted(rows, key=lambda r: (-r.requested_fen, r.number))
    if sort == "region":
        return sorted(rows, key=lambda r: (r.city_code, r.county_code, r.community_code, r.number))
    if sort == "area":
        return sorted(rows, key=lambda r: (r.focus_areas, r.number))
    raise UserError(f"排序方式应为 {'、'.join(SORTS)} 之一", f"sort must be one of {', '.join(SORTS)}")


def rows(session: Session, batch: Batch, *, sort: str = "score") -> list[Row]:
    """The batch's declarations awaiting the province and those it approved, with scores and state."""
    decls = list(session.scalars(select(Declaration).where(
        Declaration.batch_id == batch.id,
        or_(and_(*awaiting_province()), Declaration.status == Status.APPROVED.value))))
    listed = {r.declaration_id: r for r in session.scalars(
        select(Shortlisting).where(Shortlisting.batch_id == batch.id))}
    summaries = scoring.batch_summaries(session, batch)
    codes = {c for d in decls for c in (d.community_code, d.county_code, d.city_code)}
    names = region_names(session, codes)
    out = []
    for d in decls:
        if d.status == Status.APPROVED:
            state, amount = "approved", d.granted_fen
        elif d.id in listed:
            state, amount = "shortlisted", listed[d.id].planned_fen
        else:
            state, amount = "pending", None
        out.append(Row(d.id, d.number, d.title, d.community_code, names.get(d.community_code, d.community_code),
                       names.get(d.county_code, d.county_code), names.get(d.city_code, d.city_code), d.focus_areas,
                       d.requested_fen, state, amount, summaries.get(d.id, ScoreSummary(())),
                       d.street_code, d.county_code, d.city_code))
    return sort_rows(out, sort)
