"""Demo data: valid by every rule, inside the office's jurisdiction, in every state, at any level."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from sanlian_desktop.declarations import fields as declfields
from sanlian_desktop.declarations import listing
from sanlian_desktop.demo.generate import generate
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import (
    CommunityOrganisation,
    Declaration,
    DeclarationVersion,
    Opinion,
    SocialWorker,
)
from sanlian_desktop.offices import regions
from tests.helpers import make_office


@pytest.mark.engines
@pytest.mark.parametrize(
    ("level", "code", "name"),
    [("province", "620000", "甘肃省民政厅"), ("city", "620200", "嘉峪关市民政局"), ("county", "620102", "城关区民政局"),
     ("street", "620102001", "东岗街道"), ("community", "620102001001", "东岗西路社区")],
)
def test_demo_at_every_level(tmp_path: Path, level: str, code: str, name: str,
                             database: Callable[[], str | None]) -> None:
    office = make_office(tmp_path / level, level, code, name, with_batch=False)
    summary = generate(office.store, office.admin, count=240, seed=7)
    assert summary["declarations"] == 240
    with office.session() as s:
        inside = regions.subtree_codes(s, code)
        rows = list(s.scalars(select(Declaration)))
        assert len(rows) == 240
        assert all(d.community_code in inside for d in rows)
        assert listing.count(s, listing.list_query(office.reviewer)) == 240
        for v in s.scalars(select(DeclarationVersion)):
            result = declfields.normalise(v.fields, for_submit=True)
            assert result.errors == []
            assert result.fields == v.fields
            assert declfields.content_hash(v.fields) == v.content_hash
        # The registries' rows (loaded in bulk like the declarations: COPY on PostgreSQL) read back whole.
        orgs = list(s.scalars(select(CommunityOrganisation)))
        assert len(orgs) == summary["organisations"]
        assert all(o.uid and o.version == 1 and o.created_at.tzinfo is not None for o in orgs)
        assert len(list(s.scalars(select(SocialWorker)))) == summary["social_workers"]
        titles = {(d.community_code, d.title) for d in rows}
        assert len(titles) == len(rows)
        # Only the province decides; below it a declaration ends at the demo office or waits above it, and
        # a community reviews nothing (sync/kinds/authority.py: who may sign which opinion).
        expected = {"province": {"draft", "under_review", "returned", "approved", "rejected"},
                    "community": {"draft", "under_review"}}.get(level, {"draft", "under_review", "returned", "rejected"})
        assert {d.status for d in rows} == expected
        # The demo office signs every opinion: its own typed, those of the levels below it from paper.
        for o in s.scalars(select(Opinion)):
            assert Level(o.level).rank >= Level(level).rank
            assert o.from_paper == (o.office_code != code)
    office.store.close()
