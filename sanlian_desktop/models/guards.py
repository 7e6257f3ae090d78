"""Rows that must never change once written: opinions, the audit log and submitted versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models.entities import AuditEntry, DeclarationVersion, Opinion


def _refuse(what: str) -> UserError:
    return UserError(f"{what}一经写入不能修改或删除", f"{what} is immutable once written")


_SIGNATURE = {"signer_code", "signature"}


def _only_signed(obj: Any) -> bool:
    """True when the only change is a first signature on an unsigned row (made when it is exported)."""
    if not isinstance(obj, Opinion | DeclarationVersion):
        return False
    state: Any = inspect(obj)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    if not changed or not changed <= _SIGNATURE:
        return False
    return all(not any(state.attrs[k].history.deleted) for k in changed)


@event.listens_for(Session, "before_flush")
def _guard_immutable(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, Opinion):
            raise _refuse("审核意见")
        if isinstance(obj, AuditEntry):
            raise _refuse("审计日志")
    for obj in session.dirty:
        if not session.is_modified(obj, include_collections=False) or _only_signed(obj):
            continue
        if isinstance(obj, Opinion):
            raise _refuse("审核意见")
        if isinstance(obj, AuditEntry):
            raise _refuse("审计日志")
        if isinstance(obj, DeclarationVersion):
            state = inspect(obj)
            was_frozen = state.attrs.frozen.history.deleted
            if (was_frozen and was_frozen[0]) or (obj.frozen and not state.attrs.frozen.history.has_changes()):
                raise _refuse("已提交的申报版本")
