"""The authority matrix: every record kind × every signer position, accepted or refused exactly as
:data:`sanlian_desktop.sync.kinds.authority.RULES` says — at the first receiver, and at the next office
up when a fooled (or malicious) receiver passes the same records on with their original signatures.

Packages are written as an insider would: with the program's own writer and real keys (tests/sync/helpers_insider.py).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import (
    Batch,
    CertificateRecord,
    CommunityFacts,
    CommunityOrganisation,
    Declaration,
    DeclarationAttachment,
    EffectEvaluation,
    EvaluationAssignment,
    EvaluationWithdrawal,
    FollowUpVisit,
    Opinion,
    ProgressReport,
    ProjectDisbursement,
    ProjectProgress,
    ProjectTender,
    ProjectUndertaking,
    ProjectWorker,
    PublicNotice,
    Region,
    RegionUpdate,
    RevocationRecord,
    SimilarityClearance,
    SocialWorker,
    SyncItem,
    utcnow,
)
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.sync.exchange.importing import import_package
from sanlian_desktop.sync.kinds.authority import RULES
from sanlian_desktop.sync.kinds.records import link_key, record_kinds
from sanlian_desktop.sync.trust.chain import revoke
from tests.sync import helpers_insider as insider
from tests.sync.helpers_insider import CITY, COMMUNITY, COUNTY, PROVINCE, STREET, Signer
from tests.sync.helpers_service import ServiceOffice, fingerprint

EVALUATOR = "620000E001"
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
    evaluator = insider.mint(real[PROVINCE], EVALUATOR, Level.EVALUATOR)  # the project's assigned evaluator
    other_evaluator = insider.mint(real[PROVINCE], "620000E002", Level.EVALUATOR)
    parents = {COMMUNITY: STREET, STREET: COUNTY, COUNTY: CITY, EVALUATOR: PROVINCE}
    levels = {COMMUNITY: Level.COMMUNITY, STREET: Level.STREET, COUNTY: Level.COUNTY, EVALUATOR: Level.EVALUATOR}
    revoked: dict[str, Signer] = {}
    expired: dict[str, Signer] = {}
    for code, parent in parents.items():
        # A second certificate of the rightful office, revoked by its issuer (the receivers know it) ...
        revoked[code] = insider.mint(real[parent], code, levels[code])
        record = revoke(revoked[code].cert, real[parent].cert, real[parent].keys, reason="密钥遗失",
                        effective=utcnow() - timedelta(seconds=1))
        for receiver in offices:  # the revocation has come down to every office by now
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
        # An evaluator office has no child; its parent is the province (also the root); its sibling is
        # another evaluator office, and "other county" a region office.
        EVALUATOR: {"rightful": evaluator, "child": None, "parent": real[PROVINCE], "sibling": other_evaluator,
                    "other county": other_county, "root": real[PROVINCE], "revoked": revoked[EVALUATOR],
                    "expired": expired[EVALUATOR]},
    }
    chains = [c for signer in (*real.values(), sibling_community, sibling_street, other_street, other_community)
              for c in signer.chain]
    yield World(offices, real, positions, insider.templates(offices[COUNTY]), chains)
    insider.cleanup(offices, where)


# -- the cells: what a record of each kind looks like, signed (or made) by ``p`` ---------------------------

Entries = list[tuple[str, str, int, bytes]]
Built = tuple[Entries, list[Any], Callable[[Any], bool]]
Build = Callable[[World, Signer, str], Built]


@dataclass(frozen=True)
class Expect:
    """What a receiver does with the record of each position: ``applied`` — accepted and in effect;
    ``kept`` — accepted, but the receiver keeps what it holds (the rule lets the record pass and gives it
    no effect here); any other position — the whole package refused."""

    applied: frozenset[str]
    kept: frozenset[str] = frozenset()


def takes(*applied: str, kept: tuple[str, ...] = ()) -> Expect:
    return Expect(frozenset(applied), frozenset(kept))


ONLY_RIGHTFUL = takes("rightful")
# Records that carry no signature of their own are judged by the package signer's place alone: a package
# signed under a revoked or expired certificate is refused whole by the reader before any record is read
# (tests/sync/transport/test_package.py: test_expired_sender_certificate, test_revoked_sender), so those
# positions have no record of their own to judge.
UNSIGNED = "the record carries no signature of its own: only the package signer's place counts"


@dataclass(frozen=True)
class Cell:
    kind: str  # the rule (RULES) the cell exercises
    rightful: str  # the rightful office's code (whose positions ``p`` takes)
    receiver: str  # the first receiver; its child (upward) or parent (``down``) sends the package
    build: Build
    first: Expect = ONLY_RIGHTFUL  # at the first receiver
    then: Expect | None = None  # at the next office (None: as at the first receiver)
    down: bool = False  # the record travels down: the next office is the receiver's child
    unsigned: str | None = None  # the reason the revoked and expired positions have nothing to judge
    only: frozenset[str] | None = None  # the positions that make sense for the kind (None: all)


def _regions(w: World) -> Entries:
    return [*map(insider.entry, w.t.regions)]


def _declared(w: World, **where: Any) -> tuple[dict[str, Any], Entries]:
    """A fresh declaration of the community, with the regions it lies in and its version-1 (signed by
    its entering office, the community unless ``entered_by`` says otherwise)."""
    decl, version = insider.new_declaration(w.t, **where)
    entering = w.real[where.get("entered_by", COMMUNITY)]
    return decl, [*_regions(w), *insider.declaration_entries(decl, version, entering)]


def _version(w: World, p: Signer, tag: str) -> Built:
    decl, version = insider.new_declaration(w.t)
    entries = [*_regions(w), *insider.declaration_entries(decl, version, p)]
    return entries, p.chain, lambda s: s.get(Declaration, decl["id"]) is not None


def _typed(level: Level, office: str) -> Build:
    def build(w: World, p: Signer, tag: str) -> Built:
        decl, entries = _declared(w)
        op = insider.opinion(decl, level, office, p)
        return [*entries, op], p.chain, lambda s: s.get(Opinion, op[1]) is not None

    return build


def _paper(w: World, p: Signer, tag: str) -> Built:
    decl, entries = _declared(w, entered_by=COUNTY)
    op = insider.opinion(decl, Level.STREET, STREET, p, paper=True)
    return [*entries, op], p.chain, lambda s: s.get(Opinion, op[1]) is not None


def _grant(w: World, p: Signer, tag: str) -> Built:
    decl, entries = _declared(w)
    ops = [insider.opinion(decl, Level.STREET, STREET, w.real[STREET]),
           insider.opinion(decl, Level.COUNTY, COUNTY, w.real[COUNTY]),
           insider.opinion(decl, Level.CITY, CITY, w.real[CITY]),
           insider.opinion(decl, Level.PROVINCE, PROVINCE, p, granted_fen=99_999_900)]

    def applied(s: Any) -> bool:
        held = s.get(Declaration, decl["id"])
        return held is not None and held.status == "approved" and held.granted_fen == 99_999_900

    return [*entries, *ops], p.chain, applied


def _revocation(w: World, p: Signer, tag: str) -> Built:
    target = insider.mint(w.real[STREET], f"62010200103{POSITIONS.index(tag)}", Level.COMMUNITY)
    revocation = insider.forge_revocation(p, target.cert)
    return ([insider.revocation_entry(revocation)], [*target.chain, *p.chain],
            lambda s: s.get(RevocationRecord, revocation.serial) is not None)


def _certificate(w: World, p: Signer, tag: str) -> Built:
    minted = insider.forge_cert(p, f"62010200104{POSITIONS.index(tag)}", Level.COMMUNITY)
    return [], minted.chain, lambda s: s.get(CertificateRecord, minted.cert.serial) is not None


def _evaluator_certificate(w: World, p: Signer, tag: str) -> Built:
    minted = insider.forge_cert(p, f"620000E1{POSITIONS.index(tag)}0", Level.EVALUATOR)
    return [], minted.chain, lambda s: s.get(CertificateRecord, minted.cert.serial) is not None


def _declaration(w: World, p: Signer, tag: str) -> Built:
    """A declaration of the community entered by ``p`` (its version signed by ``p``, as the entering office's)."""
    decl, version = insider.new_declaration(w.t, entered_by=p.code)
    entries = [*_regions(w), *insider.declaration_entries(decl, version, p)]
    return entries, p.chain, lambda s: s.get(Declaration, decl["id"]) is not None


def _region(w: World, p: Signer, tag: str) -> Built:
    """The region of ``p``'s code, under a new name."""
    name = f"区划{uuid.uuid4().hex[:8]}"
    record = insider.region(w.t.regions[0], p.code, name)

    def applied(s: Any) -> bool:
        held = s.get(Region, p.code)
        return held is not None and held.name == name

    return [record], [], applied


def _batch(w: World, p: Signer, tag: str) -> Built:
    """A batch signed by ``p``."""
    record = insider.batch(signer=p)
    return [record], p.chain, lambda s: s.get(Batch, record[1]) is not None


def _unsigned_batch(w: World, p: Signer, tag: str) -> Built:
    """A batch without a signature (made before batches were signed, or made up by the office sending it)."""
    record = insider.batch()
    return [record], [], lambda s: s.get(Batch, record[1]) is not None


def _altered_batch(w: World, p: Signer, tag: str) -> Built:
    """A batch signed by ``p`` whose budget an office on the way changed after it was signed."""
    record = insider.batch(signer=p, budget_fen=99_999_900)
    return [record], p.chain, lambda s: s.get(Batch, record[1]) is not None


def _link(w: World, p: Signer, tag: str) -> Built:
    """A file linked to a fresh declaration of the community (both in the package)."""
    decl, entries = _declared(w)
    content = f"附件 {uuid.uuid4()}".encode()
    sha = hashlib.sha256(content).hexdigest()
    link = {"declaration_id": decl["id"], "sha256": sha, "original_name": "附件.pdf", "kind": "other",
            "added_at": utcnow().isoformat(), "added_by": "clerk"}
    entries = [*entries, ("attachment", sha, 0, content),
               ("attachment_link", link_key(decl["id"], sha, "附件.pdf"), 0, cj.dumps(link))]

    def applied(s: Any) -> bool:
        return s.scalar(select(DeclarationAttachment.id).where(DeclarationAttachment.declaration_id == decl["id"],
                                                              DeclarationAttachment.sha256 == sha)) is not None

    return entries, [], applied


def _org_held(record: tuple[str, str, int, bytes]) -> Callable[[Any], bool]:
    uid = record[1].split(":", 1)[1]
    return lambda s: s.scalar(select(CommunityOrganisation.id).where(CommunityOrganisation.uid == uid)) is not None


def _registry(w: World, p: Signer, tag: str) -> Built:
    """An organisation of the community entered (owned) by ``p``, signed by ``p``."""
    record = insider.organisation(p.code, signer=p)
    return [record], p.chain, _org_held(record)


def _worker(w: World, p: Signer, tag: str) -> Built:
    """A social worker of the community entered (owned) by ``p``, signed by ``p``."""
    record = insider.worker(p.code, signer=p)
    uid = record[1].split(":", 1)[1]
    return [record], p.chain, lambda s: s.scalar(select(SocialWorker.id).where(SocialWorker.uid == uid)) is not None


def _facts_of(community: str, owner: str) -> Callable[[Any], bool]:
    return lambda s: s.scalar(select(CommunityFacts.community_code).where(
        CommunityFacts.community_code == community, CommunityFacts.owner_code == owner)) is not None


def _community_facts(first: int, signed: bool = True, **altered: Any) -> Build:
    def build(w: World, p: Signer, tag: str) -> Built:
        """A new community of the street (one per position, from ``first``) with facts recorded by ``p``."""
        community = f"620102001{first + POSITIONS.index(tag):03d}"
        record = insider.community_facts(p.code, community, w.t.regions[0].body["name"], p if signed else None,
                                         **altered)
        return [record], p.chain if signed else [], _facts_of(community, p.code)

    return build


def _street_org(w: World, p: Signer, tag: str) -> Built:
    """An organisation the street owns, signed by ``p``."""
    record = insider.organisation(STREET, signer=p)
    return [record], p.chain, _org_held(record)


def _unsigned_org(w: World, p: Signer, tag: str) -> Built:
    """An organisation ``p`` owns, without a signature (kept from before, or made up by the sender)."""
    record = insider.organisation(p.code)
    return [record], [], _org_held(record)


def _altered_org(w: World, p: Signer, tag: str) -> Built:
    """An organisation ``p`` owns and signed, renamed on the way after it was signed."""
    record = insider.organisation(p.code, signer=p, name="改过的组织")
    return [record], p.chain, _org_held(record)


def _report(w: World, p: Signer, tag: str) -> Built:
    """``p``'s own progress report, signed by ``p``."""
    record = insider.progress_report(p, p.code)
    return [record], p.chain, lambda s: s.get(ProgressReport, record[1]) is not None


def _notice(w: World, p: Signer, tag: str) -> Built:
    """A selection notice of a new batch, signed by ``p`` (the batch comes down with it)."""
    batch = insider.batch(signer=w.real[PROVINCE])
    record = insider.public_notice(p, batch[1])
    return [batch, record], p.chain, lambda s: s.get(PublicNotice, record[1]) is not None


def _region_update(w: World, p: Signer, tag: str) -> Built:
    """A region update adding a community under the street, signed by ``p``."""
    record = insider.region_update(p, f"62010200106{POSITIONS.index(tag)}")
    return [record], p.chain, lambda s: s.get(RegionUpdate, record[1]) is not None


_PROJECT_MODELS = {m.__tablename__: m for m in (ProjectTender, ProjectUndertaking, ProjectWorker,
                                                  ProjectDisbursement, ProjectProgress)}


def _implementation(kind: str, entered_by: str = COMMUNITY) -> Build:
    def build(w: World, p: Signer, tag: str) -> Built:
        """A fresh project (entered by ``entered_by``) with a record of ``kind`` written and signed by ``p``."""
        decl, entries = _declared(w, entered_by=entered_by)
        record = insider.implementation(kind, decl, p.code, p)
        model: Any = _PROJECT_MODELS[kind]
        return [*entries, record], p.chain, lambda s: s.get(model, record[1]) is not None

    return build


def _assignment(w: World, p: Signer, tag: str) -> Built:
    """A fresh project and its assignment to an evaluator office, signed by ``p``."""
    decl, entries = _declared(w)
    record = insider.assignment(decl, p)
    return [*entries, record], p.chain, lambda s: s.get(EvaluationAssignment, decl["id"]) is not None


def _withdrawal(w: World, p: Signer, tag: str) -> Built:
    """A fresh project assigned by the province to the evaluator, and the assignment's withdrawal signed by ``p``."""
    decl, entries = _declared(w)
    at = utcnow().isoformat()
    assigned = insider.assignment(decl, w.real[PROVINCE], at=at)
    record = insider.withdrawal(decl, p, at)
    return [*entries, assigned, record], p.chain, lambda s: s.get(EvaluationWithdrawal, record[1]) is not None


def _evaluation(w: World, p: Signer, tag: str) -> Built:
    """A fresh project assigned by the province to the evaluator, and an effect evaluation signed by ``p``
    with its report."""
    decl, entries = _declared(w)
    report = f"评估报告 {uuid.uuid4()}".encode()
    record = insider.evaluation(decl, p, report)
    return ([*entries, insider.assignment(decl, w.real[PROVINCE]),
             ("attachment", hashlib.sha256(report).hexdigest(), 0, report), record], p.chain,
            lambda s: s.get(EffectEvaluation, record[1]) is not None)


def _visit(w: World, p: Signer, tag: str) -> Built:
    """A fresh project assigned by the province to the evaluator, and a follow-up visit signed by ``p``."""
    decl, entries = _declared(w)
    record = insider.visit(decl, p)
    return ([*entries, insider.assignment(decl, w.real[PROVINCE]), record], p.chain,
            lambda s: s.get(FollowUpVisit, record[1]) is not None)


def _similarity_mark(w: World, p: Signer, tag: str) -> Built:
    """Two fresh declarations of the community and ``p``'s "已核实，不是抄袭" mark of the pair."""
    first, entries = _declared(w)
    second, version = insider.new_declaration(w.t)
    more = insider.declaration_entries(second, version, w.real[COMMUNITY])
    record = insider.similarity_mark(p, first, second)
    return [*entries, *more, record], p.chain, lambda s: s.get(SimilarityClearance, record[1]) is not None


def _receipt(w: World, p: Signer, tag: str) -> Built:
    """``p``'s receipt for a package the county sent the street, acknowledging a record the county's
    ledger says it sent in that package (under 国密 a receipt's SM3 entry digests are matched to the
    records through that ledger, not taken as record hashes: sync/exchange/importing.py)."""
    key, package_id, sent = f"receipt-{uuid.uuid4().hex[:12]}", uuid.uuid4().hex, "0" * 64
    with w.offices[COUNTY].store.session() as s:
        s.add(SyncItem(neighbour_code=STREET, kind="region", key=key, sent_hash=sent, sent_package=package_id))
    record = insider.receipt(p, COUNTY, ("region", key, sent), package_id)

    def applied(s: Any) -> bool:
        item = s.get(SyncItem, (STREET, "region", key))
        return item is not None and item.acked_hash == sent

    return [record], p.chain, applied


# Each cell states, next to it, who the rule lets sign (or make) the record — the expectation is read
# from the rule, never computed by the code under test.
CELLS = {
    # version: signed by the declaration's entering office (the community) only.
    "version": Cell("version", COMMUNITY, COUNTY, _version),
    # typed opinion: signed by that level's office on the declaration's chain itself.
    "opinion (street, typed)": Cell("opinion", STREET, COUNTY, _typed(Level.STREET, STREET)),
    "opinion (county, typed)": Cell("opinion", COUNTY, COUNTY, _typed(Level.COUNTY, COUNTY)),
    "opinion (city, typed)": Cell("opinion", CITY, COUNTY, _typed(Level.CITY, CITY)),
    # paper opinion: transcribed only by the entering office above that level on the chain (here the county).
    "opinion (street, paper)": Cell("opinion", COUNTY, CITY, _paper),
    # decision and grant: signed by the province only.
    "decision and grant": Cell("grant", PROVINCE, COUNTY, _grant),
    # revocation: only by the revoked certificate's issuer (the street, for its community).
    "revocation": Cell("revocation", STREET, COUNTY, _revocation),
    # certificate: only by the direct parent (the street, for a community of its own).
    "certificate": Cell("certificate", STREET, COUNTY, _certificate),
    # ... and an evaluator office's only by the province.
    "certificate (evaluator office)": Cell("certificate", PROVINCE, COUNTY, _evaluator_certificate),
    # declaration: entered by the community itself or a street/county office on its chain — the street
    # (its parent) may enter it from paper; a sibling community, another county's or the province may not.
    "declaration": Cell("declaration", COMMUNITY, COUNTY, _declaration, takes("rightful", "parent")),
    # region: upward only inside the sender's territory (then the sender's data win: applied) or on the
    # path above it (passed, the receiver's own data kept). The street sends to the county: its own region
    # and its community's apply, the county's and the province's pass unchanged, a sibling street's and
    # another county's are refused. Forwarded by the county to the city: the county's region and the
    # sibling street's now lie inside the sender's territory, and apply.
    "region": Cell("region", STREET, COUNTY, _region, takes("rightful", "child", kept=("parent", "root")),
                   then=takes("rightful", "child", "parent", "sibling", kept=("root",)), unsigned=UNSIGNED),
    # ... and downward only inside the receiver's territory or on the path above it, where the receiver
    # keeps its own data (the office closest to a region knows it best): from the county to the street
    # and on to the community, the street's, the community's, the county's and the province's regions pass
    # unchanged; a sibling street's and another county's are refused.
    "region (from the parent)": Cell("region", STREET, STREET, _region, takes(kept=("rightful", "child", "parent", "root")),
                                     down=True, unsigned=UNSIGNED),
    # batch: signed by the province only and sent down by the parent, the province's signature checked
    # at every office on the way: one the city or another office signed is refused; from below, refused.
    "batch (from the parent)": Cell("batch", PROVINCE, COUNTY, _batch, down=True),
    "batch (from below)": Cell("batch", PROVINCE, COUNTY, _batch, takes(), only=frozenset({"rightful"})),
    # ... a malicious (or fooled) county cannot pass a batch down it made up (unsigned) or altered after the
    # province signed it: its street refuses it, and so would the community were the street to pass it on.
    "batch (made up by the county)": Cell("batch", PROVINCE, STREET, _unsigned_batch, takes(), down=True,
                                          only=frozenset({"rightful"}),
                                          unsigned="an unsigned batch names no signer: only who sends it counts"),
    "batch (altered by the county)": Cell("batch", PROVINCE, STREET, _altered_batch, takes(), down=True,
                                          only=frozenset({"rightful"})),
    # ... a batch made before batches were signed is taken unsigned only from the province itself (the
    # first hop); the city forwarding it unsigned to the county is refused (the province signs it at its
    # next export, and the city then passes the signed copy on).
    "batch (unsigned, from the province)": Cell("batch", PROVINCE, CITY, _unsigned_batch, takes("rightful"),
                                                then=takes(), down=True, only=frozenset({"rightful"}),
                                                unsigned="an unsigned batch names no signer: only who sends it counts"),
    # attachment link: by an office whose territory holds the declaration's entering office (the community).
    "attachment link": Cell("attachment_link", COMMUNITY, COUNTY, _link, only=frozenset({"rightful"}),
                            unsigned="a link carries no signature: it is judged by the declaration it names, "
                                     "whose own cell covers who may enter it"),
    # registry: owned by the office that entered it, travelling up from inside the sender's territory:
    # at the county (from the street) the street's and its community's; at the city (from the county)
    # the county's own and its other street's too; never another county's or the province's.
    # Each is signed by its owner, and the owner's signature is checked at every office on the way.
    "registry (organisation)": Cell("registry", STREET, COUNTY, _registry, takes("rightful", "child"),
                                    then=takes("rightful", "child", "parent", "sibling")),
    "registry (social worker)": Cell("registry", STREET, COUNTY, _worker, takes("rightful", "child"),
                                     then=takes("rightful", "child", "parent", "sibling")),
    # ... so an organisation the street owns is taken only with the street's own signature: one the county
    # (or any other office) signed in the street's name is refused, at the county and at the city.
    "registry (the street's organisation, signed by another)": Cell("registry", STREET, COUNTY, _street_org),
    # ... a county that made up a street's organisation (unsigned) or renamed one after the street signed
    # it cannot pass it to the city;
    "registry (made up by the county)": Cell("registry", STREET, CITY, _unsigned_org, takes(),
                                             only=frozenset({"rightful"}),
                                             unsigned="an unsigned record names no signer: only who sends it counts"),
    "registry (altered by the county)": Cell("registry", STREET, CITY, _altered_org, takes(),
                                             only=frozenset({"rightful"})),
    # Facts (of a community, of an area) are signed by the office that recorded them, as organisations:
    "registry (community facts)": Cell("registry", STREET, COUNTY, _community_facts(100), takes("rightful", "child"),
                                       then=takes("rightful", "child", "parent", "sibling")),
    "registry (facts altered by the county)": Cell("registry", STREET, CITY,
                                                   _community_facts(120, registered_volunteers=99_999), takes(),
                                                   only=frozenset({"rightful"})),
    "registry (facts made up by the county)": Cell("registry", STREET, CITY, _community_facts(130, signed=False),
                                                   takes(), only=frozenset({"rightful"}),
                                                   unsigned="unsigned facts name no signer: only who sends them counts"),
    # ... and a row kept from before signatures is taken unsigned only from its owner itself (the first
    # hop): the county passing it on unsigned is refused (the owner signs it at its next export).
    "registry (unsigned, from its owner)": Cell("registry", STREET, COUNTY, _unsigned_org, takes("rightful"),
                                                then=takes(), only=frozenset({"rightful"}),
                                                unsigned="an unsigned record names no signer: only who sends it counts"),
    # progress report: signed by the office that made it, travelling up from inside the sender's
    # territory (so, as for the registry, the county's and its other street's reach the city through it).
    "progress report": Cell("progress_report", STREET, COUNTY, _report, takes("rightful", "child"),
                            then=takes("rightful", "child", "parent", "sibling")),
    # selection notice: signed by the province only; it comes down.
    "public notice": Cell("public_notice", PROVINCE, COUNTY, _notice, down=True),
    # region update: signed by the province only; it comes down.
    "region update": Cell("region_update", PROVINCE, COUNTY, _region_update, down=True),
    # implementation: a tender, undertaking, worker or progress record is written and signed by the
    # project's community (which entered it) only;
    # a disbursement by the paying county only, and it comes down.
    "implementation (tender)": Cell("implementation", COMMUNITY, COUNTY, _implementation("project_tender")),
    "implementation (undertaking)": Cell("implementation", COMMUNITY, COUNTY, _implementation("project_undertaking")),
    "implementation (worker)": Cell("implementation", COMMUNITY, COUNTY, _implementation("project_worker")),
    "implementation (progress)": Cell("implementation", COMMUNITY, COUNTY, _implementation("project_progress")),
    # ... and of a project the street entered from paper, by the community or the street (which entered it).
    "implementation (tender, paper project)": Cell("implementation", COMMUNITY, COUNTY,
                                                   _implementation("project_tender", STREET), takes("rightful", "parent")),
    "implementation (disbursement)": Cell("implementation", COUNTY, STREET, _implementation("project_disbursement"),
                                          down=True),
    # ... and the county's disbursement travels up too, to the city and the province.
    "implementation (disbursement, up)": Cell("implementation", COUNTY, CITY, _implementation("project_disbursement")),
    # evaluation: an assignment and its withdrawal are signed by the province only and come down; a
    # visit only by the evaluator office the project is assigned to (not another evaluator, nor the
    # province), passed down the chain by the parent.
    "evaluation (assignment)": Cell("evaluation", PROVINCE, COUNTY, _assignment, down=True),
    "evaluation (withdrawal)": Cell("evaluation", PROVINCE, COUNTY, _withdrawal, down=True),
    "evaluation (visit)": Cell("evaluation", EVALUATOR, COUNTY, _visit, down=True),
    "evaluation (effect evaluation)": Cell("evaluation", EVALUATOR, COUNTY, _evaluation, down=True),
    # "已核实，不是抄袭" mark: signed by a county, city or province office about declarations of its own
    # territory, travelling up from inside the sender's: at the city (from the county) the county's only —
    # not the street's (too low), the city's own nor the province's (not inside the sender), nor another
    # county's; at the province (from the city) the city's own too.
    "similarity mark": Cell("similarity_mark", COUNTY, CITY, _similarity_mark, then=takes("rightful", "parent")),
    # receipt: signed by the package's sender (the street, to the county) for a package the county sent
    # it; the county forwarding it to the city forwards a receipt that is not for the city: refused.
    "receipt": Cell("receipt", STREET, COUNTY, _receipt, then=takes()),
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
_CHILD = {PROVINCE: CITY, CITY: COUNTY, COUNTY: STREET, STREET: COMMUNITY}
_PARENT = {child: parent for parent, child in _CHILD.items()}


@pytest.mark.parametrize(("name", "position"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_authority_matrix(world: World, tmp_path: Path, name: str, position: str) -> None:
    cell = CELLS[name]
    assert cell.kind in RULES
    if cell.only is not None and position not in cell.only:
        pytest.skip(cell.unsigned or "no such position for the kind")
    if cell.unsigned and position in ("revoked", "expired"):
        pytest.skip(cell.unsigned)
    signer = _signer(world, cell, position)
    if signer is None:
        pytest.skip("no office in that position")
    entries, certs, applied = cell.build(world, signer, position)
    certs = [*world.chains, *certs]
    receiver = world.offices[cell.receiver]
    sender, nxt = (_PARENT, _CHILD) if cell.down else (_CHILD, _PARENT)
    first = insider.write(tmp_path / "first.sanlian", world.real[sender[cell.receiver]],
                          insider.recipient_cert(receiver.store), entries, certs)
    # The receiver passes the same records on, with their original signatures, to the next office.
    then = world.offices[nxt[cell.receiver]]
    second = insider.write(tmp_path / "second.sanlian", world.real[cell.receiver],
                           insider.recipient_cert(then.store), entries, certs)
    for where, office, path, expect in (("first receiver", receiver, first, cell.first),
                                        ("next office", then, second, cell.then or cell.first)):
        accepted = position in expect.applied | expect.kept
        assert _import(office, path) is accepted, f"{name} by {position} at the {where}"
        with office.store.read_session() as s:
            assert applied(s) is (position in expect.applied), f"{name} by {position}: effect at the {where}"


def test_every_rule_names_its_kind_in_chinese_and_english() -> None:
    for rule in RULES.values():
        assert rule.zh and rule.en and rule.label


def test_every_rule_has_a_cell() -> None:
    """The matrix stays complete: a kind added to RULES fails here until a cell drives it."""
    missing = sorted(set(RULES) - {c.kind for c in CELLS.values()})
    assert not missing, f"kinds of RULES without a cell in the authority matrix: {missing}"


# Every kind a package may carry, and the rule that says who may sign (or send) it.
RULE_OF = {
    "region": "region", "batch": "batch", "declaration": "declaration", "version": "version", "opinion": "opinion",
    "attachment_link": "attachment_link", "certificate": "certificate", "revocation": "revocation",
    "receipt": "receipt", "registry": "registry", "progress_report": "progress_report",
    "public_notice": "public_notice", "region_update": "region_update",
    "project_tender": "implementation", "project_undertaking": "implementation", "project_worker": "implementation",
    "project_disbursement": "implementation", "project_progress": "implementation",
    "evaluation_assignment": "evaluation", "evaluation_withdrawal": "evaluation", "followup_visit": "evaluation",
    "effect_evaluation": "evaluation", "similarity_mark": "similarity_mark",
}
NO_RULE = {"attachment": "a file named by its SHA-256: it counts only through a record (a link, a report) "
                         "that names it, whose own rule applies"}


def test_every_kind_that_travels_has_a_rule_and_a_cell(world: World) -> None:
    """A kind a package may carry (the core kinds, the registered ones, certificates, revocations and
    receipts) fails here until RULES says who may sign it and a cell of the matrix carries it."""
    travelling = {*record_kinds(), "certificate", "revocation", "receipt"}
    assert travelling == set(RULE_OF) | set(NO_RULE), "a kind that travels is missing from RULE_OF (or gone)"
    assert set(RULE_OF.values()) <= set(RULES)
    carried: set[str] = set()
    for cell in CELLS.values():
        signer = _signer(world, cell, "rightful")
        assert signer is not None
        entries, _, _ = cell.build(world, signer, "rightful")
        carried |= {kind for kind, *_ in entries}
        carried |= {"certificate"} if cell.kind == "certificate" else set()
    missing = sorted(travelling - carried)
    assert not missing, f"kinds no cell of the authority matrix carries: {missing}"


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


# -- records kept from before batches and registry rows were signed (issue 20) -------------------------


def _signed_copy(entry: tuple[str, str, int, bytes], signer: Signer) -> tuple[str, str, int, bytes]:
    """The same record as ``entry`` (unsigned), now with ``signer``'s statement of its body."""
    body = cj.loads(entry[3], "记录", "record")
    data = {**body, "signer": signer.code, "signature": cj.b64(signer.sign(entry[0], body))}
    return (entry[0], entry[1], entry[2], cj.dumps(data))


def _route(office: str, level: Level, neighbour: str, neighbour_level: Level) -> Any:
    from sanlian_desktop.sync.kinds.registry import Route

    return Route(office, level, neighbour, neighbour_level, Path)


def test_an_unsigned_batch_takes_the_provinces_signature_and_then_travels_on(world: World, tmp_path: Path) -> None:
    """The province's batch kept unsigned from before: the city takes it from the province itself, but
    does not pass it on unsigned; once the province's signed copy arrives, the city keeps the signature
    and its county takes the batch from the city."""
    from sanlian_desktop.sync.kinds.records import records_for

    city, county = world.offices[CITY], world.offices[COUNTY]
    unsigned = insider.batch()
    province = world.real[PROVINCE]
    path = insider.write(tmp_path / "1.sanlian", province, insider.recipient_cert(city.store), [unsigned], world.chains)
    assert _import(city, path)

    def sent_down() -> list[Any]:
        with city.store.read_session() as s:
            return [r for r in records_for(s, CITY, Level.CITY, COUNTY, Level.COUNTY, Path)
                    if r.kind == "batch" and r.key == unsigned[1]]

    assert sent_down() == []  # an unsigned batch leaves only the province
    path = insider.write(tmp_path / "2.sanlian", province, insider.recipient_cert(city.store),
                         [_signed_copy(unsigned, province)], [*world.chains, *province.chain])
    assert _import(city, path)
    with city.store.read_session() as s:
        held = s.get(Batch, unsigned[1])
        assert held is not None and held.signer_code == PROVINCE and held.signature is not None
    [record] = sent_down()
    path = insider.write(tmp_path / "3.sanlian", world.real[CITY], insider.recipient_cert(county.store),
                         [insider.entry(record)], [*world.chains, *province.chain])
    assert _import(county, path)
    with county.store.read_session() as s:
        assert s.get(Batch, unsigned[1]) is not None


def test_an_unsigned_organisation_takes_its_owners_signature_and_then_travels_on(world: World,
                                                                                tmp_path: Path) -> None:
    """The street's organisation kept unsigned from before: the county takes it from the street itself,
    but does not pass it on to the city unsigned; once the street's signed copy arrives, the county
    keeps the signature and the city takes the organisation from the county."""
    from sanlian_desktop.registries import records as registry_records

    county, city = world.offices[COUNTY], world.offices[CITY]
    street = world.real[STREET]
    unsigned = insider.organisation(STREET)
    path = insider.write(tmp_path / "1.sanlian", street, insider.recipient_cert(county.store), [unsigned], world.chains)
    assert _import(county, path)

    def sent_up() -> list[Any]:
        with county.store.read_session() as s:
            return [r for r in registry_records.records(s, _route(COUNTY, Level.COUNTY, CITY, Level.CITY))
                    if r.key == unsigned[1]]

    assert sent_up() == []  # an unsigned organisation leaves only its owner
    path = insider.write(tmp_path / "2.sanlian", street, insider.recipient_cert(county.store),
                         [_signed_copy(unsigned, street)], [*world.chains, *street.chain])
    assert _import(county, path)
    [record] = sent_up()
    assert record.body["signer"] == STREET
    path = insider.write(tmp_path / "3.sanlian", world.real[COUNTY], insider.recipient_cert(city.store),
                         [insider.entry(record)], [*world.chains, *street.chain])
    assert _import(city, path)
    with city.store.read_session() as s:
        assert _org_held(unsigned)(s)
