"""More than one package holds goes in several, whole declarations at a time, next part first."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from sanlian_desktop.models import Declaration, Opinion, SyncItem
from sanlian_desktop.sync.exchange import export as sync_export
from sanlian_desktop.sync.exchange.export import ExportResult, export_package
from sanlian_desktop.sync.exchange.importing import import_package
from tests.sync.helpers_service import ServiceOffice, fill_county, open_chain


def _count(office: ServiceOffice, model: type) -> int:
    with office.store.read_session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_large_export_is_carried_in_parts(template: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    offices = open_chain(template, tmp_path)
    county, city = offices["620102"], offices["620100"]
    try:
        fill_county(county, 6)
        # 14 entries for records and the receipt, and three for the certificates the statements need.
        monkeypatch.setattr(sync_export, "PACKAGE_ENTRIES", 17)
        parts = []
        for n in range(3):  # exported one after another, before any receipt comes back
            result = export_package(county.store, county.admin, city.code, tmp_path / f"{n}.sanlian")
            assert result.records <= 14
            parts.append(result)
        # Each part carries declarations the earlier parts did not; together they carry all six.
        assert sum(p.by_kind.get("declaration", 0) for p in parts) == 6
        for part in reversed(parts):  # and they may arrive in any order
            assert part.path is not None
            import_package(city.store, city.admin, part.path)
        assert _count(city, Declaration) == 6
        assert _count(city, Opinion) == 12
        with city.store.read_session() as s:
            assert set(s.scalars(select(Declaration.status))) == {"under_review"}
    finally:
        for office in offices.values():
            office.store.close()


def test_the_parts_do_not_overlap_and_a_lost_part_goes_again_with_the_next_export(
        template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    offices = open_chain(template, tmp_path)
    county, city = offices["620102"], offices["620100"]
    try:
        fill_county(county, 6)
        monkeypatch.setattr(sync_export, "PACKAGE_ENTRIES", 17)

        def export(name: str) -> ExportResult:
            result = export_package(county.store, county.admin, city.code, tmp_path / name)
            assert result.path is not None
            return result

        parts = [export(f"{n}.sanlian") for n in range(3)]
        with county.store.read_session() as s:
            sent = list(s.scalars(select(SyncItem.sent_package).where(SyncItem.kind == "declaration")))
        # Each declaration went in exactly one part: the parts of the backlog do not overlap.
        assert [sent.count(p.package_id) for p in parts] == [p.by_kind["declaration"] for p in parts]
        assert all(p.by_kind["declaration"] > 0 for p in parts)
        assert sum(p.by_kind["declaration"] for p in parts) == 6
        # The registries' records (sent after the declarations) fill the fourth part, nothing sent again.
        parts.append(export("3.sanlian"))
        assert "declaration" not in parts[-1].by_kind and parts[-1].by_kind["registry"] > 0
        # The first part is lost on the way; the city imports the others.
        for part in parts[1:]:
            assert part.path is not None
            import_package(city.store, city.admin, part.path)
        assert _count(city, Declaration) == 6 - parts[0].by_kind["declaration"]
        # Everything was sent once and nothing is acknowledged yet: the next export carries the
        # unacknowledged again, the lost part's declarations first.
        again = export("again.sanlian")
        assert again.path is not None
        assert import_package(city.store, city.admin, again.path).report.new_declarations == \
            parts[0].by_kind["declaration"]
        assert _count(city, Declaration) == 6
        assert _count(city, Opinion) == 12
    finally:
        for office in offices.values():
            office.store.close()
