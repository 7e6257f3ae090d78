"""Demo data travel like real data: made at a street or a county, exported to the office above, accepted
there whole (issue 14 §3a) — the authority model (sync/kinds/authority.py) in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from sanlian_desktop.demo.generate import generate
from sanlian_desktop.kernel.codes import level_of
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Declaration, DeclarationVersion, Opinion
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
