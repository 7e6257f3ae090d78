"""Record kinds registered by other modules (sync/kinds.py) travel, are acknowledged and are refused
when malformed, exactly like the core kinds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from sanlian_desktop.offices.auth import this_office
from sanlian_desktop.sync.kinds import registry as kinds
from sanlian_desktop.sync.kinds.records import Record, record_kinds
from sanlian_desktop.sync.kinds.registry import Incoming, RecordKind, Route
from sanlian_desktop.sync.replication.fitting import fit_package
from tests.sync.helpers_cli import Offices

COMMUNITY, STREET = "620102001001", "620102001"

# office code -> key -> text: the toy kind's "table"
MEMOS: dict[str, dict[str, str]] = {}


def _records(session: Session, route: Route) -> Iterator[Record]:
    if route.downward:
        return
    for key, text in sorted(MEMOS.get(route.self_code, {}).items()):
        yield Record("memo", key, {"key": key, "text": text})


def _local(session: Session, key: str) -> Record | None:
    text = MEMOS.get(this_office(session).region_code, {}).get(key)
    return None if text is None else Record("memo", key, {"key": key, "text": text})


def _apply(incoming: Incoming, record: Record) -> None:
    text = record.body["text"]
    if not isinstance(text, str) or record.body["key"] != record.key:
        raise ValueError("bad memo")
    held = MEMOS.setdefault(incoming.self_code, {})
    if held.get(record.key) == text:
        incoming.report.already += 1
    elif record.key in held:
        incoming.conflict(record, "本单位的备注不同")
    else:
        held[record.key] = text
        incoming.report.applied += 1


MEMO = RecordKind("memo", _records, _local, _apply, group=lambda r: r.key[:1])


@pytest.fixture
def memo_kind() -> Iterator[None]:
    """The toy kind alone: the program's own extension kinds (registries…) are set aside meanwhile, so
    that the counts below are the memos'."""
    MEMOS.clear()
    others = dict(kinds._KINDS)
    kinds._KINDS.clear()
    kinds.register(MEMO)
    try:
        yield
    finally:
        kinds._KINDS.clear()
        kinds._KINDS.update(others)
        MEMOS.clear()


def test_registered_kind_is_applied_after_the_core_kinds(memo_kind: None) -> None:
    assert record_kinds()[-1] == "memo"
    assert record_kinds()[:7] == ("region", "batch", "attachment", "declaration", "version", "opinion",
                                  "attachment_link")


def test_a_registered_kind_travels_and_is_acknowledged(memo_kind: None, chain: Offices) -> None:
    o = chain
    MEMOS[COMMUNITY] = {"a1": "第一条", "b1": "第二条"}
    report = o.carry(COMMUNITY, STREET)
    assert report["applied"] == 2 and report["already_present"] == 0
    assert MEMOS[STREET] == {"a1": "第一条", "b1": "第二条"}
    # The street's receipt rides back; afterwards nothing of the memos is pending.
    o.carry(STREET, COMMUNITY)
    status = {n["office"]: n for n in o.json(COMMUNITY, "sync", "status")}
    assert status[STREET]["waiting"] == 0 and status[STREET]["sent_unacknowledged"] == 0, status
    # A changed memo at the community is sent again; the street keeps its own form aside as a conflict.
    MEMOS[COMMUNITY]["a1"] = "改过的第一条"
    report = o.carry(COMMUNITY, STREET)
    assert report["conflicting"] == 1 and MEMOS[STREET]["a1"] == "第一条"


def test_a_malformed_record_of_a_registered_kind_refuses_the_package(memo_kind: None, chain: Offices) -> None:
    o = chain
    MEMOS[COMMUNITY] = {"a1": "好的", "a2": "也好"}
    original = _records

    def broken(session: Session, route: Route) -> Iterator[Record]:
        for r in original(session, route):
            yield Record("memo", r.key, {"key": r.key, "text": 7}) if r.key == "a2" else r

    kinds._KINDS["memo"] = RecordKind("memo", broken, _local, _apply)
    path = o.files / "broken.sanlian"
    o.ok(COMMUNITY, "sync", "export", "--to", STREET, "--out", str(path))
    rc, _, err = o.run(STREET, "sync", "import", str(path))
    assert rc == 2 and "memo a2" in err
    assert _packages_in(o, STREET) == 0  # the import rolled back whole
    # Unknown to the receiver: a kind it never registered is refused by name.
    kinds._KINDS.pop("memo")
    rc, _, err = o.run(STREET, "sync", "import", str(path))
    assert rc == 2 and "memo" in err


def _packages_in(o: Offices, code: str) -> int:
    from sqlalchemy import func, select

    from sanlian_desktop.models import SyncPackage
    from sanlian_desktop.store.engine import Store

    store = Store.open(o.homes[code])
    try:
        with store.read_session() as s:
            return int(s.scalar(select(func.count()).select_from(SyncPackage).where(SyncPackage.direction == "in"))
                       or 0)
    finally:
        store.close()


def test_groups_of_a_registered_kind_stay_in_one_package(memo_kind: None, chain: Offices) -> None:
    from sanlian_desktop.store.engine import Store

    records = [Record("memo", f"{g}{i}", {"key": f"{g}{i}", "text": "x"}) for g in "abc" for i in range(4)]
    store = Store.open(chain.homes[COMMUNITY])
    try:
        with store.session() as s:
            chosen = fit_package(s, STREET, records, max_entries=9, max_manifest=10**6)
    finally:
        store.close()
    assert [r.key for r in chosen] == [f"{g}{i}" for g in "ab" for i in range(4)]


def _applier_is_incoming(_: Any) -> None:  # mypy checks that Applier satisfies the Incoming protocol
    from sanlian_desktop.sync.replication.apply import Applier

    applier: Incoming = Applier.__new__(Applier)
    del applier


def test_records_that_join_a_declaration_share_its_package(memo_kind: None, chain: Offices) -> None:
    """A project's records go in the package that carries its declaration, wherever they stand in the
    list: no part holds them without the declaration, so the parts may be imported in any order."""
    from sanlian_desktop.store.engine import Store

    project = RecordKind("project_memo", _records, _local, _apply, group=lambda r: r.body["declaration_id"],
                         joins_declaration=True)
    kinds._KINDS["project_memo"] = project
    core = [r for d in ("d1", "d2", "d3") for r in (
        Record("declaration", d, {"id": d}), Record("version", f"{d}:1", {}),
        Record("opinion", f"{d}-o1", {"declaration_id": d}))]
    extra = [Record("project_memo", f"{d}-{n}", {"declaration_id": d, "key": f"{d}-{n}", "text": "x"})
             for d in ("d3", "d1", "d2") for n in range(2)]
    store = Store.open(chain.homes[COMMUNITY])
    try:
        with store.session() as s:
            chosen = fit_package(s, STREET, core + extra, max_entries=11, max_manifest=10**6)
    finally:
        store.close()
        kinds._KINDS.pop("project_memo")
    assert [r.key for r in chosen] == ["d1", "d1:1", "d1-o1", "d1-0", "d1-1", "d2", "d2:1", "d2-o1", "d2-0", "d2-1"]
