"""What a malicious insider can make: packages written with the program's own writer and a real key.

A :class:`Signer` is an office's keys and chain: a real office of the copied service chain (its keys
unsealed by its admin) or one minted here with a real parent's key (a sibling street, an office of
another county, a second certificate for a real office that is revoked or expired). Records are built
from the program's own record functions and statements signed with :func:`sign_statement`, so each
signature is valid: only the signer's authority is wrong.
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sanlian_desktop.declarations import drafts, workflow
from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.vocab import Decision, Level
from sanlian_desktop.models import Declaration, DeclarationVersion, Region, utcnow
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import ImportResult, import_package
from sanlian_desktop.sync.kinds.records import Record, declaration_record, region_record, version_body
from sanlian_desktop.sync.transport.package import PackageWriter
from sanlian_desktop.sync.trust.certs import REVOCATION_DOMAIN, Cert, OfficeInfo, certify, make_request
from sanlian_desktop.sync.trust.chain import Revocation
from sanlian_desktop.sync.trust.keys import OfficeKeys
from sanlian_desktop.sync.trust.statements import sign_statement
from tests.helpers import example_declaration
from tests.sync.helpers_service import CODES, ServiceOffice, open_chain

PROVINCE, CITY, COUNTY, STREET, COMMUNITY = CODES
_seq = itertools.count(1000)


@dataclass
class Signer:
    """An office's keys and chain (leaf first)."""

    keys: OfficeKeys
    chain: list[Cert]

    @property
    def cert(self) -> Cert:
        return self.chain[0]

    @property
    def code(self) -> str:
        return self.cert.code

    def sign(self, kind: str, body: dict[str, Any], at: datetime | None = None) -> bytes:
        return sign_statement(kind, body, self.keys, self.chain, at)


def real(office: ServiceOffice) -> Signer:
    """The real office's keys, unsealed by its admin, and its chain."""
    with office.store.read_session() as s:
        return Signer(trust.office_keys(s, office.admin), trust.own_chain(s))


def mint(parent: Signer, code: str, level: Level) -> Signer:
    """A certificate the parent issues through the program's own :func:`certify`, from the moment the
    parent's own certificate took effect."""
    keys = OfficeKeys.generate(parent.keys.suite)
    at = parent.cert.not_before + timedelta(seconds=1)
    cert = certify(make_request(OfficeInfo(code, level, f"单位{code}"), keys, now=at), parent.cert, parent.keys,
                   now=at)
    return Signer(keys, [cert, *parent.chain])


def forge_cert(issuer: Signer, code: str, level: Level, *, not_before: datetime | None = None,
               not_after: datetime | None = None) -> Signer:
    """A certificate the issuer signs with its real key without :func:`certify`'s checks."""
    keys = OfficeKeys.generate(issuer.keys.suite)
    start = not_before or utcnow()
    cert = Cert(uuid.uuid4().hex, keys.suite.name, OfficeInfo(code, level, "越权单位"), keys.sign_public,
                keys.enc_public, start, not_after or start + timedelta(days=300), issuer.code, issuer.cert.serial)
    cert = replace(cert, signature=issuer.keys.sign(cert.signed_message()))
    return Signer(keys, [cert, *issuer.chain])


def forge_revocation(issuer: Signer, cert: Cert, *, at: datetime | None = None) -> Revocation:
    """A revocation of ``cert`` signed with the issuer's real key, without :func:`revoke`'s check."""
    at = at or utcnow() - timedelta(minutes=1)
    record = Revocation(cert.serial, cert.code, "越权吊销", at, at, issuer.code, issuer.cert.serial)
    return replace(record, signature=issuer.keys.sign(REVOCATION_DOMAIN + cj.dumps(record.body())))


def revocation_entry(revocation: Revocation) -> tuple[str, str, int, bytes]:
    import base64

    body = {"data": base64.b64encode(revocation.encode()).decode()}
    return ("revocation", revocation.serial, 0, cj.dumps(body))


def write(path: Path, sender: Signer, recipient: Cert, entries: list[tuple[str, str, int, bytes]],
          certs: list[Cert] = ()) -> Path:  # type: ignore[assignment]
    """A package with the program's own writer, signed by ``sender`` and encrypted to ``recipient``."""
    seen: set[str] = set()
    with PackageWriter(path, sender.keys, sender.chain, recipient, next(_seq)) as writer:
        for cert in certs:
            if cert.serial not in seen and not cert.is_self_signed:
                seen.add(cert.serial)
                writer.add_entry("certificate", cert.serial, 0, cert.encode())
        for kind, key, version, data in entries:
            writer.add_entry(kind, key, version, data)
    return path


def entry(record: Record) -> tuple[str, str, int, bytes]:
    return (record.kind, record.key, record.version, record.data)


# -- the declarations an insider writes --------------------------------------------------------------


@dataclass
class Templates:
    """A real declaration's identity and submitted version, and the regions it lies in, to copy."""

    declaration: dict[str, Any]
    version: dict[str, Any]
    regions: list[Record]


def templates(office: ServiceOffice) -> Templates:
    """From an office that holds the base declaration (``build_base``)."""
    with office.store.read_session() as s:
        decl = s.scalars(select(Declaration)).first()
        assert decl is not None
        v = s.get(DeclarationVersion, (decl.id, 1))
        assert v is not None
        found = [region_record(r) for r in s.scalars(select(Region).where(Region.code.in_(
            [decl.street_code, decl.community_code])).order_by(Region.code))]
        return Templates(dict(declaration_record(decl).body), version_body(v), found)


def new_declaration(t: Templates, *, entered_by: str = COMMUNITY, community: str = COMMUNITY,
                    street: str = STREET, county: str = COUNTY, city: str = CITY) -> tuple[dict[str, Any], dict[str, Any]]:
    """A fresh declaration's identity and version-1 body, copied from the templates."""
    decl_id = str(uuid.uuid4())
    body = {**t.declaration, "id": decl_id, "number": f"2016-{county}-{uuid.uuid4().int % 10**6:06d}",
            "community_code": community, "street_code": street, "county_code": county, "city_code": city,
            "entered_by_office": entered_by, "from_paper": entered_by != community}
    version = {**t.version, "declaration_id": decl_id}
    return body, version


def declaration_entries(decl: dict[str, Any], version: dict[str, Any], version_signer: Signer) -> list[Any]:
    return [("declaration", decl["id"], 0, cj.dumps(decl)),
            ("version", f"{decl['id']}:1", 1, version_signer.sign("version", version))]


def opinion(decl: dict[str, Any], level: Level, office: str, signer: Signer, *, paper: bool = False,
            decision: Decision = Decision.APPROVE, granted_fen: int | None = None) -> tuple[str, str, int, bytes]:
    now = utcnow()
    body = {"id": str(uuid.uuid4()), "declaration_id": decl["id"], "version": 1, "level": level.value,
            "office_code": office, "office_name": f"单位{office}", "reviewer": "rev", "reviewer_name": "李审核",
            "decision": decision.value, "text": "同意。", "decided_on": date.today().isoformat(),
            "at": now.isoformat(), "granted_fen": granted_fen, "from_paper": paper, "scan_sha256": None}
    return ("opinion", body["id"], 0, signer.sign("opinion", body))


# -- the base chain: one declaration submitted by the community, approved by the street ---------------


def build_base(template: Path, root: Path) -> Path:
    """The service chain with one declaration submitted by the community, approved by the street and
    carried up to the county and the city (awaiting the county); every store closed, to copy."""
    offices = open_chain(template, root)
    try:
        community, street = offices[COMMUNITY], offices[STREET]
        with community.store.session() as s:
            decl = drafts.create(s, community.clerk, example_declaration(title="试点项目甲"))
            drafts.submit(s, community.clerk, decl, community.store.paths)
        carry(offices, COMMUNITY, STREET, root / "b1.sanlian")
        with street.store.session() as s:
            held = s.scalars(select(Declaration)).one()
            workflow.review(s, street.rev, held, decision=Decision.APPROVE, text="同意上报。")
        carry(offices, STREET, COUNTY, root / "b2.sanlian")
        carry(offices, COUNTY, CITY, root / "b3.sanlian")
    finally:
        for office in offices.values():
            office.store.close()
    return root


def carry(offices: dict[str, ServiceOffice], sender: str, recipient: str, path: Path) -> ImportResult:
    """A real export and import between neighbours."""
    export_package(offices[sender].store, offices[sender].admin, recipient, path)
    return import_package(offices[recipient].store, offices[recipient].admin, path, backup=False)


def copy_base(base: Path, where: Path) -> dict[str, ServiceOffice]:
    """A fresh copy of the base chain, opened and signed in."""
    from tests.sync import helpers_service as service_offices

    return service_offices.open_chain(base, where)


def recipient_cert(store: Store) -> Cert:
    with store.read_session() as s:
        own = trust.own_certificate(s)
        assert own is not None
        return own


def cleanup(offices: dict[str, ServiceOffice], where: Path) -> None:
    for office in offices.values():
        office.store.close()
    shutil.rmtree(where, ignore_errors=True)


# -- the records of the other kinds an insider writes (issue 20's matrix) ------------------------------


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def signed_entry(kind: str, key: str, body: dict[str, Any], signer: Signer, **fields: Any) -> tuple[str, str, int, bytes]:
    """A record of a :class:`~sanlian_desktop.sync.kinds.signed.SignedKind` shaped ``{"body", "signer",
    "signature"}`` (notices, region updates, implementation records), signed by ``signer``."""
    data = {"body": body, "signer": signer.code, "signature": _b64(signer.sign(kind, body)), **fields}
    return (kind, key, 0, cj.dumps(data))


def progress_report(signer: Signer, office: str) -> tuple[str, str, int, bytes]:
    """A progress report of ``office`` signed by ``signer``."""
    body = {"id": str(uuid.uuid4()), "office_code": office, "office_name": f"单位{office}",
            "period_start": "2016-01-01", "period_end": "2016-03-31", "issued_at": utcnow().isoformat(),
            "issued_by": "clerk", "figures": {"projects": 1}, "supersedes": None}
    data = {"office_code": office, "statement": _b64(signer.sign("progress_report", body))}
    return ("progress_report", body["id"], 0, cj.dumps(data))


def public_notice(signer: Signer, batch_id: str, community: str = COMMUNITY) -> tuple[str, str, int, bytes]:
    """A selection notice naming one project of ``community``, signed by ``signer``."""
    body = {"id": str(uuid.uuid4()), "batch_id": batch_id, "seq": next(_seq), "title": "入选公示",
            "starts": "2016-05-01", "ends": "2016-05-08", "issued_at": utcnow().isoformat(), "issued_by": "admin",
            "office_code": signer.code, "supersedes": None,
            "entries": [{"community_code": community, "street_code": community[:9], "county_code": community[:6],
                         "city_code": community[:4] + "00", "title": "试点项目"}]}
    return signed_entry("public_notice", body["id"], body, signer)


def region_update(signer: Signer, code: str) -> tuple[str, str, int, bytes]:
    """A region update adding the community ``code``, signed by ``signer``."""
    body = {"id": str(uuid.uuid4()), "office_code": signer.code, "title": "区划变更",
            "issued_at": utcnow().isoformat(), "issued_by": "admin",
            "changes": [{"op": "add", "code": code, "name": f"新社区{code[-3:]}"}]}
    return signed_entry("region_update", body["id"], body, signer)


def implementation(kind: str, decl: dict[str, Any], office: str, signer: Signer) -> tuple[str, str, int, bytes]:
    """An implementation record of ``kind`` (``project_tender``, ``project_disbursement``, ...) written by
    ``office`` for the declaration, signed by ``signer``."""
    body: dict[str, Any] = {"id": str(uuid.uuid4()), "declaration_id": decl["id"], "office_code": office,
                            "entered_by": "clerk", "entered_at": utcnow().isoformat(), "supersedes": None,
                            "reason": ""}
    body.update(_IMPLEMENTATION[kind])
    return signed_entry(kind, body["id"], body, signer)


_IMPLEMENTATION: dict[str, dict[str, Any]] = {
    "project_tender": {"tendered_on": "2016-06-01", "bidders": ["甲公司", "乙公司"], "winner": "甲公司"},
    "project_undertaking": {"org_name": "甲公司", "credit_code": "91620102MA74XXXX1X", "amount_fen": 100_000,
                            "over_grant_reason": "", "starts_on": "2016-06-01", "ends_on": "2016-12-31"},
    "project_worker": {"name": "张社工", "certificate_level": "社会工作师", "active": True},
    "project_disbursement": {"paid_on": "2016-06-01", "amount_fen": 100_000, "tranche": 1},
    "project_progress": {"period_start": "2016-06-01", "period_end": "2016-06-30", "activities": "入户走访",
                         "beneficiaries": 30, "spent_fen": 50_000, "problems": "", "final": False, "attachments": []},
}


def evaluation(decl: dict[str, Any], signer: Signer, report: bytes) -> tuple[str, str, int, bytes]:
    """An effect evaluation of the project by the evaluator office ``signer``, its report file ``report``
    (to be carried as an ``attachment`` entry)."""
    import hashlib

    body = {"id": str(uuid.uuid4()), "declaration_id": decl["id"], "evaluator_code": signer.code,
            "evaluator_name": "评估机构", "evaluated_on": "2016-10-01",
            "scores": [{"name": "目标达成", "max": 50, "points": 40}, {"name": "群众满意", "max": 50, "points": 45}],
            "total": 85, "grade": "良", "grade_reason": "", "report_sha256": hashlib.sha256(report).hexdigest(),
            "report_name": "评估报告.pdf", "by": "evaluator", "at": utcnow().isoformat()}
    data = {"declaration_id": decl["id"], "signer": signer.code,
            "signature": _b64(signer.sign("effect_evaluation", body))}
    return ("effect_evaluation", body["id"], 0, cj.dumps(data))


def assignment(decl: dict[str, Any], signer: Signer, evaluator: str = "620000E001",
               at: str | None = None) -> tuple[str, str, int, bytes]:
    """The province's assignment of the project to an evaluator office (made ``at``), signed by ``signer``."""
    body = {"declaration_id": decl["id"], "evaluator_code": evaluator, "evaluator_name": "评估机构",
            "assigned_on": "2016-07-01", "note": "", "office_code": signer.code, "by": "admin",
            "at": at or utcnow().isoformat()}
    data = {"declaration_id": decl["id"], "signer": signer.code, "signature": _b64(signer.sign(
        "evaluation_assignment", body))}
    return ("evaluation_assignment", decl["id"], 0, cj.dumps(data))


def _owned(body: dict[str, Any], key: str, signer: Signer | None, altered: dict[str, Any]) -> tuple[str, str, int, bytes]:
    """A registry record of ``body``, signed by ``signer`` as its owner signs it (unsigned when None, as
    a row kept from before travels), its fields then ``altered`` on the way."""
    data = dict(body)
    if signer is not None:
        data.update(signer=signer.code, signature=_b64(signer.sign("registry", body)))
    data.update(altered)
    return ("registry", key, 0, cj.dumps(data))


def organisation(office: str, community: str = COMMUNITY, signer: Signer | None = None,
                 **altered: Any) -> tuple[str, str, int, bytes]:
    """A community organisation entered (owned) by ``office``, signed by ``signer``."""
    uid = str(uuid.uuid4())
    now = utcnow().isoformat()
    body = {"uid": uid, "office": office, "name": f"组织{uid[:6]}", "credit_code": None,
            "record_number": f"甘民登{next(_seq)}号", "kind": "社区服务类", "community_code": community,
            "has_social_workers": False, "hosts_agency": False, "created_at": now, "created_by": "clerk",
            "updated_at": now, "deleted_at": None, "version": 1}
    return _owned(body, f"org:{uid}", signer, altered)


def region(template: Record, code: str, name: str) -> tuple[str, str, int, bytes]:
    """A region record of ``code`` named ``name``, shaped like ``template``."""
    digits = len(code.rstrip("0")) if len(code) == 6 else len(code)
    level = {2: Level.PROVINCE, 4: Level.CITY, 6: Level.COUNTY, 9: Level.STREET, 12: Level.COMMUNITY}[digits]
    parent = {2: None, 4: code[:2] + "0000", 6: code[:4] + "00", 9: code[:6], 12: code[:9]}[digits]
    body = {**template.body, "code": code, "name": name, "level": level.value, "parent_code": parent}
    return ("region", code, 0, cj.dumps(body))


def batch(batch_id: str | None = None, signer: Signer | None = None, **altered: Any) -> tuple[str, str, int, bytes]:
    """A declaration batch, signed by ``signer`` (as the province signs its batches; unsigned when None,
    as a batch made before batches were signed travels), its fields then ``altered`` on the way."""
    batch_id = batch_id or str(uuid.uuid4())
    n = next(_seq)
    body = {"id": batch_id, "code": f"2099-{n}", "name": f"批次{n}", "opens": "2099-01-01", "closes": "2099-12-31",
            "budget_fen": None, "quota_projects": None, "quota_communities": None}
    data = dict(body)
    if signer is not None:
        data.update(signer=signer.code, signature=_b64(signer.sign("batch", body)))
    data.update(altered)
    return ("batch", batch_id, 0, cj.dumps(data))


def receipt(signer: Signer, package_sender: str, acknowledged: tuple[str, str, str],
            package_id: str | None = None) -> tuple[str, str, int, bytes]:
    """A receipt signed by ``signer`` for a package (``package_id``, a new one by default)
    ``package_sender`` sent it, acknowledging one record ``(kind, key, entry digest hex)``: written as
    :func:`~sanlian_desktop.sync.transport.receipts.make_receipt` writes one, without its check that the
    signer received the package."""
    from sanlian_desktop.sync.transport.receipts import RECEIPT_DOMAIN, RECEIPT_FORMAT

    kind, key, digest = acknowledged
    body = {"format": RECEIPT_FORMAT, "package_id": package_id or uuid.uuid4().hex, "sender_code": package_sender,
            "recipient_code": signer.code, "channel_seq": 1, "received": cj.fmt_time(cj.utc_now()),
            "entries": [[kind, key, 0, digest]], "chain": [c.to_dict() for c in signer.chain]}
    data = cj.dumps({"receipt": body, "signature": cj.b64(signer.keys.sign(RECEIPT_DOMAIN + cj.dumps(body)))})
    return ("receipt", body["package_id"], 0, data)


def withdrawal(decl: dict[str, Any], signer: Signer, assigned_at: str,
               evaluator: str = "620000E001") -> tuple[str, str, int, bytes]:
    """The withdrawal of the project's :func:`assignment` made ``assigned_at``, signed by ``signer``."""
    body = {"id": str(uuid.uuid4()), "declaration_id": decl["id"], "evaluator_code": evaluator,
            "evaluator_name": "评估机构", "assigned_on": "2016-07-01",
            "assigned_at": assigned_at, "withdrawn_on": "2016-08-01", "reason": "机构不再承担评估",
            "office_code": signer.code, "by": "admin", "at": utcnow().isoformat()}
    data = {"declaration_id": decl["id"], "signer": signer.code, "signature": _b64(signer.sign(
        "evaluation_withdrawal", body))}
    return ("evaluation_withdrawal", body["id"], 0, cj.dumps(data))


def visit(decl: dict[str, Any], signer: Signer) -> tuple[str, str, int, bytes]:
    """A follow-up visit of the project by the evaluator office ``signer`` (naming itself as the evaluator)."""
    body = {"id": str(uuid.uuid4()), "declaration_id": decl["id"], "evaluator_code": signer.code,
            "evaluator_name": "评估机构", "visited_on": "2016-09-01", "who": "社区书记", "findings": "进展正常。",
            "by": "evaluator", "at": utcnow().isoformat()}
    data = {"declaration_id": decl["id"], "signer": signer.code, "signature": _b64(signer.sign("followup_visit", body))}
    return ("followup_visit", body["id"], 0, cj.dumps(data))


def worker(office: str, community: str = COMMUNITY, signer: Signer | None = None) -> tuple[str, str, int, bytes]:
    """A social worker entered (owned) by ``office``, signed by ``signer``."""
    uid = str(uuid.uuid4())
    now = utcnow().isoformat()
    body = {"uid": uid, "office": office, "name": f"社工{uid[:4]}", "certificate_level": None,
            "certificate_number": "", "employer": "社工站", "community_code": community, "created_at": now,
            "created_by": "clerk", "updated_at": now, "deleted_at": None, "version": 1}
    return _owned(body, f"worker:{uid}", signer, {})


def community_facts(owner: str, community: str, street_name: str, signer: Signer | None = None,
                    **altered: Any) -> tuple[str, str, int, bytes]:
    """A community record of ``community`` (a street ``street_name`` names) with its facts recorded by
    ``owner``, signed by ``signer`` (unsigned when None), the facts then ``altered`` on the way."""
    facts = {"has_workroom": True, "in_federation": True, "registered_volunteers": 30, "election": "direct",
             "updated_at": utcnow().isoformat(), "updated_by": "clerk", "owner": owner, "version": next(_seq)}
    data = dict(facts)
    if signer is not None:
        data.update(signer=signer.code, signature=_b64(signer.sign("registry", {"community": community, **facts})))
    data.update(altered)
    body = {"community": {"code": community, "name": f"社区{community[-3:]}", "rural": False, "population": None,
                          "households": None},
            "street": {"code": community[:9], "name": street_name}, "facts": data}
    return ("registry", f"community:{community}", 0, cj.dumps(body))


def similarity_mark(signer: Signer, first: dict[str, Any], second: dict[str, Any],
                    reason: str = "同一街道统一撰写，项目不同") -> tuple[str, str, int, bytes]:
    """A "已核实，不是抄袭" mark of two declarations, written in ``signer``'s name and signed by it."""
    low, high = sorted((first, second), key=lambda d: d["id"])
    body = {"id": str(uuid.uuid4()), "low_id": low["id"], "high_id": high["id"],
            "low_community": low["community_code"], "high_community": high["community_code"], "reason": reason,
            "office_code": signer.code, "by": "rev", "at": utcnow().isoformat()}
    return signed_entry("similarity_mark", body["id"], body, signer)
