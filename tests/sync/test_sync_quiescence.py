"""Exchanges come to rest: once everything is acknowledged, no office has a package left to send."""

from __future__ import annotations

from pathlib import Path

from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import import_package
from sanlian_desktop.sync.exchange.status import status
from tests.sync.helpers_service import open_chain


def test_receipts_alone_are_not_answered(template: Path, tmp_path: Path) -> None:
    offices = open_chain(template, tmp_path)
    city, county = offices["620100"], offices["620102"]
    try:
        sent = []
        for n in range(6):
            sender, recipient = (city, county) if n % 2 == 0 else (county, city)
            out = tmp_path / f"{n}.sanlian"
            result = export_package(sender.store, sender.admin, recipient.code, out, allow_empty=False)
            if result.path is None:
                sent.append(0)
                continue
            sent.append(result.records + result.receipts)
            import_package(recipient.store, recipient.admin, out)
        # The batch goes down and its receipt comes up; a package of receipts alone asks for nothing back.
        assert sent[-2:] == [0, 0], sent
        for office, other in ((city, county), (county, city)):
            row = next(r for r in status(office.store) if r.neighbour.code == other.code)
            assert (row.waiting, row.sent_unacknowledged, row.receipts_waiting) == (0, 0, 0)
    finally:
        for office in offices.values():
            office.store.close()
