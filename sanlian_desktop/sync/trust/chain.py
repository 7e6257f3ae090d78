"""Chain validation and revocation records (the trust half of :mod:`certs`).

Rule: a chain is validated *at* a moment — the time a signature was made (a package's creation time,
an opinion's signed time). Every certificate must be valid at that moment, and a certificate counts as
revoked only from its revocation's effective date. Signatures made under an old certificate therefore
stay verifiable after renewal; signatures dated after a revocation do not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.codes import ParentOf, is_direct_child, within
from sanlian_desktop.sync.trust.certs import (
    MAX_CHAIN,
    REVOCATION_DOMAIN,
    REVOCATION_FORMAT,
    REVOCATION_FORMAT_2,
    BadSignatureError,
    Cert,
    CertExpiredError,
    CertRevokedError,
    JurisdictionError,
    LevelError,
    Revoked,
    TrustError,
    UnknownRootError,
    mixed_suites,
    show_date,
)
from sanlian_desktop.sync.trust.custody import KeyCustody
from sanlian_desktop.sync.trust.succession import Retired, check_not_retired
from sanlian_desktop.sync.trust.suite import get_suite

_VZ, _VE = "吊销记录", "revocation record"
_REVOCATION_FIELDS = {
    "format",
    "serial",
    "code",
    "reason",
    "effective",
    "issued",
    "issuer_code",
    "issuer_serial",
    "signature",
}
MAX_SEQ = 2**53  # a package sequence number, as JSON carries it exactly


@dataclass(frozen=True)
class Revocation:
    """A parent's signed statement that a child's certificate is revoked from ``effective`` on.

    ``effective`` is the revoking office's clock; the revoked office's own clock is never trusted. A
    revocation of the second format also states ``last_seq``: the last package of that certificate the
    revoking office still accepts, by the sender's sequence number on the channel to it; every later
    package of the certificate is refused there, whatever time it claims. First-format records (no
    ``last_seq``) keep their meaning: the certificate counts as revoked from ``effective`` on.
    """

    serial: str
    code: str
    reason: str
    effective: datetime
    issued: datetime
    issuer_code: str
    issuer_serial: str
    signature: bytes = b""
    last_seq: int | None = None

    def body(self) -> dict[str, Any]:
        """Everything the signature covers."""
        body: dict[str, Any] = {
            "format": REVOCATION_FORMAT if self.last_seq is None else REVOCATION_FORMAT_2,
            "serial": self.serial,
            "code": self.code,
            "reason": self.reason,
            "effective": cj.fmt_time(self.effective),
            "issued": cj.fmt_time(self.issued),
            "issuer_code": self.issuer_code,
            "issuer_serial": self.issuer_serial,
        }
        if self.last_seq is not None:
            body["last_seq"] = self.last_seq
        return body

    def encode(self) -> bytes:
        """Canonical JSON bytes."""
        return cj.dumps({**self.body(), "signature": cj.b64(self.signature)})

    @classmethod
    def decode(cls, data: bytes) -> Revocation:
        """Parse canonical JSON bytes (shape only; check with :func:`verify_revocation`)."""
        obj = cj.loads(data, _VZ, _VE)
        second = isinstance(obj, dict) and obj.get("format") == REVOCATION_FORMAT_2
        cj.check_keys(obj, _REVOCATION_FIELDS | {"last_seq"} if second else _REVOCATION_FIELDS, _VZ, _VE)
        if obj["format"] not in (REVOCATION_FORMAT, REVOCATION_FORMAT_2):
            cj.malformed(_VZ, _VE, "unknown format")
        last_seq = obj.get("last_seq")
        if second and (not isinstance(last_seq, int) or isinstance(last_seq, bool) or not 0 <= last_seq <= MAX_SEQ):
            cj.malformed(_VZ, _VE, "last package number")
        return cls(
            serial=cj.get_str(obj, "serial", _VZ, _VE, 64),
            code=cj.get_str(obj, "code", _VZ, _VE, 12),
            reason=cj.get_str(obj, "reason", _VZ, _VE, 500),
            effective=cj.parse_time(obj["effective"], _VZ, _VE),
            issued=cj.parse_time(obj["issued"], _VZ, _VE),
            issuer_code=cj.get_str(obj, "issuer_code", _VZ, _VE, 12),
            issuer_serial=cj.get_str(obj, "issuer_serial", _VZ, _VE, 64),
            signature=cj.unb64(obj["signature"], _VZ, _VE),
            last_seq=last_seq if second else None,
        )


def revoke(
    cert: Cert,
    issuer_cert: Cert,
    issuer_keys: KeyCustody,
    reason: str,
    *,
    effective: datetime | None = None,
    now: datetime | None = None,
    last_seq: int | None = None,
) -> Revocation:
    """The parent's revocation of ``cert`` (which it issued), effective from ``effective`` (default now).

    ``last_seq`` (the second format) is the last package of ``cert`` the parent still accepts, by the
    child's sequence number on its channel to the parent; None writes the first format."""
    at = now or cj.utc_now()
    if cert.issuer_serial != issuer_cert.serial or not issuer_cert.matches_keys(issuer_keys):
        raise BadSignatureError(
            f"只有签发该证书的单位才能吊销它：{cert.office.label()}的证书不是本单位签发的。",
            "only the issuer of a certificate can revoke it",
        )
    if last_seq is not None and not 0 <= last_seq <= MAX_SEQ:
        raise TrustError("最后接受的数据包编号无效。", "invalid last package number")
    record = Revocation(
        cert.serial, cert.code, reason, effective or at, at, issuer_cert.code, issuer_cert.serial,
        last_seq=last_seq,
    )
    body = REVOCATION_DOMAIN + cj.dumps(record.body())
    return replace(record, signature=issuer_keys.sign(body))


def verify_revocation(record: Revocation, issuer_cert: Cert) -> None:
    """Refuse a revocation record that ``issuer_cert`` (already trusted) did not sign."""
    suite = get_suite(issuer_cert.suite)
    body = REVOCATION_DOMAIN + cj.dumps(record.body())
    if (
        record.issuer_serial != issuer_cert.serial
        or record.issuer_code != issuer_cert.code
        or not suite.verify(issuer_cert.sign_key, body, record.signature)
    ):
        raise BadSignatureError(
            "吊销记录的签名无效，不予采信。", "the revocation record's signature is invalid"
        )


def revocation_map(records: Sequence[Revocation]) -> dict[str, datetime]:
    """Serial → earliest effective date, the ``revoked`` argument of :func:`validate_chain`."""
    result: dict[str, datetime] = {}
    for rec in records:
        result[rec.serial] = min(rec.effective, result.get(rec.serial, rec.effective))
    return result


def _revoked_since(revoked: Revoked, serial: str, at: datetime) -> datetime | bool | None:
    """When ``serial`` stopped being trusted, if a signature made at ``at`` falls after that.

    Both times are kept to the second, so a package signed in the second its certificate was
    revoked was made before the revocation as often as after it: it is given the benefit (a
    signer can claim any time anyway; the order of honest work is what this check keeps)."""
    if isinstance(revoked, Mapping):
        since = revoked.get(serial)
        return since if since is not None and since < at else None
    return serial in revoked


def _check_time(cert: Cert, at: datetime) -> None:
    if at < cert.not_before:
        raise CertExpiredError(
            f"{cert.office.label()}的证书在 {show_date(at)} 尚未生效"
            f"（生效时间 {show_date(cert.not_before)}）。",
            f"certificate of {cert.code} was not yet valid at {cj.fmt_time(at)}",
        )
    if at > cert.not_after:
        raise CertExpiredError(
            f"{cert.office.label()}的证书已于 {show_date(cert.not_after)} 过期，请联系上级单位续期。",
            f"certificate of {cert.code} had expired at {cj.fmt_time(at)}",
        )


def _check_revoked(cert: Cert, at: datetime, revoked: Revoked) -> None:
    since = _revoked_since(revoked, cert.serial, at)
    if since:
        when = f"自 {show_date(since)} 起" if isinstance(since, datetime) else ""
        raise CertRevokedError(
            f"{cert.office.label()}的证书{when}已被吊销，不再可信。", f"certificate of {cert.code} is revoked"
        )


@functools.lru_cache(maxsize=64)
def _issuer_signed(suite: str, issuer_key: bytes, message: bytes, signature: bytes) -> bool:
    """A certificate signature check, remembered: every statement in a package carries its signer's
    chain, so the same few certificates are checked thousands of times in one import."""
    return get_suite(suite).verify(issuer_key, message, signature)


def _check_signed_by(cert: Cert, issuer: Cert) -> None:
    if cert.suite != issuer.suite:
        raise mixed_suites(
            f"证书链混用了算法套件：{cert.office.label()}的证书", cert.suite, issuer.suite,
            f"the certificate of {cert.code} under issuer {issuer.code}",
        )
    if not _issuer_signed(cert.suite, issuer.sign_key, cert.signed_message(),
                                                        cert.signature):
        raise BadSignatureError(
            f"{cert.office.label()}的证书签名无效，证书已损坏或被伪造。",
            f"the signature on the certificate of {cert.code} does not verify",
        )


def validate_chain(
    chain: Sequence[Cert],
    pinned_root: Cert | Sequence[Cert],
    at: datetime,
    revoked: Revoked = frozenset(),
    parent_of: ParentOf | None = None,
    retired: Retired | None = None,
) -> Cert:
    """Check ``chain`` (leaf first, root last or omitted) at moment ``at``; return the leaf.

    ``pinned_root`` is the provincial root installed with the program (or several, after a root
    renewal). Raises :class:`UnknownRootError`, :class:`BadSignatureError`, :class:`CertExpiredError`,
    :class:`CertRevokedError`, :class:`JurisdictionError` or :class:`LevelError`, each with its
    own message. What does not depend on the moment (links, signatures, placement) is checked first.
    ``retired`` (suite name -> end of its transition) refuses a certificate of a suite the province stopped
    using, at a moment after that end (:mod:`succession`).
    """
    links = chain_links(chain, pinned_root, parent_of)
    for cert in links:
        check_not_retired(cert, at, retired or {})
        _check_time(cert, at)
        _check_revoked(cert, at, revoked)
    return links[-1]


def chain_links(
    chain: Sequence[Cert], pinned_root: Cert | Sequence[Cert], parent_of: ParentOf | None = None
) -> list[Cert]:
    """The time-independent half of :func:`validate_chain`: the chain from the pinned root down to the
    leaf (root first), every link, issuer signature, jurisdiction and level checked."""
    roots = [pinned_root] if isinstance(pinned_root, Cert) else list(pinned_root)
    certs = list(chain)
    if not certs or len(certs) > MAX_CHAIN:
        raise BadSignatureError("证书链为空或过长，无法验证。", "empty or overlong certificate chain")
    if certs[-1].is_self_signed:
        top = certs.pop()
        if roots and all(root.suite != top.suite for root in roots):
            raise mixed_suites(
                f"证书链的根证书（{top.office.label()}）", top.suite, roots[0].suite, "the chain's root"
            )
        if not any(top.encode() == root.encode() for root in roots):
            raise UnknownRootError(
                f"证书链的根证书（{top.office.label()}）不是本系统信任的省级根证书，来源不明。",
                "the chain's root is not the pinned provincial root",
            )
        issuer = top
    else:
        found = [root for root in roots if root.serial == certs[-1].issuer_serial]
        if not found and roots and all(root.suite != certs[-1].suite for root in roots):
            raise mixed_suites(
                f"{certs[-1].office.label()}的证书", certs[-1].suite, roots[0].suite, f"the certificate of {certs[-1].code}"
            )
        if not found:
            raise UnknownRootError(
                f"{certs[-1].office.label()}的证书不是由本系统信任的省级根证书签发的，来源不明。",
                "the chain does not lead to the pinned provincial root",
            )
        issuer = found[0]
    _check_signed_by(issuer, issuer)
    links = [issuer]
    for cert in reversed(certs):
        if cert.issuer_serial != issuer.serial or cert.issuer_code != issuer.code:
            raise BadSignatureError(
                f"证书链顺序错误或不完整：{cert.office.label()}的签发者不是{issuer.office.label()}。",
                "broken certificate chain: issuer does not match",
            )
        _check_signed_by(cert, issuer)
        if not within(issuer.code, cert.code) or issuer.code == cert.code:
            raise JurisdictionError(
                f"{cert.office.label()}不在签发单位{issuer.office.label()}的辖区内，证书不可信。",
                f"{cert.code} lies outside its issuer {issuer.code}'s jurisdiction",
            )
        if not is_direct_child(issuer.code, issuer.level, cert.code, cert.level, parent_of):
            raise LevelError(
                f"{cert.office.label()}不是签发单位{issuer.office.label()}的直接下级，证书不可信。",
                f"{cert.code} is not directly below its issuer {issuer.code}",
            )
        links.append(cert)
        issuer = cert
    return links


def check_signature(cert: Cert, message: bytes, signature: bytes) -> None:
    """Refuse ``signature`` unless ``cert``'s signing key made it over ``message`` (chain checked apart)."""
    if not get_suite(cert.suite).verify(cert.sign_key, message, signature):
        raise BadSignatureError(
            f"{cert.office.label()}的签名无效，内容已被篡改或并非该单位签署。",
            f"signature by {cert.code} does not verify",
        )


class UnknownCertError(BadSignatureError):
    """A statement names a certificate that neither the package nor the store holds."""


class CertPool:
    """Certificates by serial, for statements that name their signer's certificate instead of carrying it.

    A package carries every certificate its statements need once (``certificate`` entries); the store
    keeps the ones it has seen. Each certificate's chain is checked once — links, issuer signatures, the
    pinned root, jurisdiction and level, which never change for a given set of certificates — and the
    result is remembered for the pool's life (one import). What depends on the moment is checked on
    every use: each certificate of the chain valid at the statement's signed time and not revoked then.
    """

    def __init__(
        self,
        roots: Cert | Sequence[Cert],
        revoked: Revoked = frozenset(),
        parent_of: ParentOf | None = None,
        certs: Sequence[Cert] = (),
        lookup: Callable[[str], Cert | None] | None = None,
        retired: Retired | None = None,
    ) -> None:
        self.roots = [roots] if isinstance(roots, Cert) else list(roots)
        self.revoked = revoked
        self.retired: Retired = retired or {}
        self.parent_of = parent_of
        self._lookup = lookup  # where to find a certificate the pool was not given (the store)
        self._fingerprints: dict[str, str] = {}
        self._by_serial: dict[str, Cert] = {}
        self._encoded: dict[str, bytes] = {}
        self._links: dict[str, list[Cert] | TrustError] = {}
        for root in self.roots:
            self.add(root)
        for cert in certs:
            self.add(cert)

    def add_root(self, root: Cert) -> None:
        """Trust ``root`` too (a successor root named by a verified succession statement)."""
        if all(r.serial != root.serial for r in self.roots):
            self.roots.append(root)
            self.add(root)

    def add(self, cert: Cert) -> bool:
        """Keep ``cert``; False when it is known already. Another certificate with a known serial is refused."""
        encoded = cert.encode()
        known = self._encoded.get(cert.serial)
        if known is not None:
            if known != encoded:
                raise BadSignatureError(
                    f"收到的{cert.office.label()}证书与本单位保存的同编号证书内容不同，证书可能被伪造。",
                    f"two different certificates with serial {cert.serial}",
                )
            return False
        self._by_serial[cert.serial] = cert
        self._encoded[cert.serial] = encoded
        self._links.clear()  # a chain found incomplete before may be whole now
        return True

    def certificates(self) -> list[Cert]:
        """Every certificate the pool holds now (roots included)."""
        return list(self._by_serial.values())

    def get(self, serial: str) -> Cert | None:
        """The certificate with ``serial``, if the pool holds it (or can find it)."""
        cert = self._by_serial.get(serial)
        if cert is None and self._lookup is not None:
            cert = self._lookup(serial)
            if cert is not None and cert.serial == serial:
                self.add(cert)
        return cert

    def fingerprint(self, serial: str) -> str | None:
        """The hash (hex) of the certificate's canonical bytes under its own suite (SHA-256, or SM3 for
        国密): what a statement names its signer by."""
        found = self._fingerprints.get(serial)
        if found is None:
            encoded = self._encoded.get(serial)
            if encoded is None:
                return None
            found = self._fingerprints[serial] = fingerprint(encoded, self._by_serial[serial].suite)
        return found

    def chain(self, serial: str) -> list[Cert]:
        """The chain of the certificate ``serial``, leaf first, up to the root (as far as the pool knows)."""
        chain: list[Cert] = []
        cert = self.get(serial)
        while cert is not None and len(chain) <= MAX_CHAIN:
            chain.append(cert)
            if cert.is_self_signed:
                break
            cert = self.get(cert.issuer_serial)
        return chain

    def _checked_links(self, serial: str) -> list[Cert]:
        """The chain of ``serial`` root first, its time-independent checks made once."""
        found = self._links.get(serial)
        if found is None:
            chain = self.chain(serial)
            if not chain:
                found = UnknownCertError(
                    f"缺少编号为 {serial[:12]}… 的签名单位证书，无法核实签名（发送单位的程序应随数据包附上）。",
                    f"no certificate with serial {serial}",
                )
            elif not chain[-1].is_self_signed and self.get(chain[-1].issuer_serial) is None:
                missing = chain[-1]
                found = UnknownCertError(
                    f"缺少{missing.office.label()}证书的签发单位（{missing.issuer_code}）的证书，无法核实签名。",
                    f"missing the issuer certificate {missing.issuer_serial} of {missing.code}",
                )
            else:
                try:
                    found = chain_links(chain, self.roots, self.parent_of)
                except TrustError as exc:
                    found = exc
            self._links[serial] = found
        if isinstance(found, TrustError):
            raise found
        return found

    def check(self, serial: str) -> Cert:
        """The certificate ``serial`` with its chain checked, at no particular time (for storing it)."""
        return self._checked_links(serial)[-1]

    def signer(self, serial: str, at: datetime) -> Cert:
        """The certificate ``serial`` after checking its whole chain as it stood at ``at``."""
        links = self._checked_links(serial)
        for cert in links:
            check_not_retired(cert, at, self.retired)
            _check_time(cert, at)
            _check_revoked(cert, at, self.revoked)
        return links[-1]


def fingerprint(encoded: bytes, suite: str) -> str:
    """The hash (hex) of a certificate's canonical bytes under the suite it names (SHA-256 for SL1)."""
    return get_suite(suite).hash(encoded).hex()
