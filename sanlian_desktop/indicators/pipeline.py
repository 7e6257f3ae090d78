"""The declaration pipeline's figures for a region's jurisdiction: how many stand where, approval and
return rates, waiting times, what was granted, the funnel through the review levels and the monthly
counts."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import NotFound
from sanlian_desktop.kernel.vocab import REVIEW_LEVELS, Level, Status
from sanlian_desktop.models import (
    Declaration,
    Opinion,
    Region,
)

FUNNEL_LABELS = {
    "submitted": "已提交", Level.STREET.value: "街道(乡镇)初核通过", Level.COUNTY.value: "县级审核通过",
    Level.CITY.value: "市州复核通过", Level.PROVINCE.value: "省民政厅批准",
}


@dataclass
class PipelineFigures:
    """Where the declarations of the region stand, and what was granted."""

    total: int
    by_status: dict[str, int]
    awaiting_by_level: dict[str, int]
    approval_rate: float | None
    return_rate: float | None
    median_days_waiting: dict[str, float]
    granted_by_city: list[dict[str, Any]]
    granted_by_focus_area: list[dict[str, Any]]
    # How far the submitted declarations got: "submitted", then one stage per review level (see FUNNEL_LABELS).
    funnel: list[dict[str, Any]] = field(default_factory=list)
    # Per local calendar month, from the first to the last with any: submitted, approved, rejected.
    monthly: list[dict[str, Any]] = field(default_factory=list)




def pipeline_figures(session: Session, region_code: str, *, now: datetime | None = None) -> PipelineFigures:
    """The pipeline figures alone (no registries, no funnel or monthly counts) for ``region_code``'s jurisdiction."""
    root = session.get(Region, region_code)
    if root is None:
        raise NotFound(f"没有代码为 {region_code} 的行政区划", f"no region with code {region_code}")
    cities = dict(session.execute(select(Region.code, Region.name).where(Region.level == Level.CITY.value)).all())
    return figures_of(session, root, cities, now or datetime.now(UTC))


def share(good: int, total: int) -> float | None:
    """``good`` as a share of ``total``; None for an empty total."""
    return good / total if total else None


def pipeline_filter(root: Any) -> list[Any]:
    """The WHERE clauses that keep the declarations of ``root``'s jurisdiction."""
    column = {Level.CITY: Declaration.city_code, Level.COUNTY: Declaration.county_code,
              Level.STREET: Declaration.street_code, Level.COMMUNITY: Declaration.community_code}.get(Level(root.level))
    return [] if column is None else [column == root.code]


def figures_of(session: Session, root: Any, city_names: dict[str, str], now: datetime) -> PipelineFigures:
    """The pipeline figures of ``root``'s jurisdiction, without the funnel and the monthly counts."""
    where = pipeline_filter(root)

    by_status = {s: int(n) for s, n in session.execute(
        select(Declaration.status, func.count()).where(*where).group_by(Declaration.status))}
    awaiting = {lv or "": int(n) for lv, n in session.execute(
        select(Declaration.awaiting_level, func.count())
        .where(*where, Declaration.status.in_([Status.UNDER_REVIEW.value, Status.RETURNED.value]))
        .group_by(Declaration.awaiting_level))}
    returned_once = int(session.scalar(
        select(func.count(func.distinct(Opinion.declaration_id)))
        .join(Declaration, Declaration.id == Opinion.declaration_id)
        .where(*where, Opinion.decision == "return")) or 0)
    waits: dict[str, list[float]] = defaultdict(list)
    for lv, since in session.execute(
            select(Declaration.awaiting_level, Declaration.awaiting_since)
            .where(*where, Declaration.status.in_([Status.UNDER_REVIEW.value, Status.RETURNED.value]),
                   Declaration.awaiting_since.is_not(None))):
        if since is not None:
            waits[lv or ""].append((now - since).total_seconds() / 86_400)
    by_city = [
        {"city": code, "name": city_names.get(code, code), "projects": int(n), "granted_fen": int(total or 0)}
        for code, n, total in session.execute(
            select(Declaration.city_code, func.count(), func.sum(Declaration.granted_fen))
            .where(*where, Declaration.status == Status.APPROVED.value)
            .group_by(Declaration.city_code).order_by(Declaration.city_code))
    ]
    areas: dict[str, list[int]] = {}
    for joined, n, total in session.execute(
            select(Declaration.focus_areas, func.count(), func.sum(Declaration.granted_fen))
            .where(*where, Declaration.status == Status.APPROVED.value).group_by(Declaration.focus_areas)):
        # A project in two focus areas counts, with its whole grant, in each of them.
        for area in filter(None, (joined or "").split("、")):
            tally = areas.setdefault(area, [0, 0])
            tally[0] += int(n)
            tally[1] += int(total or 0)
    total = sum(by_status.values())
    submitted = total - by_status.get(Status.DRAFT.value, 0)
    approved, rejected = by_status.get(Status.APPROVED.value, 0), by_status.get(Status.REJECTED.value, 0)
    return PipelineFigures(
        total=total,
        by_status=by_status,
        awaiting_by_level=awaiting,
        approval_rate=share(approved, approved + rejected),
        return_rate=share(returned_once, submitted),
        median_days_waiting={lv: round(statistics.median(days), 1) for lv, days in sorted(waits.items())},
        granted_by_city=by_city,
        granted_by_focus_area=[{"focus_area": a, "projects": n, "granted_fen": g}
                               for a, (n, g) in sorted(areas.items(), key=lambda kv: -kv[1][1])],
    )


def funnel_of(session: Session, where: list[Any], pipeline: PipelineFigures) -> list[dict[str, Any]]:
    """Where the submitted declarations stand now, as stages passed: at each review level, how many have
    passed it and not been sent back since.

    Passed level L: approved, under review at a level above L, or rejected at a level above L. A
    declaration returned for changes is back at its community and counts as submitted only. Levels run
    in REVIEW_LEVELS order, so a city without counties, whose streets report straight to it, counts its
    declarations under review at the city as past the county stage too.
    """
    rank = {lv.value: i for i, lv in enumerate(REVIEW_LEVELS, 1)}
    beyond: dict[int, int] = defaultdict(int)  # rank of the level reached but not passed -> declarations
    for lv, n in pipeline.awaiting_by_level.items():
        if lv in rank:  # under review there; returned declarations await the community
            beyond[rank[lv]] += n
    for lv, n in session.execute(
            select(Opinion.level, func.count()).join(Declaration, Declaration.id == Opinion.declaration_id)
            .where(*where, Declaration.status == Status.REJECTED.value, Opinion.decision == "reject")
            .group_by(Opinion.level)):
        beyond[rank.get(lv, 0)] += int(n)
    approved = pipeline.by_status.get(Status.APPROVED.value, 0)
    submitted = pipeline.total - pipeline.by_status.get(Status.DRAFT.value, 0)
    stages = [{"stage": "submitted", "label": FUNNEL_LABELS["submitted"], "count": submitted}]
    for lv, i in rank.items():
        stages.append({"stage": lv, "label": FUNNEL_LABELS[lv],
                       "count": approved + sum(n for r, n in beyond.items() if r > i)})
    return stages


def monthly_of(session: Session, where: list[Any], tz: tzinfo) -> list[dict[str, Any]]:
    """Declarations submitted, approved and rejected per calendar month in ``tz``.

    The store groups by UTC hour (a few thousand groups at most), and the hours are placed in local
    months here, so a declaration sent at 02:00 on 1 August in Lanzhou counts for August.
    """
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    months: dict[str, str] = {}

    def month(hour_text: str) -> str:
        """'2016-07-31 18' (UTC) -> '2016-08' in Lanzhou."""
        known = months.get(hour_text)
        if known is None:
            h = hour_text
            at = datetime(int(h[0:4]), int(h[5:7]), int(h[8:10]), int(h[11:13]), tzinfo=UTC).astimezone(tz)
            known = months[hour_text] = f"{at.year:04d}-{at.month:02d}"
        return known

    submitted_hour = func.substr(cast(Declaration.submitted_at, String), 1, 13)
    for hour, n in session.execute(select(submitted_hour, func.count())
                                   .where(*where, Declaration.submitted_at.is_not(None)).group_by(submitted_hour)):
        counts[month(hour)][0] += int(n)
    decided_hour = func.substr(cast(Declaration.decided_at, String), 1, 13)
    decided = [Status.APPROVED.value, Status.REJECTED.value]
    for hour, status, n in session.execute(
            select(decided_hour, Declaration.status, func.count())
            .where(*where, Declaration.decided_at.is_not(None), Declaration.status.in_(decided))
            .group_by(decided_hour, Declaration.status)):
        counts[month(hour)][1 if status == Status.APPROVED.value else 2] += int(n)
    if not counts:
        return []
    first, last = min(counts), max(counts)
    year, mon = int(first[:4]), int(first[5:])
    out: list[dict[str, Any]] = []
    while f"{year:04d}-{mon:02d}" <= last:  # every month in between, the empty ones too
        key = f"{year:04d}-{mon:02d}"
        sub, ok, no = counts.get(key, (0, 0, 0))
        out.append({"month": key, "submitted": sub, "approved": ok, "rejected": no})
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return out
