"""Implementation of approved projects (实施程序): tender, undertaking, social workers, disbursements and
progress reports.

The notice's order is 社区招标 → 社区社会组织(专业社工机构)承接 → 社工主导实施, with progress reported up
to the province. The community (or the office that entered its declaration on its behalf, 代录) records
the tender, the undertaking, the workers and the progress reports; the paying office
(:data:`PAYING_LEVEL`) records the disbursements. Every record is immutable: a correction is a new record
that names the one it supersedes and says why. Every write is audit-logged.

The warnings where reality drifts from the declaration are in :mod:`sanlian_desktop.implementation.warnings`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import listing, lookup
from sanlian_desktop.declarations.workflow import local_today, office_display_name
from sanlian_desktop.kernel import idprefix
from sanlian_desktop.kernel.checks import credit_code_problem, entered_text
from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.kernel.money import MoneyError, from_fen, parse_money, to_fen
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import CERTIFICATE_LEVELS, Level, Role, Status
from sanlian_desktop.models import (
    Declaration,
    ProjectDisbursement,
    ProjectProgress,
    ProjectTender,
    ProjectUndertaking,
    ProjectWorker,
    utcnow,
)
from sanlian_desktop.models.implementation import ProjectRecordMixin, table_name
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import audit
from sanlian_desktop.store.attachments import MAX_ATTACHMENT, store_file

PAYING_LEVEL = Level.COUNTY
"""The level whose office pays the subsidy out (拨付) and records it.

The province decides the subsidy, but its money reaches a project through the pilot county's finance
(“省厅主要资助试点市和县市区的试点项目”): the county-level civil-affairs bureau pays the undertaking
organisation in tranches. Where a city has no county level (嘉峪关市, the special units) the city bureau
is the county office too (``Declaration.county_code`` names it), so it pays there. The records travel down
to the community and up to the province."""

MAX_BIDDERS = 20
MAX_NAME = 100
MAX_TEXT = 3000
MAX_REPORT_FILES = 20

M = TypeVar("M", bound=ProjectRecordMixin)

KIND_LABELS: dict[type, str] = {
    ProjectTender: "招标记录",
    ProjectUndertaking: "承接协议",
    ProjectWorker: "项目社工",
    ProjectDisbursement: "拨付记录",
    ProjectProgress: "进展报告",
}


# -- looking up -------------------------------------------------------------------------------------


def approved_project(session: Session, actor: Actor, key: str) -> Declaration:
    """An approved declaration in the actor's jurisdiction (a project under implementation)."""
    decl = lookup.visible(session, actor, key)
    if decl.status != Status.APPROVED or decl.granted_fen is None:
        raise UserError(
            f"申报 {decl.number} 当前为“{Status(decl.status).label}”，尚未批准立项，不能登记实施情况",
            f"declaration {decl.number} is {decl.status}, not an approved project",
        )
    return decl


def approved_in_jurisdiction(session: Session, actor: Actor) -> list[Declaration]:
    """Approved projects in the actor's office's jurisdiction, by number."""
    query = select(Declaration).where(listing.jurisdiction_filter(actor),
                                      Declaration.status == Status.APPROVED.value).order_by(Declaration.number)
    return list(session.scalars(query))


def history(session: Session, model: type[M], decl_id: str) -> list[M]:
    """Every record of one kind on the project, superseded ones included, oldest first."""
    query = select(model).where(model.declaration_id == decl_id).order_by(model.entered_at, model.id)
    return list(session.scalars(query))


def current(session: Session, model: type[M], decl_id: str) -> list[M]:
    """The records of one kind that no other record supersedes, oldest first."""
    rows = history(session, model, decl_id)
    replaced = {r.supersedes for r in rows if r.supersedes}
    return [r for r in rows if r.id not in replaced]


def current_one(session: Session, model: type[M], decl_id: str) -> M | None:
    """The current record of a kind the project has one of (tender, undertaking); the latest if several."""
    rows = current(session, model, decl_id)
    return rows[-1] if rows else None


def active_workers(session: Session, decl_id: str) -> list[ProjectWorker]:
    """The social workers currently on the project."""
    return [w for w in current(session, ProjectWorker, decl_id) if w.active]


def project_period(session: Session, decl: Declaration) -> tuple[date, date]:
    """The implementation period: the undertaking agreement's dates, else the declaration's planned period."""
    undertaking = current_one(session, ProjectUndertaking, decl.id)
    if undertaking is not None:
        return undertaking.starts_on, undertaking.ends_on
    fields = lookup.current_fields(session, decl)
    return date.fromisoformat(fields["period_start"]), date.fromisoformat(fields["period_end"])


# -- who may enter what -----------------------------------------------------------------------------


def delivery_offices(decl: Declaration) -> set[str]:
    """Offices that record tender, undertaking, workers and progress: the community, or whoever entered
    its declaration on its behalf (代录)."""
    return {decl.community_code, decl.entered_by_office}


def paying_office(decl: Declaration) -> str:
    """The office that pays the subsidy out and records disbursements (see :data:`PAYING_LEVEL`)."""
    return decl.county_code


def originators(model: type[ProjectRecordMixin], decl: Declaration) -> set[str]:
    """The offices that may originate records of ``model`` for the project."""
    return {paying_office(decl)} if model is ProjectDisbursement else delivery_offices(decl)


def can_enter(actor: Actor, model: type[ProjectRecordMixin], decl: Declaration) -> bool:
    """Whether the actor's office may write records of ``model`` for this project (role aside)."""
    return actor.office_code in originators(model, decl)


def _require(session: Session, actor: Actor, model: type[ProjectRecordMixin], decl: Declaration) -> None:
    actor.require(Role.CLERK, Role.ADMIN, action="登记项目实施情况")
    if decl.status != Status.APPROVED or decl.granted_fen is None:
        raise UserError(f"申报 {decl.number} 尚未批准立项，不能登记实施情况",
                        f"declaration {decl.number} is not an approved project")
    if not can_enter(actor, model, decl):
        who = "、".join(sorted(office_display_name(session, c) for c in originators(model, decl)))
        raise PermissionDenied(f"{KIND_LABELS[model]}由{who}登记，本单位不能登记",
                               f"{table_name(model)} records are entered by {sorted(originators(model, decl))}")


# -- checking input ---------------------------------------------------------------------------------


def _day(value: date | str | None, label: str) -> date:
    if isinstance(value, date):
        return value
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise UserError(f"{label}：请填写日期", f"{label}: date required")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{label}：“{text}”不是有效日期（格式如 2016-10-01）", f"{label}: bad date {text!r}") from None


def _fen(value: Decimal | str | int | None, label: str, *, positive: bool) -> int:
    try:
        amount = parse_money(value)
    except MoneyError as exc:
        raise UserError(f"{label}：{exc}", f"{label}: invalid amount") from None
    fen = to_fen(amount)
    if positive and fen <= 0:
        raise UserError(f"{label}：应大于0", f"{label}: must be positive")
    if fen < 0:
        raise UserError(f"{label}：不能为负数", f"{label}: must not be negative")
    return fen


def _count(value: Any, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise UserError(f"{label}：应为整数", f"{label}: not a whole number")
    text = str(value).strip()
    if not text.isdigit():
        raise UserError(f"{label}：应为不小于0的整数", f"{label}: not a non-negative whole number")
    number = int(text)
    if number > 10_000_000:
        raise UserError(f"{label}：数值过大", f"{label}: too large")
    return number


def _not_future(day: date, label: str, today: date) -> None:
    if day > today:
        raise UserError(f"{label}（{day.isoformat()}）不能晚于今天（{today.isoformat()}）", f"{label} is in the future")


def _not_before_approval(decl: Declaration, day: date, label: str) -> None:
    if decl.decided_at is not None and day < local_today(decl.decided_at):
        approved = local_today(decl.decided_at)
        raise UserError(f"{label}（{day.isoformat()}）不能早于项目批准日期（{approved.isoformat()}）",
                        f"{label} before the approval date")


def _superseded(session: Session, model: type[M], decl: Declaration, key: str | None, reason: str | None) -> M | None:
    """The current record a correction replaces (by id or an unambiguous id prefix), or None."""
    key = (key or "").strip()
    reason = (reason or "").strip()
    if not key:
        if reason:
            raise UserError("更正原因：只有更正已有记录时才填写（请同时指定要更正的记录）",
                            "a reason goes with --supersedes")
        return None
    label = KIND_LABELS[model]
    matches = [r for r in current(session, model, decl.id) if r.id.startswith(key)] if len(key) >= 4 else []
    if not matches and len(key) >= 4 and any(r.id.startswith(key) for r in history(session, model, decl.id)):
        raise UserError(f"{label} {key} 已被更正过，请更正其最新的记录", f"{key} was already superseded")
    old = idprefix.one(matches, key, label, f"current {table_name(model)}", within="本项目")
    if not reason:
        raise UserError("更正原因：更正已有记录时必须说明原因", "a correction needs a reason")
    if len(reason) > MAX_NAME * 5:
        raise UserError("更正原因：不能超过500字", "reason longer than 500 characters")
    return old


def _write(session: Session, actor: Actor, row: M, decl: Declaration, old: M | None, reason: str | None,
           now: datetime, details: dict[str, Any]) -> M:
    row.id = str(uuid.uuid4())
    row.declaration_id = decl.id
    row.office_code = actor.office_code
    row.entered_by = actor.username
    row.entered_at = now
    row.supersedes = old.id if old is not None else None
    row.reason = (reason or "").strip() if old is not None else ""
    session.add(row)
    session.flush()
    name = table_name(type(row))
    audit.record(session, office=actor.office_code, user=actor.username,
                 action=f"{name.replace('_', '.', 1)}.{'correct' if old is not None else 'add'}", entity=name,
                 entity_id=row.id, details={"declaration": decl.number, "supersedes": row.supersedes,
                                            "reason": row.reason, **details}, at=now)
    return row


def _times(now: datetime | None, today: date | None) -> tuple[datetime, date]:
    now = now or utcnow()
    return now, today or local_today(now)


# -- tender -----------------------------------------------------------------------------------------


def record_tender(session: Session, actor: Actor, decl: Declaration, *, tendered_on: date | str,
                  bidders: Sequence[str], winner: str, supersedes: str | None = None, reason: str | None = None,
                  now: datetime | None = None, today: date | None = None) -> ProjectTender:
    """Record the community's tender: its date, the bidders and the winner (one of the bidders)."""
    now, today = _times(now, today)
    _require(session, actor, ProjectTender, decl)
    old = _superseded(session, ProjectTender, decl, supersedes, reason)
    if old is None and current_one(session, ProjectTender, decl.id) is not None:
        raise UserError("本项目已有招标记录；如需更正，请指定要更正的记录并说明原因",
                        "the project has a tender already; correct it with --supersedes")
    day = _day(tendered_on, "招标日期")
    _not_future(day, "招标日期", today)
    _not_before_approval(decl, day, "招标日期")
    names: list[str] = []
    for i, raw in enumerate(bidders):
        name = entered_text(raw, f"第{i + 1}个投标单位", limit=MAX_NAME)
        if name in names:
            raise UserError(f"投标单位“{name}”重复列出", f"bidder {name!r} listed twice")
        names.append(name)
    if not names:
        raise UserError("投标单位：请至少填写一个", "at least one bidder is required")
    if len(names) > MAX_BIDDERS:
        raise UserError(f"投标单位：最多{MAX_BIDDERS}个", f"at most {MAX_BIDDERS} bidders")
    won = entered_text(winner, "中标单位", limit=MAX_NAME)
    if won not in names:
        raise UserError(f"中标单位“{won}”不在投标单位之中", f"the winner {won!r} is not among the bidders")
    row = ProjectTender(tendered_on=day, bidders=names, winner=won)
    return _write(session, actor, row, decl, old, reason, now,
                  {"tendered_on": day.isoformat(), "bidders": names, "winner": won})


# -- undertaking ------------------------------------------------------------------------------------


def record_undertaking(session: Session, actor: Actor, decl: Declaration, *, org_name: str, credit_code: str,
                       amount: Decimal | str, starts_on: date | str, ends_on: date | str,
                       over_grant_reason: str | None = None, supersedes: str | None = None,
                       reason: str | None = None, now: datetime | None = None,
                       today: date | None = None) -> ProjectUndertaking:
    """Record the undertaking agreement with the tender's winner: organisation, amount and dates.

    The amount may exceed the granted subsidy only with a written reason (other funds pay the rest).
    """
    now, today = _times(now, today)
    _require(session, actor, ProjectUndertaking, decl)
    old = _superseded(session, ProjectUndertaking, decl, supersedes, reason)
    if old is None and current_one(session, ProjectUndertaking, decl.id) is not None:
        raise UserError("本项目已有承接协议；如需更正，请指定要更正的记录并说明原因",
                        "the project has an undertaking already; correct it with --supersedes")
    tender = current_one(session, ProjectTender, decl.id)
    if tender is None:
        raise UserError("请先登记社区招标，再登记承接协议", "record the tender before the undertaking")
    name = entered_text(org_name, "承接组织名称", limit=MAX_NAME)
    if name != tender.winner:
        raise UserError(f"承接组织应为招标的中标单位“{tender.winner}”", "the undertaker must be the tender's winner")
    code = entered_text(credit_code, "统一社会信用代码", limit=18 + 10).upper()
    problem = credit_code_problem(code)
    if problem:
        raise UserError(f"统一社会信用代码：{problem}", f"credit code invalid ({code})")
    fen = _fen(amount, "承接金额", positive=True)
    why = (over_grant_reason or "").strip()
    granted = decl.granted_fen or 0
    if fen > granted and not why:
        raise UserError(f"承接金额 {from_fen(fen)} 元超过批准补助 {from_fen(granted)} 元；如确需超出，请说明理由",
                        "the amount exceeds the granted subsidy; give a reason to override")
    if fen <= granted and why:
        raise UserError("超出理由：承接金额未超过批准补助，无需填写", "an override reason is only for an amount above the grant")
    entered_text(why, "超出理由", limit=MAX_NAME * 5, required=False)
    start, end = _day(starts_on, "承接开始日期"), _day(ends_on, "承接结束日期")
    if end < start:
        raise UserError(f"承接结束日期（{end.isoformat()}）不能早于开始日期（{start.isoformat()}）", "end before start")
    if start < tender.tendered_on:
        raise UserError(f"承接开始日期（{start.isoformat()}）不能早于招标日期（{tender.tendered_on.isoformat()}）",
                        "the undertaking starts before the tender")
    row = ProjectUndertaking(org_name=name, credit_code=code, amount_fen=fen, over_grant_reason=why,
                             starts_on=start, ends_on=end)
    return _write(session, actor, row, decl, old, reason, now,
                  {"org_name": name, "credit_code": code, "amount_fen": fen, "over_grant_reason": why,
                   "starts_on": start.isoformat(), "ends_on": end.isoformat()})


# -- social workers ---------------------------------------------------------------------------------


def add_worker(session: Session, actor: Actor, decl: Declaration, *, name: str, certificate_level: str,
               supersedes: str | None = None, reason: str | None = None,
               now: datetime | None = None) -> ProjectWorker:
    """Put a social worker on the project (or correct one: ``supersedes`` with a reason)."""
    now, _ = _times(now, None)
    _require(session, actor, ProjectWorker, decl)
    old = _superseded(session, ProjectWorker, decl, supersedes, reason)
    who = entered_text(name, "社工姓名", limit=64)
    level = (certificate_level or "").strip()
    if level not in CERTIFICATE_LEVELS:
        raise UserError(f"证书等级：应为{'、'.join(CERTIFICATE_LEVELS)}之一", f"certificate level: one of {CERTIFICATE_LEVELS}")
    if any(w.name == who for w in active_workers(session, decl.id) if old is None or w.id != old.id):
        raise UserError(f"社工“{who}”已在本项目中", f"{who} is on the project already")
    row = ProjectWorker(name=who, certificate_level=level, active=True)
    return _write(session, actor, row, decl, old, reason, now, {"name": who, "certificate_level": level})


def remove_worker(session: Session, actor: Actor, decl: Declaration, worker: str, *, reason: str,
                  now: datetime | None = None) -> ProjectWorker:
    """Take a social worker off the project: a superseding record marking them inactive."""
    now, _ = _times(now, None)
    _require(session, actor, ProjectWorker, decl)
    old = _superseded(session, ProjectWorker, decl, worker, reason)
    if old is None:
        raise UserError("请指定要撤下的社工记录", "name the worker record to remove")
    if not old.active:
        raise UserError(f"社工“{old.name}”已不在本项目中", f"{old.name} is not on the project")
    row = ProjectWorker(name=old.name, certificate_level=old.certificate_level, active=False)
    return _write(session, actor, row, decl, old, reason, now, {"name": old.name, "active": False})


# -- disbursements ----------------------------------------------------------------------------------


def disbursed_fen(session: Session, decl_id: str) -> int:
    """The subsidy paid out so far (current disbursement records)."""
    return sum(d.amount_fen for d in current(session, ProjectDisbursement, decl_id))


def record_disbursement(session: Session, actor: Actor, decl: Declaration, *, paid_on: date | str,
                        amount: Decimal | str, tranche: int | str, supersedes: str | None = None,
                        reason: str | None = None, now: datetime | None = None,
                        today: date | None = None) -> ProjectDisbursement:
    """Record one tranche paid out by the paying office; the total never exceeds the granted subsidy."""
    now, today = _times(now, today)
    _require(session, actor, ProjectDisbursement, decl)
    old = _superseded(session, ProjectDisbursement, decl, supersedes, reason)
    day = _day(paid_on, "拨付日期")
    _not_future(day, "拨付日期", today)
    _not_before_approval(decl, day, "拨付日期")
    fen = _fen(amount, "拨付金额", positive=True)
    number = _count(tranche, "拨付批次")
    if number < 1:
        raise UserError("拨付批次：应从1开始编号", "tranche numbers start at 1")
    others = [d for d in current(session, ProjectDisbursement, decl.id) if old is None or d.id != old.id]
    if any(d.tranche == number for d in others):
        raise UserError(f"第{number}批拨付已登记；如需更正，请指定要更正的记录", f"tranche {number} exists already")
    total = sum(d.amount_fen for d in others) + fen
    granted = decl.granted_fen or 0
    if total > granted:
        raise UserError(f"拨付合计 {from_fen(total)} 元将超过批准补助 {from_fen(granted)} 元",
                        "disbursements would exceed the granted subsidy")
    row = ProjectDisbursement(paid_on=day, amount_fen=fen, tranche=number)
    return _write(session, actor, row, decl, old, reason, now,
                  {"paid_on": day.isoformat(), "amount_fen": fen, "tranche": number})


# -- progress reports -------------------------------------------------------------------------------


def record_progress(session: Session, actor: Actor, decl: Declaration, paths: AppPaths, *,
                    period_start: date | str, period_end: date | str, activities: str,
                    beneficiaries: int | str, spent: Decimal | str, problems: str = "", final: bool = False,
                    files: Sequence[Path] = (), keep_attachments: Sequence[str] = (),
                    supersedes: str | None = None, reason: str | None = None,
                    now: datetime | None = None, today: date | None = None) -> ProjectProgress:
    """Record a progress report for a period that has ended: activities, people served (in the period),
    subsidy money spent (in the period), problems, and files (minutes, photos, receipts).

    A correction carries over the superseded report's files named in ``keep_attachments`` (by SHA-256),
    before the new ``files``."""
    now, today = _times(now, today)
    _require(session, actor, ProjectProgress, decl)
    old = _superseded(session, ProjectProgress, decl, supersedes, reason)
    start, end = _day(period_start, "报告期开始"), _day(period_end, "报告期结束")
    if end < start:
        raise UserError(f"报告期结束（{end.isoformat()}）不能早于开始（{start.isoformat()}）", "period ends before it starts")
    _not_future(end, "报告期结束", today)
    _not_before_approval(decl, start, "报告期开始")
    others = [p for p in current(session, ProjectProgress, decl.id) if old is None or p.id != old.id]
    for p in others:
        if start <= p.period_end and p.period_start <= end:
            raise UserError(f"报告期与已报送的 {p.period_start.isoformat()} 至 {p.period_end.isoformat()} 的报告重叠",
                            "the period overlaps an earlier report")
    if final and any(p.final for p in others):
        raise UserError("本项目已有结项报告；如需更正，请指定要更正的记录", "the project has a final report already")
    if any(p.final and p.period_end < start for p in others):
        raise UserError("结项报告之后不能再报送进展报告", "no report after the final one")
    text = entered_text(activities, "开展的活动", limit=MAX_TEXT)
    trouble = entered_text(problems, "存在的问题", limit=MAX_TEXT, required=False)
    people = _count(beneficiaries, "服务受益人数")
    fen = _fen(spent, "本期补助资金支出", positive=False)
    kept = _kept_attachments(old, keep_attachments)
    if len(kept) + len(files) > MAX_REPORT_FILES:
        raise UserError(f"附件：每份报告最多{MAX_REPORT_FILES}个", f"at most {MAX_REPORT_FILES} files")
    for f in files:
        path = Path(f)
        if not path.is_file():
            raise UserError(f"找不到附件文件 {path}", f"attachment file not found: {path}")
        if path.stat().st_size > MAX_ATTACHMENT:
            raise UserError(f"附件 {path.name} 过大（单个不超过200MB）", "attachment larger than 200 MB")
    stored = kept + [{"sha256": store_file(session, paths, Path(f)).sha256, "name": Path(f).name[:255]}
                     for f in files]
    row = ProjectProgress(period_start=start, period_end=end, activities=text, beneficiaries=people, spent_fen=fen,
                          problems=trouble, final=bool(final), attachments=stored)
    return _write(session, actor, row, decl, old, reason, now,
                  {"period": [start.isoformat(), end.isoformat()], "beneficiaries": people, "spent_fen": fen,
                   "final": bool(final), "attachments": [a["sha256"] for a in stored]})


def _kept_attachments(old: ProjectProgress | None, keep: Sequence[str]) -> list[dict[str, Any]]:
    """The superseded report's attachments a correction keeps, in the old report's order."""
    wanted = set(keep)
    if not wanted:
        return []
    if old is None:
        raise UserError("保留附件：只有更正已有报告时才能保留原报告的附件", "keep_attachments goes with a correction")
    have = {a["sha256"] for a in old.attachments or []}
    if wanted - have:
        raise UserError("保留附件：要保留的附件不在被更正的报告中", "a kept attachment is not on the superseded report")
    return [dict(a) for a in old.attachments or [] if a["sha256"] in wanted]
