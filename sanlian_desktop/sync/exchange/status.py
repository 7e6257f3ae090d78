"""The state of the channel to each neighbour: what waits to go, what was sent and acknowledged,
which packages are missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import PendingReceipt, SyncChannel, SyncItem, SyncPackage
from sanlian_desktop.offices import certack
from sanlian_desktop.offices.auth import this_office
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.export import once, pending_records
from sanlian_desktop.sync.exchange.neighbours import Neighbour, neighbours
from sanlian_desktop.sync.exchange.outgoing import never_travels


@dataclass
class NeighbourStatus:
    """Per neighbour: what waits to go, what was sent and acknowledged, which packages are missing."""

    neighbour: Neighbour
    waiting: int
    sent_unacknowledged: int
    acknowledged: int
    last_sent: datetime | None
    last_received: datetime | None
    missing_seqs: list[int]
    receipts_waiting: int

    def as_dict(self) -> dict[str, Any]:
        return {"office": self.neighbour.code, "name": self.neighbour.name, "is_parent": self.neighbour.is_parent,
                "waiting": self.waiting, "sent_unacknowledged": self.sent_unacknowledged,
                "acknowledged": self.acknowledged, "receipts_waiting": self.receipts_waiting,
                "last_sent": self.last_sent.isoformat() if self.last_sent else None,
                "last_received": self.last_received.isoformat() if self.last_received else None,
                "missing_packages": self.missing_seqs}


def status(store: Store) -> list[NeighbourStatus]:
    """The state of every channel."""
    out = []
    with store.read_session() as s:
        me = this_office(s)
        for n in neighbours(s):
            pending = once(never_travels(s, Level(me.level), n, pending_records(s, store, me, n))[0])
            items = list(s.scalars(select(SyncItem).where(SyncItem.neighbour_code == n.code,
                                                          SyncItem.kind != certack.LEDGER_KIND)))
            by_key = {(i.kind, i.key): i for i in items}
            sent_unacked = sum(1 for r in pending if (i := by_key.get((r.kind, r.key))) and i.sent_hash == r.hash)
            channel = s.get(SyncChannel, n.code)
            seqs = sorted(channel.received_seqs or []) if channel else []
            last = {d: s.scalar(select(SyncPackage.at).where(SyncPackage.neighbour_code == n.code,
                                                             SyncPackage.direction == d)
                                .order_by(SyncPackage.at.desc()).limit(1)) for d in ("in", "out")}
            receipts = len(list(s.scalars(select(PendingReceipt).where(
                PendingReceipt.neighbour_code == n.code, PendingReceipt.sent_in_package.is_(None)))))
            out.append(NeighbourStatus(
                n, waiting=len(pending) - sent_unacked, sent_unacknowledged=sent_unacked,
                acknowledged=sum(1 for i in items if i.acked_hash is not None),
                last_sent=last["out"], last_received=last["in"],
                missing_seqs=[q for q in range(1, seqs[-1]) if q not in seqs] if seqs else [],
                receipts_waiting=receipts))
    return out
