"""How records are grouped: the declaration a record travels with."""

from __future__ import annotations

from sanlian_desktop.sync.kinds.records import Record


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
