"""The audit log: append-only and hash-chained, so edits made outside the program are detected."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.util import identity_key

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.models import AuditEntry, Meta, utcnow
from sanlian_desktop.store import dialects

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
CHAIN_LOCK = "audit-chain"


def _tail(at: datetime, office: str, user: str, action: str, entity: str, entity_id: str,
          details: dict[str, Any]) -> str:
    """The entry's JSON body after its sequence number: ``_entry_hash`` hashes ``[seq,`` + this. It does not
    depend on the chain, so it is written before the chain's head is taken."""
    body = cj.text([at.isoformat(timespec="microseconds"), office, user, action, entity, entity_id, details],
                   cj.AUDIT)
    return body[1:]


def _chained(prev_hash: str, seq: int, tail: str) -> str:
    """The hash of the entry ``seq`` whose body after the number is ``tail``, chained to ``prev_hash``:
    SHA-256 of the previous hash and then the body ``[seq,…]`` (the canonical JSON of the list of the
    number, the time and the rest)."""
    return hashlib.sha256((prev_hash + "[" + str(seq) + "," + tail).encode("utf-8")).hexdigest()


def _entry_hash(prev_hash: str, seq: int, at: datetime, office: str, user: str, action: str,
                entity: str, entity_id: str, details: dict[str, Any]) -> str:
    return _chained(prev_hash, seq, _tail(at, office, user, action, entity, entity_id, details))


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
    does has been written: a transaction holding the head then waits for nothing another writer may hold
    (a declaration's row, a number), so two writers never deadlock over it, and holds it only for reading
    the head and writing the entries and the new head (everything else of the entry, its JSON body, is
    made here, before). SQLite has one writer at a time: written now.
    """
    at = at or utcnow()
    plain = cj.to_plain(details or {}, cj.AUDIT)
    entry = _Entry(at, office, user, action, entity, entity_id, plain,
                   _tail(at, office, user, action, entity, entity_id, plain))
    if dialects.name_of(session) == dialects.POSTGRESQL:
        session.info.setdefault(_PENDING, []).append(entry)
    else:
        _append(session, [entry])


_PENDING = "audit_pending"


class _Entry(NamedTuple):
    at: datetime
    office: str
    user: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any]
    tail: str


def _head(session: Session) -> tuple[int, str] | None:
    """The chain's head (last number and hash) as the head row records it (the entries' own last one;
    ``verify`` reports a difference), that row locked until the transaction ends: on PostgreSQL a second
    writer waits here and then reads what the first committed. None when there is no head row yet."""
    stmt = dialects.for_update(session, select(Meta.value).where(Meta.key == HEAD_KEY))
    value = session.execute(stmt).scalar()
    if value is None:
        return None
    seq, _, digest = value.partition(":")
    return int(seq), digest


def _append(session: Session, entries: list[_Entry]) -> None:
    # Everything else of the transaction is written first, before the head is taken.
    session.flush()
    if dialects.name_of(session) == dialects.POSTGRESQL:
        # The head row's lock serialises the chain in one statement that reads it too. A store without a
        # head row yet (no entry so far) takes the chain's lock first: whoever makes the row holds that.
        head = _head(session)
        if head is None:
            dialects.serialise(session, CHAIN_LOCK)
            head = _head(session)
    else:
        # SQLite: the store's one write lock; the last entry itself is read (in-process, it costs nothing).
        dialects.serialise(session, CHAIN_LOCK)
        head = None
    if head is None:
        last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
        head = (last[0], last[1]) if last else (0, GENESIS)
    seq, prev = head
    rows: list[dict[str, Any]] = []
    for e in entries:
        seq += 1
        digest = _chained(prev, seq, e.tail)
        rows.append({"seq": seq, "at": e.at, "office_code": e.office, "username": e.user, "action": e.action,
                     "entity": e.entity, "entity_id": e.entity_id, "details": e.details, "prev_hash": prev,
                     "hash": digest})
        prev = digest
    conn = session.connection()
    conn.execute(insert(AuditEntry), rows)
    value = f"{seq}:{prev}"
    meta = Meta.__table__
    upsert = dialects.insert(session, meta).values(key=HEAD_KEY, value=value)  # type: ignore[arg-type]
    conn.execute(upsert.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value}))
    # A copy of the head row this session holds is out of date now.
    held = session.identity_map.get(identity_key(Meta, HEAD_KEY))
    if held is not None:
        session.expire(held)


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
