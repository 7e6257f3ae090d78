"""The limits of a batch at the province: what is chosen, the meters against the batch's project
quota, community quota and budget, the check that refuses passing them without a recorded reason,
and the approval policy the review chain asks (:class:`BatchLimits`).

"Chosen" means approved at the province, or shortlisted while still awaiting it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations.workflow import LimitExceeded
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.money import from_fen
from sanlian_desktop.kernel.vocab import Level, Status
from sanlian_desktop.models import Batch, Declaration, Shortlisting
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import audit, dialects

# A meter turns amber from this share of its limit on, red at the limit.
NEAR = Decimal("0.9")
MAX_REASON = 500


# -- meters -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meter:
    """How much of one limit is used. ``limit`` None: the batch sets none."""

    key: str  # projects | communities | budget
    label: str
    used: int
    limit: int | None

    @property
    def state(self) -> str:
        """ok, near (amber), full (red: at the limit) or over (red)."""
        if self.limit is None:
            return "ok"
        if self.used > self.limit:
            return "over"
        if self.used == self.limit:
            return "full"
        return "near" if Decimal(self.used) >= NEAR * self.limit else "ok"

    def shown(self, value: int | None = None) -> str:
        v = self.used if value is None else value
        return f"{from_fen(v):,.2f} 元" if self.key == "budget" else f"{v} 个"

    @property
    def text(self) -> str:
        """``已选 180 个 / 名额 200 个`` and the like."""
        if self.limit is None:
            return f"{self.label}：{self.shown()}（批次未设上限）"
        return f"{self.label}：{self.shown()} / {self.shown(self.limit)}"


@dataclass(frozen=True)
class Chosen:
    """A chosen declaration and the amount it takes from the budget."""

    declaration_id: str
    community_code: str
    amount_fen: int
    approved: bool


def chosen(session: Session, batch: Batch) -> list[Chosen]:
    """What the batch has chosen: approved at the province, and shortlisted while awaiting it."""
    approved = session.execute(select(Declaration.id, Declaration.community_code, Declaration.granted_fen).where(
        Declaration.batch_id == batch.id, Declaration.status == Status.APPROVED.value))
    out = [Chosen(d, c, g or 0, True) for d, c, g in approved]
    listed = session.execute(select(Declaration.id, Declaration.community_code, Shortlisting.planned_fen).join(
        Shortlisting, Shortlisting.declaration_id == Declaration.id).where(
        Shortlisting.batch_id == batch.id, *awaiting_province()))
    out += [Chosen(d, c, p, False) for d, c, p in listed]
    return out


def awaiting_province() -> list[Any]:
    """WHERE clauses selecting declarations under review that await the province."""
    return [Declaration.status == Status.UNDER_REVIEW.value, Declaration.awaiting_level == Level.PROVINCE.value]


def _meters_of(batch: Batch, picks: list[Chosen]) -> list[Meter]:
    return [
        Meter("projects", "入选项目", len(picks), batch.quota_projects),
        Meter("communities", "入选社区", len({p.community_code for p in picks}), batch.quota_communities),
        Meter("budget", "补助金额", sum(p.amount_fen for p in picks), batch.budget_fen),
    ]


def meters(session: Session, batch: Batch) -> list[Meter]:
    """The three meters: projects vs quota, distinct communities vs quota, granted total vs budget."""
    return _meters_of(batch, chosen(session, batch))


def meters_if_chosen(session: Session, batch: Batch, decl: Declaration, amount_fen: int) -> list[Meter]:
    """The meters as they would stand with ``decl`` chosen for ``amount_fen``."""
    picks = [p for p in chosen(session, batch) if p.declaration_id != decl.id]
    picks.append(Chosen(decl.id, decl.community_code, amount_fen, False))
    return _meters_of(batch, picks)


def warnings(ms: list[Meter]) -> list[str]:
    """A Chinese sentence for each meter that is near, at or past its limit."""
    out = []
    for m in ms:
        if m.limit is None or m.state == "ok":
            continue
        if m.state == "over":
            out.append(f"{m.label}已超出上限：{m.shown()}，上限 {m.shown(m.limit)}")
        elif m.state == "full":
            out.append(f"{m.label}已达上限 {m.shown(m.limit)}")
        else:
            out.append(f"{m.label}接近上限：还剩 {m.shown(m.limit - m.used)}")
    return out


def limits_passed(session: Session, decl: Declaration, amount_fen: int) -> list[Meter]:
    """The limits of the declaration's batch that choosing it for ``amount_fen`` would pass (none for a
    declaration in no batch): what an approval or a shortlisting would need a reason for."""
    batch = session.get(Batch, decl.batch_id) if decl.batch_id else None
    if batch is None:
        return []
    return [m for m in meters_if_chosen(session, batch, decl, amount_fen) if m.state == "over"]


def passed_text(exceeded: list[Meter], *, by: bool = False) -> str:
    """``补助金额将达 160,000.00 元，超过上限 150,000.00 元`` for each limit passed, joined by ``；``;
    with ``by`` each also says by how much (``，超出 10,000.00 元``)."""
    return "；".join(f"{m.label}将达 {m.shown()}，超过上限 {m.shown(m.limit)}"
                    + (f"，超出 {m.shown(m.used - (m.limit or 0))}" if by else "") for m in exceeded)


def limits_passed_together(session: Session, decls: list[Declaration]) -> list[tuple[Batch, list[Meter]]]:
    """The limits that choosing all of ``decls`` at once would pass, batch by batch (batches passing none
    are left out; a declaration in no batch takes from none). Each is counted at what an approval without
    a typed grant grants (:func:`default_grant_fen`); the chosen ones among them are counted once."""
    groups: dict[str, list[Declaration]] = {}
    for d in decls:
        if d.batch_id:
            groups.setdefault(d.batch_id, []).append(d)
    out: list[tuple[Batch, list[Meter]]] = []
    for batch_id, group in groups.items():
        batch = session.get(Batch, batch_id)
        if batch is None:
            continue
        ids = {d.id for d in group}
        picks = [p for p in chosen(session, batch) if p.declaration_id not in ids]
        picks += [Chosen(d.id, d.community_code, default_grant_fen(session, d), False) for d in group]
        passed = [m for m in _meters_of(batch, picks) if m.state == "over"]
        if passed:
            out.append((batch, passed))
    return out


def default_grant_fen(session: Session, decl: Declaration) -> int:
    """What a province approval without a typed amount grants: the planned subsidy of a shortlisted
    declaration, otherwise the amount requested."""
    planned = planned_fen(session, decl)
    return decl.requested_fen if planned is None else planned


def planned_fen(session: Session, decl: Declaration) -> int | None:
    """The subsidy planned for a shortlisted declaration; None when it is not on the shortlist."""
    row = session.get(Shortlisting, decl.id)
    return None if row is None else row.planned_fen


def check_limits(session: Session, actor: Actor, batch: Batch, decl: Declaration, amount_fen: int,
                  override_reason: str | None, action: str, now: datetime) -> str | None:
    """Refuse (LimitExceeded) when choosing would pass a limit, unless overridden with a reason.

    Choices within one batch are serialised (several people on a PostgreSQL store): a second one waits
    until the first has committed and then counts it, so two together never pass a limit unseen."""
    dialects.serialise(session, f"batch-limits:{batch.id}")
    after = meters_if_chosen(session, batch, decl, amount_fen)
    exceeded = [m for m in after if m.state == "over"]
    if not exceeded:
        return None
    reason = " ".join((override_reason or "").split())
    if not reason:
        what = passed_text(exceeded)
        raise LimitExceeded(
            f"{what}。如确需超出，请说明理由后再{action}（命令行 --override 理由）",
            "this would exceed " + ", ".join(m.key for m in exceeded) + "; give --override REASON",
            [m.key for m in exceeded], what)
    if len(reason) > MAX_REASON:
        raise UserError(f"理由不能超过{MAX_REASON}字", f"the reason is longer than {MAX_REASON} characters")
    audit.record(session, office=actor.office_code, user=actor.username, action="selection.override",
                 entity="declaration", entity_id=decl.id,
                 details={"number": decl.number, "action": action, "reason": reason,
                          "exceeded": {m.key: [m.used, m.limit] for m in exceeded}}, at=now)
    return reason


def guard_approval(session: Session, actor: Actor, decl: Declaration, granted_fen: int | None,
                   override_reason: str | None, now: datetime) -> None:
    """Called by :func:`workflow.review` before the province approves a declaration of a batch."""
    batch = session.get(Batch, decl.batch_id) if decl.batch_id else None
    if batch is None:
        return
    check_limits(session, actor, batch, decl, granted_fen or 0, override_reason, "批准", now)



class BatchLimits:
    """The province's approval policy for the review chain (:class:`workflow.ApprovalPolicy`): a
    shortlisted declaration is granted its planned subsidy, and no approval passes a batch's quotas or
    budget without a recorded reason."""

    def default_grant_fen(self, session: Session, decl: Declaration) -> int:
        return default_grant_fen(session, decl)

    def guard_approval(self, session: Session, actor: Actor, decl: Declaration, granted_fen: int | None,
                       override_reason: str | None, now: datetime) -> None:
        guard_approval(session, actor, decl, granted_fen, override_reason, now)
