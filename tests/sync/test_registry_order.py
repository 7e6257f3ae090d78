"""Registry records are applied by their owner's version, never by the order packages arrive in: a street's
older package delivered after a newer one, or one skipped and delivered after three later ones, changes
nothing, and an organisation deleted in the newer package stays deleted (issue 14, section 1)."""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sanlian_desktop.models import AreaFacts, CommunityFacts, CommunityOrganisation, SocialWorker
from sanlian_desktop.registries import records as registrysync
from sanlian_desktop.registries import service as registry
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.kinds.records import Record
from tests.helpers import Office
from tests.sync.helpers_cli import Offices

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


# -- the rules, record by record ------------------------------------------------------------------------

UID = "0b9c3d7e-2f1a-4c55-9a0e-1d2b3c4d5e6f"
ORG: dict[str, Any] = {
    "uid": UID, "office": STREET, "name": "东岗书画社", "credit_code": None, "record_number": "城关备001",
    "kind": "文体娱乐类", "community_code": COMMUNITY, "has_social_workers": True, "hosts_agency": False,
    "created_at": "2026-01-01T00:00:00+00:00", "created_by": "clerk", "updated_at": "2026-01-02T00:00:00+00:00",
    "deleted_at": None}
FACTS: dict[str, Any] = {"has_workroom": True, "in_federation": None, "registered_volunteers": 100,
                         "election": None, "updated_at": "2026-01-02T00:00:00+00:00", "updated_by": "clerk"}


@dataclass
class _Report:
    applied: int = 0
    already: int = 0


@dataclass(eq=False)  # hashed by identity, as the real importer is
class _Incoming:
    s: Any
    sender: str = STREET
    self_code: str = COUNTY
    from_parent: bool = False
    package_id: str = "p"
    preview: bool = False
    paths: Any = None
    report: _Report = field(default_factory=_Report)
    conflicts: list[str] = field(default_factory=list)

    def conflict(self, record: Record, reason: str, declaration_id: str | None = None) -> None:
        self.conflicts.append(reason)

    def verify(self, data: bytes, kind: str, signers: set[str]) -> dict[str, Any]:
        """A stand-in statement (:func:`_signed_facts`): the signed body itself, as JSON."""
        body: dict[str, Any] = json.loads(data)
        assert kind == "registry" and signers == {body["owner"]}
        return body


def _signed_facts(record: Record) -> Record:
    """The community record with its facts carrying a stand-in for their owner's statement (issue 20:
    facts recorded by another office than the sender travel with their owner's signature)."""
    facts = record.body["facts"]
    signed = json.dumps({"community": record.key.split(":", 1)[1], **facts}).encode()
    return Record(record.kind, record.key, {**record.body, "facts": {
        **facts, "signer": facts["owner"], "signature": base64.b64encode(signed).decode()}})


def _deliver(office: Office, *records: Record) -> None:
    """Each record in a package of its own, in turn."""
    for record in records:
        with office.store.session() as s:
            registrysync.apply(_Incoming(s), record)


def _org(**changes: Any) -> Record:
    return Record("registry", f"org:{UID}", {**ORG, **changes})


def _community(facts: dict[str, Any]) -> Record:
    return Record("registry", f"community:{COMMUNITY}", {
        "community": {"code": COMMUNITY, "name": "东岗西路社区", "rural": False, "population": None,
                      "households": None},
        "street": {"code": STREET, "name": "东岗街道"}, "facts": facts})


def _held_org(office: Office) -> CommunityOrganisation:
    with office.store.read_session() as s:
        org = s.scalar(select(CommunityOrganisation).where(CommunityOrganisation.uid == UID))
        assert org is not None
        s.expunge(org)
        return org


def _held_facts(office: Office) -> CommunityFacts:
    with office.store.read_session() as s:
        facts = s.get(CommunityFacts, COMMUNITY)
        assert facts is not None
        s.expunge(facts)
        return facts


def test_a_versioned_copy_wins_over_older_ones_and_copies_without_a_version(county: Office) -> None:
    _deliver(county, _org(version=3, name="三版"), _org(version=2, name="二版"), _org(name="旧程序的副本"),
             _org(version=3, name="三版"))
    assert (_held_org(county).name, _held_org(county).version) == ("三版", 3)
    # A deletion is the newest version: an older edit delivered after it does not bring the row back.
    _deliver(county, _org(version=4, deleted_at="2026-01-03T00:00:00+00:00"), _org(version=3, name="三版"))
    assert _held_org(county).deleted_at is not None and _held_org(county).version == 4


def test_copies_without_a_version_follow_arrival_as_they_did(county: Office) -> None:
    """Between offices that have not upgraded yet nothing better is possible; a version then wins."""
    _deliver(county, _org(name="甲"), _org(name="乙"))
    assert (_held_org(county).name, _held_org(county).version) == ("乙", 0)
    _deliver(county, _org(version=1, name="丙"), _org(name="丁"))
    assert (_held_org(county).name, _held_org(county).version) == ("丙", 1)


def test_facts_recorded_closer_to_the_community_win_and_older_ones_do_not(county: Office) -> None:
    def facts(owner: str, version: int, volunteers: int) -> Record:
        return _community({**FACTS, "owner": owner, "version": version, "registered_volunteers": volunteers})

    _deliver(county, facts(STREET, 2, 250), facts(STREET, 1, 100))
    assert _held_facts(county).registered_volunteers == 250
    # The community's own office knows best, whatever the street's counter says; the street's later
    # copies no longer replace it.
    _deliver(county, _signed_facts(facts(COMMUNITY, 1, 300)), facts(STREET, 9, 120), _community(FACTS))
    held = _held_facts(county)
    assert (held.registered_volunteers, held.owner_code, held.version) == (300, COMMUNITY, 1)


def test_an_edit_above_is_not_undone_by_an_older_copy_from_below(county: Office) -> None:
    """The county corrects facts the street recorded: the street's copies it has seen (or older ones)
    arriving again do not undo that, the street's next change does."""
    def facts(version: int, volunteers: int) -> Record:
        return _community({**FACTS, "owner": STREET, "version": version, "registered_volunteers": volunteers})

    _deliver(county, facts(2, 250))
    with county.session() as s:
        registry.set_community_facts(s, county.clerk, COMMUNITY, registered_volunteers=260)
    _deliver(county, facts(2, 250), facts(1, 100))
    assert _held_facts(county).registered_volunteers == 260
    _deliver(county, facts(3, 270))
    assert _held_facts(county).registered_volunteers == 270


@pytest.mark.parametrize("version", [0, -1, True, "2", 2.0, None, 2**62])
def test_a_bad_version_refuses_the_record(county: Office, version: Any) -> None:
    with county.store.session() as s, pytest.raises(ValueError):
        registrysync.apply(_Incoming(s), _org(version=version))
    with county.store.session() as s, pytest.raises(ValueError):
        registrysync.apply(_Incoming(s), _community({**FACTS, "owner": STREET, "version": version}))


@pytest.mark.parametrize("owner", ["620103001", "62010200100", None, "620000"])
def test_facts_owned_outside_the_senders_jurisdiction_are_refused(county: Office, owner: Any) -> None:
    with county.store.session() as s, pytest.raises(ValueError):
        registrysync.apply(_Incoming(s), _community({**FACTS, "owner": owner, "version": 1}))
