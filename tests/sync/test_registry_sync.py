"""Registries travel up the chain of offices (registrysync): what a community records reaches the
province, edits and deletions follow, forged records are refused, and importing twice changes nothing."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from sanlian_desktop.kernel.checks import credit_code_check_char
from sanlian_desktop.models import CommunityOrganisation, SyncConflict
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.kinds import registry as kinds
from sanlian_desktop.sync.kinds.records import Record
from sanlian_desktop.sync.kinds.signed import signed_content
from tests.sync.helpers_cli import Offices

PROVINCE, CITY, COUNTY, STREET, COMMUNITY = "620000", "620100", "620102", "620102001", "620102001001"
UP = [COMMUNITY, STREET, COUNTY, CITY, PROVINCE]
BODY = "52620102MJ0000001"
CREDIT = BODY + credit_code_check_char(BODY)


def _register(o: Offices) -> dict[str, Any]:
    """The community records an organisation, two workers and its facts; the street adds residents."""
    o.ok(STREET, "region", "add", "--code", "620102001002", "--name", "雁园社区", "--population", "5000")
    org = o.json(COMMUNITY, "registry", "add-org", "--community", COMMUNITY, "--name", "东岗夕阳红服务队",
                 "--kind", "社区服务类", "--credit-code", CREDIT, "--social-workers", user="clerk")
    worker = o.json(COMMUNITY, "registry", "add-worker", "--community", COMMUNITY, "--name", "张敏",
                    "--certificate", "社会工作师", "--certificate-number", "2016001", user="clerk")
    o.json(COMMUNITY, "registry", "add-worker", "--community", COMMUNITY, "--name", "李强", user="clerk")
    o.ok(COMMUNITY, "registry", "set-community", COMMUNITY, "--workroom", "是", "--federation", "是",
         "--volunteers", "0", "--election", "direct", user="clerk")
    return {"org": org, "worker": worker}


def _carry_up(o: Offices) -> list[dict[str, Any]]:
    return [o.carry(sender, recipient) for sender, recipient in itertools.pairwise(UP)]


def _indicators(o: Offices, code: str, region: str) -> dict[str, Any]:
    report = o.json(code, "indicators", "--region", region)
    return {r["code"]: {t["key"]: t for t in r["targets"]} for r in report["regions"]}


def _conflicts(o: Offices, code: str) -> list[SyncConflict]:
    store = Store.open(o.homes[code])
    try:
        with store.read_session() as s:
            from sqlalchemy import select

            rows = list(s.scalars(select(SyncConflict)))
            s.expunge_all()
            return rows
    finally:
        store.close()


def test_registries_reach_the_province_and_edits_and_deletions_follow(chain: Offices) -> None:
    o = chain
    made = _register(o)
    reports = _carry_up(o)
    assert all(r["conflicting"] == 0 for r in reports), reports
    # The province knows the community now, with what was recorded there.
    by_region = _indicators(o, PROVINCE, COUNTY)
    assert by_region[COMMUNITY]["orgs_per_community"]["value"] == 1.0
    assert by_region[COMMUNITY]["social_worker"]["met"] is True
    assert by_region[COMMUNITY]["workroom"]["met"] is True
    assert by_region[COMMUNITY]["direct_election"]["met"] is True
    assert "620102001002" in by_region  # a community with nothing recorded still counts
    orgs = o.json(PROVINCE, "registry", "list", "orgs")
    assert [(x["uid"], x["office"], x["name"]) for x in orgs] == [(made["org"]["uid"], COMMUNITY, "东岗夕阳红服务队")]
    assert len(o.json(PROVINCE, "registry", "list", "workers")) == 2

    # An edit at the community and a deletion travel up; the province's copy follows (below wins).
    o.ok(COMMUNITY, "registry", "edit-org", made["org"]["uid"], "--name", "东岗夕阳红志愿服务队", "--social-workers",
         "否", user="clerk")
    o.ok(COMMUNITY, "registry", "delete-worker", str(made["worker"]["id"]), user="clerk")
    reports = _carry_up(o)
    assert all(r["applied"] == 2 and r["conflicting"] == 0 for r in reports), reports
    assert [x["name"] for x in o.json(PROVINCE, "registry", "list", "orgs")] == ["东岗夕阳红志愿服务队"]
    assert [x["name"] for x in o.json(PROVINCE, "registry", "list", "workers")] == ["李强"]
    # The province holds the community's own signed statement of the edited organisation (issue 20):
    # the community signed it anew after the edit, and every office passed that statement on.
    store = Store.open(o.homes[PROVINCE])
    try:
        with store.read_session() as s:
            from sqlalchemy import select

            held = s.scalars(select(CommunityOrganisation)).one()
            assert held.signer_code == COMMUNITY and held.signature is not None
            assert signed_content(held.signature)[0]["name"] == "东岗夕阳红志愿服务队"
    finally:
        store.close()
    by_region = _indicators(o, PROVINCE, COUNTY)
    assert by_region[COMMUNITY]["social_worker"]["met"] is False  # the deleted worker no longer counts
    assert by_region[COMMUNITY]["orgs_per_community"]["value"] == 0.0


def test_importing_twice_changes_nothing_and_receipts_settle(chain: Offices) -> None:
    o = chain
    _register(o)
    path = o.files / "twice.sanlian"
    o.ok(COMMUNITY, "sync", "export", "--to", STREET, "--out", str(path))
    first = o.json(STREET, "sync", "import", str(path))
    assert first["applied"] >= 4 and first["conflicting"] == 0
    before = o.json(STREET, "registry", "list", "orgs")
    again = o.json(STREET, "sync", "import", str(path))
    assert again.get("already_imported") is True
    assert o.json(STREET, "registry", "list", "orgs") == before
    # After the receipt comes back, nothing of the registries is waiting any more.
    o.carry(STREET, COMMUNITY)
    status = {n["office"]: n for n in o.json(COMMUNITY, "sync", "status")}
    assert status[STREET]["waiting"] == 0 and status[STREET]["sent_unacknowledged"] == 0, status
    # The same records arriving again in a new package are "already present", not applied twice.
    o.ok(COMMUNITY, "registry", "set-community", COMMUNITY, "--volunteers", "1", user="clerk")
    report = o.carry(COMMUNITY, STREET)
    assert report["applied"] == 1 and report["conflicting"] == 0


def _forge(o: Offices, sender: str, recipient: str, record: Record) -> tuple[int, str]:
    """Export from ``sender`` with one extra registry record slipped in, import at ``recipient``."""
    original = kinds._KINDS["registry"]

    def records(session: Any, route: Any) -> Any:
        yield from original.records(session, route)
        if not route.downward:
            yield record

    kinds._KINDS["registry"] = kinds.RecordKind("registry", records, original.local, original.apply, original.group)
    try:
        path = o.files / f"forged-{record.key[:20].replace(':', '-')}.sanlian"
        o.ok(sender, "sync", "export", "--to", recipient, "--out", str(path))
    finally:
        kinds._KINDS["registry"] = original
    rc, _, err = o.run(recipient, "sync", "import", str(path))
    return rc, err


def _org_body(uid: str, community: str, office: str, **changes: Any) -> dict[str, Any]:
    body = {"uid": uid, "office": office, "name": "伪造组织", "credit_code": None, "record_number": "备001",
            "kind": "其他", "community_code": community, "has_social_workers": True, "hosts_agency": False,
            "created_at": "2026-01-01T00:00:00+00:00", "created_by": "x", "updated_at": "2026-01-01T00:00:00+00:00",
            "deleted_at": None}
    body.update(changes)
    return body


FORGED_UID = "0b9c3d7e-2f1a-4c55-9a0e-1d2b3c4d5e6f"


@pytest.mark.parametrize(
    "record",
    [
        # a community of another county than the sender's
        Record("registry", f"org:{FORGED_UID}", _org_body(FORGED_UID, "620103001001", "620103001001")),
        # the owner outside the sender's jurisdiction
        Record("registry", f"org:{FORGED_UID}", _org_body(FORGED_UID, COMMUNITY, "620103")),
        # the key and the body disagree
        Record("registry", f"org:{FORGED_UID}", _org_body("1b9c3d7e-2f1a-4c55-9a0e-1d2b3c4d5e6f", COMMUNITY,
                                                            COMMUNITY)),
        # wrong types and lengths
        Record("registry", f"org:{FORGED_UID}", _org_body(FORGED_UID, COMMUNITY, COMMUNITY, has_social_workers=1)),
        Record("registry", f"org:{FORGED_UID}", _org_body(FORGED_UID, COMMUNITY, COMMUNITY, name="长" * 101)),
        Record("registry", f"org:{FORGED_UID}", {**_org_body(FORGED_UID, COMMUNITY, COMMUNITY), "extra": 1}),
        Record("registry", "community:620103001001", {
            "community": {"code": "620103001001", "name": "别的社区", "rural": False, "population": 10,
                          "households": None},
            "street": {"code": "620103001", "name": "别的街道"}, "facts": None}),
        Record("registry", "area:620103", {"code": "620103", "has_association": True, "pilot": True,
                                           "updated_at": "2026-01-01T00:00:00+00:00", "updated_by": "x"}),
        Record("registry", "nonsense:1", {}),
    ],
    ids=["community-outside", "owner-outside", "key-mismatch", "type", "length", "extra-field",
         "foreign-community", "foreign-area", "unknown-prefix"],
)
def test_forged_or_malformed_records_refuse_the_package(chain: Offices, record: Record) -> None:
    o = chain
    _register(o)
    o.carry(COMMUNITY, STREET)
    rc, err = _forge(o, STREET, COUNTY, record)
    assert rc == 2 and "registry" in err, err
    assert o.json(COUNTY, "registry", "list", "orgs") == []  # nothing of the package was applied


def test_a_record_owned_by_the_receiver_refuses_the_package(chain: Offices) -> None:
    o = chain
    _register(o)
    _carry_up(o)  # the county knows the community now
    mine = o.json(COUNTY, "registry", "add-org", "--community", COMMUNITY, "--name", "县里登记的组织",
                  "--kind", "其他", "--record-number", "城关备001", user="clerk")
    # The street claims the county's organisation as its own: the package is refused (issue 20: a registry
    # record is changed only by its owner), the county's stays, nothing is kept aside.
    forged = Record("registry", f"org:{mine['uid']}", _org_body(mine["uid"], COMMUNITY, STREET, name="改名"))
    rc, err = _forge(o, STREET, COUNTY, forged)
    assert rc == 2 and "另一单位登记" in err and "越权" in err, err
    names = sorted(x["name"] for x in o.json(COUNTY, "registry", "list", "orgs"))
    assert names == ["东岗夕阳红服务队", "县里登记的组织"]
    assert _conflicts(o, COUNTY) == []


def test_a_credit_code_registered_twice_is_a_conflict_above(chain: Offices) -> None:
    o = chain
    _register(o)
    _carry_up(o)
    # Another community of the county registers the same organisation, at the county itself.
    o.ok(COUNTY, "region", "add", "--code", "620102002", "--name", "拱星墩街道")
    o.ok(COUNTY, "region", "add", "--code", "620102002001", "--name", "拱星墩社区")
    rc, _, err = o.run(COUNTY, "registry", "add-org", "--community", "620102002001", "--name", "另一个",
                       "--kind", "其他", "--credit-code", CREDIT, user="clerk")
    assert rc == 2 and "已登记在另一个组织名下" in err
    forged_uid = "2b9c3d7e-2f1a-4c55-9a0e-1d2b3c4d5e6f"
    # Sent by its owner itself (unsigned, as a row kept from before signatures: taken at the first hop).
    clash = Record("registry", f"org:{forged_uid}", _org_body(forged_uid, COMMUNITY, STREET,
                                                              credit_code=CREDIT, record_number=None))
    rc, err = _forge(o, STREET, COUNTY, clash)
    assert rc == 0, err
    assert [c.key for c in _conflicts(o, COUNTY)] == [f"org:{forged_uid}"]


def test_pilot_flag_and_area_facts_travel(chain: Offices) -> None:
    o = chain
    _register(o)
    o.ok(COUNTY, "registry", "set-area", COUNTY, "--association", "否", "--pilot", "否", user="clerk")
    _carry_up(o)
    assert o.json(PROVINCE, "registry", "list", "areas") == [
        {"region": COUNTY, "pilot": False, "has_association": False}]
    city = _indicators(o, PROVINCE, CITY)[CITY]
    # 城关区 is no pilot area: its missing association does not count against 兰州市.
    assert COUNTY not in city["association"]["missing"]


def _facts(o: Offices, code: str) -> dict[str, Any]:
    return {f["community"]: f for f in o.json(code, "registry", "list", "communities")}[COMMUNITY]


def test_facts_set_back_to_unrecorded_travel_up(chain: Offices) -> None:
    o = chain
    _register(o)
    o.ok(COUNTY, "registry", "set-area", COUNTY, "--association", "是", user="clerk")
    _carry_up(o)
    assert _facts(o, PROVINCE)["has_workroom"] is True
    # The street records a 社会工作室 of its own for the community (否): it holds a value of its own now.
    o.ok(STREET, "registry", "set-community", COMMUNITY, "--workroom", "否", user="clerk")
    # The community sets the 社会工作室 and the election back to 未登记; the county its association.
    o.ok(COMMUNITY, "registry", "set-community", COMMUNITY, "--clear", "workroom", "--clear", "election",
         user="clerk")
    o.ok(COUNTY, "registry", "set-area", COUNTY, "--clear", "association", user="clerk")
    assert _facts(o, COMMUNITY) == {"community": COMMUNITY, "has_workroom": None, "in_federation": True,
                                    "registered_volunteers": 0, "election": None}
    reports = _carry_up(o)
    assert all(r["conflicting"] == 0 for r in reports), reports
    # Below knows best: None replaces the True the province held and the street's own 否 alike.
    for code in (STREET, COUNTY, CITY, PROVINCE):
        facts = _facts(o, code)
        assert (facts["has_workroom"], facts["in_federation"], facts["registered_volunteers"],
                facts["election"]) == (None, True, 0, None), code
    assert o.json(PROVINCE, "registry", "list", "areas") == [{"region": COUNTY, "pilot": True, "has_association": None}]
    by_region = _indicators(o, PROVINCE, COUNTY)
    assert by_region[COMMUNITY]["workroom"]["met"] is None  # unknown again, not met nor missed


def test_registry_records_never_go_down(chain: Offices) -> None:
    o = chain
    _register(o)
    o.carry(COMMUNITY, STREET)
    o.carry(STREET, COUNTY)
    o.ok(COUNTY, "registry", "add-org", "--community", COMMUNITY, "--name", "县里登记的组织", "--kind", "其他",
         "--record-number", "城关备001", user="clerk")
    exported = o.json(COUNTY, "sync", "export", "--to", STREET, "--out", str(o.files / "down.sanlian"))
    assert "registry" not in exported["by_kind"]
    o.json(STREET, "sync", "import", str(o.files / "down.sanlian"))
    assert [x["name"] for x in o.json(STREET, "registry", "list", "orgs")] == ["东岗夕阳红服务队"]


def test_tombstones_are_not_listed_nor_counted(chain: Offices) -> None:
    o = chain
    made = _register(o)
    o.ok(COMMUNITY, "registry", "delete-org", made["org"]["uid"], user="clerk")
    assert o.json(COMMUNITY, "registry", "list", "orgs") == []
    rc, _, err = o.run(COMMUNITY, "registry", "edit-org", made["org"]["uid"], "--name", "x", user="clerk")
    assert rc == 2 and "没有编号为" in err
    store = Store.open(o.homes[COMMUNITY])
    try:
        with store.read_session() as s:
            from sqlalchemy import select

            row = s.scalar(select(CommunityOrganisation))
            assert row is not None and row.deleted_at is not None
    finally:
        store.close()


def test_many_records_are_looked_up_as_one_at_a_time(chain: Offices) -> None:
    """The import asks for every received registry record at once; the answer is the one-by-one lookup's."""
    from sqlalchemy import select

    from sanlian_desktop.models import Region, SocialWorker
    from sanlian_desktop.registries import records as registrysync

    o = chain
    _register(o)
    _carry_up(o)
    store = Store.open(o.homes["620000"])
    try:
        with store.read_session() as s:
            keys = [f"org:{u}" for u in s.scalars(select(CommunityOrganisation.uid))]
            keys += [f"worker:{u}" for u in s.scalars(select(SocialWorker.uid))]
            keys += [f"community:{c}" for c in s.scalars(select(Region.code).where(Region.level == "community"))]
            keys += ["org:no-such-uid", "area:620102", "worker:missing"]
            many = registrysync.local_many(s, keys)
            one = {k: r for k in keys if (r := registrysync.local(s, k)) is not None}
            assert {k: r.hash for k, r in many.items()} == {k: r.hash for k, r in one.items()}
            assert any(k.startswith("org:") for k in many) and any(k.startswith("worker:") for k in many)
    finally:
        store.close()
