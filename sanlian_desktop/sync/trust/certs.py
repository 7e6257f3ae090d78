"""Office certificates: requests, certification one level down, revocation and chain validation.

A certificate is a canonical JSON object (see :mod:`canonical`) naming an office (region code, level,
name), its public signing and encryption keys, the suite, a random serial, its validity (UTC, to the
second) and its issuer (code and serial). The issuer signs ``CERT_DOMAIN || canonical(body)``; the
province's root certificate is self-signed (``issuer_serial == serial``).

Time rule: a signature is judged against the chain as it stood *at the signed timestamp* — every
certificate must be valid then, and a revocation counts from its effective date. So signatures made
under an old certificate stay verifiable after renewal, and a revoked key's later signatures do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.codes import (
    ParentOf,
    is_direct_child,
    is_office_code,
    is_region_code,
    level_of,
    within,
)
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.trust.custody import KeyCustody
from sanlian_desktop.sync.trust.suite import get_suite, random_bytes, suite_label

CERT_FORMAT = "sanlian-cert-1"
REQUEST_FORMAT = "sanlian-cert-request-1"
REVOCATION_FORMAT = "sanlian-revocation-1"
# The second format adds ``last_seq``: the revoking office's statement of the last package of the revoked
# certificate it still accepts, by the sender's own sequence number (never by the sender's clock).
REVOCATION_FORMAT_2 = "sanlian-revocation-2"
CERT_DOMAIN = b"sanlian-cert-v1\x00"
REQUEST_DOMAIN = b"sanlian-cert-request-v1\x00"
REVOCATION_DOMAIN = b"sanlian-revocation-v1\x00"
ROOT_VALID_DAYS = 20 * 365
OFFICE_VALID_DAYS = 3 * 365
MAX_CHAIN = 6
_CZ, _CE = "证书", "certificate"
_RZ, _RE = "证书申请", "certificate request"
_VZ, _VE = "吊销记录", "revocation record"
_BEIJING = timezone(timedelta(hours=8))

# A serial → effective-date mapping (revocation counts from that date) or a plain set (revoked always).
Revoked = Mapping[str, datetime] | Set[str]


class TrustError(UserError):
    """A certificate, chain or signature that cannot be trusted."""


class UnknownRootError(TrustError):
    """The chain does not lead to the pinned provincial root."""


class BadSignatureError(TrustError):
    """A signature does not verify, or the chain's links do not fit together."""


class CertExpiredError(TrustError):
    """A certificate was expired (or not yet valid) at the time that matters."""


class CertRevokedError(TrustError):
    """A certificate was revoked at the time that matters."""


class SuiteMismatchError(TrustError):
    """Two things that must use one algorithm suite (a chain, a package and its recipient) do not."""


def mixed_suites(what: str, found: str, expected: str, en: str) -> SuiteMismatchError:
    """The refusal of something of another suite: ``what`` uses ``found`` where ``expected`` is required."""
    return SuiteMismatchError(
        f"{what}使用的是“{suite_label(found)}”，而这里要求“{suite_label(expected)}”：一条证书链上的证书、"
        "签名和数据包只能使用同一种算法套件（由省民政厅生成根证书时选定），不予采信。",
        f"{en} uses suite {found[:80]!r}, not {expected[:80]!r}",
    )


class JurisdictionError(TrustError):
    """An issuer certified an office outside its territory."""


class LevelError(TrustError):
    """An issuer certified an office that is not exactly one level below it."""


@dataclass(frozen=True)
class OfficeInfo:
    """Who an office is: its region code, level and the civil-affairs office's name."""

    code: str
    level: Level
    name: str

    def label(self) -> str:
        """``城关区民政局（620102）``."""
        return f"{self.name}（{self.code}）"


def _check_office(code: object, level: object, name: object, what_zh: str, what_en: str) -> OfficeInfo:
    if not isinstance(code, str) or not is_office_code(code):
        cj.malformed(what_zh, what_en, "region code")
    if not isinstance(level, str) or level not in {lv.value for lv in Level} or level_of(code) != level:
        cj.malformed(what_zh, what_en, "level does not match the region code")
    if not isinstance(name, str) or not 0 < len(name) <= 100:
        cj.malformed(what_zh, what_en, "office name")
    return OfficeInfo(code, Level(level), name)


def show_date(moment: datetime) -> str:
    """A date as the user reads it (Beijing time; UTC at the very end of the calendar)."""
    try:
        return moment.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M")
    except OverflowError:  # 9999-12-31T16:00Z and later, e.g. from a hostile file
        return moment.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Cert:
    """A signed certificate. Build with :func:`make_root`, :func:`certify` or :meth:`decode`."""

    serial: str
    suite: str
    office: OfficeInfo
    sign_key: bytes
    enc_key: bytes
    not_before: datetime
    not_after: datetime
    issuer_code: str
    issuer_serial: str
    signature: bytes = b""

    @property
    def code(self) -> str:
        """The office's region code."""
        return self.office.code

    @property
    def level(self) -> Level:
        """The office's level."""
        return self.office.level

    @property
    def is_self_signed(self) -> bool:
        """True for a root certificate."""
        return self.issuer_serial == self.serial

    def body(self) -> dict[str, Any]:
        """Everything the signature covers."""
        return {
            "format": CERT_FORMAT,
            "serial": self.serial,
            "suite": self.suite,
            "code": self.office.code,
            "level": self.office.level.value,
            "name": self.office.name,
            "sign_key": cj.b64(self.sign_key),
            "enc_key": cj.b64(self.enc_key),
            "not_before": cj.fmt_time(self.not_before),
            "not_after": cj.fmt_time(self.not_after),
            "issuer_code": self.issuer_code,
            "issuer_serial": self.issuer_serial,
        }

    def signed_message(self) -> bytes:
        """The bytes the issuer signs."""
        return CERT_DOMAIN + cj.dumps(self.body())

    def to_dict(self) -> dict[str, Any]:
        """The certificate as a JSON-compatible dict (body plus signature)."""
        return {**self.body(), "signature": cj.b64(self.signature)}

    def encode(self) -> bytes:
        """Canonical JSON bytes."""
        return cj.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, obj: object) -> Cert:
        """Parse a dict strictly (shape only; trust comes from :func:`validate_chain`)."""
        if not isinstance(obj, dict):
            cj.malformed(_CZ, _CE, "not an object")
        cj.check_keys(obj, {*_CERT_FIELDS, "signature"}, _CZ, _CE)
        if obj["format"] != CERT_FORMAT:
            cj.malformed(_CZ, _CE, "unknown format")
        issuer_code = cj.get_str(obj, "issuer_code", _CZ, _CE, 12)
        if not is_region_code(issuer_code):
            cj.malformed(_CZ, _CE, "issuer code")
        suite = get_suite(obj["suite"])
        sign_key, enc_key = cj.unb64(obj["sign_key"], _CZ, _CE), cj.unb64(obj["enc_key"], _CZ, _CE)
        if not suite.valid_public(sign_key, signing=True) or not suite.valid_public(enc_key, signing=False):
            cj.malformed(_CZ, _CE, "public key")
        return cls(
            serial=cj.get_str(obj, "serial", _CZ, _CE, 64),
            suite=suite.name,
            office=_check_office(obj["code"], obj["level"], obj["name"], _CZ, _CE),
            sign_key=sign_key,
            enc_key=enc_key,
            not_before=cj.parse_time(obj["not_before"], _CZ, _CE),
            not_after=cj.parse_time(obj["not_after"], _CZ, _CE),
            issuer_code=issuer_code,
            issuer_serial=cj.get_str(obj, "issuer_serial", _CZ, _CE, 64),
            signature=cj.unb64(obj["signature"], _CZ, _CE),
        )

    @classmethod
    def decode(cls, data: bytes) -> Cert:
        """Parse canonical JSON bytes."""
        return cls.from_dict(cj.loads(data, _CZ, _CE))

    def matches_keys(self, keys: KeyCustody) -> bool:
        """Whether ``keys`` are this certificate's key pairs."""
        return keys.suite.name == self.suite and (keys.sign_public, keys.enc_public) == (
            self.sign_key,
            self.enc_key,
        )


_CERT_FIELDS = {
    "format", "serial", "suite", "code", "level", "name", "sign_key", "enc_key", "not_before", "not_after",
    "issuer_code", "issuer_serial",
}  # fmt: skip


@dataclass(frozen=True)
class CertRequest:
    """A request for a certificate, signed with the requested signing key (proof of possession)."""

    office: OfficeInfo
    suite: str
    sign_key: bytes
    enc_key: bytes
    created: datetime


def make_request(office: OfficeInfo, keys: KeyCustody, now: datetime | None = None) -> bytes:
    """Request bytes for the parent office to certify (carried up on a USB stick or in a package)."""
    _check_office(office.code, office.level.value, office.name, _RZ, _RE)
    body = {
        "format": REQUEST_FORMAT,
        "code": office.code,
        "level": office.level.value,
        "name": office.name,
        "suite": keys.suite.name,
        "sign_key": cj.b64(keys.sign_public),
        "enc_key": cj.b64(keys.enc_public),
        "created": cj.fmt_time(now or cj.utc_now()),
    }
    signature = keys.sign(REQUEST_DOMAIN + cj.dumps(body))
    return cj.dumps({**body, "signature": cj.b64(signature)})


def parse_request(data: bytes) -> CertRequest:
    """Parse and check a request, including its proof-of-possession signature."""
    obj = cj.loads(data, _RZ, _RE)
    fields = {"format", "code", "level", "name", "suite", "sign_key", "enc_key", "created", "signature"}
    cj.check_keys(obj, fields, _RZ, _RE)
    if obj["format"] != REQUEST_FORMAT:
        cj.malformed(_RZ, _RE, "unknown format")
    suite = get_suite(obj["suite"])
    body = {k: v for k, v in obj.items() if k != "signature"}
    sign_key, enc_key = cj.unb64(obj["sign_key"], _RZ, _RE), cj.unb64(obj["enc_key"], _RZ, _RE)
    if not suite.valid_public(sign_key, signing=True) or not suite.valid_public(enc_key, signing=False):
        cj.malformed(_RZ, _RE, "public key")
    if not suite.verify(sign_key, REQUEST_DOMAIN + cj.dumps(body), cj.unb64(obj["signature"], _RZ, _RE)):
        raise BadSignatureError(
            "证书申请的签名无效，申请文件已损坏或被篡改。", "the certificate request's signature is invalid"
        )
    return CertRequest(
        office=_check_office(obj["code"], obj["level"], obj["name"], _RZ, _RE),
        suite=suite.name,
        sign_key=sign_key,
        enc_key=enc_key,
        created=cj.parse_time(obj["created"], _RZ, _RE),
    )


def _sign_cert(cert: Cert, keys: KeyCustody) -> Cert:
    return replace(cert, signature=keys.sign(cert.signed_message()))


def _new_serial() -> str:
    return random_bytes(16).hex()


def make_root(
    office: OfficeInfo, keys: KeyCustody, valid_days: int = ROOT_VALID_DAYS, now: datetime | None = None
) -> Cert:
    """The province's self-signed root certificate."""
    if office.level is not Level.PROVINCE or level_of(office.code) is not Level.PROVINCE:
        raise LevelError(
            "只有省级民政部门可以生成根证书。", "only the province can make the root certificate"
        )
    start = now or cj.utc_now()
    serial = _new_serial()
    cert = Cert(
        serial,
        keys.suite.name,
        office,
        keys.sign_public,
        keys.enc_public,
        start,
        start + timedelta(days=valid_days),
        office.code,
        serial,
    )
    return _sign_cert(cert, keys)


def _check_issuer(issuer_cert: Cert, issuer_keys: KeyCustody, at: datetime) -> None:
    if not issuer_cert.matches_keys(issuer_keys):
        raise BadSignatureError(
            "本单位的密钥与本单位证书不匹配，无法签发。", "the issuer's keys do not match its certificate"
        )
    if not issuer_cert.not_before <= at <= issuer_cert.not_after:
        raise CertExpiredError(
            f"本单位证书已于 {show_date(issuer_cert.not_after)} 过期（或尚未生效），请先续期。",
            "the issuer's own certificate is not valid now",
        )


def _check_placement(issuer: OfficeInfo, subject: OfficeInfo, parent_of: ParentOf | None) -> None:
    """Refuse a subject outside the issuer's territory, or not directly below it.

    An evaluator office is certified by its province only, and certifies no one.
    """
    if issuer.level is Level.EVALUATOR:
        raise LevelError(
            f"{issuer.label()}是第三方评估机构，不能为其他单位签发证书。",
            f"{issuer.code} is an evaluator office; it certifies no one",
        )
    if subject.level is Level.EVALUATOR and issuer.level is not Level.PROVINCE:
        raise LevelError(
            f"第三方评估机构{subject.label()}只能由省民政厅认证，{issuer.label()}（{issuer.level.label}）不能为其签发证书。",
            f"evaluator {subject.code} is certified by the province only, not by {issuer.code}",
        )
    if not within(issuer.code, subject.code) or issuer.code == subject.code:
        raise JurisdictionError(
            f"{subject.label()}不在{issuer.label()}的辖区内，不能由其签发证书。",
            f"{subject.code} is outside the jurisdiction of {issuer.code}",
        )
    if not is_direct_child(issuer.code, issuer.level, subject.code, subject.level, parent_of):
        raise LevelError(
            f"{issuer.label()}只能为直接下一级单位签发证书，{subject.label()}（{subject.level.label}）不是其直接下级。",
            f"{subject.code} ({subject.level.value}) is not directly below {issuer.code}",
        )


def certify(
    request: bytes,
    issuer_cert: Cert,
    issuer_keys: KeyCustody,
    *,
    valid_days: int = OFFICE_VALID_DAYS,
    now: datetime | None = None,
    parent_of: ParentOf | None = None,
) -> Cert:
    """Certify a directly subordinate office from its request; refuses anything else with a clear message.

    The new certificate's end is capped at the issuer's own ``not_after``.
    """
    at = now or cj.utc_now()
    req = parse_request(request)
    _check_issuer(issuer_cert, issuer_keys, at)
    if req.suite != issuer_cert.suite:
        raise SuiteMismatchError(
            f"{req.office.label()}的证书申请使用“{suite_label(req.suite)}”，本单位的证书链使用"
            f"“{suite_label(issuer_cert.suite)}”：一条证书链只能使用一种算法套件，无法签发。请申请单位用"
            f"“{suite_label(issuer_cert.suite)}”生成密钥（初始化时选择相同的 --suite）后重新申请。",
            f"the request uses suite {req.suite!r}, the issuer's chain {issuer_cert.suite!r}",
        )
    _check_placement(issuer_cert.office, req.office, parent_of)
    end = min(at + timedelta(days=valid_days), issuer_cert.not_after)
    cert = Cert(
        _new_serial(),
        req.suite,
        req.office,
        req.sign_key,
        req.enc_key,
        at,
        end,
        issuer_cert.code,
        issuer_cert.serial,
    )
    return _sign_cert(cert, issuer_keys)


def renew(
    cert: Cert,
    issuer_cert: Cert,
    issuer_keys: KeyCustody,
    *,
    valid_days: int = OFFICE_VALID_DAYS,
    now: datetime | None = None,
    parent_of: ParentOf | None = None,
) -> Cert:
    """A new certificate (new serial, new dates) for the same office and keys, before the old one expires.

    For new keys, certify a fresh request instead. The old certificate stays valid until its own end,
    so signatures made under it keep verifying at their signed time.
    """
    at = now or cj.utc_now()
    _check_issuer(issuer_cert, issuer_keys, at)
    if cert.is_self_signed:
        return make_root(cert.office, issuer_keys, valid_days, at)
    _check_placement(issuer_cert.office, cert.office, parent_of)
    end = min(at + timedelta(days=valid_days), issuer_cert.not_after)
    fresh = replace(
        cert,
        serial=_new_serial(),
        not_before=at,
        not_after=end,
        issuer_code=issuer_cert.code,
        issuer_serial=issuer_cert.serial,
    )
    return _sign_cert(fresh, issuer_keys)
