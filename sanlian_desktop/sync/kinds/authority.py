"""Who may sign what: the authority model of every record kind that travels between offices.

A valid signature says *who* made a record; this module says whether that office *may* make it. Every
rule is stated from the signer's certificate — its region code, its level (which the code implies and the
chain check confirms) and its place in the chain — never from what the record claims about itself.

Two signers matter for a record:

- the **original signer**: the office whose signed statement the record carries (a version, an opinion,
  the kinds built on :mod:`~sanlian_desktop.sync.kinds.signed`, a batch — the province's, see
  :mod:`~sanlian_desktop.sync.kinds.batches` —, a registry organisation, worker or facts — its owner's —, a
  revocation, a certificate). Statements keep their original signatures on the way up and down, so every
  office on the way checks the original signer's authority, not the forwarding office's;
- the **package signer**: the neighbour that sent the package (its certificate verified by the reader).
  Records that travel unsigned (regions, declarations' identities — their versions are signed —,
  attachment links, a registry community's region data) are judged by where the package signer
  sits: records travel upward only from inside the sender's territory, and downward only into the
  receiver's. A batch or registry row kept from before they were signed travels unsigned too, and is
  taken only from its maker itself, or where it changes nothing.

:data:`RULES` is the table (the user manual's trust chapter states the same in Chinese). The core kinds
are checked here by :class:`Authority`, one per import, which the applier
(:mod:`sanlian_desktop.sync.replication.apply`) calls for each record, and by :func:`check_trust_entries`,
which the import (:mod:`sanlian_desktop.sync.exchange.importing`) calls for the package's certificates and
revocations before anything is stored. The kinds other modules register check their rule in their own
``admit`` function against the same table (named there), with :func:`refused` for the refusal. A refusal
is a :class:`AuthorityError`: the import runs in one transaction, so the whole package is refused.

Every check works on region codes held in memory (with a per-import cache), never with a query per
record: the authority checks cost a small fraction of an import.

This module belongs to ``sync.kinds``: it may import the kernel, the models, ``sync.trust`` and
``offices``; the applier, the import and the feature modules import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.codes import (
    ParentOf,
    is_direct_child,
    is_evaluator_code,
    is_office_code,
    level_of,
    within,
)
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import LEVEL_ORDER, Level
from sanlian_desktop.models import CertificateRecord
from sanlian_desktop.sync.trust.certs import Cert
from sanlian_desktop.sync.trust.chain import Revocation

PROVINCE_CODE = "620000"


@dataclass(frozen=True)
class Rule:
    """One line of the authority table: which record kind, who may sign it (Chinese and English)."""

    kind: str
    label: str  # the record kind as a person reads it
    zh: str
    en: str


_RULE_LIST = [
    Rule("region", "区划", "区划记录向上只能是发送单位辖区内或其所属上级的区划，向下只能是接收单位辖区内或其所属上级的区划"
         "（第三方评估机构没有辖区，按省民政厅的辖区）",
         "a region travels up only inside (or on the path above) the sender's territory, down only inside "
         "(or on the path above) the receiver's (an evaluator office's: the province's)"),
    Rule("batch", "申报批次", "申报批次只能由省民政厅设立并签署，经上级单位逐级下发，各级单位核对省民政厅的签名；"
         "下级单位不能报送申报批次",
         "a batch is made and signed by the province (its signature checked at every office) and comes down "
         "from the parent office only"),
    Rule("declaration", "申报", "申报只能属于发送单位辖区内的社区（向下则属于接收单位辖区），"
         "且录入单位只能是该社区或其审核链上的街道、县级单位",
         "a declaration belongs to a community inside the sender's territory (downward: the receiver's), "
         "entered by that community or a street/county office on its chain"),
    Rule("version", "申报版本", "申报版本只能由该申报的录入单位签署；上级正在审核或已审结的申报不能从下级换新版本",
         "a version is signed by the declaration's entering office; a declaration under review above the "
         "sender, or decided, takes no new version from below"),
    Rule("opinion", "审核意见", "审核意见只能由该申报审核链上该级单位本身签署；纸质意见只能由审核链上在该级之上、"
         "录入该申报的单位代录；省级意见（批准、不予批准和核定金额）只能由省民政厅签署",
         "a typed opinion is signed by that level's office on the declaration's chain; a paper opinion only by "
         "the entering office above that level on the chain; the province's decision and grant only by the province"),
    Rule("grant", "核定金额", "核定补助金额只能出现在省民政厅的审批意见中",
         "a granted amount appears only in the province's own decision"),
    Rule("attachment_link", "附件关联", "附件只能由申报录入单位所在辖区的单位关联到该申报（向下则属于接收单位辖区）",
         "a file is linked to a declaration only by an office whose territory holds its entering office "
         "(downward: inside the receiver's)"),
    Rule("revocation", "吊销记录", "证书只能由其签发单位（直接上级）吊销；不能吊销根证书或上级单位的证书",
         "a certificate is revoked only by its issuer, the direct parent; never the root or an office above"),
    Rule("certificate", "证书", "证书只能由直接上级单位为其辖区内低一级的单位签发；每个下级单位只能有一张有效证书，"
         "换用新密钥须经下级单位的新申请并吊销旧证书；签发单位证书过期或被吊销后签发的证书无效",
         "a certificate is issued by the direct parent to an office one level below inside its territory; one "
         "current certificate per office, replaced only through the office's own new request (old one revoked); a certificate issued while its issuer's had expired or was revoked is refused"),
    Rule("registry", "台账记录", "社区社会组织、社会工作者和社区、县级区域情况只能由登记单位本身签署和修改，"
         "各级单位核对登记单位的签名；社区登记记录只能由其辖区所在的下级单位向上报送",
         "an organisation, social worker or facts are signed and changed only by the office that owns them (the "
         "signature checked at every office); a registry record travels up from inside the sender's territory"),
    Rule("progress_report", "进度报表", "进度报表只能由编报单位签署，并由其辖区所在的下级单位向上报送",
         "a progress report is signed by the office that made it and travels up from inside the sender's territory"),
    Rule("public_notice", "公示", "入选公示只能由省民政厅签署", "a selection notice is signed by the province"),
    Rule("region_update", "区划变更", "区划变更只能由省民政厅签署", "a region update is signed by the province"),
    Rule("implementation", "项目实施记录", "项目实施记录（合同、拨付、验收、跟踪等）只能由该项目审核链上的规定单位签署，"
         "拨付记录可由上级单位转来，其余只能从项目所在辖区向上报送",
         "a project's implementation record is signed by the office its kind names on the project's chain; "
         "only disbursements come down"),
    Rule("evaluation", "评估记录", "评估指派及其撤回只能由省民政厅签署并由上级转来；回访和成效评估只能由被指派的评估机构签署",
         "evaluation assignments and withdrawals are signed by the province and come down; visits and "
         "evaluations are signed by the assigned evaluator"),
    Rule("similarity_mark", "“已核实，不是抄袭”标记", "“已核实，不是抄袭”标记只能由县级、市级单位或省民政厅签署，"
         "所标记的两份申报都须属于签署单位辖区内的社区；只能由其辖区所在的下级单位向上报送",
         "a \"checked, no copy\" mark is signed by a county, city or province office about two declarations of "
         "communities inside its territory, and travels up from inside the sender's territory"),
    Rule("receipt", "回执", "回执只能由本数据包的发送单位签署，且只能确认本单位发给它的数据包",
         "a receipt is signed by the package's sender and acknowledges only packages this office sent it"),
]
RULES: Mapping[str, Rule] = {rule.kind: rule for rule in _RULE_LIST}


class AuthorityError(UserError):
    """A record signed or sent by an office without the authority to make it: the package is refused whole."""


def refused(kind: str, key: str, rule: str | None = None, detail: str = "", detail_en: str = "") -> AuthorityError:
    """The refusal of record ``key`` of ``kind`` under ``rule`` (default: the kind's own rule)."""
    found = RULES[rule or kind]
    label = RULES[kind].label if kind in RULES else kind
    more = f"（{detail}）" if detail else ""
    return AuthorityError(
        f"数据包中的{label}记录 {key} 越权{more}：{found.zh}。本次拒绝导入整个数据包",
        f"{kind} {key} refused{': ' + detail_en if detail_en else ''} (rule: {found.en}); the whole package is refused",
    )


class Placed(Protocol):
    """What the checks read of a declaration (a held row, or one being received)."""

    id: str
    street_code: str
    county_code: str
    city_code: str
    entered_by_office: str


_REVIEW = (Level.STREET, Level.COUNTY, Level.CITY, Level.PROVINCE)


class Authority:
    """The authority checks of one import; every answer about codes is remembered for the import's life.

    ``self_code`` is the receiving office, ``sender_code`` the package signer, ``from_parent`` whether the
    sender is the receiver's parent office.
    """

    def __init__(self, self_code: str, sender_code: str, from_parent: bool) -> None:
        self.self_code = self_code
        self.sender = sender_code
        self.from_parent = from_parent
        self._within: dict[tuple[str, str], bool] = {}
        self._sender_rank = _rank(sender_code)
        self._evaluator = is_evaluator_code(self_code)

    # -- codes ----------------------------------------------------------------------------------------

    def _inside(self, outer: str, code: Any) -> bool:
        """Whether ``code`` is an office code inside ``outer``'s territory (or is it); remembered."""
        if not isinstance(code, str):
            return False
        key = (outer, code)
        found = self._within.get(key)
        if found is None:
            found = self._within[key] = is_office_code(code) and is_office_code(outer) and within(outer, code)
        return found

    def _reach(self) -> str:
        """Whose territory a record from this sender must lie in: the sender's (upward) or ours (downward).
        An evaluator office has no territory: what the province sends it lies in the province's."""
        return self.self_code if self.from_parent and not self._evaluator else self.sender

    # -- unsigned records, judged by the package signer ----------------------------------------------------

    def region(self, key: str, code: Any) -> None:
        reach = self._reach()  # inside it, or above it on its own path (a community names its street)
        if not (self._inside(reach, code) or (isinstance(code, str) and self._inside(code, reach))):
            raise refused("region", key, detail=f"{code} 不在 {self._reach()} 辖区内",
                          detail_en=f"{code} lies outside {self._reach()}")

    def batch(self, key: str) -> None:
        if not self.from_parent:
            raise refused("batch", key, detail=f"由下级单位 {self.sender} 报送", detail_en=f"sent by child {self.sender}")

    def declaration(self, key: str, body: Mapping[str, Any]) -> None:
        community, entered = body.get("community_code"), body.get("entered_by_office")
        reach = self._reach()
        if not self._inside(reach, community):
            raise refused("declaration", key, detail=f"社区 {community} 不在 {reach} 辖区内",
                          detail_en=f"community {community} lies outside {reach}")
        chain = {community, body.get("street_code"), body.get("county_code"), body.get("city_code")}
        if not isinstance(entered, str) or entered not in chain or entered == body.get("city_code") != body.get(
                "county_code") or not self._inside(entered, community):
            raise refused("declaration", key, detail=f"录入单位 {entered} 不在该申报的审核链上",
                          detail_en=f"entering office {entered} is not on the declaration's chain")
        if not self.from_parent and not self._inside(self.sender, entered):
            raise refused("declaration", key, detail=f"录入单位 {entered} 不在发送单位 {self.sender} 辖区内",
                          detail_en=f"entering office {entered} lies outside the sender {self.sender}")

    def link(self, key: str, decl: Placed) -> None:
        inside = self._inside(self._reach(), _community(decl)) if self.from_parent else self._inside(
            self.sender, decl.entered_by_office)
        if not inside:
            raise refused("attachment_link", key, detail=f"申报 {decl.id} 不属于 {self._reach()} 辖区",
                          detail_en=f"declaration {decl.id} is not {self._reach()}'s")

    # -- signed statements, judged by their original signer ------------------------------------------------

    def version(self, key: str, decl: Placed, signer: Cert) -> None:
        if signer.code != decl.entered_by_office or not self._inside(signer.code, _community(decl)):
            raise refused("version", key, detail=f"签名单位 {signer.code} 不是该申报的录入单位",
                          detail_en=f"signed by {signer.code}, not the entering office")

    def new_version(self, key: str, decl: Any) -> None:
        """A version this office does not hold yet, of a declaration it held before this package: from
        below, only while the declaration is not under review above the sender, nor decided."""
        if self.from_parent:
            return
        status = getattr(decl, "status", None)
        awaiting = getattr(decl, "awaiting_level", None)
        above = status == "under_review" and isinstance(awaiting, str) and awaiting in _LEVEL_RANKS \
            and _LEVEL_RANKS[awaiting] < self._sender_rank
        if above or status in ("approved", "rejected"):
            raise refused("version", key, detail=f"该申报正由上级审核或已审结（{status}），不能从下级换新版本",
                          detail_en=f"the declaration is {status} above the sender; no new version from below")

    def opinion(self, key: str, decl: Placed, body: Mapping[str, Any], signer: Cert) -> None:
        stages = _stages(decl)
        try:
            level = Level(str(body.get("level")))
        except ValueError:
            raise refused("opinion", key, detail="级别无效", detail_en="bad level") from None
        own = stages.get(level)
        if own is None or body.get("office_code") != own:
            raise refused("opinion", key, detail=f"{level.label}意见的单位不是该申报审核链上的 {own}",
                          detail_en=f"the {level.value} opinion's office is not {own}")
        if body.get("granted_fen") is not None and level is not Level.PROVINCE:
            raise refused("opinion", key, "grant", detail=f"{level.label}意见带有核定金额",
                          detail_en=f"a {level.value} opinion carries a granted amount")
        if body.get("from_paper") is not True:
            if signer.code == own:
                return  # typed by that level's office itself
        else:
            above = [stages[lv] for lv in _REVIEW[_REVIEW.index(level) + 1:]]
            if signer.code in above and signer.code != own and signer.code == decl.entered_by_office:
                return  # transcribed from paper by the entering office, above that level on the chain
        raise refused("opinion", key, "grant" if level is Level.PROVINCE else "opinion",
                      detail=f"由 {signer.code} 签署", detail_en=f"signed by {signer.code}")


_LEVEL_RANKS = {lv.value: n for n, lv in enumerate(LEVEL_ORDER)}


def _rank(code: str) -> int:
    try:
        return level_of(code).rank
    except ValueError:
        return len(LEVEL_ORDER)


def _community(decl: Any) -> Any:
    return getattr(decl, "community_code", None)


def _stages(decl: Placed) -> dict[Level, str]:
    return {Level.STREET: decl.street_code, Level.COUNTY: decl.county_code, Level.CITY: decl.city_code,
            Level.PROVINCE: PROVINCE_CODE}


# -- certificates and revocations --------------------------------------------------------------------------


def check_revocation(revocation: Revocation, issuer: Cert | None, revoked_cert: Cert | None, roots: Iterable[Cert],
                     parent_of: ParentOf | None = None) -> None:
    """A revocation may be made only by the issuer of the revoked certificate (its direct parent), never
    of a root. ``issuer`` is the certificate the revocation names as its signer (None when unknown: the
    signature check refuses it then), ``revoked_cert`` the revoked certificate where known."""
    key = revocation.serial[:12] + "…"
    if any(root.serial == revocation.serial for root in roots):
        raise refused("revocation", key, detail="试图吊销根证书", detail_en="revokes the root")
    if revoked_cert is not None and (revoked_cert.issuer_serial != revocation.issuer_serial
                                     or revoked_cert.code != revocation.code):
        raise refused("revocation", key, detail=f"{revocation.issuer_code} 不是该证书的签发单位",
                      detail_en=f"{revocation.issuer_code} did not issue the revoked certificate")
    if issuer is None:
        return
    try:
        child_level = level_of(revocation.code)
    except ValueError:
        raise refused("revocation", key, detail=f"单位代码 {revocation.code} 无效", detail_en="bad code") from None
    if issuer.code != revocation.issuer_code or not is_direct_child(
            issuer.code, issuer.level, revocation.code, child_level, parent_of):
        raise refused("revocation", key, detail=f"{revocation.code} 不是 {issuer.code} 的直接下级",
                      detail_en=f"{revocation.code} is not directly below {issuer.code}")


def check_certificates(session: Session, certs: Iterable[Cert], revocations: Iterable[Revocation],
                       revoked: Mapping[str, datetime], now: datetime, lookup: Any = None) -> None:
    """One current certificate per office: a certificate the package carries is refused when this store
    or the package holds another current, unrevoked certificate of the same office with other keys (a
    new key pair replaces the old only through the office's own request, the old certificate revoked —
    which :func:`sanlian_desktop.offices.custody.certify_child` does). One query for the whole package."""
    certs = list(certs)
    incoming = [c for c in certs if not c.is_self_signed]
    if not incoming:
        return
    gone = set(revoked) | {r.serial for r in revocations}
    held: dict[str, dict[str, Cert]] = {}
    codes = sorted({c.code for c in incoming})
    for i in range(0, len(codes), 500):
        for row in session.scalars(select(CertificateRecord).where(CertificateRecord.region_code.in_(codes[i:i + 500]))):
            cert = Cert.decode(row.encoded)
            held.setdefault(cert.code, {})[cert.serial] = cert
    carried = {c.serial: c for c in certs}
    for cert in incoming:
        held.setdefault(cert.code, {})[cert.serial] = cert
        issuer = carried.get(cert.issuer_serial) or (lookup(cert.issuer_serial) if lookup else None)
        since = revoked.get(cert.issuer_serial)
        if issuer is not None and (not issuer.not_before <= cert.not_before <= issuer.not_after
                                   or (since is not None and since <= cert.not_before)):
            raise refused("certificate", cert.serial[:12] + "…",
                          detail=f"签发时 {issuer.code} 的证书已过期或已被吊销",
                          detail_en=f"issued while the certificate of {issuer.code} was expired or revoked")
    for code, by_serial in held.items():
        current = [c for c in by_serial.values()
                   if c.serial not in gone and c.not_before <= now <= c.not_after and not c.is_self_signed]
        if len({c.sign_key for c in current}) > 1:
            newest = max(current, key=lambda c: (c.not_before, c.serial))
            raise refused("certificate", newest.serial[:12] + "…",
                          detail=f"{code} 已有另一张使用不同密钥的有效证书",
                          detail_en=f"{code} already holds another current certificate with other keys")


def check_trust_entries(session: Session, certs: list[Cert], revocations: list[Revocation], *,
                        lookup: Any, roots: list[Cert], revoked: Mapping[str, datetime], now: datetime,
                        parent_of: ParentOf | None = None) -> None:
    """The authority checks of a package's certificates and revocations, before any of them is stored.
    ``lookup(serial)`` finds a certificate in the package or the store (a :class:`CertPool`'s ``get``)."""
    for revocation in revocations:
        check_revocation(revocation, lookup(revocation.issuer_serial), lookup(revocation.serial), roots, parent_of)
    check_certificates(session, certs, revocations, revoked, now, lookup)
