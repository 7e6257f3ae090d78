"""Selection at the province: the declarations awaiting it in a batch, the shortlist, the meters against
the batch's quotas and budget, approval within them, and the public notice (公示) of what was chosen.

"Chosen" means approved at the province, or shortlisted while still awaiting it. Shortlisting or
approving past the project quota, the community quota or the budget is refused unless a person
overrides with a reason, which the audit log keeps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import workflow
from sanlian_desktop.declarations.listing import region_names
from sanlian_desktop.declarations.workflow import LimitExceeded
from sanlian_desktop.kernel.errors import NotFound, UserError
from sanlian_desktop.kernel.money import from_fen, parse_money, to_fen
from sanlian_desktop.kernel.vocab import Decision, Level, Status
from sanlian_desktop.models import Batch, Declaration, PublicNotice, Shortlisting, utcnow
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.selection import scoring
from sanlian_desktop.selection.scoring import ScoreSummary, require_province
from sanlian_desktop.store import audit

# A meter turns amber from this share of its limit on, red at the limit.
NEAR = Decimal("0.9")
MAX_REASON = 500
SORTS = ("score", "amount", "region", "area")


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
        Shortlisting.batch_id == batch.id, *_awaiting_province()))
    out += [Chosen(d, c, p, False) for d, c, p in listed]
    return out


def _awaiting_province() -> list[Any]:
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


def _check_limits(session: Session, actor: Actor, batch: Batch, decl: Declaration, amount_fen: int,
                  override_reason: str | None, action: str, now: datetime) -> str | None:
    """Refuse (LimitExceeded) when choosing would pass a limit, unless overridden with a reason."""
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
    _check_limits(session, actor, batch, decl, granted_fen or 0, override_reason, "批准", now)


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
    reason = _check_limits(session, actor, batch, decl, fen, override_reason, "入围", now)
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
        or_(and_(*_awaiting_province()), Declaration.status == Status.APPROVED.value))))
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


# -- public notice (公示) ------------------------------------------------------------------------------

MAX_NOTICE_DAYS = 366


def notice_entries(session: Session, batch: Batch) -> list[dict[str, Any]]:
    """The chosen projects as a notice lists them, by region."""
    picked = [r for r in rows(session, batch, sort="region") if r.state != "pending"]
    names = region_names(session, {r.street_code for r in picked})
    return [{
        "declaration_id": r.id, "number": r.number, "title": r.title, "community_code": r.community_code,
        "community": r.community, "street_code": r.street_code, "street": names.get(r.street_code, r.street_code),
        "county_code": r.county_code, "county": r.county, "city_code": r.city_code, "city": r.city,
        "focus_areas": r.focus_areas, "amount_fen": r.amount_fen, "state": r.state,
    } for r in picked]


def issue_notice(session: Session, actor: Actor, batch: Batch, *, starts: date, ends: date,
                 title: str | None = None, now: datetime | None = None) -> PublicNotice:
    """Issue a 公示 of the batch's chosen projects for the period ``starts``…``ends``.

    The notice is frozen as issued; issuing again makes a new notice that supersedes the last one.
    """
    now = now or utcnow()
    require_province(actor, "发布公示")
    if ends < starts:
        raise UserError("公示截止日期应不早于开始日期", "the notice ends before it starts")
    if (ends - starts).days >= MAX_NOTICE_DAYS:
        raise UserError("公示期不能超过一年", "the notice period is longer than a year")
    entries = notice_entries(session, batch)
    if not entries:
        raise UserError(f"“{batch.name}”还没有入围或批准的项目，无法发布公示", "nothing is chosen yet")
    title = " ".join((title or f"{batch.name}入选项目公示").split())[:200]
    last = current_notice(session, batch)
    seq = (session.scalar(select(func.max(PublicNotice.seq)).where(PublicNotice.batch_id == batch.id)) or 0) + 1
    notice = PublicNotice(id=str(uuid.uuid4()), batch_id=batch.id, seq=seq, title=title, starts=starts, ends=ends,
                          issued_at=now, issued_by=actor.username, office_code=actor.office_code,
                          supersedes=last.id if last else None, entries=entries)
    session.add(notice)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="selection.notice",
                 entity="public_notice", entity_id=notice.id,
                 details={"batch": batch.code, "seq": seq, "starts": starts.isoformat(), "ends": ends.isoformat(),
                          "projects": len(entries), "supersedes": notice.supersedes}, at=now)
    return notice


def notices(session: Session, batch: Batch) -> list[PublicNotice]:
    """The batch's notices, newest first."""
    return list(session.scalars(select(PublicNotice).where(PublicNotice.batch_id == batch.id)
                                .order_by(PublicNotice.seq.desc())))


def current_notice(session: Session, batch: Batch) -> PublicNotice | None:
    """The batch's notice in force: the one no other supersedes."""
    superseded = set(session.scalars(select(PublicNotice.supersedes).where(
        PublicNotice.batch_id == batch.id, PublicNotice.supersedes.is_not(None))))
    for n in notices(session, batch):
        if n.id not in superseded:
            return n
    return None


def get_notice(session: Session, batch: Batch, seq: int | None = None) -> PublicNotice:
    """The notice ``seq`` of the batch, or the one in force."""
    if seq is None:
        found = current_notice(session, batch)
    else:
        found = session.scalar(select(PublicNotice).where(PublicNotice.batch_id == batch.id,
                                                          PublicNotice.seq == seq))
    if found is None:
        which = f"第 {seq} 号" if seq is not None else ""
        raise NotFound(f"“{batch.name}”没有{which}公示", f"no notice {seq or ''} for batch {batch.code}")
    return found


def notice_dict(n: PublicNotice) -> dict[str, Any]:
    """A notice as the command line's --json shows it."""
    return {"id": n.id, "seq": n.seq, "title": n.title, "starts": n.starts.isoformat(), "ends": n.ends.isoformat(),
            "issued_at": n.issued_at.isoformat(), "issued_by": n.issued_by, "supersedes": n.supersedes,
            "projects": len(n.entries),
            "total": str(from_fen(sum(int(e.get("amount_fen") or 0) for e in n.entries))),
            "entries": [{**e, "amount": str(from_fen(int(e.get("amount_fen") or 0)))} for e in n.entries]}


def in_force_label(n: PublicNotice, today: date) -> str:
    """公示中 / 公示期已满 / 尚未开始."""
    if today < n.starts:
        return "尚未开始"
    return "公示中" if today <= n.ends else "公示期已满"


def printable_notice(session: Session, n: PublicNotice) -> Any:
    """The notice as the PDF and Excel writers take it."""
    from sanlian_desktop.documents.printing.notice import PrintableNotice

    earlier = session.get(PublicNotice, n.supersedes) if n.supersedes else None
    return PrintableNotice(title=n.title, seq=n.seq, starts=n.starts, ends=n.ends,
                           issued_on=workflow.local_today(n.issued_at),
                           issuer=workflow.office_display_name(session, n.office_code), entries=list(n.entries),
                           supersedes_seq=earlier.seq if earlier else None)


def export_notice(session: Session, n: PublicNotice, *, pdf: Any = None, xlsx: Any = None) -> str | None:
    """Write the notice to a PDF and/or an Excel file; returns the font warning, if any."""
    from sanlian_desktop.documents.printing.notice import render_notice
    from sanlian_desktop.documents.spreadsheets.notice import write_notice_xlsx

    printable = printable_notice(session, n)
    warning = None
    if pdf is not None:
        warning = render_notice(pdf, printable).warning
    if xlsx is not None:
        write_notice_xlsx(xlsx, printable)
    return warning


class BatchLimits:
    """The province's approval policy for the review chain (:class:`workflow.ApprovalPolicy`): a
    shortlisted declaration is granted its planned subsidy, and no approval passes a batch's quotas or
    budget without a recorded reason."""

    def default_grant_fen(self, session: Session, decl: Declaration) -> int:
        return default_grant_fen(session, decl)

    def guard_approval(self, session: Session, actor: Actor, decl: Declaration, granted_fen: int | None,
                       override_reason: str | None, now: datetime) -> None:
        guard_approval(session, actor, decl, granted_fen, override_reason, now)
