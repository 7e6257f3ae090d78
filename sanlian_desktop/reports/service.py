"""Periodic progress reports (进展情况): an office's account of its jurisdiction for a period.

A report is computed from the declarations this office holds (its whole jurisdiction, since everything
submitted below travels up), frozen into figures when it is issued, signed by the office when it first
leaves in a package and carried up, so that the province holds every level's reports. Figures hold no
floating-point numbers: rates and medians are kept as decimal text, money as integer fen.

What a report contains:
- where the declarations stand now: counts by status, awaiting per level, median days waiting per level;
- what happened in the period: declarations first submitted, and each level's approvals, returns and
  rejections (by the date on the opinion);
- money: granted (the province's approvals) by city and by focus area, and disbursed up to the end of
  the period by city and by focus area;
- the approved projects behind schedule at the end of the period (period overrun, a progress report
  overdue, beneficiaries far below the expected effect — see projectwarnings.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations.workflow import local_today
from sanlian_desktop.indicators import pipeline
from sanlian_desktop.kernel import idprefix
from sanlian_desktop.kernel.errors import NotFound, UserError
from sanlian_desktop.kernel.vocab import REVIEW_LEVELS, Level, Role, Status
from sanlian_desktop.models import Declaration, Opinion, ProgressReport, Region, utcnow
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor, this_office
from sanlian_desktop.store import audit

FORMAT = 1  # the figures' layout; a reader meeting a newer one shows what it knows

# The project warnings (projectwarnings.py) that put a project "behind schedule" in a report.
BEHIND_SCHEDULE = ("period_overrun", "report_overdue", "beneficiaries_low")


def _region_column(level: Level) -> Any:
    return {Level.CITY: Declaration.city_code, Level.COUNTY: Declaration.county_code,
            Level.STREET: Declaration.street_code, Level.COMMUNITY: Declaration.community_code}.get(level)


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as UTC instants, from local midnight at ``start`` to local midnight after ``end``."""
    tz = datetime.now().astimezone().tzinfo
    lo = datetime.combine(start, time(), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    return lo, hi


def _decimal_text(value: float | None, places: str = "0.1") -> str | None:
    return None if value is None else str(Decimal(str(value)).quantize(Decimal(places)))


def compute(session: Session, region_code: str, start: date, end: date, *, now: datetime | None = None) -> dict[str, Any]:
    """The figures of a report on ``region_code``'s jurisdiction for ``start``–``end``."""
    check_period(start, end, today=local_today(now or utcnow()))
    region = session.get(Region, region_code)
    if region is None:
        raise NotFound(f"没有代码为 {region_code} 的行政区划", f"no region with code {region_code}")
    now = now or utcnow()
    pipe = pipeline.pipeline_figures(session, region_code, now=now)
    column = _region_column(Level(region.level))
    where = [] if column is None else [column == region_code]
    lo, hi = _utc_bounds(start, end)
    submitted = int(session.scalar(select(func.count()).select_from(Declaration).where(
        *where, Declaration.submitted_at >= lo, Declaration.submitted_at < hi)) or 0)
    decisions: dict[str, dict[str, int]] = {lv.value: {"approve": 0, "return": 0, "reject": 0}
                                            for lv in REVIEW_LEVELS}
    for level, decision, n in session.execute(
            select(Opinion.level, Opinion.decision, func.count())
            .join(Declaration, Declaration.id == Opinion.declaration_id)
            .where(*where, Opinion.decided_on >= start, Opinion.decided_on <= end)
            .group_by(Opinion.level, Opinion.decision)):
        decisions.setdefault(level, {"approve": 0, "return": 0, "reject": 0})[decision] = int(n)
    figures: dict[str, Any] = {
        "format": FORMAT,
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "computed_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "by_status": dict(sorted(pipe.by_status.items())),
        "total": pipe.total,
        "awaiting_by_level": {k: v for k, v in sorted(pipe.awaiting_by_level.items()) if k},
        "median_days_waiting": {k: _decimal_text(v) for k, v in pipe.median_days_waiting.items() if k},
        "approval_rate": _decimal_text(pipe.approval_rate, "0.001"),
        "return_rate": _decimal_text(pipe.return_rate, "0.001"),
        "in_period": {"submitted": submitted, "decisions": decisions},
        "granted_by_city": pipe.granted_by_city,
        "granted_by_focus_area": pipe.granted_by_focus_area,
    }
    figures.update(_projects(session, where, end))
    return figures


def _projects(session: Session, where: list[Any], end: date) -> dict[str, Any]:
    """Money paid out to approved projects up to ``end`` (by city and focus area) and the projects
    behind schedule as of ``end``."""
    from sanlian_desktop.implementation.service import current
    from sanlian_desktop.implementation.warnings import many_project_warnings
    from sanlian_desktop.models import ProjectDisbursement

    decls = list(session.scalars(select(Declaration).where(*where, Declaration.status == Status.APPROVED.value)
                                 .order_by(Declaration.number)))
    names = dict(session.execute(select(Region.code, Region.name).where(
        Region.code.in_({d.city_code for d in decls} | {d.community_code for d in decls}))).all())
    by_city: dict[str, list[int]] = {}
    by_area: dict[str, list[int]] = {}
    behind = []
    warnings = many_project_warnings(session, decls, today=end)
    for d in decls:
        paid = sum(r.amount_fen for r in current(session, ProjectDisbursement, d.id) if r.paid_on <= end)
        if paid:
            for tally in [by_city.setdefault(d.city_code, [0, 0]),
                          *(by_area.setdefault(a, [0, 0]) for a in filter(None, d.focus_areas.split("、")))]:
                tally[0] += 1
                tally[1] += paid
        late = [w.text for w in warnings[d.id] if w.code in BEHIND_SCHEDULE]
        if late:
            behind.append({"number": d.number, "title": d.title, "community": names.get(d.community_code, ""),
                           "reason": "；".join(late)})
    return {
        "disbursed_by_city": [{"city": c, "name": names.get(c, c), "projects": n, "disbursed_fen": fen}
                              for c, (n, fen) in sorted(by_city.items())],
        "disbursed_by_focus_area": [{"focus_area": a, "projects": n, "disbursed_fen": fen}
                                    for a, (n, fen) in sorted(by_area.items(), key=lambda kv: -kv[1][1])],
        "behind_schedule": behind,
    }


def check_period(start: date, end: date, *, today: date) -> None:
    """Refuse a period that ends before it starts, has not ended yet, or is longer than a year."""
    if end < start:
        raise UserError(f"报告期结束日期 {end} 早于开始日期 {start}", f"period ends ({end}) before it starts ({start})")
    if end > today:
        raise UserError(f"报告期结束日期 {end} 还未到（今天是 {today}）", f"period ends in the future ({end})")
    if (end - start).days > 366:
        raise UserError("报告期不能超过一年，请分期出具", "a report period may not exceed a year")


def issue(session: Session, actor: Actor, start: date, end: date, *, supersedes: str | None = None,
          now: datetime | None = None) -> ProgressReport:
    """Compute and keep this office's report for the period; it goes up with the next package."""
    actor.require(Role.REVIEWER, Role.ADMIN, action="出具进展情况报告")
    me = reporting_office(session)
    if Level(me.level) is Level.COMMUNITY:
        raise UserError("社区不出具进展情况报告（由街道及以上各级出具）",
                        "communities do not issue progress reports")
    now = now or utcnow()
    if supersedes is not None:
        earlier = session.get(ProgressReport, supersedes)
        if earlier is None or earlier.office_code != me.region_code:
            raise NotFound(f"本单位没有编号为 {supersedes} 的进展情况报告", f"no report {supersedes} of this office")
    figures = compute(session, me.region_code, start, end, now=now)
    report = ProgressReport(id=uuid.uuid4().hex, office_code=me.region_code, office_name=me.name,
                            period_start=start, period_end=end, issued_at=now, issued_by=actor.username,
                            figures=figures, supersedes=supersedes)
    session.add(report)
    audit.record(session, office=me.region_code, user=actor.username, action="report.issue", entity="progress_report",
                 entity_id=report.id, details={"from": start.isoformat(), "to": end.isoformat(),
                                               "supersedes": supersedes})
    return report


def reporting_office(session: Session) -> Any:
    """This office, when it has a jurisdiction to report on (a third-party evaluator has none)."""
    me = this_office(session)
    if Level(me.level) is Level.EVALUATOR:
        raise UserError(f"第三方评估机构（{me.region_code}）没有辖区，不出具进展情况报告",
                        f"the evaluator office {me.region_code} has no jurisdiction to report on")
    return me


def get(session: Session, report_id: str) -> ProgressReport:
    """A report held here, by id or by an unambiguous prefix of at least 6 characters."""
    return idprefix.by_id(session, ProgressReport, report_id, "进展情况报告", "progress report", shortest=6)


@dataclass(frozen=True)
class ReportRow:
    id: str
    office_code: str
    office_name: str
    period_start: date
    period_end: date
    issued_at: datetime
    issued_by: str
    superseded: bool
    received_from: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "office": self.office_code, "office_name": self.office_name,
                "from": self.period_start.isoformat(), "to": self.period_end.isoformat(),
                "issued_at": self.issued_at.isoformat(timespec="seconds"), "issued_by": self.issued_by,
                "superseded": self.superseded, "received_from": self.received_from}


def listing(session: Session, *, within: str | None = None, include_superseded: bool = False) -> list[ReportRow]:
    """Reports held here — this office's own and those carried up from below — newest period first."""
    rows = list(session.scalars(select(ProgressReport).order_by(
        ProgressReport.period_end.desc(), ProgressReport.office_code, ProgressReport.issued_at.desc())))
    replaced = {r.supersedes for r in rows if r.supersedes}
    result = []
    for r in rows:
        if within is not None and not regions.is_within(session, r.office_code, within):
            continue
        if r.id in replaced and not include_superseded:
            continue
        result.append(ReportRow(r.id, r.office_code, r.office_name, r.period_start, r.period_end, r.issued_at,
                                r.issued_by, r.id in replaced, r.received_from))
    return result


def signed_body(report: ProgressReport) -> dict[str, Any]:
    """What the issuing office signs."""
    return {"id": report.id, "office_code": report.office_code, "office_name": report.office_name,
            "period_start": report.period_start.isoformat(), "period_end": report.period_end.isoformat(),
            "issued_at": report.issued_at.astimezone(UTC).isoformat(), "issued_by": report.issued_by,
            "figures": report.figures, "supersedes": report.supersedes}


def as_dict(report: ProgressReport) -> dict[str, Any]:
    return {**signed_body(report), "signed": report.signature is not None, "received_from": report.received_from}
