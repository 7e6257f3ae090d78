"""The review chain: which offices judge a declaration, in what order, and what each decision does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.kernel.money import from_fen, parse_money, to_fen
from sanlian_desktop.kernel.vocab import Decision, Level, Role, Status
from sanlian_desktop.models import AuditEntry, Declaration, Opinion, utcnow
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.offices.office import office_display_name
from sanlian_desktop.store import audit, dialects

MAX_OPINION = 1000


class LimitExceeded(UserError):
    """Approving this declaration would pass a quota or the budget of its batch; ``exceeded`` says which."""

    def __init__(self, zh: str, en: str, exceeded: list[str], what: str = "") -> None:
        super().__init__(zh, en)
        self.exceeded = exceeded
        self.what = what  # passed_text of the limits passed, without the command-line hint


@dataclass(frozen=True)
class FirstDecision:
    """Who decided a declaration first (kept after the refused transaction has ended)."""

    reviewer: str
    reviewer_name: str
    office_name: str
    decision: Decision
    at: datetime


class AlreadyDecided(UserError):
    """Someone else changed the declaration between this reviewer's look at it and their decision
    (another reviewer of the same office on a shared store decided first); nothing was written.
    ``by`` says who decided first, when an opinion did it."""

    def __init__(self, zh: str, en: str, by: FirstDecision | None) -> None:
        super().__init__(zh, en)
        self.by = by


def _refuse_if_decided_meanwhile(session: Session, decl: Declaration) -> None:
    """Lock the declaration and reload it; refuse if its place in the chain moved since it was read."""
    seen = (decl.status, decl.awaiting_level, decl.awaiting_office, decl.current_version)
    dialects.lock_row(session, decl)
    if (decl.status, decl.awaiting_level, decl.awaiting_office, decl.current_version) == seen:
        return
    first = session.scalars(
        select(Opinion).where(Opinion.declaration_id == decl.id, Opinion.version == seen[3],
                              Opinion.level == seen[1]).order_by(Opinion.at.desc(), Opinion.seq.desc()).limit(1)
    ).first()
    if first is None:
        raise AlreadyDecided(
            f"申报 {decl.number} 在您审核期间已有变动（现为“{Status(decl.status).label}”），您的决定未保存，请重新打开后再审核",
            f"declaration {decl.number} changed meanwhile; the decision was not saved", None)
    when = first.at.astimezone().strftime("%Y-%m-%d %H:%M")
    raise AlreadyDecided(
        f"申报 {decl.number} 已由{first.office_name}{first.reviewer_name}于 {when} 先行作出“{Decision(first.decision).label}”"
        f"的决定，您的决定未保存",
        f"declaration {decl.number} was decided first by {first.reviewer} at {first.at.isoformat()}; "
        "this decision was not saved",
        FirstDecision(first.reviewer, first.reviewer_name, first.office_name, Decision(first.decision), first.at))


class ApprovalPolicy(Protocol):
    """What the province's approval must respect beyond the chain itself: the batch's limits.

    Selection provides it (:class:`sanlian_desktop.selection.limits.BatchLimits`); the composition root
    (:mod:`sanlian_desktop.app`) installs it, so the review chain never imports the layer above it.
    """

    def default_grant_fen(self, session: Session, decl: Declaration) -> int:
        """What an approval without a typed amount grants."""
        ...

    def guard_approval(self, session: Session, actor: Actor, decl: Declaration, granted_fen: int | None,
                       override_reason: str | None, now: datetime) -> None:
        """Refuse (:class:`LimitExceeded`) or record an approval that passes a limit of its batch."""
        ...


_approval_policy: list[ApprovalPolicy] = []  # the one installed policy


def set_approval_policy(policy: ApprovalPolicy) -> None:
    """Install the province's approval policy (done once by :func:`sanlian_desktop.app.compose`)."""
    _approval_policy[:] = [policy]


def approval_policy() -> ApprovalPolicy:
    if not _approval_policy:  # never approve without the limits: a missing composition is a bug
        raise RuntimeError("no approval policy installed: call sanlian_desktop.app.compose() first")
    return _approval_policy[0]


@dataclass(frozen=True)
class Stage:
    """One review stage: the level it stands for and the office that acts at it."""

    level: Level
    office_code: str


@dataclass(frozen=True)
class Jurisdiction:
    """The offices above a community, as the declaration records them."""

    street: str
    county: str
    city: str


def jurisdiction_of(session: Session, community_code: str) -> Jurisdiction:
    """The street, county-level and city offices responsible for a community.

    Where a city has no county level (嘉峪关市, the special units) its bureau is the county office too.
    """
    community = regions.get_region(session, community_code)
    if community.level != Level.COMMUNITY or community.parent_code is None:
        raise UserError(f"{community.name}（{community_code}）不是社区", f"{community_code} is not a community")
    street = regions.get_region(session, community.parent_code)
    above = regions.get_region(session, street.parent_code or "")
    if above.level == Level.COUNTY:
        return Jurisdiction(street=street.code, county=above.code, city=above.parent_code or "")
    return Jurisdiction(street=street.code, county=above.code, city=above.code)


def review_stages(j: Jurisdiction) -> list[Stage]:
    """The chain street → county → city → province for a community's jurisdiction."""
    return [
        Stage(Level.STREET, j.street),
        Stage(Level.COUNTY, j.county),
        Stage(Level.CITY, j.city),
        Stage(Level.PROVINCE, regions.PROVINCE_CODE),
    ]


class Placed(Protocol):
    """Where a declaration sits: what its review chain depends on (a Declaration, or one being received)."""

    @property
    def street_code(self) -> str: ...
    @property
    def county_code(self) -> str: ...
    @property
    def city_code(self) -> str: ...
    @property
    def entered_by_office(self) -> str: ...


class Decided(Protocol):
    """What deriving a declaration's state reads of an opinion (an Opinion, or one being received)."""

    @property
    def version(self) -> int: ...
    @property
    def level(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def decision(self) -> str: ...
    @property
    def granted_fen(self) -> int | None: ...


def stages_for(decl: Placed) -> list[Stage]:
    """The review chain of a declaration."""
    return review_stages(Jurisdiction(decl.street_code, decl.county_code, decl.city_code))


def local_today(now: datetime) -> date:
    """The calendar date of ``now`` in the machine's local time zone."""
    return now.astimezone().date()


def _next_seq(session: Session, decl_id: str) -> int:
    current = session.scalar(select(func.max(Opinion.seq)).where(Opinion.declaration_id == decl_id))
    return (current or 0) + 1


def add_opinion(
    session: Session,
    decl: Declaration,
    *,
    level: Level,
    office_code: str,
    reviewer: str,
    reviewer_name: str,
    decision: Decision,
    text: str,
    decided_on: date,
    at: datetime,
    granted_fen: int | None = None,
    from_paper: bool = False,
    scan_sha256: str | None = None,
) -> Opinion:
    """Write one opinion on the declaration's current version."""
    opinion = Opinion(
        id=str(uuid.uuid4()), declaration_id=decl.id, seq=_next_seq(session, decl.id),
        version=decl.current_version, level=level.value, office_code=office_code,
        office_name=office_display_name(session, office_code), reviewer=reviewer, reviewer_name=reviewer_name,
        decision=decision.value, text=text, decided_on=decided_on, at=at, granted_fen=granted_fen,
        from_paper=from_paper, scan_sha256=scan_sha256,
    )
    session.add(opinion)
    session.flush()
    return opinion


def clean_opinion_text(text: str) -> str:
    """The opinion text, required and bounded."""
    text = (text or "").strip()
    if not text:
        raise UserError("请填写审核意见", "the opinion text is required")
    if len(text) > MAX_OPINION:
        raise UserError(f"审核意见不能超过{MAX_OPINION}字", f"opinion longer than {MAX_OPINION} characters")
    return text


def review(
    session: Session,
    actor: Actor,
    decl: Declaration,
    *,
    decision: Decision,
    text: str,
    granted: Decimal | str | None = None,
    now: datetime | None = None,
    override_reason: str | None = None,
) -> list[Opinion]:
    """Record this office's decision on a declaration awaiting it and move it along the chain.

    Where this office holds consecutive stages (a city without counties reviews as county and city),
    one decision covers them all. At the province an approval fixes the granted amount (the planned
    amount of a shortlisted declaration, else the requested one, unless a smaller one is given), within the batch's quotas and budget unless
    ``override_reason`` says why not (see :mod:`sanlian_desktop.selection.limits`).
    """
    now = now or utcnow()
    actor.require(Role.REVIEWER, action="审核申报")
    _refuse_if_decided_meanwhile(session, decl)
    if decl.status != Status.UNDER_REVIEW:
        raise UserError(
            f"申报 {decl.number} 当前状态为“{Status(decl.status).label}”，不在审核中",
            f"declaration {decl.number} is {decl.status}, not under review",
        )
    if decl.awaiting_office != actor.office_code:
        where = office_display_name(session, decl.awaiting_office or "")
        raise PermissionDenied(
            f"申报 {decl.number} 目前由{where}审核，本单位不能处理",
            f"declaration {decl.number} awaits office {decl.awaiting_office}, not this office",
        )
    text = clean_opinion_text(text)
    stages = stages_for(decl)
    start = next(i for i, s in enumerate(stages) if s.level.value == decl.awaiting_level)
    covered = [start]
    while covered[-1] + 1 < len(stages) and stages[covered[-1] + 1].office_code == actor.office_code:
        covered.append(covered[-1] + 1)
    final_level = stages[covered[-1]].level
    granted_fen: int | None = None
    if granted not in (None, ""):
        if final_level is not Level.PROVINCE or decision is not Decision.APPROVE:
            raise UserError("只有省民政厅批准时才能填写批准补助金额", "a granted amount goes with the province's approval")
        try:
            amount = parse_money(granted)
        except ValueError as exc:
            raise UserError(f"批准补助金额：{exc}", "invalid granted amount") from None
        granted_fen = to_fen(amount)
        if granted_fen <= 0:
            raise UserError("批准补助金额应大于0", "the granted amount must be positive")
        if granted_fen > decl.requested_fen:
            raise UserError(
                f"批准补助金额不能超过申请金额 {from_fen(decl.requested_fen)} 元",
                "the granted amount cannot exceed the requested amount",
            )
    elif final_level is Level.PROVINCE and decision is Decision.APPROVE:
        granted_fen = approval_policy().default_grant_fen(session, decl)  # shortlisted: its planned subsidy
    if final_level is Level.PROVINCE and decision is Decision.APPROVE and decl.batch_id:
        approval_policy().guard_approval(session, actor, decl, granted_fen, override_reason, now)
    today = local_today(now)
    written = [
        add_opinion(
            session, decl, level=stages[i].level, office_code=actor.office_code, reviewer=actor.username,
            reviewer_name=actor.display_name, decision=decision, text=text, decided_on=today, at=now,
            granted_fen=granted_fen if stages[i].level is Level.PROVINCE else None,
        )
        for i in covered
    ]
    if decision is Decision.APPROVE:
        if covered[-1] + 1 < len(stages):
            nxt = stages[covered[-1] + 1]
            decl.awaiting_level, decl.awaiting_office = nxt.level.value, nxt.office_code
            decl.awaiting_since = now
        else:
            decl.status = Status.APPROVED.value
            decl.awaiting_level = decl.awaiting_office = None
            decl.awaiting_since = None
            decl.granted_fen = granted_fen
            decl.decided_at = now
    elif decision is Decision.REJECT:
        decl.status = Status.REJECTED.value
        decl.awaiting_level = decl.awaiting_office = None
        decl.awaiting_since = None
        decl.decided_at = now
    else:
        decl.status = Status.RETURNED.value
        decl.awaiting_level = Level.COMMUNITY.value
        decl.awaiting_office = decl.entered_by_office
        decl.awaiting_since = now
    decl.updated_at = now
    audit.record(
        session, office=actor.office_code, user=actor.username, action=f"decl.{decision.value}",
        entity="declaration", entity_id=decl.id,
        details={"number": decl.number, "version": decl.current_version,
                 "levels": [stages[i].level.value for i in covered], "status": decl.status,
                 "granted_fen": granted_fen},
        at=now,
    )
    return written


@dataclass(frozen=True)
class DerivedState:
    """Where a declaration stands, as its submitted versions and opinions say."""

    status: Status
    awaiting_level: str | None
    awaiting_office: str | None
    awaiting_since: datetime | None
    granted_fen: int | None
    decided_at: datetime | None
    submitted_at: datetime | None


def derive_state(decl: Placed, submitted: list[tuple[int, datetime]], opinions: Sequence[Decided]) -> DerivedState:
    """Replay the chain: the latest submitted version, walked stage by stage through its opinions.

    ``submitted`` lists (version, submitted_at) of the frozen versions. This is how an office that
    receives versions and opinions from its neighbours learns where a declaration stands; it agrees
    with the state that :func:`review` and submission set step by step.
    """
    if not submitted:
        return DerivedState(Status.DRAFT, None, None, None, None, None, None)
    version, since = max(submitted)
    first_submitted = min(at for _, at in submitted)
    stages = stages_for(decl)
    on_version: dict[str, Decided] = {}
    for o in sorted(opinions, key=lambda o: (o.at, o.seq)):
        if o.version == version:
            on_version.setdefault(o.level, o)
    for stage in stages:
        opinion = on_version.get(stage.level.value)
        if opinion is None:
            return DerivedState(Status.UNDER_REVIEW, stage.level.value, stage.office_code, since, None, None,
                                first_submitted)
        since = max(since, opinion.at)
        if opinion.decision == Decision.RETURN:
            return DerivedState(Status.RETURNED, Level.COMMUNITY.value, decl.entered_by_office, opinion.at, None,
                                None, first_submitted)
        if opinion.decision == Decision.REJECT:
            return DerivedState(Status.REJECTED, None, None, None, None, opinion.at, first_submitted)
    province = on_version[Level.PROVINCE.value]
    return DerivedState(Status.APPROVED, None, None, None, province.granted_fen, province.at, first_submitted)


def apply_derived_state(session: Session, decl: Declaration) -> None:
    """Set a declaration's state columns from its versions and opinions (after receiving records)."""
    from sanlian_desktop.models import DeclarationVersion

    submitted = [
        (v, at) for v, at in session.execute(
            select(DeclarationVersion.version, DeclarationVersion.submitted_at).where(
                DeclarationVersion.declaration_id == decl.id, DeclarationVersion.frozen.is_(True))
        ) if at is not None
    ]
    opinions = list(session.scalars(select(Opinion).where(Opinion.declaration_id == decl.id)))
    state = derive_state(decl, submitted, opinions)
    latest = session.scalar(
        select(func.max(DeclarationVersion.version)).where(DeclarationVersion.declaration_id == decl.id))
    decl.status = state.status.value
    decl.awaiting_level, decl.awaiting_office = state.awaiting_level, state.awaiting_office
    decl.awaiting_since = state.awaiting_since
    decl.granted_fen = state.granted_fen
    decl.decided_at = state.decided_at
    decl.submitted_at = state.submitted_at
    decl.current_version = latest or decl.current_version


@dataclass(frozen=True)
class BatchOutcome:
    """How one declaration of a batch review went: done, or refused with the service's message."""

    decl_id: str
    number: str
    ok: bool
    message: str
    # Approved past a limit of its batch: the reason recorded with it (the report marks it).
    over_limit: str | None = None


def review_each(store: Any, actor: Actor, decl_ids: list[str], *, decision: Decision, text: str,
                override_reason: str | None = None, now: datetime | None = None) -> list[BatchOutcome]:
    """Apply one decision and opinion to several declarations, one transaction each.

    A refusal (not awaiting this office, wrong status, bad text) leaves that declaration untouched and
    is reported with its Chinese message; the others go ahead. ``override_reason`` goes with each
    approval at the province: those that pass a limit of their batch are audit-logged with it.
    """
    out: list[BatchOutcome] = []
    for decl_id in decl_ids:
        number = decl_id
        try:
            with store.session() as session:
                decl = session.get(Declaration, decl_id)
                if decl is None:
                    raise UserError("没有找到这份申报", f"no declaration {decl_id}")
                number = decl.number
                overrides = _overrides(session, decl_id)
                review(session, actor, decl, decision=decision, text=text, override_reason=override_reason,
                       now=now)
                passed = _overrides(session, decl_id)[len(overrides):]
                over_limit = str(passed[-1].get("reason", "")) if passed else None
        except LimitExceeded as exc:  # the window's wording, not the command line's
            out.append(BatchOutcome(decl_id, number, False, f"{exc.what}，未填写超出限额的理由"))
        except UserError as exc:
            out.append(BatchOutcome(decl_id, number, False, exc.zh))
        else:
            out.append(BatchOutcome(decl_id, number, True, decision.label, over_limit))
    return out


def _overrides(session: Session, decl_id: str) -> list[dict[str, Any]]:
    """The details of the declaration's approvals past a limit (audited as ``selection.override``), oldest first."""
    session.flush()
    return [dict(d or {}) for d in session.scalars(select(AuditEntry.details).where(
        AuditEntry.action == "selection.override", AuditEntry.entity_id == decl_id).order_by(AuditEntry.seq))]
