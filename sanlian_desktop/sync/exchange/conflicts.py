"""Records kept aside for a person to decide, and closing them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models import SyncConflict, utcnow
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import audit


def conflicts(session: Session, *, include_resolved: bool = False) -> list[SyncConflict]:
    """Records kept aside for a person to decide."""
    query = select(SyncConflict).order_by(SyncConflict.id)
    if not include_resolved:
        query = query.where(SyncConflict.resolved_at.is_(None))
    return list(session.scalars(query))


def resolve_conflict(session: Session, actor: Actor, conflict_id: int, note: str) -> SyncConflict:
    """Close a conflict, keeping this office's record, with who decided and why."""
    from sanlian_desktop.kernel.vocab import Role

    actor.require(Role.ADMIN, Role.REVIEWER, action="处理同步冲突")
    row = session.get(SyncConflict, conflict_id)
    if row is None or row.resolved_at is not None:
        raise UserError(f"没有待处理的冲突 {conflict_id}", f"no open conflict {conflict_id}")
    note = note.strip()
    if not note:
        raise UserError("请写明处理意见", "a note is required")
    row.resolved_at, row.resolved_by, row.resolution = utcnow(), actor.username, "keep_local"
    audit.record(session, office=actor.office_code, user=actor.username, action="sync.resolve", entity="conflict",
                 entity_id=str(conflict_id), details={"note": note, "kind": row.kind, "key": row.key})
    return row
