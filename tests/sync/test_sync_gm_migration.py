"""A province moving a chain that already holds data from SL1 to 国密 (issue 17 item 2).

The province makes a 国密 root named by its SL1 root; each office below re-keys by the usual request,
certify and install, while packages keep flowing both ways in whichever suite both ends hold; then a new
declaration goes up and its decision down wholly under 国密. After the transition's end, what is still of
the old suite is refused with a clear message and changes nothing, while the data signed before it keeps
verifying.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sanlian_desktop.kernel import canonical
from sanlian_desktop.models import AuditEntry, DeclarationVersion, Opinion, SyncPackage
from sanlian_desktop.models.base import utcnow as real_utcnow
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.transport.package import peek_header
from sanlian_desktop.sync.trust.gm import GM_SUITE
from sanlian_desktop.sync.trust.statements import verify_statement
from sanlian_desktop.sync.trust.suite import DEFAULT_SUITE
from tests.helpers import example_declaration
from tests.sync.helpers_cli import CHAIN, Offices, certified_chain

CODES = [code for _, code, _ in CHAIN]
PROVINCE, CITY, COUNTY, STREET, COMMUNITY = CODES


@pytest.fixture
def o(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Offices:
    return certified_chain(tmp_path / "chain", capsys, monkeypatch, "sl1")


def _journey(o: Offices, folder: Path, name: str, granted: str) -> str:
    """A declaration entered at the community, approved up to the province, the decision carried down."""
    decl = example_declaration()
    decl["title"] = name
    path = folder / f"{name}.json"
    path.write_text(json.dumps(decl, ensure_ascii=False), "utf-8")
    decl_id = o.ok(COMMUNITY, "decl", "new", "--file", str(path), user="clerk").strip()
    o.ok(COMMUNITY, "decl", "submit", decl_id, user="clerk")
    for child, parent in zip(CODES[:0:-1], CODES[-2::-1], strict=True):
        o.carry(child, parent)
        extra = ["--granted", granted] if parent == PROVINCE else []
        o.ok(parent, "review", decl_id, "--decision", "approve", "--opinion", "同意", *extra, user="rev")
    o.down(CODES)
    final = o.json(COMMUNITY, "decl", "show", decl_id, user="clerk")
    assert (final["status"], final["granted"]) == ("approved", f"{granted}.00")
    return decl_id


def _rekey(o: Offices, child: str, parent: str) -> None:
    """The usual request (new 国密 keys), certification by the parent's 国密 certificate, installation."""
    req, bundle = o.files / f"gm-{child}.req", o.files / f"gm-{child}.cert"
    o.ok(child, "office", "request", "--suite", "gm", "--out", str(req))
    o.ok(parent, "office", "certify", str(req), "--out", str(bundle))
    o.ok(child, "office", "install", str(bundle))


def _carried(o: Offices) -> list[Path]:
    """The packages ``carry`` made, in order."""
    return sorted(o.files.glob("[0-9][0-9][0-9]-*.sanlian"))


def _suite_of_last(o: Offices) -> str:
    return peek_header(_carried(o)[-1]).suite


def _counts(home: Path) -> tuple[int, int, int]:
    store = Store.open(home)
    with store.session() as s:
        counts = tuple(s.scalar(select(func.count()).select_from(t)) or 0
                       for t in (SyncPackage, Opinion, AuditEntry))
    store.close()
    return counts  # type: ignore[return-value]


def _statements_verify(home: Path) -> set[str]:
    """Every signed version and opinion the office holds, verified now; the suites they were signed in."""
    store = Store.open(home)
    suites = set()
    with store.session() as s:
        pool = trust.statement_pool(s)
        rows = [*s.scalars(select(DeclarationVersion.signature).where(DeclarationVersion.signature.is_not(None))),
                *s.scalars(select(Opinion.signature).where(Opinion.signature.is_not(None)))]
        assert rows
        for raw in rows:
            suites.add(verify_statement(raw, pool).signer.suite)
    store.close()
    return suites


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Move every clock the trust and sync code reads forward by a given time."""

    def travel(delta: timedelta) -> None:
        def now() -> datetime:
            return real_utcnow() + delta

        def now_s() -> datetime:
            return now().replace(microsecond=0)

        for where in ("offices.custody", "sync.exchange.export", "sync.exchange.importing"):
            monkeypatch.setattr(f"sanlian_desktop.{where}.utcnow", now)
        monkeypatch.setattr(canonical, "utc_now", now_s)

    return travel


def test_a_chain_holding_data_moves_to_gm_office_by_office(
    o: Offices, tmp_path: Path, later: Callable[[timedelta], None]
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    # The SL1 chain holds data: the batch went down, a declaration up, the decision down.
    o.down(CODES)
    first = _journey(o, work, "老旧小区改造", "45000")

    # The province moves to 国密, with a transition of thirty days.
    until = (date.today() + timedelta(days=30)).isoformat()
    out = o.ok(PROVINCE, "office", "migrate-suite", "--to", "gm", "--until", until)
    assert "国密" in out and until in out
    shown = o.json(PROVINCE, "office", "show")
    assert shown["suite"] == GM_SUITE.name and len(shown["roots"]) == 2
    assert [(t["from"], t["to"]) for t in shown["transitions"]] == [(DEFAULT_SUITE.name, GM_SUITE.name)]
    # Before the succession statement reached it, the city cannot ask for a 国密 certificate.
    rc, _, err = o.run(CITY, "office", "request", "--suite", "gm", "--out", str(o.files / "early.req"))
    assert rc == 2 and "根证书更替声明" in err

    # Office by office, top down; packages keep flowing both ways in the suite both ends hold.
    parents = dict(zip(CODES[1:], CODES[:-1], strict=True))
    stale: dict[str, Path] = {}
    for code in CODES[1:]:
        parent = parents[code]
        o.carry(parent, code)  # the old suite: the child has no 国密 keys yet; the statement rides along
        assert _suite_of_last(o) == DEFAULT_SUITE.name
        assert len(o.json(code, "office", "show")["roots"]) == 2  # the new root, trusted from the package
        if code == COMMUNITY:  # a copy of the community that never moves (below)
            shutil.copytree(o.homes[code], tmp_path / "unmoved")
        if code == STREET:  # an SL1 package on its way to the county, to arrive after the end
            stale_path = o.files / "stale-street-county.sanlian"
            o.ok(STREET, "sync", "export", "--to", COUNTY, "--out", str(stale_path))
            stale["street"] = stale_path
        _rekey(o, code, parent)
        assert o.json(code, "office", "show")["suite"] == GM_SUITE.name
        o.carry(code, parent)  # both now hold 国密 certificates: the package is 国密
        assert _suite_of_last(o) == GM_SUITE.name
        o.carry(parent, code)
        assert _suite_of_last(o) == GM_SUITE.name
        if code == CITY:  # with the office below, still on SL1: SL1 both ways
            o.carry(CITY, COUNTY)
            assert _suite_of_last(o) == DEFAULT_SUITE.name
            o.carry(COUNTY, CITY)
            assert _suite_of_last(o) == DEFAULT_SUITE.name

    # A new declaration up and its decision down, wholly under 国密.
    before = len(_carried(o))
    second = _journey(o, work, "社区养老服务站", "30000")
    made = _carried(o)[before:]
    assert made and {peek_header(p).suite for p in made} == {GM_SUITE.name}
    for code in CODES:
        assert _statements_verify(o.homes[code]) == {DEFAULT_SUITE.name, GM_SUITE.name}, code

    # The copy of the community that never moved sends a package in SL1 while that is still allowed.
    unmoved = Offices(tmp_path / "unmoved-chain", o.capsys)
    unmoved.homes = {**o.homes, COMMUNITY: tmp_path / "unmoved"}
    early = o.files / "unmoved-early.sanlian"
    unmoved.ok(COMMUNITY, "sync", "export", "--to", STREET, "--out", str(early))
    assert peek_header(early).suite == DEFAULT_SUITE.name

    # After the transition's end: the old suite is refused, with the suite and the date, and nothing changes.
    later(timedelta(days=32))
    county = o.homes[COUNTY]
    before_counts = _counts(county)
    rc, _, err = o.run(COUNTY, "sync", "import", str(stale["street"]))
    assert rc == 2 and "国际通用算法" in err and "过渡期已于" in err and until[:4] in err
    assert "本单位的数据没有任何改变" in err and len(err.strip().splitlines()) == 1
    assert _counts(county) == before_counts
    # The office that never moved: what it made during the transition is refused now, and it makes no more.
    before_counts = _counts(o.homes[STREET])
    rc, _, err = o.run(STREET, "sync", "import", str(early))
    assert rc == 2 and "东岗西路社区居委会制作" in err and "国际通用算法" in err and "过渡期已于" in err
    assert _counts(o.homes[STREET]) == before_counts
    rc, _, err = unmoved.run(COMMUNITY, "sync", "export", "--to", STREET, "--out", str(o.files / "late.sanlian"))
    assert rc == 2 and "过渡期已于" in err and "office request --suite" in err
    assert not (o.files / "late.sanlian").exists()
    # Its parent no longer certifies a request of the old suite.
    unmoved.ok(COMMUNITY, "office", "request", "--new-keys", "--out", str(o.files / "late.req"))
    rc, _, err = o.run(STREET, "office", "certify", str(o.files / "late.req"), "--out", str(o.files / "late.cert"))
    assert rc == 2 and "过渡期已于" in err and not (o.files / "late.cert").exists()

    # The moved chain works on, under 国密, and everything it held still verifies.
    o.down(CODES)
    assert _suite_of_last(o) == GM_SUITE.name
    for code in CODES:
        assert "审计日志完好" in o.ok(code, "audit", "verify")
        assert _statements_verify(o.homes[code]) == {DEFAULT_SUITE.name, GM_SUITE.name}, code
    for decl_id in (first, second):
        seen = o.json(PROVINCE, "decl", "show", decl_id, user="rev")
        assert seen["status"] == "approved" and len(seen["opinions"]) == 4
