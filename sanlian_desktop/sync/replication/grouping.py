"""How records and keys are grouped: the declaration a record travels with, and key lists cut into
chunks a single query can take."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from sanlian_desktop.sync.kinds.records import Record

_Key = TypeVar("_Key")


def chunks(keys: list[_Key], size: int = 500) -> Iterator[list[_Key]]:
    """``keys`` in lists of at most ``size``, each small enough for one ``IN (…)`` query."""
    for i in range(0, len(keys), size):
        yield keys[i:i + size]


def group_of(record: Record) -> str | None:
    """The declaration a record travels with (None for regions, batches and revocations)."""
    if record.kind == "declaration":
        return record.key
    if record.kind == "version":
        return record.key.rsplit(":", 1)[0]
    if record.kind == "opinion":
        decl_id = record.body.get("declaration_id")
        return decl_id if isinstance(decl_id, str) else record.key
    if record.kind == "attachment_link":
        return str(record.body.get("declaration_id"))
    return None
