"""Warnings where a project's implementation drifts from its declaration, and the whole project record.

Four drifts are watched: subsidy spending above the grant or above what has been paid out, an
implementation period that has ended without a final report, a progress report overdue, and far fewer
people served than the declaration expected by this point. Every check takes ``today`` so that tests
and reports can ask "as of" a given day.

The warnings are judged on a project's :class:`ProjectFacts`. :func:`project_warnings` gathers one
project's facts with the per-project look-ups (for the command line and the project's own record);
:func:`many_project_warnings` gathers thousands in a few queries per :data:`FACTS_CHUNK` projects (the
project list of a city or the province), and gives the same warnings.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import lookup
from sanlian_desktop.declarations.workflow import local_today
from sanlian_desktop.implementation.service import (
    active_workers,
    approved_in_jurisdiction,
    current,
    current_one,
    disbursed_fen,
    history,
    project_period,
)
from sanlian_desktop.kernel.money import from_fen
from sanlian_desktop.models import (
    Declaration,
    DeclarationVersion,
    ProjectDisbursement,
    ProjectProgress,
    ProjectTender,
    ProjectUndertaking,
    ProjectWorker,
    utcnow,
)
from sanlian_desktop.offices.auth import Actor

REPORT_INTERVAL_MONTHS = 3
"""Progress is reported quarterly: each report should follow the end of the period the previous one
covered (or the start of implementation) within three months."""

REPORT_GRACE_DAYS = 15
"""Days allowed after a quarter ends to write and send its report before it counts as overdue."""

BENEFICIARY_SHORTFALL = Fraction(1, 2)
""""Far below the expected effect": fewer people served than half of the expected beneficiaries pro rata
to the part of the implementation period the reports cover."""

SEVERITY_LABELS = {"error": "严重", "warning": "提醒", "info": "说明"}


@dataclass(frozen=True)
class ProjectWarning:
    """One drift: a stable code, how serious it is and the sentence shown to people."""

    code: str
    severity: str  # "error", "warning" or "info"
    text: str


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (11-30 + 3 → 02-28/29)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expected_beneficiaries(session: Session, decl: Declaration) -> int | None:
    """The declaration's expected number of beneficiaries (效果预估), if it gave one."""
    return _expected(lookup.current_fields(session, decl).get("expected_effect"))


def _expected(effect: Any) -> int | None:
    value = (effect or {}).get("beneficiaries")
    return value if isinstance(value, int) and value > 0 else None


# -- what the warnings look at ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFacts:
    """What the warnings read of one current progress report."""

    period_end: date
    beneficiaries: int
    spent_fen: int
    final: bool


@dataclass(frozen=True)
class UndertakingFacts:
    """What the warnings read of the current undertaking agreement."""

    amount_fen: int
    over_grant_reason: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class ProjectFacts:
    """Everything the warnings of one project depend on, gathered from the store (corrections counted)."""

    decl_id: str
    granted_fen: int
    disbursed_fen: int
    reports: tuple[ReportFacts, ...]
    undertaking: UndertakingFacts | None
    planned: tuple[str | None, str | None]
    """The declaration's planned period as the form holds it (ISO dates), used without an undertaking."""
    expected_beneficiaries: int | None

    @property
    def period(self) -> tuple[date, date]:
        """The implementation period: the undertaking's dates, else the declaration's planned period."""
        if self.undertaking is not None:
            return self.undertaking.starts_on, self.undertaking.ends_on
        start, end = self.planned
        return date.fromisoformat(start or ""), date.fromisoformat(end or "")


def _report(p: Any) -> ReportFacts:
    return ReportFacts(p.period_end, p.beneficiaries, p.spent_fen, bool(p.final))


def _undertaking(u: Any) -> UndertakingFacts:
    return UndertakingFacts(u.amount_fen, u.over_grant_reason or "", u.starts_on, u.ends_on)


def project_facts(session: Session, decl: Declaration) -> ProjectFacts:
    """One project's facts, read with the per-project look-ups of :mod:`sanlian_desktop.implementation.service`."""
    undertaking = current_one(session, ProjectUndertaking, decl.id)
    fields = lookup.current_fields(session, decl)
    return ProjectFacts(
        decl_id=decl.id, granted_fen=decl.granted_fen or 0, disbursed_fen=disbursed_fen(session, decl.id),
        reports=tuple(_report(p) for p in current(session, ProjectProgress, decl.id)),
        undertaking=None if undertaking is None else _undertaking(undertaking),
        planned=(fields.get("period_start"), fields.get("period_end")),
        expected_beneficiaries=_expected(fields.get("expected_effect")))


FACTS_CHUNK = 500
"""Projects per query in :func:`many_project_facts` (SQLite allows 32,766 bound values; stay far below)."""


def _current_by_project(rows: Sequence[Any]) -> dict[str, list[Any]]:
    """Rows of one kind (with ``declaration_id``, ``id``, ``supersedes``; oldest first within a project),
    grouped by project, keeping those no row of the same project supersedes — :func:`current` in bulk."""
    grouped: dict[str, list[Any]] = {}
    for r in rows:
        grouped.setdefault(r.declaration_id, []).append(r)
    out = {}
    for decl_id, group in grouped.items():
        replaced = {r.supersedes for r in group if r.supersedes}
        out[decl_id] = [r for r in group if r.id not in replaced]
    return out


def many_project_facts(session: Session, decls: Sequence[Declaration], *,
                       chunk: int = FACTS_CHUNK) -> dict[str, ProjectFacts]:
    """The facts of many projects, by declaration id: four queries per ``chunk`` projects (progress
    reports, disbursements, undertakings, the planned period and expected effect), equal to
    :func:`project_facts` one by one."""
    out: dict[str, ProjectFacts] = {}
    for i in range(0, len(decls), chunk):
        part = decls[i:i + chunk]
        ids = [d.id for d in part]
        reports = _current_by_project(session.execute(
            select(ProjectProgress.declaration_id, ProjectProgress.id, ProjectProgress.supersedes,
                   ProjectProgress.period_end, ProjectProgress.beneficiaries, ProjectProgress.spent_fen,
                   ProjectProgress.final)
            .where(ProjectProgress.declaration_id.in_(ids))
            .order_by(ProjectProgress.declaration_id, ProjectProgress.entered_at, ProjectProgress.id)).all())
        paid = _current_by_project(session.execute(
            select(ProjectDisbursement.declaration_id, ProjectDisbursement.id, ProjectDisbursement.supersedes,
                   ProjectDisbursement.amount_fen)
            .where(ProjectDisbursement.declaration_id.in_(ids))).all())
        undertakings = _current_by_project(session.execute(
            select(ProjectUndertaking.declaration_id, ProjectUndertaking.id, ProjectUndertaking.supersedes,
                   ProjectUndertaking.amount_fen, ProjectUndertaking.over_grant_reason,
                   ProjectUndertaking.starts_on, ProjectUndertaking.ends_on)
            .where(ProjectUndertaking.declaration_id.in_(ids))
            .order_by(ProjectUndertaking.declaration_id, ProjectUndertaking.entered_at,
                      ProjectUndertaking.id)).all())
        version = DeclarationVersion
        planned = {row[0]: row[1:] for row in session.execute(
            select(version.declaration_id, version.fields["period_start"], version.fields["period_end"],
                   version.fields["expected_effect"])
            .join(Declaration, and_(Declaration.id == version.declaration_id,
                                    Declaration.current_version == version.version))
            .where(Declaration.id.in_(ids))).all()}
        for d in part:
            start, end, effect = planned.get(d.id, (None, None, None))
            current_undertakings = undertakings.get(d.id)
            out[d.id] = ProjectFacts(
                decl_id=d.id, granted_fen=d.granted_fen or 0,
                disbursed_fen=sum(r.amount_fen for r in paid.get(d.id, [])),
                reports=tuple(_report(p) for p in reports.get(d.id, [])),
                undertaking=_undertaking(current_undertakings[-1]) if current_undertakings else None,
                planned=(start, end), expected_beneficiaries=_expected(effect))
    return out


# -- the warnings ------------------------------------------------------------------------------------


def facts_warnings(facts: ProjectFacts, today: date) -> list[ProjectWarning]:
    """Where a project stands against its declaration as of ``today``, from its facts."""
    out: list[ProjectWarning] = []
    granted = facts.granted_fen
    reports = facts.reports
    spent = sum(p.spent_fen for p in reports)
    paid = facts.disbursed_fen
    if spent > granted:
        out.append(ProjectWarning("spent_over_grant", "error",
                                  f"补助资金支出 {from_fen(spent)} 元，超过批准补助 {from_fen(granted)} 元"))
    elif spent > paid:
        out.append(ProjectWarning("spent_over_disbursed", "warning",
                                  f"补助资金支出 {from_fen(spent)} 元，超过已拨付的 {from_fen(paid)} 元"))
    undertaking = facts.undertaking
    if undertaking is not None and undertaking.amount_fen > granted:
        out.append(ProjectWarning("undertaking_over_grant", "info",
                                  f"承接金额 {from_fen(undertaking.amount_fen)} 元超过批准补助（理由："
                                  f"{undertaking.over_grant_reason}）"))
    start, end = facts.period
    finished = any(p.final for p in reports)
    if not finished and today > end:
        out.append(ProjectWarning("period_overrun", "error",
                                  f"实施周期已于 {end.isoformat()} 结束，尚未报送结项报告"))
    covered = max((p.period_end for p in reports), default=None)
    if not finished and today >= start:
        since = covered or start
        due = add_months(since, REPORT_INTERVAL_MONTHS) + timedelta(days=REPORT_GRACE_DAYS)
        if today > due:
            what = f"上次报告截至 {since.isoformat()}" if covered else f"实施自 {start.isoformat()} 开始，尚无进展报告"
            out.append(ProjectWarning("report_overdue", "warning",
                                      f"进展报告逾期：{what}，应于 {due.isoformat()} 前报送下一期"))
    expected = facts.expected_beneficiaries
    if expected is not None and covered is not None and end > start:
        share = Fraction(max(0, min((covered - start).days, (end - start).days)), (end - start).days)
        pro_rata = expected * share
        served = sum(p.beneficiaries for p in reports)
        if pro_rata > 0 and served < pro_rata * BENEFICIARY_SHORTFALL:
            out.append(ProjectWarning(
                "beneficiaries_low", "warning",
                f"已服务 {served} 人，不到按进度应达 {round(pro_rata)} 人（预计共 {expected} 人）的"
                f"{int(BENEFICIARY_SHORTFALL * 100)}%"))
    return out


def project_warnings(session: Session, decl: Declaration, today: date | None = None) -> list[ProjectWarning]:
    """Where the project stands against its declaration as of ``today`` (the local date by default)."""
    return facts_warnings(project_facts(session, decl), today or local_today(utcnow()))


def many_project_warnings(session: Session, decls: Sequence[Declaration],
                          today: date | None = None) -> dict[str, list[ProjectWarning]]:
    """:func:`project_warnings` of many projects at once (by declaration id), in a few queries per 500."""
    today = today or local_today(utcnow())
    return {decl_id: facts_warnings(f, today) for decl_id, f in many_project_facts(session, decls).items()}


def jurisdiction_warnings(session: Session, actor: Actor,
                          today: date | None = None) -> list[tuple[Declaration, list[ProjectWarning]]]:
    """Every approved project in the actor's jurisdiction with its warnings, by number."""
    decls = approved_in_jurisdiction(session, actor)
    found = many_project_warnings(session, decls, today)
    return [(d, found[d.id]) for d in decls]


# -- the whole record, for the command line, the desktop and the evaluator ---------------------------


def _common(r: Any) -> dict[str, Any]:
    return {"id": r.id, "office": r.office_code, "entered_by": r.entered_by, "entered_at": r.entered_at.isoformat(),
            "supersedes": r.supersedes, "reason": r.reason}


def tender_dict(t: ProjectTender) -> dict[str, Any]:
    return {**_common(t), "tendered_on": t.tendered_on.isoformat(), "bidders": list(t.bidders), "winner": t.winner}


def undertaking_dict(u: ProjectUndertaking) -> dict[str, Any]:
    return {**_common(u), "org_name": u.org_name, "credit_code": u.credit_code, "amount": str(from_fen(u.amount_fen)),
            "over_grant_reason": u.over_grant_reason, "starts_on": u.starts_on.isoformat(),
            "ends_on": u.ends_on.isoformat()}


def worker_dict(w: ProjectWorker) -> dict[str, Any]:
    return {**_common(w), "name": w.name, "certificate_level": w.certificate_level, "active": w.active}


def disbursement_dict(d: ProjectDisbursement) -> dict[str, Any]:
    return {**_common(d), "paid_on": d.paid_on.isoformat(), "amount": str(from_fen(d.amount_fen)),
            "tranche": d.tranche}


def progress_dict(p: ProjectProgress) -> dict[str, Any]:
    return {**_common(p), "period_start": p.period_start.isoformat(), "period_end": p.period_end.isoformat(),
            "activities": p.activities, "beneficiaries": p.beneficiaries, "spent": str(from_fen(p.spent_fen)),
            "problems": p.problems, "final": p.final, "attachments": [dict(a) for a in p.attachments or []]}


def _with_successors(rows: Sequence[Any], as_dict: Any) -> list[dict[str, Any]]:
    """Every record (oldest first) as ``as_dict`` gives it, with ``superseded_by``: the correcting record's
    id, reason, office, user and time, or None for a current record."""
    by_old = {r.supersedes: r for r in rows if r.supersedes}
    out = []
    for r in rows:
        successor = by_old.get(r.id)
        out.append({**as_dict(r), "superseded_by": None if successor is None else {
            "id": successor.id, "reason": successor.reason, "office": successor.office_code,
            "entered_by": successor.entered_by, "entered_at": successor.entered_at.isoformat()}})
    return out


def record_history(session: Session, decl_id: str) -> dict[str, list[dict[str, Any]]]:
    """The project's disbursements and progress reports, superseded ones included: disbursements by
    tranche, reports by period, a superseded record just before the one that corrects it."""
    paid = _with_successors(history(session, ProjectDisbursement, decl_id), disbursement_dict)
    reports = _with_successors(history(session, ProjectProgress, decl_id), progress_dict)
    return {"disbursements": sorted(paid, key=lambda d: d["tranche"]),
            "progress": sorted(reports, key=lambda p: p["period_start"])}


def project_record(session: Session, decl: Declaration, today: date | None = None, *,
                   with_history: bool = False) -> dict[str, Any]:
    """The project's whole implementation record (current records, corrections counted) with its warnings;
    ``with_history`` adds ``history``: :func:`record_history`, the corrected records too."""
    today = today or local_today(utcnow())
    start, end = project_period(session, decl)
    reports = current(session, ProjectProgress, decl.id)
    tender = current_one(session, ProjectTender, decl.id)
    undertaking = current_one(session, ProjectUndertaking, decl.id)
    superseded = {
        name: len(history(session, model, decl.id)) - len(current(session, model, decl.id))
        for name, model in (("tender", ProjectTender), ("undertaking", ProjectUndertaking),
                            ("workers", ProjectWorker), ("disbursements", ProjectDisbursement),
                            ("progress", ProjectProgress))
    }
    record = {
        "id": decl.id, "number": decl.number, "title": decl.title, "community": decl.community_code,
        "granted": str(from_fen(decl.granted_fen or 0)), "period_start": start.isoformat(),
        "period_end": end.isoformat(), "expected_beneficiaries": expected_beneficiaries(session, decl),
        "tender": tender_dict(tender) if tender else None,
        "undertaking": undertaking_dict(undertaking) if undertaking else None,
        "workers": [worker_dict(w) for w in active_workers(session, decl.id)],
        "disbursements": [disbursement_dict(d) for d in current(session, ProjectDisbursement, decl.id)],
        "disbursed": str(from_fen(disbursed_fen(session, decl.id))),
        "progress": [progress_dict(p) for p in sorted(reports, key=lambda p: p.period_start)],
        "spent": str(from_fen(sum(p.spent_fen for p in reports))),
        "beneficiaries_served": sum(p.beneficiaries for p in reports),
        "superseded": superseded,
        "warnings": [{"code": w.code, "severity": w.severity, "text": w.text}
                     for w in project_warnings(session, decl, today)],
    }
    if with_history:
        record["history"] = record_history(session, decl.id)
    return record
