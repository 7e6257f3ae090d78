"""Reviewers' "已核实，不是抄袭" marks travel upward in packages (registered with :mod:`sanlian_desktop.sync.kinds.registry`).

A mark is written by a reviewer of a county, city or province office about two declarations in its area
(:func:`sanlian_desktop.screening.service.clear`), signed by that office at its next export and sent to
its parent; every office on the way keeps a read-only copy and passes it on, so the city and the province
see who found a pair no copy, and why. Marks never go down.

The receiver checks (rule ``similarity_mark`` of :data:`~sanlian_desktop.sync.kinds.authority.RULES`) that the
signing office is a county, city or province office inside the sender's territory, that both communities the
mark names lie in the signer's territory, and that a declaration it already holds lies in the community
named; then it verifies the signature. A mark may arrive before either declaration it names (another
package, an earlier batch that never came up): it is kept, and counts once both are held in the communities
it names (:func:`sanlian_desktop.screening.service.valid_marks`). A second, different mark under the same id is
kept aside as a conflict; the same mark again counts as already held.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel import codes
from sanlian_desktop.kernel.canonical import body_time
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Declaration, SimilarityClearance
from sanlian_desktop.sync.kinds.authority import refused
from sanlian_desktop.sync.kinds.records import Record
from sanlian_desktop.sync.kinds.registry import Incoming, Route
from sanlian_desktop.sync.kinds.signed import Admitted, SignedKind, encoded, verify

KIND = "similarity_mark"
MARKING_LEVELS = (Level.COUNTY, Level.CITY, Level.PROVINCE)
MAX_REASON = 300
_FIELDS = ("id", "low_id", "high_id", "low_community", "high_community", "reason", "office_code", "by")


def mark_body(row: SimilarityClearance) -> dict[str, Any]:
    """What the marking office signs: every column but the signature, the time as ISO text."""
    return {**{name: getattr(row, name) for name in _FIELDS}, "at": row.at.isoformat()}


def _record(row: SimilarityClearance) -> Record | None:
    if row.signature is None:
        return None
    return Record(KIND, row.id, {"body": mark_body(row), "signer": row.signer_code, "signature": encoded(row.signature)})


def _records(session: Session, route: Route) -> Iterator[Record]:
    if route.downward:
        return
    rows = session.scalars(select(SimilarityClearance).where(SimilarityClearance.signature.is_not(None))
                           .order_by(SimilarityClearance.at, SimilarityClearance.id))
    yield from MARKS.signed(rows)


def _text(body: dict[str, Any], name: str, longest: int) -> str:
    value = body[name]
    if not isinstance(value, str) or not value or len(value) > longest:
        raise ValueError(name)
    return value


def _admit(incoming: Incoming, record: Record) -> Admitted:
    inner = record.body["body"]
    if not isinstance(inner, dict) or inner.get("id") != record.key or set(inner) != {*_FIELDS, "at"}:
        raise ValueError(record.key)
    key = record.key
    office = _text(inner, "office_code", 12)
    low, high = _text(inner, "low_id", 36), _text(inner, "high_id", 36)
    if not low < high:
        raise ValueError("pair order")
    if incoming.from_parent:
        raise refused(KIND, key, detail=f"由上级单位 {incoming.sender} 发来", detail_en=f"sent down by {incoming.sender}")
    if not codes.is_region_code(office) or codes.level_of(office) not in MARKING_LEVELS:
        raise refused(KIND, key, detail=f"{office} 不是县级及以上单位", detail_en=f"{office} is not a county, city or province")
    if not codes.within(incoming.sender, office):
        raise refused(KIND, key, detail=f"{office} 不在发送单位 {incoming.sender} 辖区内",
                      detail_en=f"{office} lies outside the sender {incoming.sender}")
    for decl_id, name in ((low, "low_community"), (high, "high_community")):
        community = _text(inner, name, 12)
        if not codes.is_region_code(community) or not codes.within(office, community):
            raise refused(KIND, key, detail=f"社区 {community} 不在 {office} 辖区内",
                          detail_en=f"community {community} lies outside {office}")
        held = incoming.s.get(Declaration, decl_id)
        if held is not None and held.community_code != community:
            raise refused(KIND, key, detail=f"申报 {held.number} 不属于社区 {community}",
                          detail_en=f"declaration {held.number} is not of community {community}")
    statement, body = verify(incoming, KIND, record.body["signature"], {office})
    if body != inner:
        raise ValueError(key)
    return Admitted(body, statement, office, key, low)


def _insert(incoming: Incoming, admitted: Admitted) -> SimilarityClearance:
    body = admitted.body
    return SimilarityClearance(
        id=admitted.key, low_id=body["low_id"], high_id=body["high_id"], low_community=body["low_community"],
        high_community=body["high_community"], reason=_text(body, "reason", MAX_REASON),
        office_code=body["office_code"], by=_text(body, "by", 64), at=body_time(body["at"]))


MARKS = SignedKind(kind=KIND, model=SimilarityClearance, body=mark_body, record=_record, admit=_admit,
                   insert=_insert, differs="同一条“已核实，不是抄袭”标记的内容与本单位保存的不同")


def register_kinds() -> None:
    """Add the marks to the packages (called by :func:`sanlian_desktop.app.compose`)."""
    MARKS.register(_records)
