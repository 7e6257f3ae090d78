"""The audit log: append-only and hash-chained, so edits made outside the program are detected."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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
) -> AuditEntry:
    """Append one entry, chained to the one before it, in the caller's transaction.

    The chain's head is serialised: a second writer (another person on the same PostgreSQL store)
    waits until this transaction ends and then chains to what it wrote, so the log stays one chain.
    """
    at = at or utcnow()
    dialects.serialise(session, CHAIN_LOCK)
    details = cj.to_plain(details or {}, cj.AUDIT)
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    digest = _entry_hash(prev, seq, at, office, user, action, entity, entity_id, details)
    entry = AuditEntry(
        seq=seq, at=at, office_code=office, username=user, action=action, entity=entity,
        entity_id=entity_id, details=details, prev_hash=prev, hash=digest,
    )
    session.add(entry)
    head = session.get(Meta, HEAD_KEY)
    if head is None:
        session.add(Meta(key=HEAD_KEY, value=f"{seq}:{digest}"))
    else:
        head.value = f"{seq}:{digest}"
    session.flush()
    return entry


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
