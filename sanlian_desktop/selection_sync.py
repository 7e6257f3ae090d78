"""Public notices (公示) travel down from the province to every office with a project in them.

Each notice is signed by the province when it first leaves it, and every office checks that
signature, so an office on the way can pass a notice on but not alter it. A notice held in another
form than the one received is kept aside as a conflict. Shortlists and expert scores are the
province's working papers and stay there: the notice is what the offices below need to see.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop import regions
from sanlian_desktop.models import Batch, PublicNotice
from sanlian_desktop.sync.kinds import Incoming, RecordKind, Route, register
from sanlian_desktop.sync.records import Record
from sanlian_desktop.vocab import Level

KIND = "public_notice"
_ENTRY_COLUMN = {Level.CITY: "city_code", Level.COUNTY: "county_code", Level.STREET: "street_code",
                 Level.COMMUNITY: "community_code"}


def notice_body(n: PublicNotice) -> dict[str, Any]:
    """What the province signs for a notice."""
    return {"id": n.id, "batch_id": n.batch_id, "seq": n.seq, "title": n.title, "starts": n.starts.isoformat(),
            "ends": n.ends.isoformat(), "issued_at": n.issued_at.isoformat(), "issued_by": n.issued_by,
            "office_code": n.office_code, "supersedes": n.supersedes, "entries": n.entries}


def notice_record(n: PublicNotice) -> Record:
    return Record(KIND, n.id, {"body": notice_body(n), "signer": n.signer_code,
                               "signature": base64.b64encode(n.signature).decode() if n.signature else None})


def concerns(n: PublicNotice, level: Level, code: str) -> bool:
    """Whether a project of the notice lies in the jurisdiction of the office ``code`` at ``level``."""
    column = _ENTRY_COLUMN.get(level)
    return column is not None and any(e.get(column) == code for e in n.entries)


def _records(session: Session, route: Route) -> Iterator[Record]:
    if not route.downward:
        return
    for n in session.scalars(select(PublicNotice).where(PublicNotice.signature.is_not(None))
                             .order_by(PublicNotice.batch_id, PublicNotice.seq)):
        if concerns(n, route.neighbour_level, route.neighbour_code):
            yield notice_record(n)


def _local(session: Session, key: str) -> Record | None:
    n = session.get(PublicNotice, key)
    return None if n is None else notice_record(n)


def _apply(incoming: Incoming, record: Record) -> None:
    sig = record.body["signature"]
    if not isinstance(sig, str):
        raise ValueError("unsigned notice")
    statement = base64.b64decode(sig)
    body = incoming.verify(statement, KIND, {regions.PROVINCE_CODE})
    if body.get("id") != record.key or record.body.get("body") != body:
        raise ValueError("notice does not match its statement")
    s = incoming.s
    existing = s.get(PublicNotice, record.key)
    if existing is not None:
        if notice_body(existing) == body:
            incoming.report.already += 1
        else:
            incoming.conflict(record, "同一份公示的内容与本单位保存的不同")
        return
    if s.get(Batch, body["batch_id"]) is None:
        raise ValueError("notice of an unknown batch")
    entries = body["entries"]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise TypeError("notice entries")
    issued_at = datetime.fromisoformat(body["issued_at"])
    if issued_at.tzinfo is None:
        raise ValueError("naive issue time")
    s.add(PublicNotice(
        id=body["id"], batch_id=body["batch_id"], seq=int(body["seq"]), title=str(body["title"])[:200],
        starts=date.fromisoformat(body["starts"]), ends=date.fromisoformat(body["ends"]), issued_at=issued_at,
        issued_by=str(body["issued_by"]), office_code=str(body["office_code"]), supersedes=body.get("supersedes"),
        entries=entries, signer_code=record.body.get("signer"), signature=statement))
    s.flush()
    incoming.report.applied += 1


def _sign_own(session: Session, self_code: str, sign: Callable[[str, dict[str, Any]], bytes]) -> int:
    count = 0
    for n in session.scalars(select(PublicNotice).where(PublicNotice.signature.is_(None),
                                                        PublicNotice.office_code == self_code)):
        n.signature, n.signer_code = sign(KIND, notice_body(n)), self_code
        count += 1
    return count


register(RecordKind(KIND, _records, _local, _apply, group=lambda r: r.key, sign_own=_sign_own))
