"""The indicator report as a workbook: one sheet per section, frozen headers, widths that fit Chinese.

Streamed by :mod:`fastxlsx`: a province's 19,000 region rows and its list of communities that miss a
target write in about a second.
"""

from __future__ import annotations

import functools
import os
import unicodedata
from collections.abc import Sequence

from sanlian_desktop.documents.spreadsheets import fastxlsx as fx
from sanlian_desktop.indicators.service import SHORT_LABELS, TARGET_LABELS, IndicatorReport, Target
from sanlian_desktop.indicators.views import (
    MET_LABELS,
    TARGET_KEYS,
    ReportView,
    funnel_bars,
    is_share,
    status_rows,
    target_of,
    threshold_text,
    waiting_rows,
)
from sanlian_desktop.kernel.fileio import atomic_write
from sanlian_desktop.kernel.money import from_fen
from sanlian_desktop.kernel.vocab import Level

SHEETS = ["目标汇总", "分区情况", "未达标社区", "申报状态", "审核进度", "补助-按市州", "补助-按重点领域", "月度趋势"]
_MET_STYLE = {True: fx.Style.MET, False: fx.Style.MISSED, None: fx.Style.UNKNOWN}
_MAX_WIDTH = 60


@functools.lru_cache(maxsize=65536)
def _text_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _width(value: object) -> int:
    """Display width in Excel's character units: a Chinese character takes two."""
    if isinstance(value, str):
        return _text_width(value)
    if isinstance(value, float):
        return 8
    return len(str(value))


class _Table:
    """A sheet with a title, a note and one header row (frozen), whose column widths follow its content."""

    def __init__(self, wb: fx.Workbook, name: str, title: str, note: str, headers: Sequence[str]) -> None:
        self.sheet = wb.add_sheet(name, [], freeze_row=4)
        self.widths = [_width(h) + 2 for h in headers]
        self.sheet.append([(title, fx.Style.TITLE)])
        self.sheet.append([(note, fx.Style.NOTE)])
        self.sheet.append([(h, fx.Style.HEADER) for h in headers])
        self.sheet.widths = [float(w) for w in self.widths]

    def row(self, cells: Sequence[fx.Cell]) -> None:
        for i, cell in enumerate(cells):
            value = cell[0] if isinstance(cell, tuple) else cell
            if value is not None and i < len(self.widths):
                self.widths[i] = min(_MAX_WIDTH, max(self.widths[i], _width(value) + 2))
        self.sheet.append(list(cells))
        self.sheet.widths = [float(w) for w in self.widths]


def _value(t: Target | None) -> fx.Cell:
    if t is None or t.value is None:
        return None
    return (float(t.value), fx.Style.PERCENT if is_share(t) else fx.Style.DECIMAL)


def _verdict(t: Target | None) -> fx.Cell:
    if t is None:
        return ("不适用", fx.Style.PLAIN)
    return (MET_LABELS[t.met], _MET_STYLE[t.met])


def write_indicators(report: IndicatorReport, out_path: str | os.PathLike[str], *, title: str,
                     down_to: Level = Level.COMMUNITY) -> None:
    """Write the report to ``out_path`` (atomically); ``down_to`` limits the 分区情况 sheet's rows."""
    view = ReportView(report)
    wb = fx.Workbook(title=title, creator="三社联动申报系统")
    try:
        _fill(wb, view, title, down_to)
        with atomic_write(out_path) as handle:
            wb.save(handle)
    except BaseException:
        wb.discard()
        raise


def _fill(wb: fx.Workbook, view: ReportView, title: str, down_to: Level) -> None:
    report, root = view.report, view.root
    stamp = f"生成时间：{report.computed_at.astimezone():%Y-%m-%d %H:%M}"

    t = _Table(wb, SHEETS[0], title, f"{root.name}，{root.communities} 个社区（城市 {root.urban}、农村 {root.rural}）。"
               f"{stamp}", ["目标", "数值", "标准", "达标情况", "未达到(个)", "未登记(个)", "说明"])
    for target in root.targets:
        t.row([TARGET_LABELS[target.key], _value(target), threshold_text(target), _verdict(target),
               len(target.missing), len(target.unknown), target.note or None])

    headers = ["区划代码", "区划名称", "级别", "上级区划", "社区数", "城市社区", "农村社区", "居民人数"]
    for key in TARGET_KEYS:
        headers += [SHORT_LABELS[key], f"{SHORT_LABELS[key]}达标"]
    t = _Table(wb, SHEETS[1], f"{title} — 分区情况", "标准见“目标汇总”；“达标”列为 达到、未达到、无法判断（情况未登记）或 不适用。"
               + stamp, headers)
    for r in view.rows_down_to(down_to):
        cells: list[fx.Cell] = [r.code, r.name, Level(r.level).label,
                                view.name(r.parent_code) if r.parent_code else None,
                                r.communities, r.urban, r.rural, r.residents]
        for key in TARGET_KEYS:
            own = target_of(r, key)
            cells += [_value(own), _verdict(own)]
        t.row(cells)

    t = _Table(wb, SHEETS[2], f"{title} — 未达标社区",
               f"{root.name}辖区内未达到各项目标的社区（社会工作协会一项为县级试点地区）；“未登记”表示情况尚未登记、无法判断。{stamp}",
               ["目标", "区划代码", "名称", "街道(乡镇)", "县(市、区)", "市(州)", "情况", "本地数值", "标准"])
    for target in root.targets:
        for m in view.missing(root.code, target.key):
            t.row([SHORT_LABELS[target.key], m.code, m.name, m.street or None, m.county or None, m.city or None,
                   (m.state, fx.Style.MISSED if m.recorded else fx.Style.UNKNOWN), m.value, m.threshold])

    _fill_pipeline(wb, view, title, stamp)


def _fill_pipeline(wb: fx.Workbook, view: ReportView, title: str, stamp: str) -> None:
    report = view.report
    p = report.pipeline
    t = _Table(wb, SHEETS[3], f"{title} — 申报状态", stamp, ["状态", "份数", "说明"])
    for label, n in status_rows(report):
        t.row([label, n, None])
    t.row([("合计", fx.Style.TOTAL_TEXT), (p.total, fx.Style.TOTAL_TEXT), None])
    t.row([])
    t.row(["批准率", (float(p.approval_rate), fx.Style.PERCENT) if p.approval_rate is not None else "—",
           "已批准 / 已作出决定（批准或不同意）"])
    t.row(["退回率", (float(p.return_rate), fx.Style.PERCENT) if p.return_rate is not None else "—",
           "曾被退回修改 / 已提交"])

    t = _Table(wb, SHEETS[4], f"{title} — 审核进度",
               "审核漏斗：已通过各级审核（此后未被退回）的申报；等待：正在各级等待处理的申报及已等待天数的中位数。" + stamp,
               ["环节", "份数", "占已提交", "", "正在等待的环节", "份数", "中位等待(天)"])
    bars = funnel_bars(report)
    waits = waiting_rows(report)
    first = bars[0].value if bars else 0
    for i in range(max(len(bars), len(waits))):
        cells: list[fx.Cell] = [None] * 7
        if i < len(bars):
            b = bars[i]
            cells[0:3] = [b.label, int(b.value), (b.value / first, fx.Style.PERCENT) if first else None]
        if i < len(waits):
            label, n, days = waits[i]
            cells[4:7] = [label, n, (float(days), fx.Style.DECIMAL) if days is not None else None]
        t.row(cells)

    t = _Table(wb, SHEETS[5], f"{title} — 按市(州)批准补助", stamp, ["市(州)", "批准项目数", "批准补助(元)"])
    for row in p.granted_by_city:
        t.row([row["name"], row["projects"], (from_fen(row["granted_fen"]), fx.Style.MONEY)])
    t.row([("合计", fx.Style.TOTAL_TEXT), (sum(r["projects"] for r in p.granted_by_city), fx.Style.TOTAL_TEXT),
           (from_fen(sum(r["granted_fen"] for r in p.granted_by_city)), fx.Style.TOTAL_MONEY)])

    t = _Table(wb, SHEETS[6], f"{title} — 按重点领域批准补助",
               "一个项目填报了多个重点领域时，在每个领域下各计一次（项目数和金额均计入），故不列合计。" + stamp,
               ["重点领域", "批准项目数", "批准补助(元)"])
    for row in p.granted_by_focus_area:
        t.row([row["focus_area"], row["projects"], (from_fen(row["granted_fen"]), fx.Style.MONEY)])

    t = _Table(wb, SHEETS[7], f"{title} — 月度趋势",
               "按月统计：提交（首次提交的月份）、批准和不同意（作出决定的月份）。" + stamp, ["月份", "提交", "批准", "不同意"])
    for month in p.monthly:
        t.row([month["month"], month["submitted"], month["approved"], month["rejected"]])

