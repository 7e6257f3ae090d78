"""Demo data travel like real data: made at a street or a county, exported to the office above, accepted
there whole (issue 14 §3a) — the authority model (sync/kinds/authority.py) in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from sanlian_desktop.demo.generate import generate
from sanlian_desktop.kernel.codes import level_of
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Declaration, DeclarationVersion, Opinion, Region
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import import_package
from tests.sync.helpers_service import CODES, open_chain


def _counts(store: object, codes: set[str] | None = None) -> tuple[int, int, int]:
    with store.read_session() as s:  # type: ignore[attr-defined]
        return (int(s.scalar(select(func.count()).select_from(Declaration).where(Declaration.submitted_at.is_not(None)))
                    or 0),
                int(s.scalar(select(func.count()).select_from(DeclarationVersion).where(
                    DeclarationVersion.frozen.is_(True))) or 0),
                int(s.scalar(select(func.count()).select_from(Opinion)) or 0))


@pytest.mark.parametrize(("index", "count"), [(3, 150), (2, 80)], ids=["street-to-county", "county-to-city"])
def test_demo_is_exported_and_imported_whole(template: Path, tmp_path: Path, index: int, count: int) -> None:
    offices = open_chain(template, tmp_path)
    try:
        me, above = offices[CODES[index]], offices[CODES[index - 1]]
        generate(me.store, me.admin, count=count, seed=11)
        own_level = level_of(me.code)
        with me.store.read_session() as s:
            opinions = list(s.scalars(select(Opinion)))
        # Nothing above the demo office: its own opinions typed, those below transcribed from paper.
        assert opinions and all(Level(o.level).rank >= own_level.rank for o in opinions)
        assert all(o.from_paper == (o.office_code != me.code) for o in opinions)
        before = _counts(above.store)
        sent = export_package(me.store, me.admin, above.code, tmp_path / "up.sanlian")
        assert sent.by_kind["declaration"] > 0 and sent.by_kind["opinion"] > 0
        result = import_package(above.store, above.admin, tmp_path / "up.sanlian")
        assert result.report.conflicts == 0
        assert result.report.applied == sent.records
        assert _counts(above.store) == tuple(b + n for b, n in zip(
            before, _counts(me.store), strict=True))
        # Every demo declaration's state is the same above (derived there from the signed opinions).
        with me.store.read_session() as s:
            mine = dict(tuple(r) for r in s.execute(select(Declaration.id, Declaration.status).where(
                Declaration.submitted_at.is_not(None))))
        with above.store.read_session() as s:
            theirs = dict(tuple(r) for r in s.execute(select(Declaration.id, Declaration.status).where(
                Declaration.id.in_(list(mine)))))
        assert theirs == mine
    finally:
        for office in offices.values():
            office.store.close()


@pytest.mark.parametrize("index", [0, 1], ids=["province-to-city", "city-to-county"])
def test_demo_made_above_the_county_goes_down_without_what_no_office_takes(template: Path, tmp_path: Path,
                                                                           index: int) -> None:
    """Demo declarations at a city or the province are entered there, which no office accepts (only a
    community or a street or county office on the chain enters one): they stay with their versions and
    opinions, said in the export's report, and the rest of the package goes down and is imported whole."""
    offices = open_chain(template, tmp_path)
    try:
        me, below = offices[CODES[index]], offices[CODES[index + 1]]
        generate(me.store, me.admin, count=60, seed=7, communities_wanted=10)
        column = Declaration.city_code if index == 0 else Declaration.county_code
        with me.store.read_session() as s:
            inside = list(s.scalars(select(Declaration.id).where(
                column == below.code, Declaration.submitted_at.is_not(None),
                Declaration.entered_by_office == me.code)))
            opinions = int(s.scalar(select(func.count()).select_from(Opinion).where(
                Opinion.declaration_id.in_(inside))) or 0)
        before = _counts(below.store)
        sent = export_package(me.store, me.admin, below.code, tmp_path / "down.sanlian")
        assert inside and sent.left_out["declaration"] == len(inside)
        assert sent.left_out.get("opinion", 0) == opinions
        assert f"{len(inside)} 份由本单位录入的申报" in sent.left_out_note and "未随同步包发送" in sent.left_out_note
        assert "declaration" not in sent.by_kind and sent.by_kind.get("region", 0) > 0  # its communities go down
        result = import_package(below.store, below.admin, tmp_path / "down.sanlian")
        assert result.report.conflicts == 0
        assert result.report.applied + result.report.already == sent.records
        assert _counts(below.store) == before
        with below.store.read_session() as s:  # the demo's streets and communities inside it arrived
            assert s.scalar(select(func.count()).select_from(Region).where(Region.code.like(f"{below.code}%"))) or 0
        # Nothing of it waits to go again: the status counts only what can travel.
        from sanlian_desktop.sync.exchange.status import status

        mine = next(st for st in status(me.store) if st.neighbour.code == below.code)
        assert mine.waiting == 0
    finally:
        for office in offices.values():
            office.store.close()
