"""Signed statements: a record (an opinion, a subsidy decision) signed by an office, verifiable on its own.

A statement is canonical JSON ``{"statement": {...}, "signature": b64}``; the inner object names its
kind, the signing office and certificate serial, the signed time, the record itself and the signer's
chain. It is verified at its signed time (see :mod:`chain`), so an opinion signed under a certificate
that has since been renewed or has expired still verifies, and one dated after a revocation does not.

The signed time is the signer's own clock: a holder of a revoked key could backdate. Packages carry
statements with a per-channel sequence number and the recipient records when it received them, which
is what the store should compare when a revocation reason is key compromise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sanlian_desktop.errors import UserError
from sanlian_desktop.sync import canonical as cj
from sanlian_desktop.sync.certs import Cert, Revoked
from sanlian_desktop.sync.chain import check_signature, validate_chain
from sanlian_desktop.sync.codes import ParentOf
from sanlian_desktop.sync.keys import OfficeKeys

STATEMENT_FORMAT = "sanlian-statement-1"
STATEMENT_DOMAIN = b"sanlian-statement-v1\x00"
_Z, _E = "签名记录", "signed statement"
_FIELDS = {"format", "kind", "signer_code", "signer_serial", "signed_at", "body", "chain"}


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
    keys: OfficeKeys,
    chain: Sequence[Cert],
    at: datetime | None = None,
) -> bytes:
    """``body`` (JSON-compatible, no floats) signed by the office holding ``keys`` at time ``at``."""
    if not chain or not chain[0].matches_keys(keys):
        raise UserError("本单位密钥与本单位证书不匹配，无法签名。", "keys do not match the certificate")
    inner = {
        "format": STATEMENT_FORMAT,
        "kind": kind,
        "signer_code": chain[0].code,
        "signer_serial": chain[0].serial,
        "signed_at": cj.fmt_time(at or cj.utc_now()),
        "body": dict(body),
        "chain": [c.to_dict() for c in chain],
    }
    signature = keys.sign(STATEMENT_DOMAIN + cj.dumps(inner))
    return cj.dumps({"statement": inner, "signature": cj.b64(signature)})


def verify_statement(
    data: bytes,
    pinned_root: Cert | list[Cert],
    revoked: Revoked,
    *,
    kind: str | None = None,
    parent_of: ParentOf | None = None,
) -> Statement:
    """Check a statement's signer chain at its signed time and its signature; return its content."""
    outer = cj.loads(data, _Z, _E)
    cj.check_keys(outer, {"statement", "signature"}, _Z, _E)
    inner = outer["statement"]
    if not isinstance(inner, dict):
        cj.malformed(_Z, _E, "statement")
    cj.check_keys(inner, _FIELDS, _Z, _E)
    if inner["format"] != STATEMENT_FORMAT or not isinstance(inner["body"], dict):
        cj.malformed(_Z, _E, "format or body")
    if not isinstance(inner["chain"], list) or not 0 < len(inner["chain"]) <= 6:
        cj.malformed(_Z, _E, "chain")
    chain = [Cert.from_dict(c) for c in inner["chain"]]
    signed_at = cj.parse_time(inner["signed_at"], _Z, _E)
    signer = validate_chain(chain, pinned_root, signed_at, revoked, parent_of)
    if (signer.code, signer.serial) != (inner["signer_code"], inner["signer_serial"]):
        cj.malformed(_Z, _E, "signer does not match the chain")
    check_signature(signer, STATEMENT_DOMAIN + cj.dumps(inner), cj.unb64(outer["signature"], _Z, _E))
    found = cj.get_str(inner, "kind", _Z, _E, 40)
    if kind is not None and found != kind:
        raise UserError(
            f"签名记录的类型是“{found}”，不是所需的“{kind}”。", f"statement kind {found!r}, not {kind!r}"
        )
    return Statement(found, inner["body"], signer, signed_at)
