"""The audit log: append-only and hash-chained, so edits made outside the program are detected."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.models import AuditEntry, Meta, utcnow
from sanlian_desktop.store import dialects

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
CHAIN_LOCK = "audit-chain"


def _entry_hash(prev_hash: str, seq: int, at: datetime, office: str, user: str, action: str,
                entity: str, entity_id: str, details: dict[str, Any]) -> str:
    body = cj.text([seq, at.isoformat(timespec="microseconds"), office, user, action, entity, entity_id, details],
                   cj.AUDIT)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    office: str,
    user: str,
    action: str,
    entity: str,
    entity_id: str,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry, chained to the one before it, in the caller's transaction.

    The chain's head is serialised: a second writer (another person on the same PostgreSQL store)
    waits until this transaction ends and then chains to what it wrote, so the log stays one chain.
    On PostgreSQL the entries of a transaction are written when it commits, after everything else it
    does: a transaction holding the head then waits for nothing another writer may hold (a declaration's
    row, a number), so two writers never deadlock over it. SQLite has one writer at a time: written now.
    """
    at = at or utcnow()
    entry = (at, office, user, action, entity, entity_id, cj.to_plain(details or {}, cj.AUDIT))
    if dialects.name_of(session) == dialects.POSTGRESQL:
        session.info.setdefault(_PENDING, []).append(entry)
    else:
        _append(session, [entry])


_PENDING = "audit_pending"
_Entry = tuple[datetime, str, str, str, str, str, dict[str, Any]]


def _append(session: Session, entries: list[_Entry]) -> None:
    dialects.serialise(session, CHAIN_LOCK)
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    for at, office, user, action, entity, entity_id, details in entries:
        seq += 1
        digest = _entry_hash(prev, seq, at, office, user, action, entity, entity_id, details)
        session.add(AuditEntry(seq=seq, at=at, office_code=office, username=user, action=action, entity=entity,
                               entity_id=entity_id, details=details, prev_hash=prev, hash=digest))
        prev = digest
    head = session.get(Meta, HEAD_KEY)
    if head is None:
        session.add(Meta(key=HEAD_KEY, value=f"{seq}:{prev}"))
    else:
        head.value = f"{seq}:{prev}"
    session.flush()


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """PostgreSQL: the transaction's audit entries, chained to the head under its lock, last of all."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        _append(session, pending)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    """Entries of a transaction rolled back (or closed without a commit) are never written."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@dataclass
class AuditReport:
    """What ``audit verify`` found."""

    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> AuditReport:
    """Walk the whole chain and report every entry that was changed, removed or inserted."""
    report = AuditReport()
    prev = GENESIS
    expected_seq = 1
    last_seq, last_hash = 0, GENESIS
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(2000):
        report.entries += 1
        if entry.seq != expected_seq:
            report.problems.append(f"第 {expected_seq} 条至第 {entry.seq - 1} 条记录缺失")
        if entry.prev_hash != prev:
            report.problems.append(f"第 {entry.seq} 条记录与前一条不衔接（前面的记录被删除或改动）")
        digest = _entry_hash(entry.prev_hash, entry.seq, entry.at, entry.office_code, entry.username,
                             entry.action, entry.entity, entry.entity_id, entry.details)
        if digest != entry.hash:
            report.problems.append(f"第 {entry.seq} 条记录（{entry.action}）的内容被改动")
        prev = entry.hash
        expected_seq = entry.seq + 1
        last_seq, last_hash = entry.seq, entry.hash
    head = session.get(Meta, HEAD_KEY)
    if head is not None and head.value != f"{last_seq}:{last_hash}":
        report.problems.append("日志末尾的记录被删除或改动（与记录的链尾不符）")
    if head is None and report.entries:
        report.problems.append("日志链尾记录缺失")
    return report
