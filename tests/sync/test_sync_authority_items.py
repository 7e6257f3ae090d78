"""Issue 20, item by item: what a certified street made with its own real key, and the county accepted.

Each package is written as the insider wrote it (tests/sync/helpers_insider.py); each is now refused whole,
with a message naming the record and the rule, and the county's store is left as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from sanlian_desktop.declarations import drafts
from sanlian_desktop.declarations import fields as declfields
from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Batch, Declaration, RevocationRecord, SyncConflict, utcnow
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.sync.exchange.importing import import_package
from sanlian_desktop.sync.kinds.records import batch_record, link_key
from sanlian_desktop.sync.trust.certs import OfficeInfo, make_request
from sanlian_desktop.sync.trust.keys import OfficeKeys
from tests.suites import chosen_suite
from tests.sync import helpers_insider as insider
from tests.sync.helpers_insider import CITY, COMMUNITY, COUNTY, PROVINCE, STREET, Signer
from tests.sync.helpers_service import ServiceOffice, fingerprint


@pytest.fixture(scope="module")
def base(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return insider.build_base(template, tmp_path_factory.mktemp("authority-items-base"))


@pytest.fixture
def offices(base: Path, tmp_path: Path) -> Iterator[dict[str, ServiceOffice]]:
    found = insider.copy_base(base, tmp_path / "chain")
    yield found
    insider.cleanup(found, tmp_path / "chain")


def _refused(office: ServiceOffice, path: Path, *words: str) -> str:
    """Import ``path`` at ``office``: refused, nothing changed; the message."""
    before = fingerprint(office.store)
    with pytest.raises(UserError) as exc:
        import_package(office.store, office.admin, path, backup=False)
    assert fingerprint(office.store) == before
    assert "Traceback" not in exc.value.zh
    for word in words:
        assert word in exc.value.zh or word in exc.value.en, exc.value.line()
    return exc.value.line()


def _from_street(offices: dict[str, ServiceOffice], tmp_path: Path, name: str, entries: list, certs: list = ()) -> Path:  # type: ignore[assignment]
    street = insider.real(offices[STREET])
    chains = [c for code in (COMMUNITY, STREET) for c in insider.real(offices[code]).chain]
    return insider.write(tmp_path / name, street, insider.recipient_cert(offices[COUNTY].store), entries,
                         [*chains, *certs])


def _street_paper_declaration(offices: dict[str, ServiceOffice]) -> tuple[Signer, dict, list]:
    t = insider.templates(offices[COUNTY])
    street = insider.real(offices[STREET])
    decl, version = insider.new_declaration(t, entered_by=STREET)
    return street, decl, [*map(insider.entry, t.regions), *insider.declaration_entries(decl, version, street)]


def test_the_street_cannot_transcribe_the_countys_and_the_citys_opinions(offices: dict[str, ServiceOffice],
                                                                        tmp_path: Path) -> None:
    street, decl, entries = _street_paper_declaration(offices)
    for level, office in ((Level.COUNTY, COUNTY), (Level.CITY, CITY)):
        op = insider.opinion(decl, level, office, street, paper=True)
        path = _from_street(offices, tmp_path, f"paper-{level}.sanlian", [*entries, op])
        _refused(offices[COUNTY], path, "审核意见", op[1], "越权")


def test_the_street_cannot_record_the_provinces_approval_and_grant(offices: dict[str, ServiceOffice],
                                                                  tmp_path: Path) -> None:
    street, decl, entries = _street_paper_declaration(offices)
    ops = [insider.opinion(decl, lv, code, street, paper=True) for lv, code in
           ((Level.COUNTY, COUNTY), (Level.CITY, CITY))]
    grant = insider.opinion(decl, Level.PROVINCE, PROVINCE, street, paper=True, granted_fen=99_999_900)
    path = _from_street(offices, tmp_path, "grant.sanlian", [*entries, *ops, grant])
    _refused(offices[COUNTY], path, "越权")
    # Nor on the declaration the county holds, typed as the street's own record.
    with offices[COUNTY].store.read_session() as s:
        held = s.scalars(select(Declaration)).one()
        held_body = {"id": held.id}
    typed = insider.opinion(held_body, Level.PROVINCE, PROVINCE, street, granted_fen=99_999_900)
    _refused(offices[COUNTY], _from_street(offices, tmp_path, "grant2.sanlian", [typed]), "越权")
    with offices[COUNTY].store.read_session() as s:
        assert s.scalars(select(Declaration.status)).one() == "under_review"


def test_the_street_cannot_revoke_its_sibling_its_county_or_the_root(offices: dict[str, ServiceOffice],
                                                                    tmp_path: Path) -> None:
    county, street = insider.real(offices[COUNTY]), insider.real(offices[STREET])
    sibling = insider.mint(county, "620102002", Level.STREET)
    for name, target in (("sibling", sibling.cert), ("county", county.cert), ("root", county.chain[-1])):
        revocation = insider.forge_revocation(street, target)
        path = _from_street(offices, tmp_path, f"revoke-{name}.sanlian", [insider.revocation_entry(revocation)],
                            sibling.chain)
        _refused(offices[COUNTY], path, "吊销记录", "越权")
        with offices[COUNTY].store.read_session() as s:
            assert s.get(RevocationRecord, target.serial) is None


def test_a_batch_or_a_budget_from_the_street_is_refused_not_kept_aside(offices: dict[str, ServiceOffice],
                                                                      tmp_path: Path) -> None:
    with offices[COUNTY].store.read_session() as s:
        batch = s.scalars(select(Batch)).one()
        raised = batch_record(batch)
    raised.body["budget_fen"] = 10**12
    new = dict(raised.body, id="b" * 32, code="2099", name="街道自设批次")
    for name, body in (("raised", raised.body), ("new", new)):
        path = _from_street(offices, tmp_path, f"batch-{name}.sanlian", [("batch", body["id"], 0, cj.dumps(body))])
        _refused(offices[COUNTY], path, "申报批次", "越权")
    with offices[COUNTY].store.read_session() as s:
        assert s.scalars(select(SyncConflict)).first() is None


def test_the_street_cannot_link_a_file_to_another_offices_declaration(offices: dict[str, ServiceOffice],
                                                                     tmp_path: Path) -> None:
    from tests.helpers import example_declaration

    county = offices[COUNTY]
    with county.store.session() as s:  # a declaration the county entered itself (代录)
        decl_id = drafts.create(s, county.clerk, example_declaration(title="县级代录项目")).id
    data = b"not the county's file"
    sha = hashlib.sha256(data).hexdigest()
    link = {"declaration_id": decl_id, "sha256": sha, "original_name": "x.pdf", "kind": "other",
            "added_at": utcnow().isoformat(), "added_by": "street"}
    path = _from_street(offices, tmp_path, "link.sanlian", [
        ("attachment", sha, 0, data), ("attachment_link", link_key(decl_id, sha, "x.pdf"), 0, cj.dumps(link))])
    _refused(county, path, "附件关联", "越权")


def test_a_second_certificate_for_a_community_with_new_keys_is_refused(offices: dict[str, ServiceOffice],
                                                                      tmp_path: Path) -> None:
    street = insider.real(offices[STREET])
    second = insider.mint(street, COMMUNITY, Level.COMMUNITY)  # through the program's own certify()
    path = _from_street(offices, tmp_path, "second-cert.sanlian", [], second.chain)
    _refused(offices[COUNTY], path, "证书", "越权")


def test_a_version_under_review_above_cannot_be_replaced_from_below(offices: dict[str, ServiceOffice],
                                                                   tmp_path: Path) -> None:
    community = insider.real(offices[COMMUNITY])
    t = insider.templates(offices[COUNTY])
    fields = dict(t.version["fields"])
    fields["subsidy_requested"] = str(Decimal(fields["subsidy_requested"]) + 1)
    version = {**t.version, "version": 2, "fields": fields, "content_hash": declfields.content_hash(fields),
               "submitted_at": utcnow().isoformat()}
    key = f"{t.declaration['id']}:2"
    path = _from_street(offices, tmp_path, "v2.sanlian", [("version", key, 2, community.sign("version", version))])
    _refused(offices[COUNTY], path, "申报版本", key, "越权")


def test_certifying_a_childs_new_keys_revokes_its_old_certificate(offices: dict[str, ServiceOffice],
                                                                  tmp_path: Path) -> None:
    street = offices[STREET]
    with street.store.read_session() as s:
        old = trust.cert_for(s, COMMUNITY)
        assert old is not None
    # The same keys again (the community's own request once more): nothing is revoked.
    with offices[COMMUNITY].store.session() as s:
        trust.request_certificate(s, offices[COMMUNITY].admin, tmp_path / "same.req")
    with street.store.session() as s:
        trust.certify_child(s, street.admin, tmp_path / "same.req", tmp_path / "same.cert")
        assert trust.revoked_map(s) == {}
    # New keys: the new certificate replaces the old ones, which are revoked.
    request = tmp_path / "new.req"
    request.write_bytes(make_request(OfficeInfo(COMMUNITY, Level.COMMUNITY, "东岗西路社区居委会"), OfficeKeys.generate(chosen_suite())))
    with street.store.session() as s:
        trust.certify_child(s, street.admin, request, tmp_path / "new.cert")
    with street.store.read_session() as s:
        assert s.get(RevocationRecord, old.serial) is not None
        assert old.serial in trust.revoked_map(s)


def test_a_certified_chain_still_travels(offices: dict[str, ServiceOffice], tmp_path: Path) -> None:
    """The legitimate path after all this: the county reviews and passes the declaration on."""
    from sanlian_desktop.declarations import workflow
    from sanlian_desktop.kernel.vocab import Decision

    county = offices[COUNTY]
    with county.store.session() as s:
        held = s.scalars(select(Declaration)).one()
        workflow.review(s, county.rev, held, decision=Decision.APPROVE, text="同意。")
    result = insider.carry(offices, COUNTY, CITY, tmp_path / "up.sanlian")
    assert result.report.conflicts == 0 and result.report.applied >= 1
    with offices[CITY].store.read_session() as s:
        assert s.scalars(select(Declaration.awaiting_office)).one() == CITY
