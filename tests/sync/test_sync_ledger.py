"""What each neighbour holds, written by upserts straight through the driver, on either engine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sanlian_desktop.models import SyncItem
from sanlian_desktop.sync.kinds.records import Record
from sanlian_desktop.sync.replication import ledger
from tests.helpers import Office

pytestmark = pytest.mark.engines

T1 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _items(county: Office) -> dict[tuple[str, str], tuple[str | None, str | None, datetime | None]]:
    with county.session() as s:
        return {(i.kind, i.key): (i.sent_hash, i.acked_hash, i.acked_at)
                for i in s.scalars(select(SyncItem).where(SyncItem.neighbour_code == "620100"))}


def test_sent_and_acknowledged_items_are_upserted(county: Office, engine: str) -> None:
    records = [Record("region", f"62010{i}", {"n": i}) for i in range(3)]
    with county.session() as s:
        ledger.mark_sent(s, "620100", records, "pkg-1", T1)
        ledger.mark_sent(s, "620100", records[:1], "pkg-2", T2)  # sent again: updated, not doubled
    items = _items(county)
    assert set(items) == {("region", r.key) for r in records}
    assert all(items["region", r.key][0] == r.hash for r in records)
    with county.session() as s:
        new = ledger.mark_acknowledged(s, "620100", [(r.kind, r.key, r.hash) for r in records[:2]], T1)
        again = ledger.mark_acknowledged(s, "620100", [(r.kind, r.key, r.hash) for r in records[:2]], T2)
        assert [r.key for r in ledger.unacknowledged(s, "620100", records)] == [records[2].key]
    assert (new, again) == (2, 0)  # an acknowledgement already held changes nothing
    items = _items(county)
    assert items["region", records[0].key][1:] == (records[0].hash, T1)
    assert items["region", records[2].key][1] is None
