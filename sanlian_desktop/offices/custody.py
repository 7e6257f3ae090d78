"""This office's keys and certificates in the store: creation, sealing, requests, certifying, revoking.

The province makes its root certificate at ``init``. Every other office makes its key pairs at
``init``, writes a certificate request that is carried to its parent office, and installs the
certificate bundle the parent hands back (the new certificate, the parent's chain and the root).
The private keys are sealed under a key-encryption key that is wrapped under each user's password,
so only a signed-in user of this office can use them — or, once an admin moved them there, they live in
a PKCS#11 token and the key ring holds only a reference to them (with the token's PIN sealed under the
same key-encryption key). Either way callers get a :class:`~sanlian_desktop.sync.trust.custody.KeyCustody`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.codes import ParentOf, evaluator_province, is_evaluator_code
from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.kernel.fileio import atomic_write_bytes
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.models import (
    CertificateRecord,
    Meta,
    Office,
    OfficeKeyRing,
    RevocationRecord,
    SyncChannel,
    SyncPackage,
    UserKeyWrap,
    utcnow,
)
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor, this_office
from sanlian_desktop.store import audit
from sanlian_desktop.sync.trust import tokens
from sanlian_desktop.sync.trust.certs import (
    Cert,
    OfficeInfo,
    certify,
    make_request,
    make_root,
    mixed_suites,
    parse_request,
    show_date,
)
from sanlian_desktop.sync.trust.chain import (
    CertPool,
    Revocation,
    revocation_map,
    revoke,
    validate_chain,
    verify_revocation,
)
from sanlian_desktop.sync.trust.custody import PKCS11, SOFTWARE_LOCATION, KeyCustody, KeyLocation, KeyVault
from sanlian_desktop.sync.trust.keys import (
    Argon2Params,
    OfficeKeys,
    SoftwareVault,
    new_kek,
    unwrap,
    wrap_for_user,
)
from sanlian_desktop.sync.trust.succession import (
    Succession,
    make_succession,
    retired_error,
    verify_succession,
)
from sanlian_desktop.sync.trust.succession import retired_suites as _retired_of
from sanlian_desktop.sync.trust.suite import DEFAULT_SUITE, Suite, get_suite, suite_label

BUNDLE_FORMAT = "sanlian-cert-bundle-1"
# The office's sealed keys with those it used before a change of keys (kept only to open packages
# still encrypted to them); a ring holding a single sealed key set (the first format) is read as it is.
KEYRING_FORMAT = "sanlian-keyring-1"
MAX_FILE = 1024 * 1024
# Meta key prefix of a verified root succession statement (followed by the old root's serial).
SUCCESSION_META = "root-succession:"
# The reason certify_child gives when a child's own new request (new keys) replaces its certificate: its
# keys are not in doubt, so a package may still be encrypted to them until it installs the new one.
REPLACED_REASON = "由该单位新申请的证书替换"


# The key-encryption key's argon2 cost for new wrappings; only the test suite lowers it (tests/cheaphash.py).
KEK_COST = Argon2Params()


def _argon2() -> Argon2Params:
    return KEK_COST


def parent_of(session: Session) -> ParentOf:
    """The store's region tree as a ``parent_of`` hook for chain checks."""

    def lookup(code: str) -> str | None:
        if is_evaluator_code(code):
            return evaluator_province(code)
        region = session.get(regions.Region, code)
        return region.parent_code if region is not None else regions.derive_parent_code(session, code)

    return lookup


# -- keys -------------------------------------------------------------------------------------------


def create_keys(
    session: Session, office: Office, admin: str, password: str, suite: Suite = DEFAULT_SUITE,
    vault: KeyVault | None = None,
) -> KeyCustody:
    """Make the office's key pairs in ``suite`` (in ``vault``: the software store unless a token is
    given), seal them or their token reference, wrap the sealing key for the first admin.

    The province also makes its root certificate, which fixes the suite of its whole chain: every
    office below it makes its keys in the same suite (its parent refuses a request in another).
    """
    keys = (vault or SoftwareVault()).generate(suite)
    kek = new_kek()
    session.add(OfficeKeyRing(region_code=office.region_code, suite=keys.suite.name, sealed=_stored(keys, kek)))
    session.add(UserKeyWrap(username=admin, wrapped=wrap_for_user(kek, password, _argon2())))
    if office.level == Level.PROVINCE:
        root = make_root(OfficeInfo(office.region_code, Level.PROVINCE, office.name), keys)
        _store_cert(session, root, is_root=True, is_own=True)
    session.flush()
    return keys


def _kek(session: Session, actor: Actor) -> bytes:
    wrap = session.get(UserKeyWrap, actor.username)
    if wrap is None:
        raise PermissionDenied(
            f"用户 {actor.username} 还没有使用本单位密钥的权限，请管理员重设该用户的密码",
            f"user {actor.username} has no access to the office keys; an admin must reset the password",
        )
    if not actor.password:
        raise UserError("需要重新登录后才能使用本单位密钥", "sign in again to use the office keys")
    return unwrap(wrap.wrapped, actor.password)


def _ring(session: Session, office_code: str) -> tuple[OfficeKeyRing, bytes, list[bytes]]:
    """The office's key ring row, its current sealed keys and the sealed keys it used before."""
    ring = session.get(OfficeKeyRing, office_code)
    if ring is None:
        raise UserError("本单位还没有密钥（数据由旧版本程序创建），请联系管理员", "this office has no keys")
    obj = cj.loads(ring.sealed, "本单位密钥", "office keys")
    if isinstance(obj, dict) and obj.get("format") == KEYRING_FORMAT:
        cj.check_keys(obj, {"format", "current", "retired"}, "本单位密钥", "office keys")
        if not isinstance(obj["retired"], list):
            cj.malformed("本单位密钥", "office keys", "retired keys")
        return ring, cj.unb64(obj["current"], "本单位密钥", "office keys"), [
            cj.unb64(r, "本单位密钥", "office keys") for r in obj["retired"]]
    return ring, ring.sealed, []


def _open(blob: bytes, kek: bytes) -> KeyCustody:
    """The keys of one key-ring entry: sealed software keys, or a reference to keys in a token."""
    if tokens.is_reference(blob):
        return tokens.open_reference(blob, kek)
    return OfficeKeys.unseal(blob, kek)


def _stored(keys: KeyCustody, kek: bytes) -> bytes:
    """What the key ring keeps of ``keys``: the sealed keys, or the token reference."""
    if isinstance(keys, tokens.TokenKeys):
        return keys.reference(kek)
    if isinstance(keys, OfficeKeys):
        return keys.seal(kek)
    raise TypeError(f"no key-ring form for {type(keys).__name__}")


def _vault_of(keys: KeyCustody) -> KeyVault:
    """Where new keys replacing ``keys`` are made: the same token, or the software store."""
    if isinstance(keys, tokens.TokenKeys):
        return keys.vault()
    return SoftwareVault()


def office_keys(session: Session, actor: Actor) -> KeyCustody:
    """This office's keys, unsealed (or found in their token) for a signed-in user."""
    _, current, _ = _ring(session, actor.office_code)
    return _open(current, _kek(session, actor))


def all_office_keys(session: Session, actor: Actor) -> list[KeyCustody]:
    """This office's current keys first, then those it used before a change of keys: a package made
    before the sender knew of the change is still opened."""
    _, current, retired = _ring(session, actor.office_code)
    kek = _kek(session, actor)
    return [_open(current, kek), *(_open(r, kek) for r in retired)]


def _new_keys(session: Session, actor: Actor, suite: Suite | None = None) -> KeyCustody:
    """Replace this office's keys by new ones in the same place (software store or token) and suite; the
    old ones are kept only to open packages already encrypted to them. Certificates of the old keys can
    no longer be used to sign — except when the new keys are of another ``suite`` (the province moving its
    chain to it): then the old keys' certificate still signs for the old suite until the transition ends.
    Keys of another suite are made in the software store (a token may not support it)."""
    ring, current, retired = _ring(session, actor.office_code)
    kek = _kek(session, actor)
    old = _open(current, kek)  # the signed-in user can open the ring before it is changed
    if suite is None or suite.name == old.suite.name:
        keys = _vault_of(old).generate(old.suite)
    else:
        keys = SoftwareVault().generate(suite)
    ring.sealed = cj.dumps({"format": KEYRING_FORMAT, "current": cj.b64(_stored(keys, kek)),
                            "retired": [cj.b64(current), *(cj.b64(r) for r in retired)]})
    ring.suite = keys.suite.name
    session.flush()
    return keys


def key_location(session: Session, office_code: str | None = None) -> KeyLocation | None:
    """Where this office's current private keys live (no password needed); None before it has keys."""
    code = office_code or this_office(session).region_code
    if session.get(OfficeKeyRing, code) is None:
        return None
    _, current, _ = _ring(session, code)
    if tokens.is_reference(current):
        label = tokens.reference_token(current)
        return KeyLocation(PKCS11, f"硬件令牌“{label}”", label)
    return SOFTWARE_LOCATION


def move_keys_to_token(session: Session, actor: Actor, *, token: str, pin: str, module: str | None = None) -> KeyLocation:
    """Move this office's current keys from the software store into the PKCS#11 token ``token``: they are
    imported (sensitive, not extractable), proven to sign and open envelopes there, and the sealed software
    copy is replaced by a reference to the token. The certificate stays valid (same keys). Keys kept from
    before a change of keys stay sealed in the software store (they only open old packages).

    A token that is absent, locked or refuses the PIN, or keys of a suite no token supports, are refused
    with a Chinese message and nothing changed."""
    actor.require(Role.ADMIN, action="把本单位密钥移入硬件令牌")
    token = token.strip()
    if not token or len(token) > 32:
        raise UserError("请填写硬件令牌的标签（1 至 32 个字符）。", "a token label of 1 to 32 characters is needed")
    if not pin:
        raise UserError("请输入硬件令牌的 PIN 码。", "the token PIN is needed")
    ring, current, retired = _ring(session, actor.office_code)
    if tokens.is_reference(current):
        raise UserError(f"本单位密钥已保存在硬件令牌“{tokens.reference_token(current)}”中，无需再移。",
                        "the office keys are already in a token")
    kek = _kek(session, actor)
    keys = OfficeKeys.unseal(current, kek)
    module = module or tokens.default_module()
    if module is None:
        raise UserError("没有找到硬件令牌驱动（PKCS#11 模块），请安装令牌驱动，或用 --module 指明其位置。",
                        "no PKCS#11 module found; name one with --module or SANLIAN_PKCS11_MODULE")
    moved = tokens.TokenVault(module, token, pin).move_in(keys)
    ring.sealed = cj.dumps({"format": KEYRING_FORMAT, "current": cj.b64(moved.reference(kek)),
                            "retired": [cj.b64(r) for r in retired]})
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="keys.to_token", entity="office",
                 entity_id=actor.office_code, details={"token": token, "module": module})
    return moved.location


def grant_key_access(session: Session, admin: Actor, username: str, password: str) -> None:
    """Wrap the office's sealing key under a user's (new) password; an admin who can unseal does this."""
    kek = _kek(session, admin)
    wrap = session.get(UserKeyWrap, username)
    blob = wrap_for_user(kek, password, _argon2())
    if wrap is None:
        session.add(UserKeyWrap(username=username, wrapped=blob))
    else:
        wrap.wrapped = blob
        wrap.updated_at = utcnow()
    session.flush()


# -- certificates -----------------------------------------------------------------------------------


def _store_cert(session: Session, cert: Cert, *, is_root: bool = False, is_own: bool = False) -> CertificateRecord:
    row = session.get(CertificateRecord, cert.serial)
    if row is None:
        row = CertificateRecord(
            serial=cert.serial, region_code=cert.code, level=cert.level.value, issuer_code=cert.issuer_code,
            not_before=cert.not_before, not_after=cert.not_after, encoded=cert.encode(), is_root=is_root,
            is_own=is_own,
        )
        session.add(row)
    else:
        row.is_root = row.is_root or is_root
        row.is_own = row.is_own or is_own
    session.flush()
    return row


def _certs(session: Session, **where: Any) -> list[Cert]:
    """Certificates newest first: by issue time, then serial (a renewal's end is capped at its issuer's, so
    two certificates of one office often end at the same moment; the one issued last wins)."""
    query = select(CertificateRecord).filter_by(**where)
    certs = (Cert.decode(r.encoded) for r in session.scalars(query))
    return sorted(certs, key=lambda c: (c.not_before, c.serial), reverse=True)


def _current_first(certs: list[Cert], revoked: Mapping[str, datetime] | Set[str],
                   superseded: Set[str] = frozenset()) -> list[Cert]:
    """``certs`` (newest first) with the unrevoked ones ahead of the revoked ones, and among each, those of
    a suite the province moved away from (``superseded``) after the others."""
    return sorted(certs, key=lambda c: (c.serial in revoked, c.suite in superseded))  # stable: newest first


def pinned_roots(session: Session) -> list[Cert]:
    """The root certificates this office trusts."""
    return _certs(session, is_root=True)


def own_certificate(session: Session) -> Cert | None:
    """This office's newest unrevoked certificate (issue time, then serial), if it has one; when every one
    is revoked, the newest of them (so that what refuses to use it can say so)."""
    office = this_office(session)
    own = _current_first(_certs(session, is_own=True, region_code=office.region_code), revoked_map(session),
                         set(retired_suites(session)))
    return own[0] if own else None


def cert_for(session: Session, code: str, at: datetime | None = None) -> Cert | None:
    """The newest known unrevoked certificate of the office at ``code`` (valid at ``at`` when given), by
    issue time then serial; a revoked one only when it has no other (its revocation must still reach it)."""
    for cert in _current_first(_certs(session, region_code=code), revoked_map(session), set(retired_suites(session))):
        if at is None or cert.not_before <= at <= cert.not_after:
            return cert
    return None


def cert_by(session: Session, serial: str, code: str | None = None) -> Cert | None:
    """The stored certificate ``serial`` (of the office ``code`` when given)."""
    row = session.get(CertificateRecord, serial)
    if row is None or (code is not None and row.region_code != code):
        return None
    return Cert.decode(row.encoded)


def own_chain(session: Session) -> list[Cert]:
    """This office's chain, leaf first, ending at the root."""
    own = own_certificate(session)
    if own is None:
        raise UserError(
            "本单位还没有安装上级单位签发的证书，暂不能收发同步包（请先完成“证书申请”并安装证书）",
            "this office has no certificate yet; request one from the parent office and install it",
        )
    return chain_of(session, own)


def chain_of(session: Session, own: Cert) -> list[Cert]:
    """The chain of the certificate ``own``, leaf first, ending at its root."""
    chain = [own]
    while not chain[-1].is_self_signed:
        issuer_code = chain[-1].issuer_code
        issuer = cert_by(session, chain[-1].issuer_serial, issuer_code) or cert_for(session, issuer_code)
        if issuer is None:
            raise UserError(f"缺少上级单位（{issuer_code}）的证书", f"missing the certificate of {issuer_code}")
        chain.append(issuer)
        if len(chain) > 6:
            raise UserError("证书链过长", "certificate chain too long")
    return chain


def revocations(session: Session) -> list[Revocation]:
    """Every revocation the store holds."""
    return [Revocation.decode(r.encoded) for r in session.scalars(select(RevocationRecord))]


def revoked_map(session: Session) -> dict[str, datetime]:
    """Revoked certificate serials with the time each revocation takes effect."""
    return revocation_map(revocations(session))


def revocation_of(session: Session, serial: str) -> Revocation | None:
    """The revocation of the certificate ``serial``, if the store holds one."""
    row = session.get(RevocationRecord, serial)
    return Revocation.decode(row.encoded) if row is not None else None


def _office_label(session: Session, code: str) -> str:
    office = session.get(Office, code)
    return f"{office.name}（{code}）" if office is not None else code


def check_own_certificate_usable(session: Session) -> Cert:
    """This office's certificate, refused with what happened and what to do when it has been revoked
    (the office imported the notice of its own revocation): nothing is signed or sent under it."""
    own = own_certificate(session)
    record = revocation_of(session, own.serial) if own is not None else None
    if own is None or record is None:
        return own_chain(session)[0]
    issuer = _office_label(session, record.issuer_code)
    if record.reason == REPLACED_REASON:
        # The office asked for this itself (a request with new keys): the new certificate waits to be installed.
        raise UserError(
            f"本单位的证书（编号 {own.serial[:12]}…）已于 {show_date(record.issued)} 由{issuer}按本单位新的证书申请"
            f"签发新证书替换，不能再用它签名或导出数据包。请安装{issuer}签发的新证书文件（“设置 → 证书”中的"
            f"“安装上级签发的证书…”，或命令 office install）后再导出，不需要重新申请；在此期间录入的数据届时会一并报送。"
            f"只有新证书文件遗失时，才需重新生成证书申请。",
            f"this office's certificate {own.serial[:12]}… was replaced by {record.issuer_code} with the certificate "
            "of its own new request; install that certificate (office install) and export again",
        )
    raise UserError(
        f"本单位的证书（编号 {own.serial[:12]}…）已于 {show_date(record.issued)} 被{issuer}吊销"
        f"（原因：{record.reason}），不能再用它签名或导出数据包。请管理员重新生成证书申请"
        f"（“设置 → 证书”中的“生成证书申请”，或命令 office request；程序会为本单位生成新的密钥），"
        f"交{issuer}签发后安装新证书，再导出；在此期间录入的数据届时会一并报送。",
        f"this office's certificate {own.serial[:12]}… was revoked by {record.issuer_code} on "
        f"{cj.fmt_time(record.issued)} ({record.reason}); nothing is exported under it. Write a new certificate "
        f"request (office request; it makes new keys), have {record.issuer_code} certify it, install the new "
        "certificate and export again: what was entered meanwhile goes with it",
    )


def check_package_after_revocation(session: Session, sender: Cert, channel_seq: int, package_id: str) -> None:
    """Refuse a package of a certificate this office revoked when it comes after the last package the
    revocation still accepts (by the sender's own sequence number, never by the time the package claims),
    or repeats a number already received under another package: nothing of it is applied."""
    record = revocation_of(session, sender.serial)
    if record is None or record.last_seq is None or record.issuer_code != this_office(session).region_code:
        return  # no revocation, a first-format one (judged by its date), or not on the channel to this office
    seen = session.scalar(select(SyncPackage.package_id).where(
        SyncPackage.direction == "in", SyncPackage.neighbour_code == sender.code,
        SyncPackage.channel_seq == channel_seq, SyncPackage.package_id != package_id).limit(1))
    if channel_seq <= record.last_seq and seen is None:
        return
    why_zh = (f"吊销时认定其最后一个仍可接受的数据包是第 {record.last_seq} 号，此数据包是第 {channel_seq} 号"
              if channel_seq > record.last_seq else f"本单位已收到过其另一个第 {channel_seq} 号数据包")
    why_en = (f"the revocation accepts its packages up to no. {record.last_seq}; this is no. {channel_seq}"
              if channel_seq > record.last_seq else f"another package no. {channel_seq} was received before")
    raise UserError(
        f"{sender.office.label()}的证书（编号 {sender.serial[:12]}…）已于 {show_date(record.issued)} 被本单位吊销"
        f"（原因：{record.reason}）；{why_zh}，是吊销之后制作的（包上标注的制作时间由发送电脑的时钟决定，不予采信）。"
        f"本次拒绝导入，本单位的数据没有任何改变。该单位须重新申请证书，用新证书重新导出。",
        f"the certificate {sender.serial[:12]}… of {sender.code} was revoked by this office; {why_en}, so it was "
        "made after the revocation (the time it claims is the sender's clock); refused, nothing changed",
    )


def _keys_revoked(session: Session, keys: KeyCustody) -> bool:
    """Whether a certificate of these keys has been revoked: the keys may be in other hands."""
    revoked = revoked_map(session)
    return any(c.matches_keys(keys) for c in _certs(session, is_own=True) if c.serial in revoked)


def own_keys_certified(session: Session, actor: Actor) -> bool:
    """Whether this office's current keys have a certificate installed here."""
    keys = office_keys(session, actor)
    return any(c.matches_keys(keys) for c in _certs(session, is_own=True))


def request_certificate(session: Session, actor: Actor, out: Path, *, new_keys: bool = False,
                        suite: Suite | None = None) -> Path:
    """Write this office's certificate request, to be carried to the parent office.

    After a revocation of this office's certificate (or with ``new_keys``) the request is for new keys:
    the revoked keys may be in a thief's hands and are never certified again. The old keys are kept only
    to open packages already encrypted to them. A renewal before expiry keeps the keys.

    ``suite`` other than the current keys' is the move of this office to the suite its province migrated
    to (its new root known here from the succession statement): new keys in that suite, while the old
    keys and certificate keep serving the old suite until the transition ends."""
    actor.require(Role.ADMIN, action="申请证书")
    office = this_office(session)
    if office.level == Level.PROVINCE:
        raise UserError("省民政厅使用自己的根证书，不需要申请", "the province holds the root; it needs no request")
    keys = office_keys(session, actor)
    if suite is not None and suite.name != keys.suite.name:
        if not any(r.suite == suite.name for r in pinned_roots(session)):
            raise UserError(
                f"本单位还没有收到省民政厅改用“{suite.label}”的根证书更替声明，不能申请该算法套件的证书。"
                "请先导入上级单位发来的数据包（其中附有更替声明）后再申请。",
                f"no root of suite {suite.name!r} is known here yet; import a package from the parent first",
            )
        keys = _new_keys(session, actor, suite)
        rekeyed = True
    elif new_keys or _keys_revoked(session, keys):
        keys = _new_keys(session, actor)
        rekeyed = True
    else:
        rekeyed = False
    data = make_request(OfficeInfo(office.region_code, Level(office.level), office.name), keys)
    atomic_write_bytes(Path(out), data)
    audit.record(session, office=office.region_code, user=actor.username, action="cert.request",
                 entity="office", entity_id=office.region_code, details={"new_keys": rekeyed})
    return Path(out)


def _read_small(path: Path, what: str) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE:
            raise UserError(f"{what}文件过大，不是有效的{what}", f"{path.name} is too large")
        return path.read_bytes()
    except OSError:
        raise UserError(f"无法读取{what}文件 {path}", f"cannot read {path}") from None


def read_request(request_file: Path) -> OfficeInfo:
    """The office a certificate request file is from (signature checked), to show before certifying it."""
    return parse_request(_read_small(Path(request_file), "证书申请")).office


@dataclass
class Certified:
    """What ``office certify`` produced."""

    office: OfficeInfo
    cert: Cert
    out: Path


def certify_child(session: Session, actor: Actor, request_file: Path, out: Path, valid_days: int = 1095) -> Certified:
    """Certify a child office from its request file and write the bundle it installs."""
    actor.require(Role.ADMIN, action="签发证书")
    if actor.office_level is Level.EVALUATOR:
        raise UserError("第三方评估机构不能为其他单位签发证书", "an evaluator office certifies no one")
    if not 1 <= valid_days <= 3650:
        raise UserError("证书有效天数应在 1 至 3650 之间", "validity must be 1 to 3650 days")
    request = _read_small(Path(request_file), "证书申请")
    req = parse_request(request)  # a damaged or forged request is refused before anything else
    _refuse_retired(session, req.suite, f"{req.office.label()}的证书申请", f"the request of {req.office.code}")
    # The certificate of the request's suite signs it (during a change of suite this office holds both).
    keys, chain = signing_pair(session, actor, suite=req.suite) or (office_keys(session, actor), own_chain(session))
    cert = certify(request, chain[0], keys, valid_days=valid_days, parent_of=parent_of(session))
    # One current certificate per child (issue 20): the child's own new request with new keys replaces the
    # certificate it holds, which is revoked here, so that every office sees only one of them current.
    # A certificate of the suite the province is moving away from is revoked from the end of the
    # transition instead: until then it still serves the neighbours that have not moved yet.
    now = utcnow()
    revoked = revoked_map(session)
    ending = retired_suites(session)
    made: list[Revocation] = []
    for old in _certs(session, region_code=cert.code):
        if old.serial in revoked or old.not_after < now or old.sign_key == cert.sign_key \
                or old.issuer_code != actor.office_code:
            continue
        if old.suite == cert.suite:
            made.append(revoke(old, chain[0], keys, reason=REPLACED_REASON))
            continue
        until = ending.get(old.suite)
        issuer = signing_pair(session, actor, suite=old.suite)
        if until is not None and issuer is not None and issuer[1][0].serial == old.issuer_serial:
            made.append(revoke(old, issuer[1][0], issuer[0], effective=min(until, old.not_after),
                               reason=f"改用“{suite_label(cert.suite)}”，过渡期结束后停用"))
    for record in made:
        store_revocation(session, record)
    _store_cert(session, cert)
    region = session.get(regions.Region, cert.code)
    if region is None and cert.level in (Level.STREET, Level.COMMUNITY):
        regions.add_region(session, code=cert.code, name=cert.office.name, within=actor.office_code,
                           create_missing_street=True)
    if session.get(Office, cert.code) is None:
        session.add(Office(region_code=cert.code, level=cert.level.value, name=cert.office.name))
    bundle = {"format": BUNDLE_FORMAT, "cert": cert.to_dict(), "chain": [c.to_dict() for c in chain],
              "successions": [r.encode().decode() for r in successions(session)],
              "revocations": [r.encode().decode() for r in made]}
    atomic_write_bytes(Path(out), cj.dumps(bundle))
    audit.record(session, office=actor.office_code, user=actor.username, action="cert.issue", entity="office",
                 entity_id=cert.code, details={"serial": cert.serial, "name": cert.office.name})
    return Certified(cert.office, cert, Path(out))


def install_certificate(session: Session, actor: Actor, bundle_file: Path) -> Cert:
    """Install the certificate bundle the parent office issued: own certificate, parent chain, root."""
    actor.require(Role.ADMIN, action="安装证书")
    raw = _read_small(Path(bundle_file), "证书")
    obj = cj.loads(raw, "证书文件", "certificate bundle")
    if obj.get("format") != BUNDLE_FORMAT or not isinstance(obj.get("chain"), list) or not obj["chain"]:
        raise UserError("这不是本系统的证书文件", "not a certificate bundle of this program")
    cert = Cert.from_dict(obj["cert"])
    chain = [Cert.from_dict(c) for c in obj["chain"][:6]]
    office = this_office(session)
    if cert.code != office.region_code:
        raise UserError(
            f"这份证书是签发给 {cert.office.label()} 的，不是本单位", f"the certificate is for {cert.code}, not this office"
        )
    keys = office_keys(session, actor)
    if cert.suite != keys.suite.name:
        raise mixed_suites("这份证书", cert.suite, keys.suite.name, "the certificate")
    if not cert.matches_keys(keys):
        raise UserError("证书与本单位的密钥不匹配（可能是为另一次申请签发的）", "the certificate does not match this office's keys")
    # The province's succession statements (a change of suite): the new root, trusted from the old one.
    extra = obj.get("successions", [])
    if not isinstance(extra, list) or not all(isinstance(x, str) for x in extra[:20]):
        raise UserError("这不是本系统的证书文件", "not a certificate bundle of this program")
    root = chain[-1]
    if not root.is_self_signed:
        raise UserError("证书文件缺少根证书", "the bundle lacks the root certificate")
    # An office installing its first certificate trusts the bundle's root (its parent vouched for it in
    # person): the statements of that root are kept; one of a root it never knew cannot be checked and
    # concerns it not (it was made in the new suite).
    before = pinned_roots(session)
    trusted = before or [root]
    for text in extra[:20]:
        if any(r.serial == Succession.decode(text.encode()).old_serial for r in trusted):
            store_succession(session, text.encode(), roots=trusted)
    _refuse_retired(session, cert.suite, "这份证书", "the certificate")
    if before and all(r.serial != root.serial for r in pinned_roots(session)):
        raise UserError("证书文件的根证书与本单位已信任的根证书不同", "the bundle's root differs from the pinned root")
    validate_chain([cert, *chain], root, utcnow(), revoked_map(session), parent_of(session))
    for c in chain[:-1]:
        _store_cert(session, c)
        if session.get(Office, c.code) is None:
            session.add(Office(region_code=c.code, level=c.level.value, name=c.office.name))
    _store_cert(session, root, is_root=True)
    _store_cert(session, cert, is_own=True)
    # The revocation of this office's certificate of the old suite (from the transition's end), so that
    # the offices this one sends its new certificate to see one current certificate of it at a time.
    records = obj.get("revocations", [])
    if not isinstance(records, list) or not all(isinstance(x, str) for x in records[:20]):
        raise UserError("这不是本系统的证书文件", "not a certificate bundle of this program")
    for text in records[:20]:
        record = Revocation.decode(text.encode())
        if record.code != office.region_code or record.issuer_code != chain[0].code:
            raise UserError("证书文件中的吊销记录不属于本单位", "a revocation in the bundle is not about this office")
        store_revocation(session, record)
    audit.record(session, office=office.region_code, user=actor.username, action="cert.install", entity="office",
                 entity_id=office.region_code, details={"serial": cert.serial, "issuer": chain[0].code})
    return cert


def revoke_child(session: Session, actor: Actor, child: str, reason: str, *,
                 last_seq: int | None = None) -> Revocation:
    """Revoke a child office's certificate, named by its serial or by the office's code (then its current
    certificate); the revocation travels in the next packages.

    The revocation states the last package of that certificate this office still accepts, by the child's
    own sequence number on its channel to this office (default: the last one received); every later
    package of the certificate is refused here, whatever time it claims. Other unrevoked certificates of
    the same keys that this office issued the child (an earlier renewal) are revoked with it."""
    actor.require(Role.ADMIN, action="吊销证书")
    child = child.strip()
    cert = cert_by(session, child)
    if cert is None:
        cert = cert_for(session, child)
    revoked = revoked_map(session)
    if cert is None or cert.issuer_code != actor.office_code or cert.is_self_signed:
        raise UserError(f"本单位没有为 {child} 签发过证书", f"this office issued no certificate to {child}")
    if cert.serial in revoked:
        raise UserError(f"{cert.office.label()}的证书（编号 {cert.serial[:12]}…）已经吊销过了",
                        f"certificate {cert.serial} of {cert.code} is already revoked")
    channel = session.get(SyncChannel, cert.code)
    received = max(channel.received_seqs or [0]) if channel is not None else 0
    if last_seq is None:
        last_seq = received
    elif not 0 <= last_seq <= received:
        raise UserError(f"最后接受的数据包编号应在 0 至 {received} 之间（本单位收到的{cert.office.name}数据包最大编号为 {received}）",
                        f"the last accepted package must be 0 to {received}")
    # The certificate of this office that issued it (during a change of suite, the one of its suite).
    pair = signing_pair(session, actor, suite=cert.suite)
    keys, own = (pair[0], pair[1][0]) if pair is not None else (office_keys(session, actor), own_chain(session)[0])
    record = revoke(cert, own, keys, reason=reason, last_seq=last_seq)
    store_revocation(session, record)
    also = [c for c in _certs(session, region_code=cert.code) if c.serial != cert.serial and c.serial not in revoked
            and c.sign_key == cert.sign_key and c.issuer_serial == own.serial and not c.is_self_signed]
    for other in also:
        store_revocation(session, revoke(other, own, keys, reason=reason, last_seq=last_seq))
    audit.record(session, office=actor.office_code, user=actor.username, action="cert.revoke", entity="office",
                 entity_id=cert.code, details={"serial": cert.serial, "reason": reason, "last_seq": last_seq,
                                               "also": [c.serial for c in also]})
    return record


def store_revocation(session: Session, record: Revocation) -> bool:
    """Keep a revocation after checking its issuer's signature; False when already known."""
    if session.get(RevocationRecord, record.serial) is not None:
        return False
    issuer = cert_by(session, record.issuer_serial, record.issuer_code) or cert_for(session, record.issuer_code)
    if issuer is None:
        raise UserError(f"无法核实吊销记录：缺少签发单位 {record.issuer_code} 的证书", "unknown revocation issuer")
    verify_revocation(record, issuer)
    session.add(RevocationRecord(serial=record.serial, issuer_code=record.issuer_code,
                                 revoked_at=record.effective, encoded=record.encode()))
    session.flush()
    return True


def describe(session: Session) -> dict[str, Any]:
    """Certificate facts for the settings screen and ``office show``."""
    own = own_certificate(session)
    revoked = revoked_map(session)
    return {
        "certificate": None if own is None else {
            "serial": own.serial, "not_before": own.not_before.isoformat(), "not_after": own.not_after.isoformat(),
            "issuer": own.issuer_code, "revoked": own.serial in revoked,
        },
        "roots": [r.serial for r in pinned_roots(session)],
        "suite": None if own is None else own.suite,
        "suite_label": None if own is None else suite_label(own.suite),
        "known": sorted({r.region_code for r in session.scalars(select(CertificateRecord))}),
        "revoked": sorted(revoked_map(session)),
        "key_location": _location_facts(key_location(session)),
        "transitions": [{"from": r.old_suite, "from_label": suite_label(r.old_suite), "to": r.new_root.suite,
                         "to_label": suite_label(r.new_root.suite), "until": r.until.isoformat(),
                         "new_root": r.new_root.serial} for r in successions(session)],
    }


def _location_facts(location: KeyLocation | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"kind": location.kind, "label": location.label, "token": location.token}




# -- certificates that travel with statements -------------------------------------------------------


def cert_by_serial(session: Session) -> Callable[[str], Cert | None]:
    """A lookup of the store's certificates by serial (for a :class:`CertPool`)."""

    def lookup(serial: str) -> Cert | None:
        row = session.get(CertificateRecord, serial)
        return Cert.decode(row.encoded) if row is not None else None

    return lookup


def statement_pool(session: Session, parent_of_hook: ParentOf | None = None) -> CertPool:
    """The pinned roots, revocations and every certificate the store holds, for verifying statements."""
    roots = pinned_roots(session)
    return CertPool(roots, revoked_map(session), parent_of_hook or parent_of(session), lookup=cert_by_serial(session),
                    retired=retired_suites(session))


def certificates_for(session: Session, codes: set[str]) -> list[Cert]:
    """Every certificate the store holds for the offices ``codes``, with the chains above them: what a
    package must carry so that statements signed by those offices verify at the recipient."""
    found: dict[str, Cert] = {}
    rows = list(session.scalars(select(CertificateRecord).where(CertificateRecord.region_code.in_(sorted(codes)))))
    todo = [Cert.decode(r.encoded) for r in rows]
    lookup = cert_by_serial(session)
    while todo:
        cert = todo.pop()
        if cert.serial in found:
            continue
        found[cert.serial] = cert
        if not cert.is_self_signed and cert.issuer_serial not in found:
            issuer = lookup(cert.issuer_serial)
            if issuer is not None:
                todo.append(issuer)
    return sorted(found.values(), key=lambda c: (len(c.code), c.code, c.not_before, c.serial))


def store_certificates(session: Session, certs: list[Cert]) -> int:
    """Keep certificates received with statements (their chains checked by the caller); returns how
    many were new. The office can then pass those statements on, with these certificates, upward."""
    added = 0
    for cert in certs:
        if not cert.is_self_signed and session.get(CertificateRecord, cert.serial) is None:
            _store_cert(session, cert)
            added += 1
    return added


# -- a change of algorithm suite ----------------------------------------------------------------------


def successions(session: Session) -> list[Succession]:
    """The province's root succession statements this office holds (each verified when stored)."""
    rows = session.scalars(select(Meta).where(Meta.key.startswith(SUCCESSION_META)).order_by(Meta.key))
    return [Succession.decode(row.value.encode()) for row in rows]


def retired_suites(session: Session) -> dict[str, datetime]:
    """Suite name -> the end of the province's transition away from it (nothing of it is trusted after)."""
    return _retired_of(successions(session))


def _refuse_retired(session: Session, suite: str, what: str, what_en: str) -> None:
    """Refuse ``what`` (a request, a certificate) of ``suite`` once the transition away from it has ended."""
    until = retired_suites(session).get(suite)
    if until is not None and utcnow() > until:
        raise retired_error(what, suite, until, what_en)


def store_succession(session: Session, data: bytes, *, roots: list[Cert] | None = None) -> bool:
    """Keep a root succession statement after checking it against the roots trusted here, and trust the new
    root it names; False when it is known already. One that does not verify is refused."""
    record = Succession.decode(data)
    key = SUCCESSION_META + record.old_serial
    known = session.get(Meta, key)
    if known is not None:
        if known.value.encode() != record.encode():
            raise UserError("收到的根证书更替声明与本单位保存的不同，不予采信。",
                            "a different succession statement for the same root is known here")
        return False
    verify_succession(record, roots if roots is not None else pinned_roots(session))
    session.add(Meta(key=key, value=record.encode().decode()))
    _store_cert(session, record.new_root, is_root=True)
    return True


def migrate_suite(session: Session, actor: Actor, suite: Suite, until: datetime) -> Succession:
    """The province moves its chain to ``suite``: new keys and a new root of that suite, and the old root's
    signed statement naming the new root and the end of the transition (``until``), which travels down in
    certificate bundles and packages. Until then both suites are trusted; afterwards the old one is not."""
    actor.require(Role.ADMIN, action="更换算法套件")
    office = this_office(session)
    if office.level != Level.PROVINCE:
        raise UserError("只有省民政厅可以更换证书链的算法套件；其他单位在收到更替声明后用 office request --suite 重新申请证书",
                        "only the province changes the chain's suite; other offices request a certificate with --suite")
    old_root = own_certificate(session)
    if old_root is None or not old_root.is_self_signed:
        raise UserError("本单位没有根证书", "this office holds no root certificate")
    if old_root.suite == suite.name:
        raise UserError(f"本省证书链已在使用“{suite.label}”，无需更换", f"the chain already uses {suite.name!r}")
    if any(r.old_serial == old_root.serial for r in successions(session)):
        raise UserError("本省已经开始更换算法套件，不能再次更换", "a change of suite is already under way")
    now = utcnow()
    if until <= now:
        raise UserError("过渡期的结束日期必须晚于今天", "the transition must end after today")
    if until > old_root.not_after:
        raise UserError(f"过渡期不能晚于原根证书的到期时间（{show_date(old_root.not_after)}）",
                        "the transition cannot outlast the old root")
    ring, current, retired = _ring(session, actor.office_code)
    kek = _kek(session, actor)
    old_keys = next((k for k in all_office_keys(session, actor) if old_root.matches_keys(k)), None)
    if old_keys is None:
        raise UserError("本单位的密钥与根证书不匹配，无法更换", "the office keys do not match the root")
    keys = SoftwareVault().generate(suite)
    ring.sealed = cj.dumps({"format": KEYRING_FORMAT, "current": cj.b64(_stored(keys, kek)),
                            "retired": [cj.b64(current), *(cj.b64(r) for r in retired)]})
    ring.suite = suite.name
    new_root = make_root(OfficeInfo(office.region_code, Level.PROVINCE, office.name), keys, now=now)
    _store_cert(session, new_root, is_root=True, is_own=True)
    record = make_succession(old_root, old_keys, new_root, until, now)
    session.add(Meta(key=SUCCESSION_META + old_root.serial, value=record.encode().decode()))
    session.flush()
    audit.record(session, office=office.region_code, user=actor.username, action="cert.migrate_suite",
                 entity="office", entity_id=office.region_code,
                 details={"from": old_root.suite, "to": suite.name, "new_root": new_root.serial,
                          "until": cj.fmt_time(until)})
    return record


def signing_pair(session: Session, actor: Actor, *, suite: str | None = None,
                 at: datetime | None = None) -> tuple[KeyCustody, list[Cert]] | None:
    """This office's keys with the chain of a certificate of them usable at ``at`` (now): the newest of the
    suite the province moved to first, or of ``suite``; None when it holds none. During a change of suite
    an office holds two: one per suite."""
    now = at or utcnow()
    code = this_office(session).region_code
    ending = retired_suites(session)
    revoked = revoked_map(session)
    keys = all_office_keys(session, actor)
    for cert in _current_first(_certs(session, is_own=True, region_code=code), revoked, set(ending)):
        since = revoked.get(cert.serial)
        if (suite is not None and cert.suite != suite) or not cert.not_before <= now <= cert.not_after \
                or (since is not None and since <= now) or (cert.suite in ending and now > ending[cert.suite]):
            continue
        match = next((k for k in keys if cert.matches_keys(k)), None)
        if match is not None:
            return match, chain_of(session, cert)
    return None


def pair_for(session: Session, actor: Actor, code: str) -> tuple[KeyCustody, list[Cert], Cert] | None:
    """The keys and chain this office signs a package to the office ``code`` with, and that office's
    certificate it is encrypted to: of one suite, the newest both hold (during a change of suite, the new
    one once both moved, the old one until then). None when they share none."""
    now = utcnow()
    ending = retired_suites(session)
    revoked = revoked_map(session)
    for theirs in _current_first(_certs(session, region_code=code), revoked, set(ending)):
        since = revoked.get(theirs.serial)
        if not theirs.not_before <= now <= theirs.not_after or (since is not None and since <= now):
            continue
        mine = signing_pair(session, actor, suite=theirs.suite, at=now)
        if mine is not None:
            return mine[0], mine[1], theirs
    return None


def suite_to_move_to(session: Session) -> Suite | None:
    """The suite the province is moving the chain to, while this office's certificate is still of the old one
    (what its next certificate request is made in); None otherwise."""
    own = own_certificate(session)
    for record in successions(session):
        if own is not None and own.suite == record.old_suite:
            return get_suite(record.new_root.suite)
    return None
