"""The pilot's targets (试点方案 二、四(三)) measured on the registries, region by region, in one
report with the declaration pipeline's figures (:mod:`sanlian_desktop.indicators.pipeline`).

Everything is read with a handful of aggregate queries (one row per community at most) and rolled up
the region tree in plain Python, so a province of 17,000 communities answers in well under two seconds.

Definitions the notice leaves open, fixed here:
- a *qualifying* organisation has professional social workers or hosts a social-work agency;
- a *professional* social worker holds a national certificate (助理社会工作师 and up);
- a rural community is *reached* by social-work services when it has a qualifying organisation or a
  professional social worker;
- a community whose urban/rural kind is not recorded counts as urban (the stricter threshold);
- every county-level region is a pilot area unless its area facts say otherwise (``pilot`` false);
- deleted organisations and workers (tombstones kept for sync) do not count;
- direct election is counted over urban communities (居民委员会); villages elect 村民委员会.
"""

from __future__ import annotations

import contextlib
import gc
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sanlian_desktop.indicators.pipeline import (
    PipelineFigures,
    figures_of,
    funnel_of,
    monthly_of,
    pipeline_filter,
    share,
)
from sanlian_desktop.kernel.errors import NotFound
from sanlian_desktop.kernel.vocab import CERTIFICATE_LEVELS, LEVEL_ORDER, Level
from sanlian_desktop.models import (
    AreaFacts,
    CommunityFacts,
    CommunityOrganisation,
    Region,
    SocialWorker,
)

URBAN_MIN_ORGS, RURAL_MIN_ORGS = 5, 3
RURAL_REACH = 1 / 3
VOLUNTEER_SHARE = 0.10
ORGS_PER_10K = 10.0
DIRECT_ELECTION = 0.85

TARGET_LABELS = {
    "orgs_per_community": "社区社会组织（城市≥5、农村≥3个有专业社工或接纳社工机构）",
    "workroom": "每个社区设有社会工作室",
    "social_worker": "每个社区至少1名专业社工",
    "rural_reach": "社会工作服务覆盖三分之一以上农村社区",
    "federation_urban": "社区社会组织联合会覆盖城市社区",
    "volunteers": "注册志愿者不少于居民总数的10%",
    "association": "试点地区建立社会工作协会",
    "orgs_per_10k": "每万人拥有社会组织10家",
    "direct_election": "城市社区居委会直选比例85%以上",
}
SHORT_LABELS = {
    "orgs_per_community": "社会组织", "workroom": "社工室", "social_worker": "专业社工", "rural_reach": "农村覆盖",
    "federation_urban": "联合会", "volunteers": "志愿者", "association": "社工协会", "orgs_per_10k": "每万人组织",
    "direct_election": "居委直选",
}


@dataclass(slots=True)
class Target:
    """One target for one region: the measured value against the threshold.

    ``met`` is None when it cannot be told: nothing to measure, or only unrecorded communities left.
    ``missing`` names the regions (communities; county-level areas for the association) that miss it,
    ``unknown`` those whose facts are not recorded, so the target cannot be judged there.
    """

    key: str
    label: str
    value: float | None
    threshold: float
    unit: str
    met: bool | None
    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(slots=True)
class RegionIndicators:
    """The targets of one region, with the counts they rest on."""

    code: str
    name: str
    level: str
    parent_code: str | None
    communities: int
    urban: int
    rural: int
    residents: int
    targets: list[Target]


@dataclass
class IndicatorReport:
    """Targets for the root region and every region below it, in tree order, and the pipeline."""

    root: str
    computed_at: datetime
    regions: list[RegionIndicators]
    names: dict[str, str]
    pipeline: PipelineFigures

    def region(self, code: str) -> RegionIndicators:
        """The indicators of one region of the report."""
        for r in self.regions:
            if r.code == code:
                return r
        raise KeyError(code)


@dataclass(frozen=True)
class _Community:
    code: str
    rural: bool
    population: int | None
    organisations: int
    qualifying: int
    workers: int
    workroom: bool | None
    federation: bool | None
    volunteers: int | None
    election: str | None


@contextlib.contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector.

    A province's report allocates some 150,000 small objects and no reference cycles; the collector would
    scan the growing heap again and again, 0.8 s of a 2 s report. Reference counting still frees all of it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compute(session: Session, root_code: str, *, down_to: Level = Level.COMMUNITY,
            now: datetime | None = None, tz: tzinfo | None = None) -> IndicatorReport:
    """The targets of ``root_code`` and of each region below it down to ``down_to``, and the pipeline.

    ``tz`` is the zone whose calendar months the monthly figures follow (default: this computer's).
    """
    with _without_cyclic_gc():
        return _compute(session, root_code, down_to, now or datetime.now(UTC), tz)


def _compute(session: Session, root_code: str, down_to: Level, now: datetime, tz: tzinfo | None) -> IndicatorReport:
    rows = session.execute(select(Region.code, Region.name, Region.level, Region.parent_code, Region.rural,
                                  Region.population)).all()
    info = {r.code: r for r in rows}
    if root_code not in info:
        raise NotFound(f"没有代码为 {root_code} 的行政区划", f"no region with code {root_code}")
    children: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r.parent_code is not None:
            children[r.parent_code].append(r.code)
    for kids in children.values():
        kids.sort()

    orgs = {c: (int(n), int(q or 0)) for c, n, q in session.execute(
        select(CommunityOrganisation.community_code, func.count(),
               func.sum(case((CommunityOrganisation.has_social_workers | CommunityOrganisation.hosts_agency, 1),
                             else_=0)))
        .where(CommunityOrganisation.deleted_at.is_(None))
        .group_by(CommunityOrganisation.community_code))}
    workers = {c: int(n) for c, n in session.execute(
        select(SocialWorker.community_code, func.count())
        .where(SocialWorker.certificate_level.in_(CERTIFICATE_LEVELS), SocialWorker.deleted_at.is_(None))
        .group_by(SocialWorker.community_code))}
    facts = {f.community_code: f for f in session.execute(
        select(CommunityFacts.community_code, CommunityFacts.has_workroom, CommunityFacts.in_federation,
               CommunityFacts.registered_volunteers, CommunityFacts.election))}
    associations: dict[str, bool | None] = {}
    not_pilot: set[str] = set()
    for code, has, pilot in session.execute(select(AreaFacts.region_code, AreaFacts.has_association,
                                                   AreaFacts.pilot)):
        associations[code] = has
        if pilot is False:
            not_pilot.add(code)

    def community(code: str) -> _Community:
        r = info[code]
        n, q = orgs.get(code, (0, 0))
        f = facts.get(code)
        return _Community(code, r.rural is True, r.population, n, q, workers.get(code, 0),
                          f.has_workroom if f else None, f.in_federation if f else None,
                          f.registered_volunteers if f else None, f.election if f else None)

    limit = LEVEL_ORDER.index(down_to)
    slots: list[RegionIndicators | None] = []

    def walk(code: str) -> tuple[list[_Community], list[tuple[str, bool | None]]]:
        """Communities and pilot areas under ``code``; appends report rows in tree order."""
        r = info[code]
        level = Level(r.level)
        position = len(slots)
        listed = LEVEL_ORDER.index(level) <= limit or code == root_code
        if listed:
            slots.append(None)  # filled once the children are walked, keeping tree order
        comms: list[_Community] = []
        areas: list[tuple[str, bool | None]] = []
        if level is Level.COMMUNITY:
            comms.append(community(code))
        for child in children.get(code, ()):
            c, a = walk(child)
            comms.extend(c)
            areas.extend(a)
        if code not in not_pilot and (level is Level.COUNTY or (level is Level.CITY and not any(
                info[k].level == Level.COUNTY for k in children.get(code, ())))):
            areas.append((code, associations.get(code)))
        if listed:
            slots[position] = (_community_row(r, comms[0]) if level is Level.COMMUNITY
                               else _region_row(r, level, comms, areas))
        return comms, areas

    under_root, _ = walk(root_code)
    report_rows = [row for row in slots if row is not None]
    pipeline = figures_of(session, info[root_code], {c: r.name for c, r in info.items()
                                                    if r.level == Level.CITY}, now)
    where = pipeline_filter(info[root_code])
    pipeline.funnel = funnel_of(session, where, pipeline)
    pipeline.monthly = monthly_of(session, where, tz or datetime.now().astimezone().tzinfo or UTC)
    names = {c.code: info[c.code].name for c in under_root}
    names.update({row.code: row.name for row in report_rows})
    return IndicatorReport(root_code, now, report_rows, names, pipeline)


def _community_row(r: Any, c: _Community) -> RegionIndicators:
    """One community's own row: the same rules as :func:`_region_row` on a single community, written out
    flat because a province has 17,000 of them."""
    code = c.code
    labels = TARGET_LABELS
    targets: list[Target] = []
    need = float(RURAL_MIN_ORGS if c.rural else URBAN_MIN_ORGS)
    ok = c.qualifying >= need
    targets.append(Target("orgs_per_community", labels["orgs_per_community"], float(c.qualifying), need, "个", ok,
                          [] if ok else [code]))
    if c.workroom is None:
        targets.append(Target("workroom", labels["workroom"], None, 1.0, "比例", None, [], [code],
                              "未登记是否设有社会工作室"))
    else:
        targets.append(Target("workroom", labels["workroom"], 1.0 if c.workroom else 0.0, 1.0, "比例", c.workroom,
                              [] if c.workroom else [code]))
    ok = c.workers >= 1
    targets.append(Target("social_worker", labels["social_worker"], 1.0 if ok else 0.0, 1.0, "比例", ok,
                          [] if ok else [code]))
    if c.rural:
        ok = c.qualifying >= 1 or c.workers >= 1
        targets.append(Target("rural_reach", labels["rural_reach"], 1.0 if ok else 0.0, RURAL_REACH, "比例", ok,
                              [] if ok else [code]))
    elif c.federation is None:
        targets.append(Target("federation_urban", labels["federation_urban"], None, 1.0, "比例", None, [], [code],
                              "未登记是否加入联合会"))
    else:
        targets.append(Target("federation_urban", labels["federation_urban"], 1.0 if c.federation else 0.0, 1.0,
                              "比例", c.federation, [] if c.federation else [code]))
    if not c.population or c.volunteers is None:
        targets.append(Target("volunteers", labels["volunteers"], None, VOLUNTEER_SHARE, "比例", None, [], [code],
                              "未登记居民人数，无法计算占比" if not c.population else "未登记注册志愿者人数"))
    else:
        ok = c.volunteers >= VOLUNTEER_SHARE * c.population
        targets.append(Target("volunteers", labels["volunteers"], c.volunteers / c.population, VOLUNTEER_SHARE,
                              "比例", ok, [] if ok else [code]))
    if c.population:
        value = c.organisations * 10_000 / c.population
        targets.append(Target("orgs_per_10k", labels["orgs_per_10k"], value, ORGS_PER_10K, "家/万人",
                              value >= ORGS_PER_10K, [] if value >= ORGS_PER_10K else [code]))
    else:
        targets.append(Target("orgs_per_10k", labels["orgs_per_10k"], None, ORGS_PER_10K, "家/万人", None, [],
                              [code], "未登记居民人数，无法计算"))
    if not c.rural:
        if c.election is None:
            targets.append(Target("direct_election", labels["direct_election"], None, DIRECT_ELECTION, "比例", None,
                                  [], [code], "未登记选举方式"))
        else:
            ok = c.election == "direct"
            targets.append(Target("direct_election", labels["direct_election"], 1.0 if ok else 0.0, DIRECT_ELECTION,
                                  "比例", ok, [] if ok else [code]))
    return RegionIndicators(code, r.name, Level.COMMUNITY.value, r.parent_code, 1, 0 if c.rural else 1,
                            1 if c.rural else 0, c.population or 0, targets)


def _judge(value: float | None, threshold: float, missing: list[str], unknown: list[str], *,
           every: bool) -> bool | None:
    """``every``: each community must meet it, so one miss fails; otherwise the value decides."""
    if value is None:
        return None
    if every:
        if missing:
            return False
        return None if unknown else True
    return value >= threshold


def _region_row(r: Any, level: Level, comms: list[_Community], areas: list[tuple[str, bool | None]]) -> RegionIndicators:
    urban = [c for c in comms if not c.rural]
    rural = [c for c in comms if c.rural]
    none_note = "辖区内没有社区" if not comms else ""
    targets: list[Target] = []
    is_community = level is Level.COMMUNITY

    def add(key: str, value: float | None, threshold: float, unit: str, missing: list[str], unknown: list[str],
            *, every: bool, note: str = "") -> None:
        met = _judge(value, threshold, missing, unknown, every=every)
        targets.append(Target(key, TARGET_LABELS[key], value, threshold, unit, met, missing, unknown,
                              note or (none_note if value is None else "")))

    # Organisations with professional social workers (or hosting an agency): 5 urban, 3 rural.
    short = [c.code for c in comms if c.qualifying < (RURAL_MIN_ORGS if c.rural else URBAN_MIN_ORGS)]
    if is_community:
        c = comms[0]
        add("orgs_per_community", float(c.qualifying), float(RURAL_MIN_ORGS if c.rural else URBAN_MIN_ORGS),
            "个", short, [], every=False)
    else:
        add("orgs_per_community", share(len(comms) - len(short), len(comms)), 1.0, "比例", short, [], every=True)

    without = [c.code for c in comms if c.workroom is False]
    unrecorded = [c.code for c in comms if c.workroom is None]
    # Nothing recorded anywhere is "cannot tell", not 0 %.
    nothing = bool(unrecorded) and len(unrecorded) == len(comms)
    value = None if nothing else share(sum(1 for c in comms if c.workroom), len(comms))
    add("workroom", value, 1.0, "比例", without, unrecorded,
        every=True, note="未登记是否设有社会工作室" if nothing else "")

    no_worker = [c.code for c in comms if c.workers < 1]
    add("social_worker", share(len(comms) - len(no_worker), len(comms)), 1.0, "比例", no_worker, [], every=True)

    if rural or not is_community:
        unreached = [c.code for c in rural if c.qualifying < 1 and c.workers < 1]
        add("rural_reach", share(len(rural) - len(unreached), len(rural)), RURAL_REACH, "比例", unreached, [],
            every=False, note="" if rural or not comms else "辖区内没有农村社区")

    if urban or not is_community:
        outside = [c.code for c in urban if c.federation is False]
        unrecorded = [c.code for c in urban if c.federation is None]
        nothing = bool(unrecorded) and len(unrecorded) == len(urban)
        value = None if nothing else share(sum(1 for c in urban if c.federation), len(urban))
        add("federation_urban", value, 1.0, "比例", outside, unrecorded, every=True,
            note="未登记是否加入联合会" if nothing else "" if urban or not comms else "辖区内没有城市社区")

    volunteers = residents = 0
    below: list[str] = []
    unknown: list[str] = []
    for c in comms:
        if not c.population or c.volunteers is None:
            unknown.append(c.code)
            continue
        volunteers += c.volunteers
        residents += c.population
        if c.volunteers < VOLUNTEER_SHARE * c.population:
            below.append(c.code)
    note = ""
    if is_community and unknown:
        note = "未登记居民人数，无法计算占比" if not comms[0].population else "未登记注册志愿者人数"
    elif comms and not residents:
        note = "没有同时登记居民人数和志愿者人数的社区，无法计算"
    add("volunteers", volunteers / residents if residents else None, VOLUNTEER_SHARE, "比例", below, unknown,
        every=True, note=note)

    if not is_community and level is not Level.STREET:
        lacking = [code for code, has in areas if has is False]
        unrecorded = [code for code, has in areas if has is None]
        nothing = bool(unrecorded) and len(unrecorded) == len(areas)
        add("association", None if nothing else share(sum(1 for _, has in areas if has), len(areas)), 1.0, "比例",
            lacking, unrecorded, every=True,
            note="未登记是否建立社会工作协会" if nothing else "" if areas else "没有县级试点地区")

    known = [c for c in comms if c.population]
    population = sum(c.population or 0 for c in known)
    sparse = [c.code for c in known if c.organisations * 10_000 < ORGS_PER_10K * (c.population or 0)]
    add("orgs_per_10k", sum(c.organisations for c in known) * 10_000 / population if population else None,
        ORGS_PER_10K, "家/万人", sparse, [c.code for c in comms if not c.population], every=False,
        note="未登记居民人数，无法计算" if comms and not population else "")

    if urban or not is_community:
        indirect = [c.code for c in urban if c.election == "indirect"]
        unrecorded = [c.code for c in urban if c.election is None]
        decided = sum(1 for c in urban if c.election is not None)
        add("direct_election", share(decided - len(indirect), decided), DIRECT_ELECTION, "比例", indirect, unrecorded,
            every=False, note="" if decided or not urban else "城市社区均未登记选举方式")

    return RegionIndicators(r.code, r.name, level.value, r.parent_code, len(comms), len(urban), len(rural),
                            sum(c.population or 0 for c in comms), targets)


def as_dict(report: IndicatorReport) -> dict[str, Any]:
    """The report in plain JSON-ready form."""
    return {
        "root": report.root,
        "computed_at": report.computed_at.isoformat(timespec="seconds"),
        "regions": [asdict(r) for r in report.regions],
        "names": report.names,
        "pipeline": asdict(report.pipeline),
    }
