"""Records that travel between offices, and which of them a neighbour office should receive.

A record is a small JSON object with a kind and a key. Its content hash decides whether the neighbour
already has it: everything a neighbour has not acknowledged in its current form is sent again, in
full, so that a lost package is repaired by the next one.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.chunks import chunks
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import (
    Attachment,
    Batch,
    Declaration,
    DeclarationAttachment,
    DeclarationVersion,
    Opinion,
    Region,
)
from sanlian_desktop.sync.kinds import registry as extensions
from sanlian_desktop.sync.kinds.authority import PROVINCE_CODE
from sanlian_desktop.sync.trust.statements import Statement

# Kinds in the order a receiver applies them: what others refer to comes first.
KINDS = ("region", "batch", "attachment", "declaration", "version", "opinion", "attachment_link")


def record_kinds() -> tuple[str, ...]:
    """The core kinds and then those other modules registered (sync/kinds.py), in application order."""
    return (*KINDS, *(k.name for k in extensions.extra_kinds()))


def canonical(obj: Any) -> bytes:
    """A record body's canonical bytes (:data:`kernel.canonical.RECORD`: dates as ISO text, bytes as base64)."""
    return cj.encode(obj, cj.RECORD)


@dataclass
class Record:
    """One record: its kind, key and JSON body; an attachment carries its file instead of a body.

    A version or an opinion travels as the statement its writing office signed (``raw``): the entry
    is the statement's bytes, ``body`` is what the statement says and ``signer`` the office that
    signed it. On the receiving side ``statement`` holds the verified statement; nothing else sets it.
    """

    kind: str
    key: str
    body: dict[str, Any]
    blob: Callable[[], BinaryIO] | None = None
    version: int = 0
    raw: bytes | None = None
    signer: str | None = None
    statement: Statement | None = None
    # A received record: SHA-256 (hex) of its bytes as they travelled, from the verified manifest.
    carried: str | None = None

    @property
    def data(self) -> bytes:
        """The bytes carried in the package (an attachment carries its file, from ``blob``)."""
        return self.raw if self.raw is not None else canonical(self.body)

    @functools.cached_property
    def hash(self) -> str:
        """SHA-256 of what travels; an attachment's key is already its content's hash."""
        if self.blob is not None:
            return self.key
        if self.carried is not None:
            return self.carried
        return hashlib.sha256(self.data).hexdigest()


# -- turning rows into records ----------------------------------------------------------------------


def region_record(r: Region) -> Record:
    return Record("region", r.code, {
        "code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code, "special": r.special,
        "rural": r.rural, "population": r.population, "households": r.households,
    })


def batch_body(b: Batch) -> dict[str, Any]:
    """What the province signs for a batch (and what a batch made before batches were signed carries)."""
    return {
        "id": b.id, "code": b.code, "name": b.name, "opens": b.opens.isoformat(), "closes": b.closes.isoformat(),
        "budget_fen": b.budget_fen, "quota_projects": b.quota_projects, "quota_communities": b.quota_communities,
    }


# The fields a signed batch record adds to the batch's body: the province's code and its statement of the
# body (base64). A batch made before batches were signed travels without them, as it did then.
BATCH_SIGNATURE = ("signer", "signature")


def batch_record(b: Batch) -> Record:
    body = batch_body(b)
    if b.signature is not None:
        body.update(signer=b.signer_code, signature=base64.b64encode(b.signature).decode("ascii"))
    return Record("batch", b.id, body)


DECLARATION_IDENTITY = ("id", "number", "community_code", "street_code", "county_code", "city_code", "batch_id",
                        "entered_by_office", "from_paper", "created_at", "created_by")


def declaration_record(d: Declaration) -> Record:
    """The declaration's identity: what never changes after creation (its state is derived)."""
    return declaration_record_of(d)


def declaration_record_of(d: Any) -> Record:
    """:func:`declaration_record` of a row or of anything with those columns as attributes."""
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


STATEMENT_KINDS = frozenset({"version", "opinion"})


def version_record(v: DeclarationVersion) -> Record:
    """A submitted version: the entering office's signed statement of it."""
    return Record("version", f"{v.declaration_id}:{v.version}", version_body(v), version=v.version, raw=v.signature,
                  signer=v.signer_code)


def opinion_record(o: Opinion) -> Record:
    """An opinion: the writing office's signed statement of it."""
    return Record("opinion", o.id, opinion_body(o), raw=o.signature, signer=o.signer_code)


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


def _shared_query(self_code: str, neighbour_code: str, neighbour_level: Level, self_level: Level) -> Any:
    query = select(Declaration).where(Declaration.submitted_at.is_not(None))
    if neighbour_level.rank > self_level.rank:  # a child office
        column = {
            Level.CITY: Declaration.city_code,
            Level.COUNTY: Declaration.county_code,
            Level.STREET: Declaration.street_code,
            Level.COMMUNITY: Declaration.community_code,
        }[neighbour_level]
        query = query.where(column == neighbour_code)
    return query


def shared_declarations(session: Session, self_code: str, neighbour_code: str, neighbour_level: Level,
                        self_level: Level) -> Iterator[Declaration]:
    """Declarations a neighbour should hold: submitted ones on the path between the two offices.

    Upward, everything submitted in this office's jurisdiction; downward, what lies in the child's.
    Drafts never leave the office that keeps them.
    """
    query = _shared_query(self_code, neighbour_code, neighbour_level, self_level)
    yield from session.scalars(query.order_by(Declaration.id)).yield_per(500)



def records_for(session: Session, self_code: str, self_level: Level, neighbour_code: str,
                neighbour_level: Level, blob_path: Any) -> Iterator[Record]:
    """Every record the neighbour should hold, in application order: batches (downward; signed by the
    province, or from the province itself), the streets
    and communities the declarations lie in, then each declaration with its attachments, versions,
    opinions and links, then the kinds other modules registered (sync/kinds.py). Rows are read a few
    hundred declarations at a time, a handful of queries each.

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
        # A batch travels with the province's signature; one kept unsigned from before batches were signed
        # leaves only the province itself (any other office below would refuse it from a forwarder).
        for b in session.scalars(select(Batch).order_by(Batch.code)):
            if b.signature is not None or self_code == PROVINCE_CODE:
                yield batch_record(b)
    shared = _shared_query(self_code, neighbour_code, neighbour_level, self_level).subquery()
    places = session.execute(select(shared.c.id, shared.c.street_code, shared.c.community_code)
                             .order_by(shared.c.id)).all()
    codes = list(dict.fromkeys(code for _, street, community in places for code in (street, community)))
    known: dict[str, Region] = {}
    for chunk in chunks(codes):
        known.update((r.code, r) for r in session.scalars(select(Region).where(Region.code.in_(chunk))))
    for code in codes:
        region = known.get(code)
        if region is not None and region.level in (Level.STREET, Level.COMMUNITY):
            yield region_record(region)
    del known, codes
    ids = [decl_id for decl_id, _, _ in places]
    del places
    for chunk in chunks(ids):
        decls = list(session.scalars(select(Declaration).where(Declaration.id.in_(chunk)).order_by(Declaration.id)))
        versions = _by_declaration(session.scalars(select(DeclarationVersion).where(
            DeclarationVersion.declaration_id.in_(chunk), DeclarationVersion.frozen.is_(True))
            .order_by(DeclarationVersion.declaration_id, DeclarationVersion.version)))
        opinions = _by_declaration(session.scalars(select(Opinion).where(Opinion.declaration_id.in_(chunk))
                                                   .order_by(Opinion.declaration_id, Opinion.seq)))
        links = _by_declaration(session.scalars(select(DeclarationAttachment).where(
            DeclarationAttachment.declaration_id.in_(chunk)).order_by(DeclarationAttachment.id)))
        shas = sorted({link.sha256 for group in links.values() for link in group})
        files = {a.sha256: a for a in session.scalars(select(Attachment).where(Attachment.sha256.in_(shas)))}
        for d in decls:
            for link in links.get(d.id, ()):
                att = files.get(link.sha256)
                if att is not None:
                    # Once per declaration that uses it: a package carries it once (see service).
                    yield Record("attachment", att.sha256, {"sha256": att.sha256, "size": att.size},
                                 blob=_opener(blob_path(att.sha256)))
            yield declaration_record(d)
            for v in versions.get(d.id, ()):
                yield version_record(v)
            for o in opinions.get(d.id, ()):
                yield opinion_record(o)
            for link in links.get(d.id, ()):
                yield link_record(link)

    for kind in extensions.extra_kinds():
        yield from kind.records(session, route)


def attachment_record(session: Session, sha256: str, blob_path: Callable[[str], Path]) -> Record | None:
    """The record carrying a stored file, for kinds (sync/kinds.py) whose rows refer to one."""
    att = session.get(Attachment, sha256)
    if att is None:
        return None
    return Record("attachment", att.sha256, {"sha256": att.sha256, "size": att.size}, blob=_opener(blob_path(sha256)))


def _by_declaration(rows: Any) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.declaration_id, []).append(row)
    return grouped


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


def local_hashes(session: Session, kind: str, keys: list[str]) -> dict[str, str]:
    """This store's current form of many records of one core kind, as their hashes (key → hash).

    The same answer as :func:`local_record` for each key, in a few queries."""
    found: dict[str, str] = {}
    for chunk in chunks(sorted(set(keys))):
        if kind == "region":
            found.update((r.code, region_record(r).hash) for r in session.scalars(
                select(Region).where(Region.code.in_(chunk))))
        elif kind == "batch":
            found.update((b.id, batch_record(b).hash) for b in session.scalars(select(Batch).where(Batch.id.in_(chunk))))
        elif kind == "declaration":
            columns = [getattr(Declaration, name) for name in DECLARATION_IDENTITY]
            found.update((d.id, declaration_record_of(d).hash) for d in session.execute(
                select(*columns).where(Declaration.id.in_(chunk))))
        elif kind == "version":
            wanted = set(chunk)
            # By declaration (the primary key's first column): SQLite scans the table for pairs of values.
            rows = session.execute(select(DeclarationVersion.declaration_id, DeclarationVersion.version,
                                          DeclarationVersion.signature).where(
                DeclarationVersion.declaration_id.in_(sorted({k.rpartition(":")[0] for k in chunk})),
                DeclarationVersion.frozen.is_(True)))
            for decl_id, number, signature in rows:
                if f"{decl_id}:{number}" not in wanted:
                    continue
                if signature is not None:
                    found[f"{decl_id}:{number}"] = hashlib.sha256(signature).hexdigest()
                else:  # unsigned: what version_record would carry
                    unsigned = session.get(DeclarationVersion, (decl_id, number))
                    if unsigned is not None:
                        found[f"{decl_id}:{number}"] = version_record(unsigned).hash
        elif kind == "opinion":
            for opinion_id, signature in session.execute(select(Opinion.id, Opinion.signature).where(
                    Opinion.id.in_(chunk))):
                if signature is not None:
                    found[opinion_id] = hashlib.sha256(signature).hexdigest()
                else:
                    row = session.get(Opinion, opinion_id)
                    if row is not None:
                        found[opinion_id] = opinion_record(row).hash
        elif kind == "attachment":
            found.update((sha, sha) for sha in session.scalars(select(Attachment.sha256).where(
                Attachment.sha256.in_(chunk))))
        elif kind == "attachment_link":
            wanted_keys = set(chunk)
            decl_ids = sorted({k.split(":", 1)[0] for k in chunk})
            for link in session.scalars(select(DeclarationAttachment).where(
                    DeclarationAttachment.declaration_id.in_(decl_ids)).order_by(DeclarationAttachment.id)):
                record = link_record(link)
                if record.key in wanted_keys and record.key not in found:
                    found[record.key] = record.hash
        else:
            raise ValueError(f"not a core record kind: {kind}")
    return found
