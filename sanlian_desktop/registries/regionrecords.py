"""Region updates travel down from the province to every office whose territory they touch.

The province publishes a region update (:func:`sanlian_desktop.offices.regions.issue_region_update`):
renames, additions and retirements of streets and communities. Like a batch, it goes down with the next
packages; it is signed by the province when it first leaves it, every office on the way checks that
signature and passes it on unchanged, and each office applies the changes inside its own territory when
it receives it, writes what changed to its audit log and keeps the update (``sanlian region updates``
and the 台账 page list it change by change). Codes never change, so declarations keep the region they
were made for. An update held in another form than the one received is kept aside as a conflict.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel import codes
from sanlian_desktop.models import RegionUpdate, utcnow
from sanlian_desktop.offices import regions
from sanlian_desktop.store import audit
from sanlian_desktop.sync.kinds.records import Record
from sanlian_desktop.sync.kinds.registry import Incoming, Route
from sanlian_desktop.sync.kinds.signed import Admitted, SignedKind, encoded, verify

KIND = "region_update"


def update_body(u: RegionUpdate) -> dict[str, Any]:
    """What the province signs for a region update."""
    return {"id": u.id, "office_code": u.office_code, "title": u.title, "issued_at": u.issued_at.isoformat(),
            "issued_by": u.issued_by, "changes": u.changes}


def update_record(u: RegionUpdate) -> Record | None:
    if u.signature is None:
        return None
    return Record(KIND, u.id, {"body": update_body(u), "signer": u.signer_code, "signature": encoded(u.signature)})


def concerns(u: RegionUpdate, office_code: str) -> bool:
    """Whether a change of the update lies in the office's territory, or is its own region or one above."""
    return codes.is_region_code(office_code) and any(
        codes.within(office_code, c["code"]) or codes.within(c["code"], office_code) for c in u.changes)


def _records(session: Session, route: Route) -> Iterator[Record]:
    if not route.downward:
        return
    updates = session.scalars(select(RegionUpdate).where(RegionUpdate.signature.is_not(None))
                              .order_by(RegionUpdate.issued_at, RegionUpdate.id))
    yield from UPDATES.signed(u for u in updates if concerns(u, route.neighbour_code))


def _admit(incoming: Incoming, record: Record) -> Admitted:
    statement, body = verify(incoming, KIND, record.body["signature"], {regions.PROVINCE_CODE})
    if body.get("id") != record.key or record.body.get("body") != body:
        raise ValueError("region update does not match its statement")
    return Admitted(body, statement, record.body.get("signer"), record.key)


def _insert(incoming: Incoming, admitted: Admitted) -> RegionUpdate:
    body = admitted.body
    changes = body["changes"]
    if not isinstance(changes, list) or not all(
            isinstance(c, dict) and c.get("op") in regions.CHANGE_OPS and isinstance(c.get("code"), str)
            and isinstance(c.get("name"), str) for c in changes):
        raise TypeError("region update changes")
    issued_at = datetime.fromisoformat(body["issued_at"])
    if issued_at.tzinfo is None:
        raise ValueError("naive issue time")
    applied = regions.apply_region_changes(incoming.s, changes, incoming.self_code)
    update = RegionUpdate(id=body["id"], office_code=str(body["office_code"]), title=str(body["title"])[:200],
                          issued_at=issued_at, issued_by=str(body["issued_by"])[:64], changes=changes,
                          applied=applied, received_from=incoming.sender, received_at=utcnow())
    audit.record(incoming.s, office=incoming.self_code, user="sync", action="region.update", entity="region_update",
                 entity_id=update.id, details={"title": update.title, "from": incoming.sender, "package": incoming.package_id,
                                               "applied": [regions.change_text(c) for c in applied]})
    return update


UPDATES = SignedKind(kind=KIND, model=RegionUpdate, body=update_body, record=update_record, admit=_admit,
                     insert=_insert, differs="同一份区划变更的内容与本单位保存的不同", flush=True)


def register_kinds() -> None:
    """Add region updates to the packages (called by :func:`sanlian_desktop.app.compose`)."""
    UPDATES.register(_records, group=lambda r: r.key)
