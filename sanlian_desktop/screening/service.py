"""Screening the store's declarations: keeping sketches and similar pairs current, and answering lists.

:func:`refresh` re-screens every declaration whose current content has no sketch yet (new, edited,
received in a package, made by the demo) against all others the store holds — this batch and earlier
ones, any region the office can see — and stores the pairs scoring at least ``FLOOR``. Lists then show
the pairs at or above the office's threshold. Computing is incremental: a declaration already screened
at its current content is not touched again, and its pairs with newcomers are found from the newcomer's
side.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, delete, exists, insert, or_, select
from sqlalchemy.orm import Session, aliased

from sanlian_desktop.kernel import codes
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Role, Status
from sanlian_desktop.models import (
    Batch,
    Declaration,
    DeclarationVersion,
    Meta,
    Region,
    SimilarityClearance,
    SimilarityPair,
    SimilaritySketch,
    utcnow,
)
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.screening import UNAVAILABLE, available, text
from sanlian_desktop.screening.records import MARKING_LEVELS, MAX_REASON
from sanlian_desktop.store import audit
from sanlian_desktop.store.engine import Store

if TYPE_CHECKING:  # the computing half is loaded where it computes (see ``available``)

    from sanlian_desktop.screening import sketch
    from sanlian_desktop.screening.score import Comparison

log = logging.getLogger(__name__)

FLOOR = 60  # pairs kept from this score, so a lower threshold needs no recomputation
DEFAULT_THRESHOLD = 72  # percent; agreed from the crafted corpus (tests/screening, bench/RESULTS.md)
THRESHOLD_KEY = "screening.threshold"


# -- the office's threshold -------------------------------------------------------------------------


def threshold(session: Session) -> int:
    """The score from which this office is shown a pair (a setting of the office)."""
    value = session.get(Meta, THRESHOLD_KEY)
    return int(value.value) if value is not None and value.value.isdigit() else DEFAULT_THRESHOLD


def set_threshold(session: Session, actor: Actor, value: int) -> None:
    """Change the office's threshold (an admin; audit-logged)."""
    actor.require(Role.ADMIN, action="设置相似度阈值")
    if not FLOOR <= value <= 100:
        raise UserError(f"相似度阈值应在 {FLOOR} 到 100 之间", f"the threshold must lie between {FLOOR} and 100")
    old = threshold(session)
    row = session.get(Meta, THRESHOLD_KEY)
    if row is None:
        session.add(Meta(key=THRESHOLD_KEY, value=str(value)))
    else:
        row.value = str(value)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="screening.threshold",
                 entity="office", entity_id=actor.office_code, details={"from": old, "to": value})


# -- computing --------------------------------------------------------------------------------------


def _names(session: Session, decls: Iterable[Declaration]) -> dict[str, list[str]]:
    """The place names each declaration's text may give: its community, street, county and city."""
    decls = list(decls)
    codes = {c for d in decls for c in (d.community_code, d.street_code, d.county_code, d.city_code)}
    names: dict[str, str] = {}
    code_list = sorted(codes)
    for start in range(0, len(code_list), 500):
        chunk = code_list[start:start + 500]
        names.update(dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(chunk))).all()))
    return {d.id: [names[c] for c in (d.community_code, d.street_code, d.county_code, d.city_code) if c in names]
            for d in decls}


def _rows(session: Session, ids: list[str]) -> Iterator[tuple[Declaration, str, dict[str, Any], list[str]]]:
    """Each declaration with its current content hash, fields and place names."""
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Declaration, DeclarationVersion.content_hash, DeclarationVersion.fields)
            .join(DeclarationVersion, (DeclarationVersion.declaration_id == Declaration.id)
                  & (DeclarationVersion.version == Declaration.current_version))
            .where(Declaration.id.in_(ids[start:start + 500]))
        ).all()
        names = _names(session, [r[0] for r in rows])
        for decl, content_hash, fields in rows:
            yield decl, content_hash, fields or {}, names[decl.id]


def _contents(session: Session, ids: list[str]) -> dict[str, tuple[Declaration, str, list[text.Passage]]]:
    """Each declaration with its current content hash and passages."""
    return {decl.id: (decl, content_hash, text.passages(fields, names))
            for decl, content_hash, fields, names in _rows(session, ids)}


def _normalised(session: Session, ids: list[str]) -> dict[str, tuple[str, list[str]]]:
    """Each declaration's current content hash and normalised passages (all that hashing and scoring read)."""
    return {decl.id: (content_hash, text.normalised(fields, names))
            for decl, content_hash, fields, names in _rows(session, ids)}


def stale_ids(session: Session) -> list[str]:
    """Declarations whose current content has not been screened."""
    return list(session.scalars(
        select(Declaration.id)
        .join(DeclarationVersion, (DeclarationVersion.declaration_id == Declaration.id)
              & (DeclarationVersion.version == Declaration.current_version))
        .outerjoin(SimilaritySketch, SimilaritySketch.declaration_id == Declaration.id)
        .where(or_(SimilaritySketch.declaration_id.is_(None),
                   SimilaritySketch.content_hash != DeclarationVersion.content_hash))
        .order_by(Declaration.created_at, Declaration.id)
    ))


def load_index(session: Session, *, skip: Iterable[str] = ()) -> sketch.Index:
    """The stored signatures of the store's screened declarations (those with enough text)."""
    import numpy as np

    from sanlian_desktop.screening import sketch

    skipped = set(skip)
    keys: list[str] = []
    blobs: list[bytes] = []
    for key, blob in session.execute(select(SimilaritySketch.declaration_id, SimilaritySketch.signature)):
        if blob and key not in skipped:
            keys.append(key)
            blobs.append(blob)
    index = sketch.Index()
    if keys:
        index.add_many(keys, np.frombuffer(b"".join(blobs), dtype="<u4").astype(np.uint32).reshape(len(keys), -1))
    return index


BULK = 200  # stale declarations from which candidates come from one pass over the whole index
# Characters of normalised passages, read for the signatures, kept for the exact scores (one or two bytes each):
# 100,000 declarations of the bench's length fit; past it a candidate's texts are read from the store again.
TEXTS_BUDGET = 64_000_000


def refresh(session: Session, *, now: datetime | None = None) -> int:
    """Screen every declaration not yet screened at its current content; the number screened (none where
    the computing half is not installed: see ``available``)."""
    if not available():
        return 0
    import numpy as np

    from sanlian_desktop.screening import sketch

    stale = stale_ids(session)
    if not stale:
        return 0
    now = now or utcnow()
    index = load_index(session, skip=stale)
    keys: list[str] = []
    texts = text.Texts(TEXTS_BUDGET)
    for start in range(0, len(stale), 500):
        chunk = stale[start:start + 500]
        contents = _normalised(session, chunk)
        session.execute(delete(SimilarityPair).where(
            or_(SimilarityPair.low_id.in_(chunk), SimilarityPair.high_id.in_(chunk))))
        sketches = {row.declaration_id: row for row in session.scalars(
            select(SimilaritySketch).where(SimilaritySketch.declaration_id.in_(chunk)))}
        hashes, lengths = text.shingle_hashes_joined([text.joined(contents[decl_id][1]) for decl_id in chunk])
        matrix = sketch.signature_matrix(hashes, lengths)
        for decl_id, full, length in zip(chunk, matrix, lengths, strict=True):
            content_hash, _normalised_passages = contents[decl_id]
            sig = full if length else full[:0]
            row = sketches.get(decl_id)
            if row is None:
                row = SimilaritySketch(declaration_id=decl_id)
                session.add(row)
            row.content_hash, row.signature, row.computed_at = content_hash, sketch.to_bytes(sig), now
        screened = np.flatnonzero(lengths)
        keys += [chunk[i] for i in screened]
        index.add_many([chunk[i] for i in screened], matrix[screened])
        texts.put_many(chunk, [contents[decl_id][1] for decl_id in chunk])
        session.flush()
    if not keys:
        return len(stale)
    if len(stale) <= BULK:
        candidates = {tuple(sorted((key, other))) for key in keys for other, _ in index.query_key(key)}
    else:
        candidates = {tuple(sorted((a, b))) for a, b, _ in index.all_candidate_pairs(among=keys)}
    _score(session, sorted(candidates), texts, now)
    return len(stale)


def _score(session: Session, pairs: list[tuple[str, ...]], texts: text.Texts, now: datetime) -> None:
    """Score candidate pairs exactly, each declaration against its partners at once, and keep those from
    FLOOR (texts not kept in ``texts`` read again in bounded slices, re-coded as the kept ones)."""
    from sanlian_desktop.screening.score import scores

    for start in range(0, len(pairs), 2000):
        part = pairs[start:start + 2000]
        wanted = sorted({k for pair in part for k in pair})
        normalised = {k: v for k in wanted if (v := texts.get(k)) is not None}
        normalised.update({k: texts.encode(v[1]) for k, v in _normalised(
            session, [k for k in wanted if k not in normalised]).items()})
        rows = []
        for low, group in itertools.groupby(part, key=lambda pair: pair[0]):
            highs = [high for _low, high in group]
            for high, score in zip(highs, scores(normalised[low], [normalised[h] for h in highs]), strict=True):
                if score >= FLOOR:
                    rows.append({"low_id": low, "high_id": high, "score": score, "computed_at": now})
        if rows:
            session.execute(insert(SimilarityPair), rows)
    session.flush()


def refresh_quietly(session: Session, *_args: Any) -> None:
    """:func:`refresh` for a hook: a screening failure never undoes the save or import it follows."""
    try:
        with session.begin_nested():
            refresh(session)
    except Exception:  # screening is advisory: the declaration itself is safe
        log.exception("near-duplicate screening failed")


def refresh_store(store: Store) -> int:
    """:func:`refresh` in a unit of work of its own (after an import or the demo); the number screened.
    A failure is logged, never raised: what was imported or made stays."""
    try:
        with store.session() as session:
            return refresh(session)
    except Exception:  # screening is advisory: the data it reads is already committed
        log.exception("near-duplicate screening failed")
        return 0


# -- reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Similar:
    """Another declaration like this one, as lists show it."""

    declaration_id: str
    number: str
    title: str
    community: str
    status: str
    batch: str
    score: int
    cleared: str | None = None  # the reason a reviewer found the pair no copy ("已核实，不是抄袭")
    cleared_by: str | None = None  # who found it: office, user and local time


    @property
    def status_label(self) -> str:
        return Status(self.status).label


# -- reviewers' marks ("已核实，不是抄袭") ------------------------------------------------------------------


def _marks_query() -> Select[SimilarityClearance]:
    """The marks that count: both declarations held, each in the community the mark names (a mark received
    before a declaration waits, unseen, until it arrives)."""
    low, high = aliased(Declaration), aliased(Declaration)
    return (select(SimilarityClearance)
            .join(low, (low.id == SimilarityClearance.low_id) & (low.community_code == SimilarityClearance.low_community))
            .join(high, (high.id == SimilarityClearance.high_id)
                  & (high.community_code == SimilarityClearance.high_community)))


def valid_marks(session: Session, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[SimilarityClearance]]:
    """The marks that count for each (low, high) pair given, earliest first."""
    wanted = set(pairs)
    lows = sorted({low for low, _ in wanted})
    found: dict[tuple[str, str], list[SimilarityClearance]] = {}
    for start in range(0, len(lows), 500):
        for mark in session.scalars(_marks_query().where(SimilarityClearance.low_id.in_(lows[start:start + 500]))
                                    .order_by(SimilarityClearance.at, SimilarityClearance.id)):
            if (mark.low_id, mark.high_id) in wanted:
                found.setdefault((mark.low_id, mark.high_id), []).append(mark)
    return found


def _who(session: Session, marks: list[SimilarityClearance]) -> tuple[str, str]:
    """The reason(s) and who marked, as lists show them."""
    names = dict(session.execute(select(Region.code, Region.name).where(
        Region.code.in_({m.office_code for m in marks}))).all())
    reasons = "；".join(dict.fromkeys(m.reason for m in marks))
    who = "；".join(f"{names.get(m.office_code, m.office_code)} {m.by} {m.at.astimezone():%Y-%m-%d %H:%M}"
                   for m in marks)
    return reasons, who


def similar_to(session: Session, decl_id: str, *, minimum: int | None = None) -> list[Similar]:
    """The declarations whose texts are like this one's, most similar first."""
    minimum = threshold(session) if minimum is None else minimum
    rows = session.execute(
        select(SimilarityPair.low_id, SimilarityPair.high_id, SimilarityPair.score)
        .where(or_(SimilarityPair.low_id == decl_id, SimilarityPair.high_id == decl_id),
               SimilarityPair.score >= minimum)
    ).all()
    scores = {(high if low == decl_id else low): score for low, high, score in rows}
    marks = valid_marks(session, [(low, high) for low, high, _ in rows])
    cleared = {(high if low == decl_id else low): _who(session, found) for (low, high), found in marks.items()}
    found = [replace(s, cleared=cleared[s.declaration_id][0], cleared_by=cleared[s.declaration_id][1])
             if s.declaration_id in cleared else s for s in _describe(session, scores)]
    return sorted(found, key=lambda s: (s.cleared is not None, -s.score, s.number))


def _describe(session: Session, scores: dict[str, int]) -> list[Similar]:
    if not scores:
        return []
    rows = session.execute(
        select(Declaration, Region.name, Batch.code)
        .outerjoin(Region, Region.code == Declaration.community_code)
        .outerjoin(Batch, Batch.id == Declaration.batch_id)
        .where(Declaration.id.in_(list(scores)))
    ).all()
    return [Similar(d.id, d.number, d.title, name or d.community_code, d.status, code or "", scores[d.id])
            for d, name, code in rows]


def best_scores(session: Session, decl_ids: Iterable[str], *, minimum: int | None = None) -> dict[str, int]:
    """For the list badges: each given declaration's highest score at or above the threshold (pairs a
    reviewer cleared left out)."""
    minimum = threshold(session) if minimum is None else minimum
    ids = list(dict.fromkeys(decl_ids))
    best: dict[str, int] = {}
    marked = exists(_marks_query().where(SimilarityClearance.low_id == SimilarityPair.low_id,
                                         SimilarityClearance.high_id == SimilarityPair.high_id))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for low, high, score in session.execute(
            select(SimilarityPair.low_id, SimilarityPair.high_id, SimilarityPair.score)
            .where(or_(SimilarityPair.low_id.in_(chunk), SimilarityPair.high_id.in_(chunk)),
                   SimilarityPair.score >= minimum, ~marked)
        ):
            for key in (low, high):
                if key in chunk and score > best.get(key, 0):
                    best[key] = score
    return best


def clear(session: Session, actor: Actor, decl: Declaration, other: Declaration, reason: str, *,
          now: datetime | None = None) -> SimilarityClearance:
    """Record that two similar declarations were checked and are no copy ("已核实，不是抄袭"): a reviewer,
    with a reason; audit-logged. The pair then shows as checked and no longer raises the badge. Only a
    county, city or province office marks (the mark travels up and the offices above check that rule);
    the office signs the mark at its next export (:mod:`sanlian_desktop.screening.records`)."""
    actor.require(Role.REVIEWER, action="核实相似申报")
    if actor.office_level not in MARKING_LEVELS:
        raise UserError("只有县级及以上单位的审核人员可以标记“已核实，不是抄袭”",
                        "only a county, city or province reviewer may mark a pair as checked")
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("请填写核实的理由（为何不是抄袭）", "a reason is needed")
    if len(reason) > MAX_REASON:
        raise UserError(f"理由不能超过 {MAX_REASON} 字", f"the reason is longer than {MAX_REASON} characters")
    low, high = sorted((decl.id, other.id))
    pair = session.get(SimilarityPair, (low, high))
    if pair is None:
        raise UserError(f"申报 {decl.number} 与 {other.number} 未被标为相似，无需核实",
                        f"{decl.number} and {other.number} are not a similar pair")
    if valid_marks(session, [(low, high)]):
        raise UserError(f"申报 {decl.number} 与 {other.number} 已核实过", "this pair was checked already")
    for d in (decl, other):
        if not codes.within(actor.office_code, d.community_code):
            raise UserError(f"申报 {d.number} 不在本单位辖区内，不能核实", f"{d.number} lies outside this office")
    communities = {d.id: d.community_code for d in (decl, other)}
    now = now or utcnow()
    row = SimilarityClearance(id=str(uuid.uuid4()), low_id=low, high_id=high, low_community=communities[low],
                              high_community=communities[high], reason=reason, office_code=actor.office_code,
                              by=actor.username, at=now)
    session.add(row)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="screening.clear",
                 entity="declaration", entity_id=decl.id,
                 details={"number": decl.number, "other": other.id, "other_number": other.number,
                          "score": pair.score, "reason": reason}, at=now)
    return row


@dataclass(frozen=True)
class PairRow:
    """A pair of similar declarations, for ``sanlian similar --batch``."""

    score: int
    a: Similar
    b: Similar
    cleared: str | None = None
    cleared_by: str | None = None


def pairs_in_batch(session: Session, batch: Batch, *, minimum: int | None = None) -> list[PairRow]:
    """Every pair at or above the threshold with at least one declaration in the batch."""
    minimum = threshold(session) if minimum is None else minimum
    in_batch = select(Declaration.id).where(Declaration.batch_id == batch.id)
    rows = session.execute(
        select(SimilarityPair.low_id, SimilarityPair.high_id, SimilarityPair.score)
        .where(or_(SimilarityPair.low_id.in_(in_batch), SimilarityPair.high_id.in_(in_batch)),
               SimilarityPair.score >= minimum)
    ).all()
    described = {s.declaration_id: s for s in _describe(session, {k: 0 for r in rows for k in r[:2]})}
    cleared = {pair: _who(session, marks) for pair, marks in valid_marks(session, [(r[0], r[1]) for r in rows]).items()}
    pairs = []
    for low, high, score in rows:
        first, second = sorted((described[low], described[high]), key=lambda s: s.number)
        reason, who = cleared.get((low, high), (None, None))
        pairs.append(PairRow(score, first, second, cleared=reason, cleared_by=who))
    return sorted(pairs, key=lambda p: (-p.score, p.a.number, p.b.number))


@dataclass(frozen=True)
class SideBySide:
    """Two declarations' passages, with the ones they share marked (for the review dialog)."""

    comparison: Comparison
    left: list[text.Passage]
    right: list[text.Passage]

    @property
    def shared_left(self) -> set[int]:
        return {i for i, _, _ in self.comparison.shared}

    @property
    def shared_right(self) -> set[int]:
        return {j for _, j, _ in self.comparison.shared}


def side_by_side(session: Session, left_id: str, right_id: str) -> SideBySide:
    """Compare two declarations' current texts afresh, passage by passage."""
    if not available():
        raise UserError(UNAVAILABLE, "near-duplicate screening is not installed in this build (numpy, rapidfuzz)")
    from sanlian_desktop.screening.score import compare

    contents = _contents(session, [left_id, right_id])
    left, right = contents[left_id][2], contents[right_id][2]
    return SideBySide(compare(left, right), left, right)
