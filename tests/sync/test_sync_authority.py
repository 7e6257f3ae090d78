"""The authority matrix: every record kind × every signer position, accepted or refused exactly as
:data:`sanlian_desktop.sync.kinds.authority.RULES` says — at the first receiver, and at the next office
up when a fooled (or malicious) receiver passes the same records on with their original signatures.

Packages are written as an insider would: with the program's own writer and real keys (tests/sync/helpers_insider.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import CertificateRecord, Declaration, Opinion, RevocationRecord, utcnow
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.sync.exchange.importing import import_package
from sanlian_desktop.sync.kinds.authority import RULES
from sanlian_desktop.sync.trust.chain import revoke
from tests.sync import helpers_insider as insider
from tests.sync.helpers_insider import CITY, COMMUNITY, COUNTY, PROVINCE, STREET, Signer
from tests.sync.helpers_service import ServiceOffice, fingerprint

POSITIONS = ["rightful", "child", "parent", "sibling", "other county", "root", "revoked", "expired"]


@pytest.fixture(scope="module")
def base(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return insider.build_base(template, tmp_path_factory.mktemp("authority-base"))


@dataclass
class World:
    offices: dict[str, ServiceOffice]
    real: dict[str, Signer]
    positions: dict[str, dict[str, Signer | None]]  # rightful office's code -> position -> signer
    t: insider.Templates
    chains: list[Any]  # certificates every package carries (the real chain and the minted offices)


@pytest.fixture(scope="module")
def world(base: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    where = tmp_path_factory.mktemp("authority-matrix")
    offices = insider.copy_base(base, where)
    real = {code: insider.real(o) for code, o in offices.items()}
    sibling_community = insider.mint(real[STREET], "620102001002", Level.COMMUNITY)
    sibling_street = insider.mint(real[COUNTY], "620102002", Level.STREET)
    other_county = insider.mint(real[CITY], "620103", Level.COUNTY)
    other_street = insider.mint(other_county, "620103001", Level.STREET)
    other_community = insider.mint(other_street, "620103001001", Level.COMMUNITY)
    parents = {COMMUNITY: STREET, STREET: COUNTY, COUNTY: CITY}
    levels = {COMMUNITY: Level.COMMUNITY, STREET: Level.STREET, COUNTY: Level.COUNTY}
    revoked: dict[str, Signer] = {}
    expired: dict[str, Signer] = {}
    for code, parent in parents.items():
        # A second certificate of the rightful office, revoked by its issuer (the receivers know it) ...
        revoked[code] = insider.mint(real[parent], code, levels[code])
        record = revoke(revoked[code].cert, real[parent].cert, real[parent].keys, reason="密钥遗失",
                        effective=utcnow() - timedelta(seconds=1))
        for receiver in (COUNTY, CITY, PROVINCE):
            with offices[receiver].store.session() as s:
                trust.store_certificates(s, real[parent].chain)
                trust.store_revocation(s, record)
        # ... and one that was valid for a second, within its issuer's validity, and has expired since.
        start = real[parent].cert.not_before + timedelta(seconds=1)
        expired[code] = insider.forge_cert(real[parent], code, levels[code], not_before=start,
                                           not_after=start + timedelta(seconds=1))
    # Statements are signed "now", to the second: let the expired certificates' second pass for good.
    last_expiry = max(signer.cert.not_after for signer in expired.values())
    time.sleep(max(0.0, (last_expiry - utcnow()).total_seconds() + 2))
    positions: dict[str, dict[str, Signer | None]] = {
        COMMUNITY: {"rightful": real[COMMUNITY], "child": None, "parent": real[STREET], "sibling": sibling_community,
                    "other county": other_community, "root": real[PROVINCE], "revoked": revoked[COMMUNITY],
                    "expired": expired[COMMUNITY]},
        STREET: {"rightful": real[STREET], "child": real[COMMUNITY], "parent": real[COUNTY], "sibling": sibling_street,
                 "other county": other_street, "root": real[PROVINCE], "revoked": revoked[STREET],
                 "expired": expired[STREET]},
        COUNTY: {"rightful": real[COUNTY], "child": real[STREET], "parent": real[CITY], "sibling": other_county,
                 "other county": other_street, "root": real[PROVINCE], "revoked": revoked[COUNTY],
                 "expired": expired[COUNTY]},
        PROVINCE: {"rightful": real[PROVINCE], "child": real[CITY], "parent": None, "sibling": None,
                   "other county": other_county, "root": None, "revoked": None, "expired": None},
    }
    chains = [c for signer in (*real.values(), sibling_community, sibling_street, other_street, other_community)
              for c in signer.chain]
    yield World(offices, real, positions, insider.templates(offices[COUNTY]), chains)
    insider.cleanup(offices, where)


# -- the cells: what a record of each kind looks like, signed by ``p`` ----------------------------------

Entries = list[tuple[str, str, int, bytes]]


@dataclass(frozen=True)
class Cell:
    kind: str  # the rule (RULES) the cell exercises
    rightful: str  # the rightful office's code
    receiver: str  # the first receiver (its child sends the package); its parent is the next office up
    build: Callable[[World, Signer, str], tuple[Entries, list[Any], Callable[[Any], bool]]]


def _version(w: World, p: Signer, tag: str) -> tuple[Entries, list[Any], Callable[[Any], bool]]:
    decl, version = insider.new_declaration(w.t)
    entries = [*map(insider.entry, w.t.regions), *insider.declaration_entries(decl, version, p)]
    return entries, p.chain, lambda s: s.get(Declaration, decl["id"]) is not None


def _typed(level: Level, office: str) -> Callable[[World, Signer, str], tuple[Entries, list[Any], Callable[[Any], bool]]]:
    def build(w: World, p: Signer, tag: str) -> tuple[Entries, list[Any], Callable[[Any], bool]]:
        decl, version = insider.new_declaration(w.t)
        op = insider.opinion(decl, level, office, p)
        entries = [*map(insider.entry, w.t.regions), *insider.declaration_entries(decl, version, w.real[COMMUNITY]), op]
        return entries, p.chain, lambda s: s.get(Opinion, op[1]) is not None

    return build


def _paper(w: World, p: Signer, tag: str) -> tuple[Entries, list[Any], Callable[[Any], bool]]:
    decl, version = insider.new_declaration(w.t, entered_by=COUNTY)
    op = insider.opinion(decl, Level.STREET, STREET, p, paper=True)
    entries = [*map(insider.entry, w.t.regions), *insider.declaration_entries(decl, version, w.real[COUNTY]), op]
    return entries, p.chain, lambda s: s.get(Opinion, op[1]) is not None


def _grant(w: World, p: Signer, tag: str) -> tuple[Entries, list[Any], Callable[[Any], bool]]:
    decl, version = insider.new_declaration(w.t)
    ops = [insider.opinion(decl, Level.STREET, STREET, w.real[STREET]),
           insider.opinion(decl, Level.COUNTY, COUNTY, w.real[COUNTY]),
           insider.opinion(decl, Level.CITY, CITY, w.real[CITY]),
           insider.opinion(decl, Level.PROVINCE, PROVINCE, p, granted_fen=99_999_900)]
    entries = [*map(insider.entry, w.t.regions), *insider.declaration_entries(decl, version, w.real[COMMUNITY]), *ops]

    def applied(s: Any) -> bool:
        held = s.get(Declaration, decl["id"])
        return held is not None and held.status == "approved" and held.granted_fen == 99_999_900

    return entries, p.chain, applied


def _revocation(w: World, p: Signer, tag: str) -> tuple[Entries, list[Any], Callable[[Any], bool]]:
    target = insider.mint(w.real[STREET], f"62010200103{POSITIONS.index(tag)}", Level.COMMUNITY)
    revocation = insider.forge_revocation(p, target.cert)
    return ([insider.revocation_entry(revocation)], [*target.chain, *p.chain],
            lambda s: s.get(RevocationRecord, revocation.serial) is not None)


def _certificate(w: World, p: Signer, tag: str) -> tuple[Entries, list[Any], Callable[[Any], bool]]:
    minted = insider.forge_cert(p, f"62010200104{POSITIONS.index(tag)}", Level.COMMUNITY)
    return [], minted.chain, lambda s: s.get(CertificateRecord, minted.cert.serial) is not None


CELLS = {
    "version": Cell("version", COMMUNITY, COUNTY, _version),
    "opinion (street, typed)": Cell("opinion", STREET, COUNTY, _typed(Level.STREET, STREET)),
    "opinion (county, typed)": Cell("opinion", COUNTY, COUNTY, _typed(Level.COUNTY, COUNTY)),
    "opinion (city, typed)": Cell("opinion", CITY, COUNTY, _typed(Level.CITY, CITY)),
    "opinion (street, paper)": Cell("opinion", COUNTY, CITY, _paper),
    "decision and grant": Cell("grant", PROVINCE, COUNTY, _grant),
    "revocation": Cell("revocation", STREET, COUNTY, _revocation),
    "certificate": Cell("certificate", STREET, COUNTY, _certificate),
}


def _signer(w: World, cell: Cell, position: str) -> Signer | None:
    if cell.rightful == CITY:  # the city's own positions: built from the real chain and the county's mints
        return {"rightful": w.real[CITY], "child": w.real[COUNTY], "parent": w.real[PROVINCE],
                "sibling": w.positions[COUNTY]["sibling"], "other county": w.positions[COUNTY]["sibling"],
                "root": w.real[PROVINCE], "revoked": None, "expired": None}[position]
    return w.positions[cell.rightful][position]


def _import(office: ServiceOffice, path: Path) -> bool:
    """True when the package is accepted; False when refused (and then nothing changed)."""
    before = fingerprint(office.store)
    try:
        import_package(office.store, office.admin, path, backup=False)
    except UserError as exc:
        assert "Traceback" not in exc.zh
        assert fingerprint(office.store) == before
        return False
    return True


CASES = [(name, position) for name in CELLS for position in POSITIONS]


@pytest.mark.parametrize(("name", "position"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_authority_matrix(world: World, tmp_path: Path, name: str, position: str) -> None:
    cell = CELLS[name]
    assert cell.kind in RULES
    signer = _signer(world, cell, position)
    if signer is None:
        pytest.skip("no office in that position")
    expected = position == "rightful"
    entries, certs, applied = cell.build(world, signer, position)
    certs = [*world.chains, *certs]
    receiver = world.offices[cell.receiver]
    child = {COUNTY: STREET, CITY: COUNTY}[cell.receiver]
    above = {COUNTY: CITY, CITY: PROVINCE}[cell.receiver]
    first = insider.write(tmp_path / "first.sanlian", world.real[child],
                          insider.recipient_cert(receiver.store), entries, certs)
    assert _import(receiver, first) is expected, f"{name} by {position} at the first receiver"
    with receiver.store.read_session() as s:
        assert applied(s) is expected
    # The receiver passes the same records on, with their original signatures, to the next office up.
    nxt = world.offices[above]
    second = insider.write(tmp_path / "second.sanlian", world.real[cell.receiver],
                           insider.recipient_cert(nxt.store), entries, certs)
    assert _import(nxt, second) is expected, f"{name} by {position} at the next office up"
    with nxt.store.read_session() as s:
        assert applied(s) is expected


def test_every_rule_names_its_kind_in_chinese_and_english() -> None:
    for rule in RULES.values():
        assert rule.zh and rule.en and rule.label
    with_records = {c.kind for c in CELLS.values()}
    assert {"version", "opinion", "grant", "revocation", "certificate"} <= with_records


def test_declarations_stay_in_the_senders_subtree(world: World, tmp_path: Path) -> None:
    county = world.offices[COUNTY]
    street = world.real[STREET]
    for community, street_code, county_code in (("620102002001", "620102002", COUNTY),
                                                ("620103001001", "620103001", "620103")):
        decl, version = insider.new_declaration(world.t, community=community, street=street_code,
                                                county=county_code, entered_by=STREET)
        path = insider.write(tmp_path / f"{community}.sanlian", street, insider.recipient_cert(county.store),
                             insider.declaration_entries(decl, version, street), world.chains)
        with pytest.raises(UserError, match="越权"):
            import_package(county.store, county.admin, path, backup=False)
        with county.store.read_session() as s:
            assert s.get(Declaration, decl["id"]) is None
    with county.store.read_session() as s:
        assert s.scalars(select(Declaration.community_code).where(
            Declaration.community_code.like("620103%"))).first() is None


def test_the_user_manual_states_the_same_table() -> None:
    manual = (Path(__file__).resolve().parents[2] / "docs" / "用户手册.md").read_text("utf-8")
    chapter = manual[manual.index("### 3.1 谁有权签署什么"):manual.index("## 4. 申报")]
    rows = [line for line in chapter.splitlines() if line.startswith("| ") and "---" not in line]
    for rule in RULES.values():
        assert any(rule.label in row.split("|")[1] for row in rows), rule.label
