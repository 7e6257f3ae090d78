"""Migration 0011: registry rows kept by an older store get version 0 (facts no owner), travel exactly as
they did before, and the owning office's first change gives them version 1."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import select, text

from sanlian_desktop.models import AreaFacts, CommunityFacts, CommunityOrganisation, SocialWorker
from sanlian_desktop.registries import records as registrysync
from sanlian_desktop.registries import service as registry
from sanlian_desktop.store.engine import HEAD_REVISION, Store, alembic_config, make_engine
from tests.helpers import Office

COMMUNITY, COUNTY = "620102001001", "620102"


def _bodies(store: Store) -> dict[str, dict[str, Any]]:
    with store.read_session() as s:
        made = [registrysync.org_record(o) for o in s.scalars(select(CommunityOrganisation))]
        made += [registrysync.worker_record(w) for w in s.scalars(select(SocialWorker))]
        made += [registrysync.area_record(a) for a in s.scalars(select(AreaFacts))]
        facts = s.get(CommunityFacts, COMMUNITY)
        assert facts is not None
        return {**{r.key: r.body for r in made}, "facts": registrysync._facts_body(facts) or {}}


def test_an_older_store_gets_versions_and_its_records_travel_as_before(county: Office) -> None:
    with county.session() as s:
        org = registry.add_organisation(s, county.clerk, name="东岗夕阳红服务队", community_code=COMMUNITY,
                                        kind="社区服务类", record_number="城关备001")
        registry.add_worker(s, county.clerk, name="张敏", community_code=COMMUNITY)
        registry.set_community_facts(s, county.clerk, COMMUNITY, registered_volunteers=100)
        registry.set_area_facts(s, county.clerk, COUNTY, has_association=True)
        uid = org.uid
    versioned = _bodies(county.store)
    assert {body["version"] for body in versioned.values()} == {1}
    assert versioned["facts"]["owner"] == versioned[f"area:{COUNTY}"]["owner"] == COUNTY
    county.store.close()

    # The same rows as the store before 0011 kept them.
    engine = make_engine(f"sqlite:///{county.home / 'sanlian.db'}")
    command.downgrade(alembic_config(engine), "0010")
    with engine.connect() as conn:
        columns = {row[1] for row in conn.execute(text("PRAGMA table_info(community_organisation)"))}
    engine.dispose()
    assert "version" not in columns

    store = Store.open(county.home)
    try:
        assert store.schema_revision() == HEAD_REVISION
        with store.read_session() as s:
            assert {o.version for o in s.scalars(select(CommunityOrganisation))} == {0}
            assert {w.version for w in s.scalars(select(SocialWorker))} == {0}
            assert [(f.owner_code, f.version) for f in s.scalars(select(CommunityFacts))] == [(None, 0)]
            assert [(a.owner_code, a.version) for a in s.scalars(select(AreaFacts))] == [(None, 0)]
        # Their records are those the program made before versions: no field added.
        old = _bodies(store)
        for key, body in versioned.items():
            assert old[key] == {k: v for k, v in body.items() if k not in ("owner", "version")}, key
        # The owning office's next change gives them version 1.
        with store.session() as s:
            registry.update_organisation(s, county.clerk, uid, name="东岗夕阳红志愿服务队")
            registry.set_community_facts(s, county.clerk, COMMUNITY, registered_volunteers=250)
        changed = _bodies(store)
        assert changed[f"org:{uid}"]["version"] == 1 and changed[f"org:{uid}"]["name"] == "东岗夕阳红志愿服务队"
        assert (changed["facts"]["owner"], changed["facts"]["version"]) == (COUNTY, 1)
        assert "version" not in changed[f"area:{COUNTY}"]
    finally:
        store.close()
