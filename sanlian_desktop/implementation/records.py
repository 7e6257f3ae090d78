"""Project implementation records in the signed packages (registered with :mod:`sanlian_desktop.sync.kinds.registry`).

Where each kind goes:

- tender, undertaking, workers and progress reports go up from the office that wrote them (the
  community, or the office that entered its declaration) to the province; every office on the way keeps
  a copy and passes it on. A progress report's files travel with it as attachment records.
- disbursements, written by the paying office (the county), go both ways: down to the community and up to
  the province.

Each record is signed by the office that wrote it when it first leaves that office, and the receiver
checks that signature against the offices allowed to originate the kind for that project
(:func:`sanlian_desktop.implementation.service.originators`). A record whose project does not lie in the sending
office's jurisdiction refuses the package; a differing copy of a record this office holds is kept aside
as a conflict, never overwritten. Records of one project travel together in one package.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Integer, LargeBinary, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from sanlian_desktop.implementation.service import KIND_LABELS, originators
from sanlian_desktop.kernel.canonical import body_time
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import (
    Declaration,
    ProjectDisbursement,
    ProjectProgress,
    ProjectTender,
    ProjectUndertaking,
    ProjectWorker,
    UTCDateTime,
)
from sanlian_desktop.models.implementation import ProjectRecordMixin, table_name
from sanlian_desktop.offices import regions
from sanlian_desktop.sync.kinds.records import Record, attachment_record
from sanlian_desktop.sync.kinds.registry import Incoming, Route
from sanlian_desktop.sync.kinds.signed import Admitted, SignedKind, encoded, verify

_UNSIGNED = ("signer_code", "signature")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _columns(model: type[ProjectRecordMixin]) -> list[Any]:
    return [c for c in sa_inspect(model).columns if c.key not in _UNSIGNED]


def record_body(row: ProjectRecordMixin) -> dict[str, Any]:
    """What the writing office signs: every column but the signature, dates as ISO strings."""
    out: dict[str, Any] = {}
    for column in _columns(type(row)):
        value = getattr(row, column.key)
        out[column.key] = value.isoformat() if isinstance(value, date | datetime) else value
    return out


def _value(column: Any, value: Any) -> Any:
    """A body value as the column's type; TypeError/ValueError for one of the wrong shape."""
    kind = column.type
    if value is None:
        if not column.nullable:
            raise ValueError(column.key)
        return None
    if isinstance(kind, UTCDateTime | Date) and not isinstance(value, str):
        raise TypeError(column.key)
    if isinstance(kind, UTCDateTime):
        return body_time(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Boolean):
        if not isinstance(value, bool):
            raise TypeError(column.key)
        return value
    if isinstance(kind, Integer):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(column.key)
        return value
    if isinstance(kind, LargeBinary):
        raise TypeError(column.key)
    if hasattr(kind, "length") or type(kind).__name__ == "Text":
        if not isinstance(value, str) or (kind.length is not None and len(value) > kind.length):
            raise TypeError(column.key)
        return value
    if not isinstance(value, list):  # JSON: bidders, attachments
        raise TypeError(column.key)
    return value


def _check_lists(values: dict[str, Any]) -> None:
    """The JSON columns' items: bidders are names, attachments name a stored file by its SHA-256."""
    for name in values.get("bidders") or []:
        if not isinstance(name, str) or not name or len(name) > 100:
            raise TypeError("bidders")
    for att in values.get("attachments") or []:
        if (not isinstance(att, dict) or set(att) != {"sha256", "name"} or not isinstance(att["name"], str)
                or not isinstance(att["sha256"], str) or not _SHA256.match(att["sha256"])):
            raise TypeError("attachments")


def _record(kind: str, row: ProjectRecordMixin) -> Record:
    return Record(kind, row.id, {"body": record_body(row), "signer": row.signer_code, "signature": encoded(row.signature)})


def _child_column(level: Level) -> Any:
    return {Level.CITY: Declaration.city_code, Level.COUNTY: Declaration.county_code,
            Level.STREET: Declaration.street_code, Level.COMMUNITY: Declaration.community_code}[level]


def _records(model: type[ProjectRecordMixin]) -> Callable[[Session, Route], Iterator[Record]]:
    kind = table_name(model)

    def records(session: Session, route: Route) -> Iterator[Record]:
        if route.downward and model is not ProjectDisbursement:
            return
        query = select(model).where(model.signature.is_not(None))
        if route.downward:
            query = query.join(Declaration, Declaration.id == model.declaration_id).where(
                _child_column(route.neighbour_level) == route.neighbour_code)
        for row in session.scalars(query.order_by(model.declaration_id, model.entered_at, model.id)):
            if isinstance(row, ProjectProgress):
                for att in row.attachments or []:
                    carried = attachment_record(session, att["sha256"], route.blob_path)
                    if carried is not None:
                        yield carried
            yield _record(kind, row)

    return records


def _admit(model: type[ProjectRecordMixin]) -> Callable[[Incoming, Record], Admitted]:
    kind = table_name(model)
    label = KIND_LABELS[model]

    def admit(incoming: Incoming, record: Record) -> Admitted:
        inner = record.body["body"]
        if not isinstance(inner, dict) or inner.get("id") != record.key:
            raise ValueError(record.key)
        decl = incoming.s.get(Declaration, str(inner["declaration_id"]))
        if decl is None:
            raise UserError(f"数据包中的{label}所属的申报本单位尚未收到，请先导入之前的数据包",
                            f"{kind} {record.key}: its declaration is unknown here")
        path = {decl.community_code, decl.street_code, decl.county_code, decl.city_code, regions.PROVINCE_CODE}
        if incoming.sender not in path or (incoming.from_parent and model is not ProjectDisbursement):
            raise UserError(f"数据包中有不属于发送单位辖区的{label}（申报 {decl.number}），本次拒绝导入",
                            f"{kind} {record.key} is outside the sender's jurisdiction")
        office = inner["office_code"]
        if office not in originators(model, decl):
            raise UserError(f"申报 {decl.number} 的{label}不应由 {office} 登记，本次拒绝导入",
                            f"{kind} {record.key} originated by {office}, which may not")
        statement, body = verify(incoming, kind, record.body["signature"], {office})
        if body != inner:
            raise ValueError(record.key)
        return Admitted(body, statement, office, record.key, decl.id)

    return admit


def _insert(model: type[ProjectRecordMixin]) -> Callable[[Incoming, Admitted], ProjectRecordMixin]:
    def insert(incoming: Incoming, admitted: Admitted) -> ProjectRecordMixin:
        values = {c.key: _value(c, admitted.body[c.key]) for c in _columns(model)}
        _check_lists(values)
        return model(**values)

    return insert


def _group(record: Record) -> str | None:
    inner = record.body.get("body")
    return str(inner.get("declaration_id")) if isinstance(inner, dict) else None


def register_kinds() -> None:
    """Add the implementation records to the packages (called by :func:`sanlian_desktop.app.compose`).

    What others refer to first: the tender before the undertaking; reports last.
    """
    for model in (ProjectTender, ProjectUndertaking, ProjectWorker, ProjectDisbursement, ProjectProgress):
        SignedKind[ProjectRecordMixin](
            kind=table_name(model), model=model, body=record_body, record=functools.partial(_record, table_name(model)),
            admit=_admit(model), insert=_insert(model), differs=f"同一条{KIND_LABELS[model]}的内容与本单位保存的不同",
            flush=True).register(_records(model), group=_group, joins_declaration=True)
