"""Public notices (公示) travel down from the province to every office with a project in them.

Each notice is signed by the province when it first leaves it, and every office checks that
signature, so an office on the way can pass a notice on but not alter it. A notice held in another
form than the one received is kept aside as a conflict. Shortlists and expert scores are the
province's working papers and stay there: the notice is what the offices below need to see.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.canonical import body_time
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Batch, PublicNotice
from sanlian_desktop.offices import regions
from sanlian_desktop.sync.kinds.records import Record
from sanlian_desktop.sync.kinds.registry import Incoming, Route
from sanlian_desktop.sync.kinds.signed import Admitted, SignedKind, encoded, verify

KIND = "public_notice"
_ENTRY_COLUMN = {Level.CITY: "city_code", Level.COUNTY: "county_code", Level.STREET: "street_code",
                 Level.COMMUNITY: "community_code"}


def notice_body(n: PublicNotice) -> dict[str, Any]:
    """What the province signs for a notice."""
    return {"id": n.id, "batch_id": n.batch_id, "seq": n.seq, "title": n.title, "starts": n.starts.isoformat(),
            "ends": n.ends.isoformat(), "issued_at": n.issued_at.isoformat(), "issued_by": n.issued_by,
            "office_code": n.office_code, "supersedes": n.supersedes, "entries": n.entries}


def notice_record(n: PublicNotice) -> Record:
    return Record(KIND, n.id, {"body": notice_body(n), "signer": n.signer_code, "signature": encoded(n.signature)})


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


def _admit(incoming: Incoming, record: Record) -> Admitted:
    statement, body = verify(incoming, KIND, record.body["signature"], {regions.PROVINCE_CODE})
    if body.get("id") != record.key or record.body.get("body") != body:
        raise ValueError("notice does not match its statement")
    return Admitted(body, statement, record.body.get("signer"), record.key)


def _insert(incoming: Incoming, admitted: Admitted) -> PublicNotice:
    body = admitted.body
    if incoming.s.get(Batch, body["batch_id"]) is None:
        raise ValueError("notice of an unknown batch")
    entries = body["entries"]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise TypeError("notice entries")
    issued_at = body_time(body["issued_at"])
    return PublicNotice(
        id=body["id"], batch_id=body["batch_id"], seq=int(body["seq"]), title=str(body["title"])[:200],
        starts=date.fromisoformat(body["starts"]), ends=date.fromisoformat(body["ends"]), issued_at=issued_at,
        issued_by=str(body["issued_by"]), office_code=str(body["office_code"]), supersedes=body.get("supersedes"),
        entries=entries)


NOTICES = SignedKind(kind=KIND, model=PublicNotice, body=notice_body, record=notice_record, admit=_admit,
                     insert=_insert, differs="同一份公示的内容与本单位保存的不同", flush=True)


def register_kinds() -> None:
    """Add public notices to the packages (called by :func:`sanlian_desktop.app.compose`)."""
    NOTICES.register(_records, group=lambda r: r.key)
