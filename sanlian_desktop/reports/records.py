"""Progress reports travel up in packages (see sync/kinds.py): each office's reports, and the reports it
received from below, go to its parent, so the province holds every level's reports.

A report is a statement signed by the office that issued it, so it stays verifiable when forwarded: the
receiver checks that the issuing office lies inside the sending office's territory and that its
signature verifies, and keeps the report read-only. A second, different report under the same id is
kept aside as a conflict.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel import codes
from sanlian_desktop.kernel.canonical import body_time
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models import ProgressReport, utcnow
from sanlian_desktop.reports.service import signed_body
from sanlian_desktop.sync.kinds.records import Record, canonical
from sanlian_desktop.sync.kinds.registry import Incoming, Route
from sanlian_desktop.sync.kinds.signed import Admitted, SignedKind, encoded, statement

KIND = "progress_report"


def _record(report: ProgressReport) -> Record | None:
    if report.signature is None:
        return None
    return Record(KIND, report.id, {"office_code": report.office_code, "statement": encoded(report.signature)})


def _records(session: Session, route: Route) -> Iterator[Record]:
    if route.downward:
        return
    reports = session.scalars(select(ProgressReport).where(ProgressReport.signature.is_not(None))
                              .order_by(ProgressReport.issued_at))
    yield from REPORTS.signed(r for r in reports
                              if codes.is_region_code(r.office_code) and codes.within(route.self_code, r.office_code))


def _admit(incoming: Incoming, record: Record) -> Admitted | None:
    office = record.body["office_code"]
    data = statement(record.body["statement"])
    if not isinstance(office, str) or not codes.is_region_code(office):
        raise ValueError("office_code")
    if incoming.from_parent:
        incoming.conflict(record, "进展情况报告只向上级报送，不接收上级发来的报告")
        return None
    if not codes.within(incoming.sender, office):
        raise UserError(f"数据包中的进展情况报告出自 {office}，不在发送单位的辖区内，本次拒绝导入",
                        f"progress report of {office} is outside the sender's territory")
    body = incoming.verify(data, KIND, {office})
    if body.get("id") != record.key or body.get("office_code") != office:
        raise ValueError("report id")
    return Admitted(body, data, office, record.key)


def _insert(incoming: Incoming, admitted: Admitted) -> ProgressReport:
    body = admitted.body
    figures = body["figures"]
    supersedes = body["supersedes"]
    if not isinstance(figures, dict) or not (supersedes is None or isinstance(supersedes, str)):
        raise TypeError("report body")
    return ProgressReport(
        id=admitted.key, office_code=body["office_code"], office_name=str(body["office_name"])[:100],
        period_start=date.fromisoformat(body["period_start"]), period_end=date.fromisoformat(body["period_end"]),
        issued_at=body_time(body["issued_at"]), issued_by=str(body["issued_by"])[:64], figures=figures,
        supersedes=supersedes, received_from=incoming.sender, received_at=utcnow())


REPORTS = SignedKind(kind=KIND, model=ProgressReport, body=signed_body, record=_record, admit=_admit,
                     insert=_insert, differs="同一编号的进展情况报告内容不同",
                     same=lambda held, body: canonical(held) == canonical(body))
_apply = REPORTS.apply  # what an import runs for one received report


def register_kinds() -> None:
    """Add progress reports to the packages (called by :func:`sanlian_desktop.app.compose`)."""
    REPORTS.register(_records)
