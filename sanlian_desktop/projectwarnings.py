"""Warnings where a project's implementation drifts from its declaration, and the whole project record.

Four drifts are watched: subsidy spending above the grant or above what has been paid out, an
implementation period that has ended without a final report, a progress report overdue, and far fewer
people served than the declaration expected by this point. Every check takes ``today`` so that tests
and reports can ask "as of" a given day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from sanlian_desktop import declarations
from sanlian_desktop.auth import Actor
from sanlian_desktop.implementation import (
    active_workers,
    approved_in_jurisdiction,
    current,
    current_one,
    disbursed_fen,
    history,
    project_period,
)
from sanlian_desktop.models import (
    Declaration,
    ProjectDisbursement,
    ProjectProgress,
    ProjectTender,
    ProjectUndertaking,
    ProjectWorker,
    utcnow,
)
from sanlian_desktop.money import from_fen
from sanlian_desktop.workflow import local_today

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
    effect = declarations.current_fields(session, decl).get("expected_effect") or {}
    value = effect.get("beneficiaries")
    return value if isinstance(value, int) and value > 0 else None


def project_warnings(session: Session, decl: Declaration, today: date | None = None) -> list[ProjectWarning]:
    """Where the project stands against its declaration as of ``today`` (the local date by default)."""
    today = today or local_today(utcnow())
    out: list[ProjectWarning] = []
    granted = decl.granted_fen or 0
    reports = current(session, ProjectProgress, decl.id)
    spent = sum(p.spent_fen for p in reports)
    paid = disbursed_fen(session, decl.id)
    if spent > granted:
        out.append(ProjectWarning("spent_over_grant", "error",
                                  f"补助资金支出 {from_fen(spent)} 元，超过批准补助 {from_fen(granted)} 元"))
    elif spent > paid:
        out.append(ProjectWarning("spent_over_disbursed", "warning",
                                  f"补助资金支出 {from_fen(spent)} 元，超过已拨付的 {from_fen(paid)} 元"))
    undertaking = current_one(session, ProjectUndertaking, decl.id)
    if undertaking is not None and undertaking.amount_fen > granted:
        out.append(ProjectWarning("undertaking_over_grant", "info",
                                  f"承接金额 {from_fen(undertaking.amount_fen)} 元超过批准补助（理由："
                                  f"{undertaking.over_grant_reason}）"))
    start, end = project_period(session, decl)
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
    expected = expected_beneficiaries(session, decl)
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


def jurisdiction_warnings(session: Session, actor: Actor,
                          today: date | None = None) -> list[tuple[Declaration, list[ProjectWarning]]]:
    """Every approved project in the actor's jurisdiction with its warnings, by number."""
    today = today or local_today(utcnow())
    return [(d, project_warnings(session, d, today)) for d in approved_in_jurisdiction(session, actor)]


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


def project_record(session: Session, decl: Declaration, today: date | None = None) -> dict[str, Any]:
    """The project's whole implementation record (current records, corrections counted) with its warnings."""
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
    return {
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
