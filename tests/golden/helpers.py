"""Shared by ``scripts/make_golden_fixtures.py`` and the golden tests: how a vector's input is written in
``vectors.json``, how each of the four canonical-JSON encoders is run on it, and what of a store the
fixtures pin down (:func:`store_snapshot`).

The encoders are called exactly where they live before the layout refactor; whoever moves them rewrites
the imports in :func:`run_encoder` and :func:`store_snapshot` (and nothing in the data files).
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"

ENCODERS = ("records.canonical", "canonical.dumps", "declfields.canonical_json", "audit._entry_hash")

# The fixed entry around a vector's value when it is hashed as an audit entry's ``details``.
AUDIT_CONTEXT: dict[str, Any] = {
    "prev_hash": "0" * 64, "seq": 1, "at": {"$datetime": "2026-01-01T08:00:00.123456+08:00"},
    "office": "620102", "user": "admin", "action": "decl.create", "entity": "declaration",
    "entity_id": "00000000-0000-4000-8000-000000000001",
}


# -- inputs -----------------------------------------------------------------------------------------


def decode(value: Any) -> Any:
    """A vector input as written in ``vectors.json`` back to the Python value.

    Plain JSON stands for itself; an object with a single ``$tag`` key stands for what JSON cannot say:
    ``$date``, ``$datetime`` (ISO text), ``$decimal``, ``$bytes`` (base64), ``$tuple``, ``$float``
    (``repr`` text: ``nan``, ``inf``, ``-0.0``, ``1.5``), ``$int`` (decimal text), ``$pow10`` (``10 ** n``: an int
    too long to write as text under Python's 4300-digit limit), ``$keys`` (a list of ``[key, value]`` pairs for a dict whose
    keys are not all strings), ``$level`` (a :class:`~sanlian_desktop.kernel.vocab.Level` member name)."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$date":
            return date.fromisoformat(inner)
        if tag == "$datetime":
            return datetime.fromisoformat(inner)
        if tag == "$decimal":
            return Decimal(inner)
        if tag == "$bytes":
            return base64.b64decode(inner)
        if tag == "$tuple":
            return tuple(decode(v) for v in inner)
        if tag == "$float":
            return float(inner)
        if tag == "$int":
            return int(inner)
        if tag == "$pow10":
            return 10 ** int(inner)
        if tag == "$keys":
            return {decode(k): decode(v) for k, v in inner}
        if tag == "$level":
            from sanlian_desktop.kernel.vocab import Level

            return Level[inner]
    return {k: decode(v) for k, v in value.items()}


# -- running the encoders ---------------------------------------------------------------------------


@contextmanager
def _audit_hash_input() -> Iterator[list[bytes]]:
    """What ``audit._entry_hash`` feeds SHA-256, captured without changing what it returns."""
    from sanlian_desktop.store import audit

    seen: list[bytes] = []
    real = audit.hashlib

    class _Spy:
        @staticmethod
        def sha256(data: bytes = b"") -> Any:
            seen.append(bytes(data))
            return hashlib.sha256(data)

    audit.hashlib = _Spy  # type: ignore[assignment]
    try:
        yield seen
    finally:
        audit.hashlib = real


def _outcome(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return run()
    except Exception as exc:  # the exception class is part of the golden behaviour
        return {"error": type(exc).__name__}


def run_encoder(name: str, value: Any, audit_context: dict[str, Any] | None = None) -> dict[str, Any]:
    """One encoder's result for ``value``: ``bytes_hex`` (what it produced, as UTF-8), ``sha256`` (its
    hash as the program computes it) — or ``error`` (the exception's class name)."""
    if name == "records.canonical":
        from sanlian_desktop.sync.kinds.records import Record, canonical

        def run() -> dict[str, Any]:
            data = canonical(value)
            out: dict[str, Any] = {"bytes_hex": data.hex(), "sha256": hashlib.sha256(data).hexdigest()}
            if isinstance(value, dict):
                out["record_hash"] = Record("golden", "key", value).hash
            return out

        return _outcome(run)
    if name == "canonical.dumps":
        from sanlian_desktop.kernel import canonical as cj

        def run() -> dict[str, Any]:
            data = cj.dumps(value)
            return {"bytes_hex": data.hex(), "sha256": hashlib.sha256(data).hexdigest()}

        return _outcome(run)
    if name == "declfields.canonical_json":
        from sanlian_desktop.declarations import fields as declfields

        def run() -> dict[str, Any]:
            text = declfields.canonical_json(value)
            return {"bytes_hex": text.encode("utf-8").hex(), "content_hash": declfields.content_hash(value)}

        return _outcome(run)
    if name == "audit._entry_hash":
        from sanlian_desktop.store import audit

        ctx = decode(audit_context or AUDIT_CONTEXT)

        def run() -> dict[str, Any]:
            with _audit_hash_input() as seen:
                digest = audit._entry_hash(ctx["prev_hash"], ctx["seq"], ctx["at"], ctx["office"], ctx["user"],
                                           ctx["action"], ctx["entity"], ctx["entity_id"], value)
            # The hashed bytes are prev_hash (64 hex characters) and then the JSON body.
            return {"hashed_hex": seen[-1].hex(), "entry_hash": digest}

        return _outcome(run)
    raise ValueError(name)


# -- what a store holds ---------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def store_snapshot(store: Any) -> dict[str, Any]:
    """Every stored hash, signature and audit link of a store, and the counts and states around them, in a
    JSON-comparable form. Rows are ordered by their keys so two snapshots compare as equal values."""
    from sqlalchemy import func, select

    from sanlian_desktop.models import (
        Attachment,
        AuditEntry,
        Batch,
        CertificateRecord,
        Declaration,
        DeclarationAttachment,
        DeclarationVersion,
        Meta,
        Opinion,
        Region,
        SyncItem,
        SyncPackage,
    )

    with store.read_session() as s:
        def count(model: Any) -> int:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)

        head = s.get(Meta, "audit_head")
        return {
            "counts": {name: count(model) for name, model in (
                ("regions", Region), ("batches", Batch), ("declarations", Declaration),
                ("versions", DeclarationVersion), ("opinions", Opinion), ("attachments", Attachment),
                ("attachment_links", DeclarationAttachment), ("audit", AuditEntry),
                ("certificates", CertificateRecord), ("sync_items", SyncItem), ("packages", SyncPackage))},
            "declarations": [
                {"id": d.id, "number": d.number, "status": d.status, "current_version": d.current_version,
                 "awaiting_office": d.awaiting_office, "title": d.title}
                for d in s.scalars(select(Declaration).order_by(Declaration.id))],
            "versions": [
                {"declaration_id": v.declaration_id, "version": v.version, "content_hash": v.content_hash,
                 "frozen": v.frozen, "signer": v.signer_code, "signature_sha256": _sha(v.signature)}
                for v in s.scalars(select(DeclarationVersion).order_by(
                    DeclarationVersion.declaration_id, DeclarationVersion.version))],
            "opinions": [
                {"id": o.id, "declaration_id": o.declaration_id, "seq": o.seq, "level": o.level,
                 "decision": o.decision, "signer": o.signer_code, "signature_sha256": _sha(o.signature)}
                for o in s.scalars(select(Opinion).order_by(Opinion.id))],
            "attachments": sorted(s.scalars(select(Attachment.sha256))),
            "certificates": sorted([c.serial, c.region_code, _sha(c.encoded)]
                                   for c in s.scalars(select(CertificateRecord))),
            "audit": [[e.seq, e.action, e.hash] for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))],
            "audit_head": head.value if head is not None else None,
            "sync_items": sorted([i.neighbour_code, i.kind, i.key, i.sent_hash, i.acked_hash]
                                 for i in s.scalars(select(SyncItem))),
        }


def vacuum_copy(source: Path, target: Path) -> None:
    """A compact single-file copy of a closed SQLite store (no WAL beside it)."""
    target.unlink(missing_ok=True)
    conn = sqlite3.connect(source)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM INTO ?", (str(target),))
    finally:
        conn.close()
    out = sqlite3.connect(target)
    try:
        out.execute("PRAGMA journal_mode=DELETE")
    finally:
        out.close()


