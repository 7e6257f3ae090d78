"""Lists of declarations: the queries for an office's jurisdiction, its inbox and what it returned or
passed on (``list_query``, ``inbox_query`` …), and for the desktop tables which ids a filter selects,
in which order.

Tables hold only the ordered ids (one query) and fetch the rows they show in pages
(:func:`rows_for`), so that a list of 100,000 declarations opens at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.chunks import chunks
from sanlian_desktop.kernel.vocab import Decision, Level, Status
from sanlian_desktop.models import Batch, Declaration, EvaluationAssignment, Opinion, Region
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor

# Scopes a list can show.
SCOPE_ALL = "all"            # everything in the jurisdiction
SCOPE_INBOX = "inbox"        # awaiting this office
SCOPE_RETURNED = "returned"  # this office sent back
SCOPE_PASSED = "passed"      # this office approved and passed up

# Orderings a list can ask for.
SORT_KEYS = ("number", "title", "community", "status", "stage", "requested", "granted", "waiting")

OPEN_STATUSES = (Status.DRAFT.value, Status.UNDER_REVIEW.value, Status.RETURNED.value)


@dataclass(frozen=True)
class ListFilter:
    """What the user narrowed the list to; empty fields do not filter."""

    scope: str = SCOPE_ALL
    status: str | None = None
    batch_id: str | None = None
    region_code: str | None = None      # a street or county inside the jurisdiction
    focus_area: str | None = None
    overdue_days: int | None = None     # waiting longer than this, or past the batch's closing day
    search: str = ""


@dataclass(frozen=True)
class Row:
    """What a table row shows of one declaration."""

    id: str
    number: str
    title: str
    community_code: str
    status: str
    awaiting_level: str | None
    awaiting_office: str | None
    requested_fen: int
    granted_fen: int | None
    awaiting_since: datetime | None
    batch_closes: date | None
    entered_by_office: str


def _scope_clause(actor: Actor, scope: str) -> Any:
    """The WHERE clause of a scope (the same rows as the matching ``declarations`` query)."""
    if scope == SCOPE_INBOX:
        return inbox_query(actor).whereclause
    if scope in (SCOPE_RETURNED, SCOPE_PASSED):
        decision = Decision.RETURN if scope == SCOPE_RETURNED else Decision.APPROVE
        return Declaration.id.in_(own_opinion_ids(actor, decision))
    return jurisdiction_filter(actor)


def _search_clause(text: str) -> Any:
    like = f"%{text.replace('%', '').replace('_', '')}%"
    upper = like.upper()
    communities = select(Region.code).where(
        Region.level == Level.COMMUNITY.value, or_(Region.name.like(like), Region.pinyin.like(upper))
    )
    return or_(
        Declaration.title.like(like),
        Declaration.number.like(like),
        Declaration.title_pinyin.like(upper),
        Declaration.community_code.in_(communities),
    )


def overdue_clause(days: int, now: datetime) -> Any:
    """Open declarations waiting longer than ``days``, or still open after their batch closed."""
    closed = select(Batch.id).where(Batch.closes < now.astimezone().date())
    return Declaration.status.in_(OPEN_STATUSES) & or_(
        Declaration.awaiting_since < now - timedelta(days=days),
        Declaration.batch_id.in_(closed) & Declaration.status.in_([Status.DRAFT.value, Status.RETURNED.value]),
    )


def ids_query(actor: Actor, flt: ListFilter, sort: str = "waiting", descending: bool = False,
              now: datetime | None = None) -> Select[Any]:
    """The ordered ids of the declarations ``flt`` selects in the actor's jurisdiction."""
    now = now or datetime.now(UTC)
    query = select(Declaration.id).where(jurisdiction_filter(actor), _scope_clause(actor, flt.scope))
    if flt.status:
        query = query.where(Declaration.status == flt.status)
    if flt.batch_id:
        query = query.where(Declaration.batch_id == flt.batch_id)
    if flt.region_code:
        code = flt.region_code
        query = query.where(or_(Declaration.street_code == code, Declaration.county_code == code,
                                Declaration.city_code == code, Declaration.community_code == code))
    if flt.focus_area:
        query = query.where(Declaration.focus_areas.like(f"%{flt.focus_area}%"))
    if flt.overdue_days is not None:
        query = query.where(overdue_clause(flt.overdue_days, now))
    text = flt.search.strip()
    if text:
        query = query.where(_search_clause(text))
    if sort == "community":
        query = query.join(Region, Region.code == Declaration.community_code)
        key: Any = Region.name
    else:
        key = {
            "number": Declaration.number, "title": Declaration.title, "status": Declaration.status,
            "stage": Declaration.awaiting_level, "requested": Declaration.requested_fen,
            "granted": Declaration.granted_fen,
            # Longest waiting first when ascending; nothing waiting sorts last.
            "waiting": Declaration.awaiting_since,
        }.get(sort, Declaration.updated_at)
    if sort == "waiting":
        order = [Declaration.awaiting_since.is_(None), key.desc() if descending else key]
    else:
        order = [key.desc() if descending else key]
    return query.order_by(*order, Declaration.number)


def ordered_ids(session: Session, actor: Actor, flt: ListFilter, sort: str = "waiting",
                descending: bool = False, now: datetime | None = None) -> list[str]:
    """Run :func:`ids_query` and return the ids."""
    # Core rather than ORM rows: 100,000 plain strings come back about twice as fast.
    return list(session.connection().execute(ids_query(actor, flt, sort, descending, now)).scalars())


def rows_for(session: Session, ids: list[str]) -> dict[str, Row]:
    """The display rows of the given declarations (one query), keyed by id."""
    if not ids:
        return {}
    stmt = (
        select(Declaration.id, Declaration.number, Declaration.title, Declaration.community_code,
               Declaration.status, Declaration.awaiting_level, Declaration.awaiting_office,
               Declaration.requested_fen, Declaration.granted_fen, Declaration.awaiting_since,
               Batch.closes.label("batch_closes"),
               Declaration.entered_by_office)
        .outerjoin(Batch, Batch.id == Declaration.batch_id)
        .where(Declaration.id.in_(ids))
    )
    return {r.id: Row(**r._asdict()) for r in session.execute(stmt)}


def region_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Names of the given region codes."""
    if not codes:
        return {}
    out: dict[str, str] = {}
    items = sorted(codes)
    for chunk in chunks(items):
        out.update((code, name) for code, name in session.execute(
            select(Region.code, Region.name).where(Region.code.in_(chunk))))
    return out


def filter_regions(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """Streets and counties under this office a list can be narrowed to: (code, name), by code."""
    if actor.office_level in (Level.STREET, Level.COMMUNITY, Level.EVALUATOR):
        return []
    wanted = [Level.STREET.value] if actor.office_level is Level.COUNTY else [Level.COUNTY.value]
    if actor.office_level is Level.CITY:
        wanted.append(Level.STREET.value)
    prefix = code_prefix(actor)
    rows = session.execute(
        select(Region.code, Region.name, Region.level)
        .where(Region.level.in_(wanted), Region.code.like(f"{prefix}%"))
        .order_by(Region.code)
    ).all()
    if actor.office_level is Level.CITY:
        # A city lists its counties, and streets only where it has no counties.
        counties = [(c, n) for c, n, lvl in rows if lvl == Level.COUNTY.value]
        if counties:
            return counties
    return [(c, n) for c, n, _ in rows]


def communities_in(session: Session, actor: Actor) -> list[tuple[str, str, str]]:
    """Communities in the jurisdiction as (code, name, street name), by code.

    A county (or a county-less city), a street and a community see their real communities: the store's,
    and the official ones it lacks (a local name wins; names in their short form, 畅家巷社区). Above a
    county the list holds the store's own: a city or the province enters declarations rarely, and the
    official tree there runs to thousands.
    """
    level = actor.office_level
    if level in (Level.COUNTY, Level.STREET, Level.COMMUNITY) or (
            level is Level.CITY and not regions.has_counties(session, actor.office_code)):
        return [(c.code, c.short, c.street) for c in regions.communities_within(session, actor.office_code)]
    prefix = code_prefix(actor)
    street = Region.__table__.alias("street")
    rows = session.execute(
        select(Region.code, Region.name, street.c.name)
        .join(street, street.c.code == Region.parent_code)
        .where(Region.level == Level.COMMUNITY.value, Region.code.like(f"{prefix}%"), Region.retired.is_(False))
        .order_by(Region.code)
    ).all()
    return [(c, n, s) for c, n, s in rows]


def code_prefix(actor: Actor) -> str:
    """The leading digits every region code in the actor's jurisdiction shares."""
    # An evaluator has no territory: its list holds the (assigned) projects it was given, wherever they are.
    width = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.STREET: 9, Level.COMMUNITY: 12,
             Level.EVALUATOR: 0}
    return actor.office_code[: width[actor.office_level]]


def community_label(session: Session, code: str) -> str:
    """``东岗西路社区（东岗街道）`` for a community code; the code itself when unknown."""
    community = session.get(Region, code)
    if community is None:
        return code
    street = session.get(Region, community.parent_code) if community.parent_code else None
    return f"{community.name}（{street.name}）" if street else community.name


# -- lists ------------------------------------------------------------------------------------------


def jurisdiction_filter(actor: Actor) -> Any:
    """A WHERE clause limiting declarations to the actor's office's jurisdiction."""
    code = actor.office_code
    level = actor.office_level
    if level is Level.PROVINCE:
        return True
    if level is Level.EVALUATOR:  # the projects assigned to it now (a withdrawn one's copy stays, unlisted)
        return Declaration.id.in_(select(EvaluationAssignment.declaration_id).where(
            EvaluationAssignment.evaluator_code == code))
    if level is Level.CITY:
        return Declaration.city_code == code
    if level is Level.COUNTY:
        return Declaration.county_code == code
    if level is Level.STREET:
        return Declaration.street_code == code
    return Declaration.community_code == code


def list_query(actor: Actor, *, status: Status | None = None) -> Select[Any]:
    """Declarations in the actor's jurisdiction, most recently changed first."""
    query = select(Declaration).where(jurisdiction_filter(actor))
    if status is not None:
        query = query.where(Declaration.status == status.value)
    return query.order_by(Declaration.updated_at.desc(), Declaration.id)


def inbox_query(actor: Actor) -> Select[Any]:
    """What awaits this office: declarations to review, and returned ones this office must revise."""
    return (
        select(Declaration)
        .where(and_(Declaration.awaiting_office == actor.office_code,
                    Declaration.status.in_([Status.UNDER_REVIEW.value, Status.RETURNED.value])))
        .order_by(Declaration.awaiting_since, Declaration.id)
    )


def count(session: Session, query: Select[Any]) -> int:
    """How many rows a list query matches."""
    return int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)


def own_opinion_ids(actor: Actor, decision: Decision) -> Select[Any]:
    """Ids of declarations on which this office itself wrote ``decision`` (paper opinions it keyed in
    speak for the street, not for this office, and are left out)."""
    return select(Opinion.declaration_id).where(
        Opinion.office_code == actor.office_code, Opinion.decision == decision.value, Opinion.from_paper.is_(False))


def _by_own_opinion(actor: Actor, decision: Decision) -> Select[Any]:
    latest = (
        select(Opinion.declaration_id, func.max(Opinion.at).label("at"))
        .where(Opinion.office_code == actor.office_code, Opinion.decision == decision.value,
               Opinion.from_paper.is_(False))
        .group_by(Opinion.declaration_id)
        .subquery()
    )
    return (
        select(Declaration)
        .join(latest, latest.c.declaration_id == Declaration.id)
        .order_by(latest.c.at.desc(), Declaration.id)
    )


def returned_by_office_query(actor: Actor) -> Select[Any]:
    """Declarations this office has sent back for revision (at any time), latest return first."""
    return _by_own_opinion(actor, Decision.RETURN)


def passed_on_query(actor: Actor) -> Select[Any]:
    """Declarations this office has approved and passed up the chain, latest first."""
    return _by_own_opinion(actor, Decision.APPROVE)
