"""Progress reports travel up in packages (see sync/kinds.py): each office's reports, and the reports it
received from below, go to its parent, so the province holds every level's reports.

A report is a statement signed by the office that issued it, so it stays verifiable when forwarded: the
receiver checks that the issuing office lies inside the sending office's territory and that its
signature verifies, and keeps the report read-only. A second, different report under the same id is
kept aside as a conflict.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.errors import UserError
from sanlian_desktop.models import ProgressReport, utcnow
from sanlian_desktop.progress import signed_body
from sanlian_desktop.sync import codes
from sanlian_desktop.sync.kinds import Incoming, RecordKind, Route, register
from sanlian_desktop.sync.records import Record, canonical

KIND = "progress_report"


def _record(report: ProgressReport) -> Record:
    assert report.signature is not None
    return Record(KIND, report.id, {"office_code": report.office_code,
                                    "statement": base64.b64encode(report.signature).decode()})


def _records(session: Session, route: Route) -> Iterator[Record]:
    if route.downward:
        return
    for report in session.scalars(select(ProgressReport).where(ProgressReport.signature.is_not(None))
                                  .order_by(ProgressReport.issued_at)):
        if codes.is_region_code(report.office_code) and codes.within(route.self_code, report.office_code):
            yield _record(report)


def _local(session: Session, key: str) -> Record | None:
    report = session.get(ProgressReport, key)
    return _record(report) if report is not None and report.signature is not None else None


def _apply(incoming: Incoming, record: Record) -> None:
    office = record.body["office_code"]
    statement = base64.b64decode(record.body["statement"], validate=True)
    if not isinstance(office, str) or not codes.is_region_code(office):
        raise ValueError("office_code")
    if incoming.from_parent:
        incoming.conflict(record, "进展情况报告只向上级报送，不接收上级发来的报告")
        return
    if not codes.within(incoming.sender, office):
        raise UserError(f"数据包中的进展情况报告出自 {office}，不在发送单位的辖区内，本次拒绝导入",
                        f"progress report of {office} is outside the sender's territory")
    body = incoming.verify(statement, KIND, {office})
    if body.get("id") != record.key or body.get("office_code") != office:
        raise ValueError("report id")
    held = incoming.s.get(ProgressReport, record.key)
    if held is not None:
        if canonical(signed_body(held)) == canonical(body):
            incoming.report.already += 1
        else:
            incoming.conflict(record, "同一编号的进展情况报告内容不同")
        return
    figures = body["figures"]
    supersedes = body["supersedes"]
    if not isinstance(figures, dict) or not (supersedes is None or isinstance(supersedes, str)):
        raise TypeError("report body")
    incoming.s.add(ProgressReport(
        id=record.key, office_code=office, office_name=str(body["office_name"])[:100],
        period_start=date.fromisoformat(body["period_start"]), period_end=date.fromisoformat(body["period_end"]),
        issued_at=_utc(body["issued_at"]), issued_by=str(body["issued_by"])[:64], figures=figures,
        supersedes=supersedes, signer_code=office, signature=statement, received_from=incoming.sender,
        received_at=utcnow()))
    incoming.report.applied += 1


def _utc(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError("naive time")
    return moment


def _sign_own(session: Session, self_code: str, sign: Callable[[str, dict[str, Any]], bytes]) -> int:
    count = 0
    for report in session.scalars(select(ProgressReport).where(
            ProgressReport.signature.is_(None), ProgressReport.office_code == self_code)):
        report.signature, report.signer_code = sign(KIND, signed_body(report)), self_code
        count += 1
    return count


register(RecordKind(KIND, _records, _local, _apply, sign_own=_sign_own))
