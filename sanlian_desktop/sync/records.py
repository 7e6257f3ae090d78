"""Records that travel between offices, and which of them a neighbour office should receive.

A record is a small JSON object with a kind and a key. Its content hash decides whether the neighbour
already has it: everything a neighbour has not acknowledged in its current form is sent again, in
full, so that a lost package is repaired by the next one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.models import (
    Attachment,
    Batch,
    Declaration,
    DeclarationAttachment,
    DeclarationVersion,
    Opinion,
    Region,
)
from sanlian_desktop.sync import kinds as extensions
from sanlian_desktop.vocab import Level

# Kinds in the order a receiver applies them: what others refer to comes first.
KINDS = ("region", "batch", "attachment", "declaration", "version", "opinion", "attachment_link")


def record_kinds() -> tuple[str, ...]:
    """The core kinds and then those other modules registered (sync/kinds.py), in application order."""
    return (*KINDS, *(k.name for k in extensions.extra_kinds()))


def canonical(obj: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_plain).encode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


@dataclass
class Record:
    """One record: its kind, key and JSON body; an attachment carries its file instead of a body."""

    kind: str
    key: str
    body: dict[str, Any]
    blob: Callable[[], BinaryIO] | None = None
    version: int = 0

    @property
    def data(self) -> bytes:
        """The JSON bytes carried in the package (an attachment carries its file, from ``blob``)."""
        return canonical(self.body)

    @property
    def hash(self) -> str:
        """SHA-256 of what travels; an attachment's key is already its content's hash."""
        if self.blob is not None:
            return self.key
        return hashlib.sha256(self.data).hexdigest()


# -- turning rows into records ----------------------------------------------------------------------


def region_record(r: Region) -> Record:
    return Record("region", r.code, {
        "code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code, "special": r.special,
        "rural": r.rural, "population": r.population, "households": r.households,
    })


def batch_record(b: Batch) -> Record:
    return Record("batch", b.id, {
        "id": b.id, "code": b.code, "name": b.name, "opens": b.opens.isoformat(), "closes": b.closes.isoformat(),
        "budget_fen": b.budget_fen, "quota_projects": b.quota_projects, "quota_communities": b.quota_communities,
    })


def declaration_record(d: Declaration) -> Record:
    """The declaration's identity: what never changes after creation (its state is derived)."""
    return Record("declaration", d.id, {
        "id": d.id, "number": d.number, "community_code": d.community_code, "street_code": d.street_code,
        "county_code": d.county_code, "city_code": d.city_code, "batch_id": d.batch_id,
        "entered_by_office": d.entered_by_office, "from_paper": d.from_paper, "created_at": d.created_at.isoformat(),
        "created_by": d.created_by,
    })


def version_body(v: DeclarationVersion) -> dict[str, Any]:
    """What the entering office signs for a submitted version."""
    return {
        "declaration_id": v.declaration_id, "version": v.version, "fields": v.fields,
        "content_hash": v.content_hash, "submitted_at": v.submitted_at.isoformat() if v.submitted_at else None,
        "created_by": v.created_by,
    }


def opinion_body(o: Opinion) -> dict[str, Any]:
    """What the writing office signs for an opinion."""
    return {
        "id": o.id, "declaration_id": o.declaration_id, "version": o.version, "level": o.level,
        "office_code": o.office_code, "office_name": o.office_name, "reviewer": o.reviewer,
        "reviewer_name": o.reviewer_name, "decision": o.decision, "text": o.text,
        "decided_on": o.decided_on.isoformat(), "at": o.at.isoformat(), "granted_fen": o.granted_fen,
        "from_paper": o.from_paper, "scan_sha256": o.scan_sha256,
    }


def _signed(body: dict[str, Any], signer: str | None, signature: bytes | None) -> dict[str, Any]:
    import base64

    return {"body": body, "signer": signer, "signature": base64.b64encode(signature).decode() if signature else None}


def version_record(v: DeclarationVersion) -> Record:
    return Record("version", f"{v.declaration_id}:{v.version}", _signed(version_body(v), v.signer_code, v.signature),
                  version=v.version)


def opinion_record(o: Opinion) -> Record:
    return Record("opinion", o.id, _signed(opinion_body(o), o.signer_code, o.signature))


def link_key(declaration_id: str, sha256: str, name: str) -> str:
    """A bounded key for an attachment as one declaration uses it."""
    return f"{declaration_id}:{sha256}:{hashlib.sha256(name.encode()).hexdigest()[:16]}"


def link_record(link: DeclarationAttachment) -> Record:
    return Record("attachment_link", link_key(link.declaration_id, link.sha256, link.original_name), {
        "declaration_id": link.declaration_id, "sha256": link.sha256, "original_name": link.original_name,
        "kind": link.kind, "added_at": link.added_at.isoformat(), "added_by": link.added_by,
    })


# -- which records a neighbour should have ----------------------------------------------------------


def _opener(path: Path) -> Callable[[], BinaryIO]:
    def open_file() -> BinaryIO:
        return path.open("rb")

    return open_file


def shared_declarations(session: Session, self_code: str, neighbour_code: str, neighbour_level: Level,
                        self_level: Level) -> Iterator[Declaration]:
    """Declarations a neighbour should hold: submitted ones on the path between the two offices.

    Upward, everything submitted in this office's jurisdiction; downward, what lies in the child's.
    Drafts never leave the office that keeps them.
    """
    query = select(Declaration).where(Declaration.submitted_at.is_not(None))
    if neighbour_level.rank > self_level.rank:  # a child office
        column = {
            Level.CITY: Declaration.city_code,
            Level.COUNTY: Declaration.county_code,
            Level.STREET: Declaration.street_code,
            Level.COMMUNITY: Declaration.community_code,
        }[neighbour_level]
        query = query.where(column == neighbour_code)
    yield from session.scalars(query.order_by(Declaration.id)).yield_per(500)


def records_for(session: Session, self_code: str, self_level: Level, neighbour_code: str,
                neighbour_level: Level, blob_path: Any) -> Iterator[Record]:
    """Every record the neighbour should hold, in application order.

    Between the province and an evaluator office only the kinds registered for it travel.
    """
    route = extensions.Route(self_code, self_level, neighbour_code, neighbour_level, blob_path)
    if Level.EVALUATOR in (self_level, neighbour_level):
        for kind in extensions.extra_kinds():
            if kind.evaluator:
                yield from kind.records(session, route)
        return
    downward = neighbour_level.rank > self_level.rank
    if downward:
        for b in session.scalars(select(Batch).order_by(Batch.code)):
            yield batch_record(b)
    decls = list(shared_declarations(session, self_code, neighbour_code, neighbour_level, self_level))
    regions_sent: set[str] = set()
    for d in decls:
        for code in (d.street_code, d.community_code):
            if code not in regions_sent:
                region = session.get(Region, code)
                if region is not None and region.level in (Level.STREET, Level.COMMUNITY):
                    regions_sent.add(code)
                    yield region_record(region)
    for d in decls:
        links = list(session.scalars(select(DeclarationAttachment).where(
            DeclarationAttachment.declaration_id == d.id)))
        for link in links:
            att = session.get(Attachment, link.sha256)
            if att is not None:
                yield Record("attachment", att.sha256, {"sha256": att.sha256, "size": att.size},
                             blob=_opener(blob_path(att.sha256)))
        yield declaration_record(d)
        for v in session.scalars(select(DeclarationVersion).where(
                DeclarationVersion.declaration_id == d.id, DeclarationVersion.frozen.is_(True))):
            yield version_record(v)
        for o in session.scalars(select(Opinion).where(Opinion.declaration_id == d.id)):
            yield opinion_record(o)
        for link in links:
            yield link_record(link)
    for kind in extensions.extra_kinds():
        yield from kind.records(session, route)


def attachment_record(session: Session, sha256: str, blob_path: Callable[[str], Path]) -> Record | None:
    """The record carrying a stored file, for kinds (sync/kinds.py) whose rows refer to one."""
    att = session.get(Attachment, sha256)
    if att is None:
        return None
    return Record("attachment", att.sha256, {"sha256": att.sha256, "size": att.size}, blob=_opener(blob_path(sha256)))


def local_record(session: Session, kind: str, key: str) -> Record | None:
    """This store's current form of a record (to see whether it equals what a neighbour sent)."""
    if kind == "region":
        region = session.get(Region, key)
        return region_record(region) if region else None
    if kind == "batch":
        batch = session.get(Batch, key)
        return batch_record(batch) if batch else None
    if kind == "declaration":
        decl = session.get(Declaration, key)
        return declaration_record(decl) if decl else None
    if kind == "version":
        decl_id, _, number = key.rpartition(":")
        row = session.get(DeclarationVersion, (decl_id, int(number))) if number.isdigit() else None
        return version_record(row) if row is not None and row.frozen else None
    if kind == "opinion":
        opinion = session.get(Opinion, key)
        return opinion_record(opinion) if opinion else None
    if kind == "attachment":
        return Record("attachment", key, {}, blob=_opener(Path())) if session.get(Attachment, key) else None
    if kind == "attachment_link":
        decl_id, sha, _ = key.split(":", 2)
        for link in session.scalars(select(DeclarationAttachment).where(
                DeclarationAttachment.declaration_id == decl_id, DeclarationAttachment.sha256 == sha)):
            record = link_record(link)
            if record.key == key:
                return record
        return None
    extra = extensions.get(kind)
    if extra is not None:
        found: Record | None = extra.local(session, key)
        return found
    return None
