"""The indicator report as people read it: values and marks, rankings of regions, the communities that miss
a target with where they lie, and the charts' data. Shared by the 统计 page, the Excel and the PDF exports.

No Qt and no database: everything here works on a computed :class:`~sanlian_desktop.indicators.service.IndicatorReport`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from sanlian_desktop.indicators.service import (
    SHORT_LABELS,
    TARGET_LABELS,
    IndicatorReport,
    RegionIndicators,
    Target,
)
from sanlian_desktop.kernel.vocab import LEVEL_ORDER, REVIEW_STAGE_LABELS, STATUS_LABELS, Level, Status

# Met, missed, cannot tell: a mark as well as a colour, so the state reads in black and white too.
MARKS = {True: "✓", False: "×", None: "?"}
MET_LABELS = {True: "达到", False: "未达到", None: "无法判断"}
LEGEND = "✓ 达到　× 未达到　? 无法判断　— 不适用或无数据"
# Colours for met / missed / cannot tell (fill, text), as hex for Qt, openpyxl and reportlab alike.
MET_COLOURS = {True: ("#dff0d8", "#1e5b1e"), False: ("#f9dcd7", "#8a1f11"), None: ("#eeeeee", "#555555")}
TARGET_KEYS = list(SHORT_LABELS)
# Why a region is left out of a ranking when its report row gives no reason.
_NOT_APPLICABLE = {"rural_reach": "辖区内没有农村社区", "federation_urban": "辖区内没有城市社区",
                   "direct_election": "辖区内没有城市社区", "association": "没有县级试点地区"}


def is_share(t: Target) -> bool:
    """Whether the target is a share (shown as a percentage)."""
    return t.unit == "比例"


def value_text(t: Target) -> str:
    """The measured value: ``85%``, ``12.3家/万人``, ``4个``, or ``—`` when there is nothing to measure."""
    if t.value is None:
        return "—"
    if is_share(t):
        return f"{t.value * 100:.0f}%"
    if t.unit == "个":
        return f"{t.value:g}个"
    return f"{t.value:.1f}{t.unit}"


def threshold_text(t: Target) -> str:
    """The standard the value is measured against."""
    if is_share(t):
        share = t.threshold * 100
        return f"{share:.0f}%" if abs(share - round(share)) < 1e-9 else f"{share:.1f}%"
    return f"{t.threshold:g}{t.unit}"


def cell_text(t: Target) -> str:
    """Value and mark for a table cell: ``85% ✓``."""
    return f"{value_text(t)} {MARKS[t.met]}" if t.value is not None else "—"


def describe(t: Target) -> str:
    """One sentence for a tooltip: the target, its value against the standard and the verdict."""
    text = f"{TARGET_LABELS[t.key]}：{value_text(t)}（标准 {threshold_text(t)}），{MET_LABELS[t.met]}"
    if t.missing:
        text += f"；{len(t.missing)} 个未达到"
    if t.unknown:
        text += f"；{len(t.unknown)} 个未登记"
    return text + (f"。{t.note}" if t.note else "")


def _not_applicable(t: Target) -> bool:
    """Nothing to measure and nothing unrecorded: the region has no communities of the kind (no villages,
    no urban ones, no pilot area)."""
    return t.value is None and not t.missing and not t.unknown


def target_of(region: RegionIndicators, key: str) -> Target | None:
    """The region's target ``key``, or None where it does not apply (no villages, not a pilot area …)."""
    return next((t for t in region.targets if t.key == key), None)


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, the value it is drawn to, the text beside it and its state."""

    label: str
    value: float
    text: str
    met: bool | None = None
    tooltip: str = ""


@dataclass(frozen=True)
class MissingRow:
    """A region that misses a target (or whose facts are not recorded), with where it lies."""

    code: str
    name: str
    street: str
    county: str
    city: str
    recorded: bool  # False: the facts are not recorded, so the target cannot be judged there
    value: str  # the region's own value
    threshold: str  # and its own standard (5 organisations in a city community, 3 in a village …)

    @property
    def state(self) -> str:
        return "未达到" if self.recorded else "未登记"


class ReportView:
    """Lookups over one report: rows by code, children, paths, rankings and missing lists."""

    def __init__(self, report: IndicatorReport) -> None:
        self.report = report
        self.by_code = {r.code: r for r in report.regions}
        kids: dict[str, list[str]] = defaultdict(list)
        for r in report.regions:
            if r.parent_code is not None and r.parent_code in self.by_code:
                kids[r.parent_code].append(r.code)
        self.children: dict[str, list[str]] = dict(kids)

    @property
    def root(self) -> RegionIndicators:
        return self.by_code[self.report.root]

    def name(self, code: str) -> str:
        return self.report.names.get(code, code)

    def path(self, code: str) -> dict[str, str]:
        """Level → name of ``code`` and every region above it that the report holds."""
        out: dict[str, str] = {}
        current: str | None = code
        while current is not None and current in self.by_code:
            row = self.by_code[current]
            out[row.level] = row.name
            current = row.parent_code
        return out

    def depth(self, code: str) -> int:
        """Levels between the report's root and ``code`` (0 for the root)."""
        return Level(self.by_code[code].level).rank - Level(self.root.level).rank

    def rows_down_to(self, down_to: Level) -> list[RegionIndicators]:
        """The report's rows, in tree order, down to ``down_to`` (the root always)."""
        limit = down_to.rank
        return [r for r in self.report.regions if Level(r.level).rank <= limit or r.code == self.report.root]

    @cached_property
    def child_level(self) -> Level | None:
        """The level of the root's children (市(州) for a province), or None for a community."""
        kids = self.children.get(self.report.root, [])
        return Level(self.by_code[kids[0]].level) if kids else None

    def ranking(self, key: str) -> list[Bar]:
        """The root's children on target ``key``, best first; those that cannot be told last (drawn empty).

        Children where the target does not apply (a street without villages for the rural target) are left
        out: :meth:`not_ranked` names them.
        """
        bars: list[tuple[float, str, Bar]] = []
        for code in self.children.get(self.report.root, []):
            row = self.by_code[code]
            t = target_of(row, key)
            if t is None or _not_applicable(t):
                continue
            drawn = t.value if t.value is not None else 0.0
            shown = drawn * 100 if is_share(t) else drawn
            text = value_text(t) + " " + MARKS[t.met] if t.value is not None else (t.note or "无数据")
            bar = Bar(row.name, shown, text, t.met, f"{row.name}：{describe(t)}")
            bars.append((-drawn if t.value is not None else float("inf"), code, bar))
        return [bar for _, _, bar in sorted(bars, key=lambda b: (b[0], b[1]))]

    def not_ranked(self, key: str) -> list[tuple[str, str]]:
        """The root's children left out of the ranking on ``key``: (name, why)."""
        out = []
        for code in self.children.get(self.report.root, []):
            t = target_of(self.by_code[code], key)
            if t is None or _not_applicable(t):
                why = t.note if t is not None and t.note else _NOT_APPLICABLE.get(key, "不适用")
                out.append((self.by_code[code].name, why))
        return out

    def ranking_threshold(self, key: str) -> float | None:
        """The standard the ranking is drawn against, in the bars' units (percent for shares)."""
        for code in self.children.get(self.report.root, []):
            t = target_of(self.by_code[code], key)
            if t is not None:
                return t.threshold * 100 if is_share(t) else t.threshold
        return None

    def missing(self, code: str, key: str) -> list[MissingRow]:
        """The regions under ``code`` that miss target ``key``, then those where it cannot be judged."""
        row = self.by_code.get(code)
        t = None if row is None else target_of(row, key)
        if t is None:
            return []
        out: list[MissingRow] = []
        for recorded, codes in ((True, t.missing), (False, t.unknown)):
            for c in codes:
                p = self.path(c)
                own = self.by_code.get(c)
                mine = None if own is None else target_of(own, key)
                out.append(MissingRow(c, self.name(c), p.get(Level.STREET.value, ""), p.get(Level.COUNTY.value, ""),
                                      p.get(Level.CITY.value, ""), recorded,
                                      value_text(mine) if mine is not None else "—",
                                      threshold_text(mine if mine is not None else t)))
        return out


def funnel_bars(report: IndicatorReport) -> list[Bar]:
    """The funnel of declarations by review level, with each stage's share of the submitted ones."""
    stages = report.pipeline.funnel
    first = stages[0]["count"] if stages else 0
    bars = []
    for stage in stages:
        n = int(stage["count"])
        share = f"（{n / first * 100:.0f}%）" if first and stage["stage"] != "submitted" else ""
        bars.append(Bar(stage["label"], float(n), f"{n}{share}", None, f"{stage['label']}：{n} 份{share}"))
    return bars


TREND_SERIES = [("submitted", "提交"), ("approved", "批准"), ("rejected", "不同意")]


def trend_series(report: IndicatorReport) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """Month labels (``2016-08``) and, per series (提交, 批准, 不同意), the count of each month."""
    months = report.pipeline.monthly
    return ([m["month"] for m in months],
            [(label, [int(m[key]) for m in months]) for key, label in TREND_SERIES])


def status_rows(report: IndicatorReport) -> list[tuple[str, int]]:
    """Declarations by status, in workflow order."""
    by_status = report.pipeline.by_status
    return [(STATUS_LABELS[s], by_status.get(s.value, 0)) for s in Status]


def waiting_rows(report: IndicatorReport) -> list[tuple[str, int, float | None]]:
    """Per level where declarations wait now: its name, how many and the median days waited, province first."""
    p = report.pipeline
    out = []
    for level in LEVEL_ORDER:
        n = p.awaiting_by_level.get(level.value)
        if n:
            label = "社区（退回修改）" if level is Level.COMMUNITY else REVIEW_STAGE_LABELS.get(level, level.label)
            out.append((label, n, p.median_days_waiting.get(level.value)))
    return out


def rate_text(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
