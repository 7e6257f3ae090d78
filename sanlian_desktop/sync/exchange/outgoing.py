"""Checking a package before it is written: the receiver's rules, run by the sender (issue 14 §3).

An import refuses a whole package for one record it may not take (sync/replication/limits.py: shapes;
sync/kinds/authority.py: who may sign or send what; sync/trust/statements.py: the signatures). An export
that wrote such a package would hand the receiver a file it can only refuse, and the next export would
carry the same record again. So before anything is written, :func:`check_outgoing` runs the same checks,
as far as the sender can know them, against the records about to leave:

- every record's shape (the limits on its size, its nesting and its strings);
- a version or an opinion must travel as a signed statement: one this office could not sign (a row of
  another office that never came here signed) is named with the office that alone may sign it;
- each statement verifies against the certificates the receiver will hold (its own, and those the package
  carries), and its original signer may sign it (the authority rules of versions and opinions);
- the unsigned core records are judged by where the sender sits: a region inside the territory, a batch
  only downward, a declaration inside the territory and entered on its chain — and, upward, in a batch
  the parent sent down (a batch made here is known only here).

A refusal is a :class:`OutgoingRefused` naming the record and the rule; nothing is written.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Batch, Declaration
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.sync.exchange.neighbours import Neighbour
from sanlian_desktop.sync.kinds import authority
from sanlian_desktop.sync.kinds.records import STATEMENT_KINDS, Record
from sanlian_desktop.sync.replication import limits
from sanlian_desktop.sync.trust.certs import Cert
from sanlian_desktop.sync.trust.chain import CertPool, CertRevokedError
from sanlian_desktop.sync.trust.statements import verify_statement

_LABELS = {"version": "申报版本", "opinion": "审核意见", "declaration": "申报", "region": "区划", "batch": "申报批次",
           "attachment_link": "附件关联"}


class OutgoingRefused(UserError):
    """A record the receiver would refuse: the package is not written."""


def _refusal(n: Neighbour, kind: str, key: str, zh: str, en: str) -> OutgoingRefused:
    label = _LABELS.get(kind, kind)
    return OutgoingRefused(
        f"没有导出：{n.name}会拒收这个数据包——{label}记录 {key}：{zh}。未写出任何文件",
        f"not exported: {n.code} would refuse the package for {kind} {key}: {en}; nothing was written",
    )


def _rule(kind: str) -> authority.Rule:
    return authority.RULES[kind]


def check_outgoing(session: Session, self_code: str, n: Neighbour, records: Sequence[Record],
                   certificates: Sequence[Cert], chain: Sequence[Cert]) -> None:
    """Refuse (:class:`OutgoingRefused`) when the neighbour ``n`` would refuse a package of ``records``
    sent with ``certificates`` by this office (``self_code``, whose chain is ``chain``)."""
    rules = authority.Authority(n.code, self_code, from_parent=not n.is_parent)
    parent_of = functools.cache(trust.parent_of(session))
    pool = CertPool(trust.pinned_roots(session), trust.revoked_map(session), parent_of,
                    lookup=trust.cert_by_serial(session))
    for cert in (*chain, *certificates):
        pool.add(cert)
    decls = _declarations(session, records)
    own_batches = _batches_made_here(session) if n.is_parent else set()
    lim = limits.ShapeLimits()
    for r in records:
        if r.kind in ("attachment", "revocation", "succession"):
            continue
        try:
            if r.kind in STATEMENT_KINDS:
                _statement(r, n, decls, pool, rules)
                continue
            if len(r.data) > lim.max_record:
                raise limits.refuse(r.kind, r.key, f"记录超过 {lim.max_record} 字节", f"larger than {lim.max_record} bytes")
            limits.check_body(r.kind, r.key, r.body, lim)
            if r.kind == "region":
                rules.region(r.key, r.body.get("code"))
            elif r.kind == "batch":
                rules.batch(r.key)
            elif r.kind == "declaration":
                rules.declaration(r.key, r.body)
                if r.body.get("batch_id") in own_batches:
                    rule = _rule("batch")
                    raise _refusal(n, r.kind, str(r.body.get("number") or r.key),
                                   f"所属申报批次是本单位自建的（如演示数据），{n.name}没有这个批次（{rule.zh}）",
                                   f"its batch was made at this office (demo data?) and is unknown above ({rule.en})")
            elif r.kind == "attachment_link":
                decl = decls.get(str(r.body.get("declaration_id")))
                if decl is not None:
                    rules.link(r.key, decl)
        except OutgoingRefused:
            raise
        except UserError as exc:
            raise _refusal(n, r.kind, r.key, exc.zh.rstrip("。"), exc.en) from None


def _statement(r: Record, n: Neighbour, decls: dict[str, Declaration], pool: CertPool,
               rules: authority.Authority) -> None:
    """A version or an opinion: signed, verifiable at the receiver, and signed by an office that may."""
    decl_id = str(r.body.get("declaration_id"))
    decl = decls.get(decl_id)
    if r.raw is None:
        if r.kind == "opinion":
            paper = r.body.get("from_paper") is True
            signer = decl.entered_by_office if paper and decl is not None else r.body.get("office_code")
            how = "纸质意见由录入该申报的单位代录签署" if paper else "意见由作出它的单位签署"
        else:
            signer, how = (decl.entered_by_office if decl is not None else "?"), "版本由申报的录入单位签署"
        rule = _rule(r.kind)
        raise _refusal(n, r.kind, r.key,
                       f"没有签名：{how}，应由 {signer} 签署，本单位无权签署，也没有收到它签署的原件（{rule.zh}）",
                       f"unsigned: only {signer} may sign it and this office never received its signed form "
                       f"({rule.en})")
    try:
        statement = verify_statement(r.raw, pool, kind=r.kind)
    except CertRevokedError:
        # Signed under a certificate revoked since: whether the receiver still accepts it (it may hold it
        # already, or take it as signed before the revocation) is the receiver's to decide by its own
        # revocation records, which the sender cannot know whole.
        return
    limits.check_statement_body(r.kind, r.key, statement.body)
    if decl is None:
        return  # the declaration travels in an earlier package; the receiver holds it
    if r.kind == "version":
        rules.version(r.key, decl, statement.signer)
    else:
        rules.opinion(r.key, decl, statement.body, statement.signer)


def _declarations(session: Session, records: Sequence[Record]) -> dict[str, Declaration]:
    """The declarations the records refer to, as this office holds them (a few queries)."""
    ids = sorted({str(r.body.get("declaration_id") if r.kind != "declaration" else r.key) for r in records
                  if r.kind in ("declaration", "version", "opinion", "attachment_link")})
    found: dict[str, Declaration] = {}
    for i in range(0, len(ids), 500):
        found.update((d.id, d) for d in session.scalars(select(Declaration).where(Declaration.id.in_(ids[i:i + 500]))))
    return found


def _batches_made_here(session: Session) -> set[str]:
    """The batches this office made itself rather than received from its parent (``office:`` marks those)."""
    return {b for b, by in session.execute(select(Batch.id, Batch.created_by)) if not str(by).startswith("office:")}


# -- records no receiver may take: left out, not a refusal of the whole export ---------------------------

_ENTERING_LEVELS = ("community_code", "street_code", "county_code")
_OWN_KINDS = ("declaration", "version", "opinion", "attachment_link")


def never_travels(session: Session, self_level: Level, n: Neighbour,
                  records: Sequence[Record]) -> tuple[list[Record], dict[str, int]]:
    """``records`` without those no office would accept from this one, and how many of each kind were left.

    A declaration entered by a city or the province (what ``sanlian demo`` makes there, as paper entered
    above the county) is refused everywhere: only its community or a street or county office on its chain
    may enter and sign one (authority rule "declaration"). Such a declaration stays here with its versions,
    opinions and links. A batch made here by an office other than the province (demo data) does not go
    down either: batches are the province's. The rest of the package travels as usual."""
    ids = sorted({str(r.key if r.kind == "declaration" else r.body.get("declaration_id"))
                  for r in records if r.kind in _OWN_KINDS})
    stuck: set[str] = set()
    for i in range(0, len(ids), 500):
        for decl in session.scalars(select(Declaration).where(Declaration.id.in_(ids[i:i + 500]))):
            if decl.entered_by_office not in {getattr(decl, c) for c in _ENTERING_LEVELS}:
                stuck.add(decl.id)
    local_batches = _batches_made_here(session) if self_level is not Level.PROVINCE and not n.is_parent else set()
    kept: list[Record] = []
    left: dict[str, int] = {}
    for r in records:
        decl_id = str(r.key if r.kind == "declaration" else r.body.get("declaration_id")) if r.kind in _OWN_KINDS \
            else None
        if (decl_id is not None and decl_id in stuck) or (r.kind == "batch" and r.key in local_batches):
            left[r.kind] = left.get(r.kind, 0) + 1
        else:
            kept.append(r)
    return kept, left


def left_out_message(left: dict[str, int]) -> str:
    """What :func:`never_travels` left out, as the export reports it (empty when nothing)."""
    parts = []
    if left.get("declaration"):
        parts.append(f"{left['declaration']} 份由本单位录入的申报（如演示数据；申报只能由社区或其审核链上的街道、县级单位"
                     "录入，其他单位不会接收）及其版本和意见")
    if left.get("batch"):
        parts.append(f"{left['batch']} 个本单位自建的申报批次（如演示数据；申报批次只能由省民政厅设立）")
    return "；".join(parts) + "留在本单位，未随同步包发送" if parts else ""
