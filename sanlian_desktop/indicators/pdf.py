"""The indicator report as a PDF: the targets, rankings, the regions' table, the communities that miss each
target, and the declaration pipeline with its charts. A4 landscape, CJK font embedded, "第 x 页 共 y 页".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from sanlian_desktop.documents.printing.canvas import deferred_canvas_maker
from sanlian_desktop.documents.printing.fonts import FontChoice, find_cjk_font
from sanlian_desktop.indicators.charts import (
    funnel_chart,
    met_fill,
    met_text,
    ranking_chart,
    trend_chart,
)
from sanlian_desktop.indicators.service import SHORT_LABELS, TARGET_LABELS, IndicatorReport
from sanlian_desktop.indicators.views import (
    LEGEND,
    MARKS,
    MET_LABELS,
    TARGET_KEYS,
    ReportView,
    cell_text,
    funnel_bars,
    is_share,
    rate_text,
    status_rows,
    target_of,
    threshold_text,
    trend_series,
    value_text,
    waiting_rows,
)
from sanlian_desktop.kernel.fileio import atomic_write
from sanlian_desktop.kernel.money import from_fen
from sanlian_desktop.kernel.vocab import LEVEL_ORDER, Level

PAGE = landscape(A4)
MARGIN = 14 * mm
WIDTH = PAGE[0] - 2 * MARGIN
# Names of the communities that miss a target, printed per target; the rest is counted (the Excel has all).
MISSING_NAMES_SHOWN = 300
MISSING_NAMES_ABOVE_COUNTY = 60
GRID = colors.HexColor("#9a9a9a")
HEAD_FILL = colors.HexColor("#dde8f4")
SUM_FILL = colors.HexColor("#f1f1f1")
CHINESE_NUMERALS = "一二三四五六七八九十"


class _Styles:
    def __init__(self, font: str) -> None:
        def style(name: str, size: float, leading: float, **kw: Any) -> ParagraphStyle:
            return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK",
                                  alignment=TA_LEFT, **kw)

        self.font = font
        self.title = style("title", 16, 22, spaceAfter=4)
        self.sub = style("sub", 9, 13, textColor=colors.HexColor("#444444"))
        self.h1 = style("h1", 12.5, 18, spaceBefore=8, spaceAfter=4)
        self.h2 = style("h2", 10, 14, spaceBefore=4, spaceAfter=2)
        self.body = style("body", 9, 13)
        self.cell = style("cell", 8, 10.5)
        self.small = style("small", 7.5, 10)
        self._indented: dict[int, ParagraphStyle] = {}

    def indented(self, depth: int) -> ParagraphStyle:
        """The table cell style, indented one step per level below the root."""
        if depth not in self._indented:
            self._indented[depth] = ParagraphStyle(f"cell{depth}", parent=self.cell, leftIndent=depth * 9)
        return self._indented[depth]


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float], st: _Styles, *, extra: Sequence[tuple[Any, ...]] = (),
           align_right_from: int | None = None) -> Table:
    """A gridded table with a shaded header row repeated on every page."""
    table = Table([list(r) for r in rows], colWidths=list(widths), repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), st.font), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 10), ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if align_right_from is not None:
        commands.append(("ALIGN", (align_right_from, 1), (-1, -1), "RIGHT"))
    table.setStyle(TableStyle(commands + list(extra)))
    return table


def render_indicators(report: IndicatorReport, out_path: str | Path, *, title: str, down_to: Level | None = None,
                      font: FontChoice | None = None) -> list[str]:
    """Write the report as a PDF to ``out_path`` (atomically); returns warnings for the user (font).

    ``down_to`` limits the regions' table (default: two levels below the report's root).
    """
    font = font or find_cjk_font()
    st = _Styles(font.name)
    view = ReportView(report)
    root_level = Level(view.root.level)
    if down_to is None:
        down_to = LEVEL_ORDER[min(root_level.rank + 2, Level.COMMUNITY.rank)]
    story: list[Flowable] = []
    sections = [_targets, _rankings, _regions, _missing, _pipeline]
    number = 0
    for section in sections:
        part = section(view, st, down_to)
        if part:
            heading, flowables = part
            # The heading stays with the section's first pieces (a note, then a table or a chart row).
            lead = [_p(f"{CHINESE_NUMERALS[number]}、{heading}", st.h1), *flowables[:3]]
            story.append(KeepTogether(lead))
            story.extend(flowables[3:])
            number += 1
    root = view.root
    head = [
        _p(title, st.title),
        _p(f"{root.name}（{Level(root.level).label}，代码 {root.code}）：{root.communities} 个社区"
           f"（城市 {root.urban}、农村 {root.rural}），登记居民 {root.residents} 人。"
           f"统计时间 {report.computed_at.astimezone():%Y-%m-%d %H:%M}。", st.sub),
        _p(f"图例：{LEGEND}；表中颜色：绿色达到、红色未达到、灰色无法判断。", st.sub),
        Spacer(1, 2 * mm),
    ]

    def overlay(canv: Canvas, _group: int, page: int, pages: int) -> None:
        canv.setFont(font.name, 8)
        canv.setFillColor(colors.HexColor("#555555"))
        canv.drawString(MARGIN, 8 * mm, title)
        canv.drawRightString(PAGE[0] - MARGIN, 8 * mm, f"第 {page} 页 共 {pages} 页")

    frame = Frame(MARGIN, 14 * mm, WIDTH, PAGE[1] - 14 * mm - MARGIN, leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0, id="body")
    with atomic_write(out_path) as fh:
        doc = BaseDocTemplate(fh, pagesize=PAGE, title=title, author="三社联动申报系统", creator="sanlian_desktop",
                              leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=14 * mm,
                              initialFontName=font.name)
        doc.addPageTemplates([PageTemplate(id="body", frames=[frame])])
        doc.build(head + story, canvasmaker=deferred_canvas_maker(overlay))
    return [font.warning] if font.warning else []


Section = tuple[str, list[Flowable]] | None


def _targets(view: ReportView, st: _Styles, _down_to: Level) -> Section:
    rows: list[list[Any]] = [["目标", "数值", "标准", "达标情况", "未达到", "未登记", "说明"]]
    extra: list[tuple[Any, ...]] = []
    for i, t in enumerate(view.root.targets, 1):
        rows.append([_p(TARGET_LABELS[t.key], st.cell), value_text(t), threshold_text(t),
                     f"{MARKS[t.met]} {MET_LABELS[t.met]}", str(len(t.missing)), str(len(t.unknown)),
                     _p(t.note, st.cell) if t.note else ""])
        extra += [("BACKGROUND", (3, i), (3, i), met_fill(t.met)), ("TEXTCOLOR", (3, i), (3, i), met_text(t.met))]
    widths = [WIDTH * f for f in (0.34, 0.08, 0.08, 0.09, 0.07, 0.07, 0.27)]
    return "试点目标完成情况", [_table(rows, widths, st, extra=extra, align_right_from=1)]


def _rankings(view: ReportView, st: _Styles, _down_to: Level) -> Section:
    level = view.child_level
    if level is None:
        return None
    cells: list[list[Flowable]] = []
    columns = 3
    gap = 6 * mm
    width = (WIDTH - gap * (columns - 1)) / columns
    for key in TARGET_KEYS:
        bars = view.ranking(key)
        if not bars:
            continue
        t = target_of(view.root, key)
        percent = t is not None and is_share(t)
        chart = ranking_chart(bars, view.ranking_threshold(key), width, st.font, percent=percent,
                              threshold_label=f"标准 {threshold_text(t)}" if t is not None else "")
        cell: list[Flowable] = [_p(TARGET_LABELS[key], st.h2), chart]
        left_out = view.not_ranked(key)
        if left_out:
            why = "；".join(sorted({w for _, w in left_out}))
            cell.append(_p(f"另有 {len(left_out)} 个{level.label}未列入（{why}）。", st.small))
        cells.append(cell)
    if not cells:
        return None
    out: list[Flowable] = [_p(f"每项目标按{level.label}排列，条形颜色表示是否达到标准（绿色达到、红色未达到、灰色无法判断），"
                              "条形旁为数值与标记，虚线为标准。", st.small), Spacer(1, 2 * mm)]
    for i in range(0, len(cells), columns):
        row: list[Any] = cells[i:i + columns]
        row += [""] * (columns - len(row))
        table = Table([row], colWidths=[width + gap] * (columns - 1) + [width])
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), st.font), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), gap), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        out.append(table)
    return f"各{level.label}排名", out


def _regions(view: ReportView, st: _Styles, down_to: Level) -> Section:
    rows_in = view.rows_down_to(down_to)
    if len(rows_in) <= 1:
        return None
    head: list[Any] = ["区划", "社区数"] + [SHORT_LABELS[k] for k in TARGET_KEYS]
    rows: list[list[Any]] = [head]
    extra: list[tuple[Any, ...]] = []
    for i, r in enumerate(rows_in, 1):
        # Ideographic spaces collapse inside a Paragraph: indent by style.
        row: list[Any] = [_p(r.name, st.indented(view.depth(r.code))), str(r.communities)]
        if r.level != Level.COMMUNITY.value:  # the regions that sum up the rows under them stand out
            extra.append(("BACKGROUND", (0, i), (1, i), SUM_FILL))
        for j, key in enumerate(TARGET_KEYS, 2):
            t = target_of(r, key)
            row.append("" if t is None else cell_text(t))
            if t is not None and t.value is not None:
                extra += [("BACKGROUND", (j, i), (j, i), met_fill(t.met)), ("TEXTCOLOR", (j, i), (j, i), met_text(t.met))]
        rows.append(row)
    name_width = 62 * mm
    widths = [name_width, 14 * mm] + [(WIDTH - name_width - 14 * mm) / len(TARGET_KEYS)] * len(TARGET_KEYS)
    note = (f"列到{down_to.label}一级；每格为数值与标记，空白表示该项不适用（如没有农村社区）。"
            "各项目标的标准见第一部分。")
    return "分区情况", [_p(note, st.small), Spacer(1, 2 * mm),
                    _table(rows, widths, st, extra=extra, align_right_from=1)]


def _missing(view: ReportView, st: _Styles, _down_to: Level) -> Section:
    out: list[Flowable] = []
    root = view.root
    child_level = view.child_level
    # A county prints its communities by name; a province or city names a few and counts the rest by
    # the level below it (the Excel has every name).
    limit = MISSING_NAMES_SHOWN if Level(root.level).rank >= Level.COUNTY.rank else MISSING_NAMES_ABOVE_COUNTY
    for t in root.targets:
        rows = view.missing(root.code, t.key)
        if not rows:
            continue
        missed = [m for m in rows if m.recorded]
        unknown = [m for m in rows if not m.recorded]
        out.append(_p(f"{TARGET_LABELS[t.key]}：未达到 {len(missed)} 个，未登记 {len(unknown)} 个", st.h2))
        for label, group in (("未达到", missed), ("未登记", unknown)):
            if not group:
                continue
            if len(group) <= limit or child_level is None:
                shown = "、".join(f"{m.name}（{m.street}）" if m.street and m.street != m.name else m.name
                                 for m in group[:limit])
                more = f"……以上列出 {limit} 个，完整名单请导出 Excel。" if len(group) > limit else ""
                out.append(_p(f"{label}：{shown}{more}", st.small))
            else:
                # Too many to print by name: how they spread over the root's children.
                spread: dict[str, int] = {}
                for m in group:
                    where = view.path(m.code).get(child_level.value, "")
                    spread[where] = spread.get(where, 0) + 1
                parts = "、".join(f"{name or '其他'} {n}" for name, n in sorted(spread.items(), key=lambda kv: -kv[1]))
                out.append(_p(f"{label}（按{child_level.label}）：{parts}。名单较长，请导出 Excel 查看。", st.small))
        out.append(Spacer(1, 1.5 * mm))
    if not out:
        return None
    note = "括号内为所属街道(乡镇)；社会工作协会一项列县级试点地区。"
    return "未达标的社区", [_p(note, st.small), *out]


def _pipeline(view: ReportView, st: _Styles, _down_to: Level) -> Section:
    report = view.report
    p = report.pipeline
    half = (WIDTH - 8 * mm) / 2
    out: list[Flowable] = [
        _p(f"共 {p.total} 份申报；批准率 {rate_text(p.approval_rate)}（已批准 / 已作出决定），"
           f"退回率 {rate_text(p.return_rate)}（曾被退回修改 / 已提交）。", st.body), Spacer(1, 2 * mm)]
    status = _table([["状态", "份数"]] + [[label, str(n)] for label, n in status_rows(report)] + [["合计", str(p.total)]],
                    [half * 0.6, half * 0.3], st, align_right_from=1)
    waits = waiting_rows(report)
    waiting = _table([["正在等待的环节", "份数", "中位等待(天)"]]
                     + [[label, str(n), "—" if d is None else f"{d:.1f}"] for label, n, d in waits]
                     if waits else [["正在等待的环节", "份数", "中位等待(天)"], ["（没有等待处理的申报）", "", ""]],
                     [half * 0.5, half * 0.2, half * 0.25], st, align_right_from=1)
    out.append(_side_by_side(status, waiting, half, st.font))
    bars = funnel_bars(report)
    months, series = trend_series(report)
    funnel = [_p("审核漏斗（已通过各级审核、此后未被退回的申报）", st.h2), funnel_chart(bars, half, st.font)]
    trend = ([_p("月度趋势（按提交月份和作出决定的月份）", st.h2), trend_chart(months, series, half, st.font)]
             if months else [_p("月度趋势：还没有提交的申报。", st.body)])
    out += [Spacer(1, 3 * mm), _side_by_side(funnel, trend, half, st.font)]
    city = _table([["市(州)", "批准项目", "批准补助(元)"]]
                  + [[r["name"], str(r["projects"]), f"{from_fen(r['granted_fen']):,}"] for r in p.granted_by_city]
                  + [["合计", str(sum(r["projects"] for r in p.granted_by_city)),
                      f"{from_fen(sum(r['granted_fen'] for r in p.granted_by_city)):,}"]],
                  [half * 0.45, half * 0.2, half * 0.3], st, align_right_from=1)
    focus = _table([["重点领域", "批准项目", "批准补助(元)"]]
                   + [[r["focus_area"], str(r["projects"]), f"{from_fen(r['granted_fen']):,}"]
                      for r in p.granted_by_focus_area],
                   [half * 0.45, half * 0.2, half * 0.3], st, align_right_from=1)
    out += [KeepTogether([_p("批准补助", st.h2), _side_by_side(city, focus, half, st.font),
                          _p("一个项目填报了多个重点领域时，在每个领域下各计一次，故按重点领域不列合计。", st.small)])]
    return "申报进度", out


def _side_by_side(left: Flowable | list[Flowable], right: Flowable | list[Flowable], half: float,
                  font: str) -> Table:
    table = Table([[left, right]], colWidths=[half + 8 * mm, half])
    # The font matters even without text: a table's default Helvetica would be referenced unembedded.
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0)]))
    return table
