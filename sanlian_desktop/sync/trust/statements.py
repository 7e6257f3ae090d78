"""Signed statements: a record (an opinion, a submitted version) signed by an office, verifiable on its own.

A statement is canonical JSON ``{"statement": {...}, "signature": b64}``; the inner object names its
kind, the signing office, its certificate (serial and fingerprint — the hash of the certificate's
suite: SHA-256, or SM3 for 国密), the signed time and the record itself. The signer's certificate is not repeated in every statement: a package carries each
certificate its statements need once (``certificate`` entries, see :mod:`service`), and the verifier
looks it up in a :class:`~sanlian_desktop.sync.trust.chain.CertPool`, which checks each chain once. A
statement is verified at its signed time (see :mod:`chain`), so an opinion signed under a certificate
that has since been renewed or has expired still verifies, and one dated after a revocation does not.

Statements of the first format (``sanlian-statement-1``) carried the signer's whole chain; rows
signed before this format still hold them and travel as they are, so they are still verified (by
their own chain, against the same pinned roots and revocations).

The signed time is the signer's own clock: a holder of a revoked key could backdate. Packages carry
statements with a per-channel sequence number and the recipient records when it received them, which
is what the store should compare when a revocation reason is key compromise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.trust.certs import Cert
from sanlian_desktop.sync.trust.chain import CertPool, check_signature, fingerprint, validate_chain
from sanlian_desktop.sync.trust.custody import KeyCustody

STATEMENT_FORMAT = "sanlian-statement-2"
STATEMENT_DOMAIN = b"sanlian-statement-v2\x00"
LEGACY_FORMAT = "sanlian-statement-1"
LEGACY_DOMAIN = b"sanlian-statement-v1\x00"
_Z, _E = "签名记录", "signed statement"
_FIELDS = {"format", "kind", "signer_code", "signer_serial", "signer_cert", "signed_at", "body"}
_LEGACY_FIELDS = {"format", "kind", "signer_code", "signer_serial", "signed_at", "body", "chain"}


@dataclass(frozen=True)
class Statement:
    """A verified statement."""

    kind: str
    body: dict[str, Any]
    signer: Cert
    signed_at: datetime


def sign_statement(
    kind: str,
    body: Mapping[str, Any],
    keys: KeyCustody,
    chain: Sequence[Cert],
    at: datetime | None = None,
) -> bytes:
    """``body`` (JSON-compatible, no floats) signed by the office holding ``keys`` (``chain[0]`` is its
    certificate, which the statement names) at time ``at``."""
    if not chain or not chain[0].matches_keys(keys):
        raise UserError("本单位密钥与本单位证书不匹配，无法签名。", "keys do not match the certificate")
    inner = {
        "format": STATEMENT_FORMAT,
        "kind": kind,
        "signer_code": chain[0].code,
        "signer_serial": chain[0].serial,
        "signer_cert": fingerprint(chain[0].encode(), chain[0].suite),
        "signed_at": cj.fmt_time(at or cj.utc_now()),
        "body": dict(body),
    }
    signature = keys.sign(STATEMENT_DOMAIN + cj.dumps(inner))
    return cj.dumps({"statement": inner, "signature": cj.b64(signature)})


def statement_signer(data: bytes) -> tuple[str, str] | None:
    """The (code, serial) a statement names as its signer, unverified (to know which certificates to
    send with it); None for a statement of the first format, which carries its chain itself."""
    try:
        inner = cj.loads(data, _Z, _E)["statement"]
    except (UserError, KeyError):
        return None
    if not isinstance(inner, dict) or inner.get("format") != STATEMENT_FORMAT:
        return None
    code, serial = inner.get("signer_code"), inner.get("signer_serial")
    return (code, serial) if isinstance(code, str) and isinstance(serial, str) else None


def verify_statement(data: bytes, trust: CertPool, *, kind: str | None = None) -> Statement:
    """Check a statement's signer chain at its signed time and its signature; return its content."""
    outer = cj.loads(data, _Z, _E)
    cj.check_keys(outer, {"statement", "signature"}, _Z, _E)
    inner = outer["statement"]
    if not isinstance(inner, dict):
        cj.malformed(_Z, _E, "statement")
    if inner.get("format") == LEGACY_FORMAT:
        signer, signed_at, domain = _legacy_signer(inner, trust)
    else:
        cj.check_keys(inner, _FIELDS, _Z, _E)
        if inner["format"] != STATEMENT_FORMAT:
            cj.malformed(_Z, _E, "format")
        serial = cj.get_str(inner, "signer_serial", _Z, _E, 64)
        signed_at = cj.parse_time(inner["signed_at"], _Z, _E)
        signer = trust.signer(serial, signed_at)
        if signer.code != inner["signer_code"] or trust.fingerprint(serial) != inner["signer_cert"]:
            cj.malformed(_Z, _E, "signer does not match the certificate")
        domain = STATEMENT_DOMAIN
    if not isinstance(inner["body"], dict):
        cj.malformed(_Z, _E, "body")
    check_signature(signer, domain + cj.dumps(inner), cj.unb64(outer["signature"], _Z, _E))
    found = cj.get_str(inner, "kind", _Z, _E, 40)
    if kind is not None and found != kind:
        raise UserError(
            f"签名记录的类型是“{found}”，不是所需的“{kind}”。", f"statement kind {found!r}, not {kind!r}"
        )
    return Statement(found, inner["body"], signer, signed_at)


def _legacy_signer(inner: dict[str, Any], trust: CertPool) -> tuple[Cert, datetime, bytes]:
    """The signer of a first-format statement, by the chain it carries."""
    cj.check_keys(inner, _LEGACY_FIELDS, _Z, _E)
    if not isinstance(inner["chain"], list) or not 0 < len(inner["chain"]) <= 6:
        cj.malformed(_Z, _E, "chain")
    chain = [Cert.from_dict(c) for c in inner["chain"]]
    signed_at = cj.parse_time(inner["signed_at"], _Z, _E)
    signer = validate_chain(chain, trust.roots, signed_at, trust.revoked, trust.parent_of, trust.retired)
    if (signer.code, signer.serial) != (inner["signer_code"], inner["signer_serial"]):
        cj.malformed(_Z, _E, "signer does not match the chain")
    return signer, signed_at, LEGACY_DOMAIN
