"""What each neighbour holds: the hash of every record last sent to it and last acknowledged by it.

Sync items are written by upserts run straight through the driver (there are tens of thousands);
a package's fitting and an export's pending list read them back.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sanlian_desktop.models import SyncItem
from sanlian_desktop.store import dialects
from sanlian_desktop.sync.kinds.records import Record


def unacknowledged(session: Session, neighbour: str, records: Iterable[Record]) -> list[Record]:
    """The records whose current form the neighbour has not acknowledged."""
    acked = dict(item_hashes(session, neighbour, SyncItem.acked_hash))
    return [r for r in records if acked.get((r.kind, r.key)) != r.hash]


def item_hashes(session: Session, neighbour: str,
                column: InstrumentedAttribute[str | None]) -> Iterable[tuple[tuple[str, str], str | None]]:
    """(kind, key) → the hash in ``column`` for every record the neighbour was sent or acknowledged."""
    for kind, key, digest in session.execute(select(SyncItem.kind, SyncItem.key, column).where(
            SyncItem.neighbour_code == neighbour)):
        yield (kind, key), digest


_ITEMS = SyncItem.metadata.tables["sync_item"]


@functools.cache
def _upsert(engine: str, columns: tuple[str, ...], when: str | None = None) -> Any:
    """Insert items, or set ``columns`` of those the neighbour has already (only where ``when`` differs)."""
    stmt = dialects.insert(engine, _ITEMS)
    return stmt.on_conflict_do_update(
        index_elements=[_ITEMS.c.neighbour_code, _ITEMS.c.kind, _ITEMS.c.key],
        set_={c: stmt.excluded[c] for c in columns},
        where=None if when is None else _ITEMS.c[when].is_distinct_from(stmt.excluded[when]))


_SENT = ("sent_hash", "sent_package", "sent_at")
_ACKED = ("acked_hash", "acked_at")


def _upsert_rows(session: Session, update: tuple[str, ...], when: str | None, columns: tuple[str, ...],
                 rows: Iterable[tuple[object, ...]]) -> int:
    """Run an upsert of sync items for many rows straight through the driver; returns the rows it
    inserted or changed. Values arrive bound already (see :func:`_bound`): there are tens of
    thousands of items, and SQLAlchemy's per-row parameter handling would cost more than the database's."""
    stmt = _upsert(dialects.name_of(session), update, when)
    return dialects.execute_many(session.connection(), stmt, columns, rows)


def _bound(session: Session, column: str, value: object) -> object:
    """``value`` as SQLAlchemy binds it for the sync item ``column`` (a time becomes UTC text)."""
    dialect = session.connection().dialect
    processor = _ITEMS.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor is not None else value


def mark_sent(session: Session, neighbour: str, records: Iterable[Record], package_id: str, at: datetime) -> None:
    """Remember what went into a package to the neighbour."""
    session.flush()
    latest = {(r.kind, r.key): r.hash for r in records}
    when = _bound(session, "sent_at", at)
    _upsert_rows(session, _SENT, None, ("neighbour_code", "kind", "key", "sent_hash", "sent_package", "sent_at"),
                 ((neighbour, kind, key, digest, package_id, when) for (kind, key), digest in latest.items()))


def mark_acknowledged(session: Session, neighbour: str, entries: Iterable[tuple[str, str, str]], at: datetime) -> int:
    """Record the neighbour's receipt: (kind, key, hash) it holds now. Returns how many were new."""
    session.flush()
    latest: dict[tuple[str, str], str] = {}
    for kind, key, digest in entries:
        latest[kind, key] = digest
    when = _bound(session, "acked_at", at)
    return _upsert_rows(session, _ACKED, "acked_hash", ("neighbour_code", "kind", "key", "acked_hash", "acked_at"),
                        ((neighbour, kind, key, digest, when) for (kind, key), digest in latest.items()))
