"""The whole chain through packages: batch down, declaration up, return, revise, approve, decision down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sanlian_desktop.sync.transport.package import peek_header
from sanlian_desktop.sync.trust.gm import GM_SUITE
from sanlian_desktop.sync.trust.suite import DEFAULT_SUITE
from tests.helpers import example_declaration
from tests.pgserver import PgServer
from tests.sync.helpers_cli import CHAIN, Offices

CODES = [code for _, code, _ in CHAIN]
UP = list(reversed(CODES))


def test_declaration_travels_up_and_the_decision_down(suite_chain: Offices, tmp_path: Path) -> None:
    """The five-office journey under each suite the province can choose (SL1 and 国密)."""
    _journey(suite_chain, tmp_path)


@pytest.mark.parametrize("on_server", [("620102", "620102001"), ("620100", "620000")],
                         ids=["county-street", "city-province"])
def test_the_journey_with_two_offices_on_a_server(chain: Offices, tmp_path: Path, pg_server: PgServer,
                                                  on_server: tuple[str, str]) -> None:
    """PostgreSQL: the same journey with two of the offices moved onto a database server first (the county
    and the street, or the city and the province), the other three on SQLite."""
    for code in on_server:
        assert chain.json(code, "move", "--database", pg_server.new_database())["rows"]["certificate"] > 0
        assert not (chain.homes[code] / "sanlian.db").exists()
    for code in set(CODES) - set(on_server):
        assert (chain.homes[code] / "sanlian.db").exists()
    _journey(chain, tmp_path)


def _journey(o: Offices, tmp_path: Path) -> None:
    suite = {"sl1": DEFAULT_SUITE, "gm": GM_SUITE}[o.suite]
    for code in CODES:  # the certificates came down the chain in the province's suite
        assert o.json(code, "office", "show")["suite"] == suite.name, code
    o.down(CODES)  # the province's batch reaches the community
    assert [b["code"] for b in o.json("620102001001", "batch", "list")] == ["2016"]

    decl_file = tmp_path / "decl.json"
    decl_file.write_text(json.dumps(example_declaration(), ensure_ascii=False), "utf-8")
    decl_id = o.ok("620102001001", "decl", "new", "--file", str(decl_file), user="clerk").strip()
    o.ok("620102001001", "decl", "submit", decl_id, user="clerk")

    first = o.files / "first-up.sanlian"
    o.ok("620102001001", "sync", "export", "--to", "620102001", "--out", str(first))
    report = o.ok("620102001", "sync", "import", str(first))  # what the clerk reads: statuses in Chinese
    assert "2016-620102001001-0001" in report and "：（本单位尚无） → 审核中" in report and "under_review" not in report
    o.ok("620102001", "review", decl_id, "--decision", "approve", "--opinion", "同意上报", user="rev")
    o.carry("620102001", "620102")
    o.ok("620102", "review", decl_id, "--decision", "return", "--opinion", "请补充资金来源说明", user="rev")
    o.down(["620102", "620102001", "620102001001"])
    shown = o.json("620102001001", "decl", "show", decl_id, user="clerk")
    assert shown["status"] == "returned"

    revised = example_declaration(title="东岗西路社区“银龄守望”空巢老人关爱服务项目（修订）")
    decl_file.write_text(json.dumps(revised, ensure_ascii=False), "utf-8")
    o.ok("620102001001", "decl", "edit", decl_id, "--file", str(decl_file), user="clerk")
    o.ok("620102001001", "decl", "submit", decl_id, user="clerk")
    o.carry("620102001001", "620102001")
    o.ok("620102001", "review", decl_id, "--decision", "approve", "--opinion", "同意", user="rev")
    o.carry("620102001", "620102")
    diff = o.json("620102", "decl", "diff", decl_id, user="rev")
    assert [d["field"] for d in diff] == ["title"]
    o.ok("620102", "review", decl_id, "--decision", "approve", "--opinion", "同意上报市局", user="rev")
    o.carry("620102", "620100")
    o.ok("620100", "review", decl_id, "--decision", "approve", "--opinion", "复核同意", user="rev")
    o.carry("620100", "620000")
    assert o.json("620000", "inbox", user="rev")["total"] == 1
    o.ok("620000", "review", decl_id, "--decision", "approve", "--opinion", "同意立项", "--granted", "45000",
         user="rev")
    o.down(CODES)

    final = o.json("620102001001", "decl", "show", decl_id, user="clerk")
    assert final["status"] == "approved" and final["granted"] == "45000.00"
    assert final["version"] == 2
    assert [(x["level"], x["decision"], x["version"]) for x in final["opinions"]] == [
        ("street", "approve", 1), ("county", "return", 1),
        ("street", "approve", 2), ("county", "approve", 2), ("city", "approve", 2), ("province", "approve", 2),
    ]
    # Every office along the way sees the same end state.
    for code in CODES:
        seen = o.json(code, "decl", "show", decl_id, user="rev")
        assert (seen["status"], seen["granted"]) == ("approved", "45000.00"), code

    # Receipts flowed back: nothing the neighbours hold is waiting or unacknowledged any more.
    o.down(UP)
    o.down(CODES)
    for code in CODES:
        for row in o.json(code, "sync", "status"):
            assert row["waiting"] == 0 and row["sent_unacknowledged"] == 0, (code, row, _debug_items(o.homes[code], row["office"]))
    for code in CODES:
        assert "审计日志完好" in o.ok(code, "audit", "verify")
    # Every package that travelled was made in the province's suite (the 国密 ones: an SM2 envelope).
    packages = sorted(o.files.glob("*.sanlian"))
    assert packages and {peek_header(p).suite for p in packages} == {suite.name}
    assert {len(peek_header(p).enc) for p in packages} == {113 if o.suite == "gm" else 32}


def _debug_items(home: Path, neighbour: str) -> list[tuple[str, str, bool]]:
    from sqlalchemy import select

    from sanlian_desktop.models import SyncItem
    from sanlian_desktop.store.engine import Store

    store = Store.open(home)
    with store.session() as s:
        rows = [(i.kind, i.key[:20], i.sent_hash == i.acked_hash) for i in s.scalars(
            select(SyncItem).where(SyncItem.neighbour_code == neighbour))]
    store.close()
    return rows


def test_renewed_certificate_keeps_old_signatures_verifiable(chain: Offices, tmp_path: Path) -> None:
    o = chain
    o.down(CODES)
    decl_file = tmp_path / "decl.json"
    decl_file.write_text(json.dumps(example_declaration(), ensure_ascii=False), "utf-8")
    decl_id = o.ok("620102001001", "decl", "new", "--file", str(decl_file), user="clerk").strip()
    o.ok("620102001001", "decl", "submit", decl_id, user="clerk")
    o.carry("620102001001", "620102001")
    o.ok("620102001", "review", decl_id, "--decision", "approve", "--opinion", "同意", user="rev")
    o.carry("620102001", "620102")  # the street's opinion is signed under its first certificate
    # The street renews its certificate (same keys, a new request, certified again by the county).
    o.ok("620102001", "office", "request", "--out", str(o.files / "renew.req"))
    o.ok("620102", "office", "certify", str(o.files / "renew.req"), "--out", str(o.files / "renew.cert"))
    o.ok("620102001", "office", "install", str(o.files / "renew.cert"))
    o.carry("620102001", "620102")  # packages signed under the new certificate open
    o.ok("620102", "review", decl_id, "--decision", "approve", "--opinion", "同意", user="rev")
    o.carry("620102", "620100")  # the city verifies the street's opinion made under the old certificate
    shown = o.json("620100", "decl", "show", decl_id, user="rev")
    assert [x["level"] for x in shown["opinions"]] == ["street", "county"]
    assert shown["awaiting_level"] == "city"
