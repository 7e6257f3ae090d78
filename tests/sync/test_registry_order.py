"""Registry records are applied by their owner's version, never by the order packages arrive in: a street's
older package delivered after a newer one, or one skipped and delivered after three later ones, changes
nothing, and an organisation deleted in the newer package stays deleted (issue 14, section 1)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sanlian_desktop.models import AreaFacts, CommunityFacts, CommunityOrganisation, SocialWorker
from sanlian_desktop.store.engine import Store
from tests.sync.cli_offices import Offices

COUNTY, STREET, COMMUNITY = "620102", "620102001", "620102001001"


def registries(home: Path) -> dict[str, Any]:
    """Every registry row of a store, deleted ones included, without local ids."""
    store = Store.open(home)
    try:
        with store.read_session() as s:
            def rows(model: Any, key: Any) -> list[dict[str, Any]]:
                return [{c.name: getattr(r, c.key) for c in model.__table__.columns if c.name != "id"}
                        for r in s.scalars(select(model).order_by(key))]

            return {"orgs": rows(CommunityOrganisation, CommunityOrganisation.uid),
                    "workers": rows(SocialWorker, SocialWorker.uid),
                    "facts": rows(CommunityFacts, CommunityFacts.community_code),
                    "areas": rows(AreaFacts, AreaFacts.region_code)}
    finally:
        store.close()


def _export(o: Offices, name: str) -> Path:
    path = o.files / f"{name}.sanlian"
    o.ok(STREET, "sync", "export", "--to", COUNTY, "--out", str(path))
    return path


def _import(o: Offices, home: Path, path: Path) -> None:
    o.homes[COUNTY], kept = home, o.homes[COUNTY]
    try:
        o.ok(COUNTY, "sync", "import", str(path))
    finally:
        o.homes[COUNTY] = kept


def _start(o: Offices) -> tuple[str, str, str]:
    """The street registers two organisations, a worker and the community's facts; the county has them."""
    kept = o.json(STREET, "registry", "add-org", "--community", COMMUNITY, "--name", "东岗夕阳红服务队",
                  "--kind", "社区服务类", "--record-number", "城关备001", user="clerk")["uid"]
    doomed = o.json(STREET, "registry", "add-org", "--community", COMMUNITY, "--name", "东岗书画社",
                    "--kind", "文体娱乐类", "--record-number", "城关备002", user="clerk")["uid"]
    worker = o.json(STREET, "registry", "add-worker", "--community", COMMUNITY, "--name", "张敏", user="clerk")["uid"]
    o.ok(STREET, "registry", "set-community", COMMUNITY, "--volunteers", "100", user="clerk")
    o.carry(STREET, COUNTY)
    return kept, doomed, worker


def _edit(o: Offices, org: str, worker: str, name: str, kind: str, level: str, volunteers: int) -> None:
    o.ok(STREET, "registry", "edit-org", org, "--name", name, "--kind", kind, user="clerk")
    o.ok(STREET, "registry", "edit-worker", worker, "--certificate", level, "--certificate-number", "2016001",
         user="clerk")
    o.ok(STREET, "registry", "set-community", COMMUNITY, "--volunteers", str(volunteers), user="clerk")


def _twin(o: Offices, name: str) -> Path:
    """A copy of the county's home, to take the packages in order."""
    twin = o.root / name
    shutil.copytree(o.homes[COUNTY], twin)
    return twin


def test_an_older_package_after_a_newer_one_changes_nothing(chain: Offices) -> None:
    o = chain
    kept, doomed, worker = _start(o)
    in_order = _twin(o, "county-in-order")
    _edit(o, kept, worker, "东岗夕阳红志愿服务队", "公益慈善类", "助理社会工作师", 180)
    p1 = _export(o, "p1")
    _edit(o, kept, worker, "东岗银龄志愿服务队", "社区服务类", "社会工作师", 250)
    o.ok(STREET, "registry", "delete-org", doomed, user="clerk")
    p2 = _export(o, "p2")

    for path in (p2, p1):
        _import(o, o.homes[COUNTY], path)
    for path in (p1, p2):
        _import(o, in_order, path)

    held = registries(o.homes[COUNTY])
    orgs = {r["uid"]: r for r in held["orgs"]}
    assert (orgs[kept]["name"], orgs[kept]["kind"]) == ("东岗银龄志愿服务队", "社区服务类")
    assert orgs[doomed]["deleted_at"] is not None  # deleted in p2, not brought back by p1
    assert [w["certificate_level"] for w in held["workers"]] == ["社会工作师"]
    assert [f["registered_volunteers"] for f in held["facts"]] == [250]
    assert held == registries(in_order) == registries(o.homes[STREET])
    assert [x["name"] for x in o.json(COUNTY, "registry", "list", "orgs")] == ["东岗银龄志愿服务队"]


def test_a_package_skipped_and_delivered_after_three_later_ones_changes_nothing(chain: Offices) -> None:
    o = chain
    kept, doomed, worker = _start(o)
    in_order = _twin(o, "county-in-order")
    steps = [("东岗志愿一队", "公益慈善类", "助理社会工作师", 120), ("东岗志愿二队", "社区服务类", "社会工作师", 150),
             ("东岗志愿三队", "文体娱乐类", "助理社会工作师", 200), ("东岗志愿四队", "社区服务类", "高级社会工作师", 250)]
    packages = []
    for n, step in enumerate(steps, 1):
        _edit(o, kept, worker, *step)
        if n == 2:
            o.ok(STREET, "registry", "delete-org", doomed, user="clerk")
        packages.append(_export(o, f"p{n}"))

    for path in packages[1:] + packages[:1]:
        _import(o, o.homes[COUNTY], path)
    for path in packages:
        _import(o, in_order, path)

    held = registries(o.homes[COUNTY])
    orgs = {r["uid"]: r for r in held["orgs"]}
    assert orgs[kept]["name"] == "东岗志愿四队" and orgs[doomed]["deleted_at"] is not None
    assert [w["certificate_level"] for w in held["workers"]] == ["高级社会工作师"]
    assert [f["registered_volunteers"] for f in held["facts"]] == [250]
    assert held == registries(in_order) == registries(o.homes[STREET])
