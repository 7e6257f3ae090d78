"""Mutated packages: take a valid package from the street (a new declaration, its version signed by the
community, the street's own opinion), change one record's level, codes, ids, amount or signer, re-sign
it with a legitimate but wrong key, and send it from the street with the program's own writer. No
mutated record is ever applied: the package is refused whole, or the record is kept aside as a conflict.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from sanlian_desktop.declarations import fields as declfields
from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Declaration, DeclarationVersion, Opinion
from sanlian_desktop.sync.exchange.importing import import_package
from tests.sync import helpers_insider as insider
from tests.sync.helpers_insider import CITY, COMMUNITY, COUNTY, PROVINCE, STREET, Signer
from tests.sync.helpers_service import ServiceOffice

OTHER_CODES = [PROVINCE, CITY, COUNTY, "620103", "620102002", "620103001", "620102001002", "620103001001"]


@dataclass
class Lab:
    county: ServiceOffice
    street: Signer
    community: Signer
    wrong: dict[str, Signer]  # legitimate offices, each the wrong signer for every mutated record
    t: insider.Templates
    chains: list[Any]
    held_decl: str


@pytest.fixture(scope="module")
def lab(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("authority-property")
    base = insider.build_base(template, root / "base")
    offices = insider.copy_base(base, root / "chain")
    real = {code: insider.real(o) for code, o in offices.items()}
    sibling_street = insider.mint(real[COUNTY], "620102002", Level.STREET)
    other_county = insider.mint(real[CITY], "620103", Level.COUNTY)
    other_street = insider.mint(other_county, "620103001", Level.STREET)
    wrong = {"street": real[STREET], "sibling street": sibling_street, "other county's street": other_street,
             "province": real[PROVINCE], "city": real[CITY]}
    chains = [c for s in (*real.values(), sibling_street, other_street) for c in s.chain]
    with offices[COUNTY].store.read_session() as s:
        held = s.scalars(select(Declaration.id)).one()
    yield Lab(offices[COUNTY], real[STREET], real[COMMUNITY], wrong, insider.templates(offices[COUNTY]), chains, held)
    insider.cleanup(offices, root / "chain")


MUTATIONS = st.one_of(
    st.tuples(st.just("opinion"), st.just("level"), st.sampled_from(["county", "city", "province"])),
    st.tuples(st.just("opinion"), st.just("office_code"), st.sampled_from(OTHER_CODES)),
    st.tuples(st.just("opinion"), st.just("level+office"), st.sampled_from(
        [("county", COUNTY), ("city", CITY), ("province", PROVINCE)])),
    st.tuples(st.just("opinion"), st.just("granted_fen"), st.integers(1, 10**9)),
    st.tuples(st.just("opinion"), st.just("from_paper"), st.just(True)),
    st.tuples(st.just("opinion"), st.just("declaration_id"), st.just("held")),
    st.tuples(st.just("version"), st.just("subsidy"), st.integers(1, 10**6)),
    st.tuples(st.just("version"), st.just("resign"), st.just(None)),
    st.tuples(st.just("declaration"), st.just("entered_by_office"), st.sampled_from(OTHER_CODES)),
    st.tuples(st.just("declaration"), st.just("community"), st.sampled_from(
        [("620102002001", "620102002", COUNTY), ("620103001001", "620103001", "620103")])),
)


def _mutated(lab: Lab, mutation: tuple[str, str, Any], wrong: Signer) -> tuple[list[Any], str, str]:
    """The package's entries with one record mutated and re-signed by ``wrong``; (entries, kind, key)."""
    decl, version = insider.new_declaration(lab.t)
    target, field, value = mutation
    op_body: dict[str, Any] = {}
    opinion = insider.opinion(decl, Level.STREET, STREET, lab.street)
    version_signer = lab.community
    if target == "declaration":
        if field == "entered_by_office":
            decl["entered_by_office"] = value
        else:
            decl["community_code"], decl["street_code"], decl["county_code"] = value
    elif target == "version":
        version = copy.deepcopy(version)
        if field == "subsidy":
            version["fields"]["subsidy_requested"] = str(value)
            version["content_hash"] = declfields.content_hash(version["fields"])
        version_signer = wrong
    else:
        op_body = cj.loads(opinion[3], "x", "x")["statement"]["body"]
        if field == "level":
            op_body["level"] = value
        elif field == "office_code":
            op_body["office_code"] = value
        elif field == "level+office":
            op_body["level"], op_body["office_code"] = value
        elif field == "declaration_id":
            op_body["declaration_id"] = lab.held_decl
        else:
            op_body[field] = value
        opinion = ("opinion", opinion[1], 0, wrong.sign("opinion", op_body))
    entries = [*map(insider.entry, lab.t.regions), *insider.declaration_entries(decl, version, version_signer), opinion]
    key = {"declaration": decl["id"], "version": f"{decl['id']}:1", "opinion": opinion[1]}[target]
    return entries, target, key


def _applied(lab: Lab, target: str, key: str, entries: list[Any]) -> bool:
    with lab.county.store.read_session() as s:
        if target == "opinion":
            return s.get(Opinion, key) is not None
        if target == "version":
            decl_id = key.rsplit(":", 1)[0]
            return s.get(DeclarationVersion, (decl_id, 1)) is not None
        return s.get(Declaration, key) is not None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(mutation=MUTATIONS, signer=st.sampled_from(["street", "sibling street", "other county's street", "province",
                                                   "city"]))
def test_no_mutated_record_is_ever_applied(lab: Lab, tmp_path_factory: pytest.TempPathFactory,
                                           mutation: tuple[str, str, Any], signer: str) -> None:
    wrong = lab.wrong[signer]
    if mutation[0] == "opinion" and mutation[1] == "level+office" and wrong.code == mutation[2][1]:
        wrong = lab.wrong["street"]  # that office would be the rightful signer of the mutated opinion
    entries, target, key = _mutated(lab, mutation, wrong)
    path = insider.write(tmp_path_factory.mktemp("mutated") / "p.sanlian", lab.street,
                         insider.recipient_cert(lab.county.store), entries, lab.chains)
    try:
        import_package(lab.county.store, lab.county.admin, path, backup=False)
    except UserError as exc:
        assert "Traceback" not in exc.zh
    assert not _applied(lab, target, key, entries), (mutation, signer)


def test_the_unmutated_package_is_accepted(lab: Lab, tmp_path: Path) -> None:
    """The control: the same package without a mutation goes in."""
    decl, version = insider.new_declaration(lab.t)
    opinion = insider.opinion(decl, Level.STREET, STREET, lab.street)
    entries = [*map(insider.entry, lab.t.regions), *insider.declaration_entries(decl, version, lab.community), opinion]
    path = insider.write(tmp_path / "p.sanlian", lab.street, insider.recipient_cert(lab.county.store), entries,
                         lab.chains)
    import_package(lab.county.store, lab.county.admin, path, backup=False)
    assert _applied(lab, "opinion", opinion[1], entries)
    assert _applied(lab, "declaration", decl["id"], entries)
