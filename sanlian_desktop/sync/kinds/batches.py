"""Batches are the province's: each travels down with the province's signed statement of it (issue 20).

A batch record is the batch's body (:func:`~sanlian_desktop.sync.kinds.records.batch_body`) and, once the
province has signed it, ``signer`` (the province's code) and ``signature`` (its statement of that body,
base64). The province signs its batches at its next export (``sync.replication.signing``); every office
below keeps the statement with the row and passes it on unchanged, so each office on the way checks the
province's signature, not only that its parent sent the batch: a city or county that was fooled, or is
itself malicious, cannot make a batch or alter one on its way down.

A batch made before batches were signed has no statement. Such a record is taken only from the
province itself (the first hop: the package signer is the maker, an office not upgraded yet), or where
it changes nothing (this office holds the batch exactly so); from any other office it is refused whole.
Whoever holds a batch unsigned adopts the statement when the signed copy arrives, and from then on sends
it signed. A received statement older than the one held changes nothing (a forwarder replaying the
province's earlier form of a batch).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sanlian_desktop.sync.kinds.authority import PROVINCE_CODE, refused
from sanlian_desktop.sync.kinds.records import BATCH_SIGNATURE
from sanlian_desktop.sync.kinds.signed import signed_content, statement

# verify(statement_bytes, kind, expected_signer_codes) -> the signed body, or raises UserError
Verifier = Callable[[bytes, str, set[str]], dict[str, Any]]


@dataclass(frozen=True)
class ReceivedBatch:
    """A received batch record, checked: its body and the province's statement of it (None: unsigned)."""

    body: dict[str, Any]
    signature: bytes | None

    @property
    def signer(self) -> str | None:
        return PROVINCE_CODE if self.signature is not None else None


def received(key: str, record: Mapping[str, Any], verify: Verifier) -> ReceivedBatch:
    """The batch a record carries; refused (:class:`~sanlian_desktop.sync.kinds.authority.AuthorityError`)
    when its statement is not the province's or says something else than the record."""
    body = {k: v for k, v in record.items() if k not in BATCH_SIGNATURE}
    if not any(k in record for k in BATCH_SIGNATURE):
        return ReceivedBatch(body, None)
    signer = record.get("signer")
    if signer != PROVINCE_CODE:
        raise refused("batch", key, detail=f"由 {signer} 签署", detail_en=f"signed by {signer}")
    data = statement(record.get("signature"))
    if verify(data, "batch", {PROVINCE_CODE}) != body:
        raise refused("batch", key, detail="内容与省民政厅签署的不一致",
                      detail_en="its content differs from what the province signed")
    return ReceivedBatch(body, data)


def unsigned_refused(key: str, sender: str) -> Exception:
    """The refusal of an unsigned batch that would change this store, sent by an office other than the province."""
    return refused("batch", key, detail=f"没有省民政厅的签名，由 {sender} 转来；请省民政厅升级程序后重新下发",
                   detail_en=f"it carries no signature of the province and was forwarded by {sender}")


def older(held: bytes | None, incoming: bytes | None) -> bool:
    """Whether a received statement is older than (or as old as) the one held: it then changes nothing."""
    if held is None or incoming is None:
        return False
    return signed_content(incoming)[1] <= signed_content(held)[1]
