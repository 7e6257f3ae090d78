"""Signed receipts: the recipient's statement that it imported a package's entries, with their digests.

A receipt is canonical JSON ``{"receipt": {...}, "signature": b64}`` signed by the recipient's signing
key over ``RECEIPT_DOMAIN || canonical(receipt)``; it carries the recipient's chain so the original
sender can check it on its own (usually it travels back as an entry of the next package).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.codes import ParentOf
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.transport.packfmt import EntryInfo, check_entry_name
from sanlian_desktop.sync.transport.reader import VerifiedPackage
from sanlian_desktop.sync.trust.certs import Cert, Revoked
from sanlian_desktop.sync.trust.chain import check_signature, validate_chain
from sanlian_desktop.sync.trust.custody import KeyCustody

RECEIPT_FORMAT = "sanlian-receipt-1"
RECEIPT_DOMAIN = b"sanlian-receipt-v1\x00"
_Z, _E = "回执", "receipt"
_FIELDS = {
    "format",
    "package_id",
    "sender_code",
    "recipient_code",
    "channel_seq",
    "received",
    "entries",
    "chain",
}


@dataclass(frozen=True)
class Receipt:
    """A verified receipt."""

    package_id: str
    sender_code: str  # who sent the package
    recipient_code: str  # who received it and signed this receipt
    channel_seq: int
    received: datetime
    entries: list[tuple[str, str, int, bytes]]  # (kind, id, version, digest)
    signer: Cert

    def acknowledges(self, entry: EntryInfo) -> bool:
        """Whether this receipt acknowledges ``entry`` with exactly its digest."""
        return (entry.kind, entry.id, entry.version, entry.digest) in self.entries


def make_receipt(
    package: VerifiedPackage,
    keys: KeyCustody,
    chain: Sequence[Cert],
    now: datetime | None = None,
    entries: Sequence[EntryInfo] | None = None,
) -> bytes:
    """A receipt for ``package`` signed by the recipient (``keys``/``chain``); all entries by default."""
    if not chain or not chain[0].matches_keys(keys):
        raise UserError("本单位密钥与本单位证书不匹配，无法签发回执。", "keys do not match the certificate")
    if chain[0].code != package.header.recipient_code:
        raise UserError(
            "只有数据包的接收单位才能签发回执。", "only the package's recipient can sign its receipt"
        )
    acked = list(package.entries if entries is None else entries)
    body: dict[str, Any] = {
        "format": RECEIPT_FORMAT,
        "package_id": package.package_id,
        "sender_code": package.sender.code,
        "recipient_code": chain[0].code,
        "channel_seq": package.channel_seq,
        "received": cj.fmt_time(now or cj.utc_now()),
        "entries": [[e.kind, e.id, e.version, e.digest.hex()] for e in acked],
        "chain": [c.to_dict() for c in chain],
    }
    signature = keys.sign(RECEIPT_DOMAIN + cj.dumps(body))
    return cj.dumps({"receipt": body, "signature": cj.b64(signature)})


def resign_receipt(data: bytes, keys: KeyCustody, chain: Sequence[Cert], now: datetime | None = None) -> bytes:
    """A receipt made by this office (``data``) signed again under its current certificate (``chain[0]``)
    when it was signed under another: one made while the office's certificate was revoked, or before it
    installed its newest, is sent only under the newest. The same receipt comes back when nothing changed."""
    outer = cj.loads(data, _Z, _E)
    cj.check_keys(outer, {"receipt", "signature"}, _Z, _E)
    body = outer["receipt"]
    if not isinstance(body, dict) or not isinstance(body.get("chain"), list) or not body["chain"]:
        cj.malformed(_Z, _E, "receipt")
    leaf = body["chain"][0]
    if isinstance(leaf, dict) and leaf.get("serial") == chain[0].serial:
        return data
    if not chain[0].matches_keys(keys):
        raise UserError("本单位密钥与本单位证书不匹配，无法签发回执。", "keys do not match the certificate")
    if body.get("recipient_code") != chain[0].code:
        raise UserError("只有数据包的接收单位才能签发回执。", "only the package's recipient can sign its receipt")
    fresh = {**body, "received": cj.fmt_time(now or cj.utc_now()), "chain": [c.to_dict() for c in chain]}
    return cj.dumps({"receipt": fresh, "signature": cj.b64(keys.sign(RECEIPT_DOMAIN + cj.dumps(fresh)))})


def _parse_entries(raw: object) -> list[tuple[str, str, int, bytes]]:
    if not isinstance(raw, list):
        cj.malformed(_Z, _E, "entries")
    result = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 4 and isinstance(item[3], str)):
            cj.malformed(_Z, _E, "entry")
        check_entry_name(item[0], item[1], item[2])
        try:
            digest = bytes.fromhex(item[3])
        except ValueError:
            cj.malformed(_Z, _E, "entry digest")
        result.append((item[0], item[1], item[2], digest))
    return result


def verify_receipt(
    data: bytes,
    pinned_root: Cert | list[Cert],
    revoked: Revoked,
    *,
    package_id: str | None = None,
    parent_of: ParentOf | None = None,
) -> Receipt:
    """Check a receipt's shape, its signer's chain (at the receipt's time) and signature."""
    outer = cj.loads(data, _Z, _E)
    cj.check_keys(outer, {"receipt", "signature"}, _Z, _E)
    body = outer["receipt"]
    if not isinstance(body, dict):
        cj.malformed(_Z, _E, "receipt")
    cj.check_keys(body, _FIELDS, _Z, _E)
    if body["format"] != RECEIPT_FORMAT or not isinstance(body["chain"], list) or not body["chain"]:
        cj.malformed(_Z, _E, "format or chain")
    chain = [Cert.from_dict(c) for c in body["chain"][:7]]
    received = cj.parse_time(body["received"], _Z, _E)
    signer = validate_chain(chain, pinned_root, received, revoked, parent_of)
    check_signature(signer, RECEIPT_DOMAIN + cj.dumps(body), cj.unb64(outer["signature"], _Z, _E))
    receipt = Receipt(
        package_id=cj.get_str(body, "package_id", _Z, _E, 64),
        sender_code=cj.get_str(body, "sender_code", _Z, _E, 12),
        recipient_code=cj.get_str(body, "recipient_code", _Z, _E, 12),
        channel_seq=cj.get_int(body, "channel_seq", _Z, _E),
        received=received,
        entries=_parse_entries(body["entries"]),
        signer=signer,
    )
    if receipt.recipient_code != signer.code:
        raise UserError(
            "回执的签署单位与回执所述接收单位不符。", "receipt signer is not the stated recipient"
        )
    if package_id is not None and receipt.package_id != package_id:
        raise UserError("这张回执不是针对该数据包的。", "receipt is for another package")
    return receipt
