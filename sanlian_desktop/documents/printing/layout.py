"""The table of the notice's attachment (申报表), filled from a declaration or left blank."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import PageBreak, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from sanlian_desktop.documents.printing._boxes import SealBox, signer_line_fits
from sanlian_desktop.kernel.money import MoneyError, capital_numerals, format_yuan, parse_money
from sanlian_desktop.kernel.vocab import OPINION_BOX_LABELS, REVIEW_LEVELS, Decision, Level

if TYPE_CHECKING:
    from sanlian_desktop.documents.printing.form import PrintableDeclaration, PrintableOpinion

FORM_TITLE = "甘肃省“三社联动”试点项目申报表"
LABEL_WIDTH = 32 * mm
CONTENT_WIDTH = 138 * mm
SEAL_BOX_HEIGHT = 38 * mm  # an office seal is 38–42 mm across; the box must take it
BLANK_SEAL_BOX_HEIGHT = 42 * mm
PAGE_TEXT_HEIGHT = 259 * mm  # A4 less the top and bottom margins of form.py
LONG_ROW_HEIGHT = PAGE_TEXT_HEIGHT * 0.4
MIN_ROW_PART = 60  # points: the smallest piece of a split row worth leaving at a page's foot
# The opinion boxes' labels, broken where a reader expects in the narrow label column.
_BOX_LABELS = {level: text.replace("意见", "<br/>意见") if len(text) > 6 else text
               for level, text in OPINION_BOX_LABELS.items()}
_UNIT_LABELS = [("city", "市(州)"), ("county", "县(市、区)"), ("street", "街道(乡镇)"), ("community", "社区")]


@dataclass(frozen=True)
class Styles:
    """Paragraph styles, built once per render call for the chosen font."""

    font: str
    title: ParagraphStyle
    unit: ParagraphStyle
    label: ParagraphStyle
    body: ParagraphStyle
    item: ParagraphStyle
    body_size: float


def make_styles(font: str) -> Styles:
    """The form's paragraph styles in ``font`` (CJK line breaking everywhere)."""
    base = {"fontName": font, "wordWrap": "CJK"}
    return Styles(
        font=font,
        title=ParagraphStyle("title", fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=2, **base),
        unit=ParagraphStyle("unit", fontSize=11, leading=18, alignment=TA_LEFT, **base),
        label=ParagraphStyle("label", fontSize=11.5, leading=17, alignment=TA_CENTER, **base),
        body=ParagraphStyle("body", fontSize=10.5, leading=16, alignment=TA_LEFT, **base),
        item=ParagraphStyle("item", fontSize=10.5, leading=16, alignment=TA_LEFT, leftIndent=10.5, **base),
        body_size=10.5,
    )


def markup(text: object) -> str:
    """Plain text to reportlab mini-markup: escape ``& < >`` and keep line breaks."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br/>".join(escape(line) for line in lines)


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text, style)


def _item(label: str, value: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(f"{escape(label)}：{markup(value)}", style)


def format_date(value: object) -> str:
    """``2016-07-05`` or a date → ``2016年7月5日``; other text is shown as it is."""
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    text = str(value or "").strip()
    try:
        return format_date(date.fromisoformat(text)) if text else ""
    except ValueError:
        return text


def _amount(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return parse_money(value)
    except MoneyError:
        return None


def _yuan_text(value: object) -> str:
    """``80,000.00 元（人民币捌万元整）``; raw text when it is not an amount."""
    amount = _amount(value)
    if amount is None:
        return str(value or "")
    return f"{format_yuan(amount)} 元（{capital_numerals(amount)}）"


def _join(values: object) -> str:
    if isinstance(values, str):
        return values
    if isinstance(values, Iterable):
        return "、".join(str(v) for v in values)
    return ""


def _count(value: object, unit: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,} {unit}"
    return f"{value} {unit}"


def _section(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _unit_line(unit_names: Mapping[str, str] | None, st: Styles) -> list[Flowable]:
    """申报单位: ____市(州) ____县(市、区) ____街道(乡镇) ____社区, one small table per printed line.

    Cells with a rule under the names, not spaces: blanks collapse in a Paragraph and the CID
    fallback font has no glyph for a non-breaking space.
    """
    size = st.unit.fontSize
    room = LABEL_WIDTH + CONTENT_WIDTH - 4

    def width(text: str) -> float:
        return stringWidth(text, st.font, size)

    prefix = "申报单位："
    lines: list[list[tuple[str, float, bool]]] = [[(prefix, width(prefix) + 2, False)]]
    used = lines[0][0][1]
    for key, label in _UNIT_LABELS:
        name = (unit_names or {}).get(key, "")
        # A blank gets room for a handwritten name; a printed one just a little air around it.
        group = [(name, width(name) + 12 if name else 60.0, True), (label, width(label) + 5, False)]
        group_width = group[0][1] + group[1][1]
        if used + group_width > room and len(lines[-1]) > 1:  # a new line rather than split a name
            lines.append([])
            used = 0.0
        lines[-1].extend(group)
        used += group_width
    tables: list[Flowable] = []
    for cells in lines:
        table = Table([[text for text, _, _ in cells]], colWidths=[w for _, w, _ in cells], hAlign="LEFT")
        rules = [("LINEBELOW", (i, 0), (i, 0), 0.7, colors.black) for i, c in enumerate(cells) if c[2]]
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), st.font),
                    ("FONTSIZE", (0, 0), (-1, -1), size),
                    ("LEADING", (0, 0), (-1, -1), size * 1.3),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    *[("ALIGN", (i, 0), (i, 0), "CENTER") for i, c in enumerate(cells) if c[2]],
                    *rules,
                ]
            )
        )
        tables.append(table)
    return tables


def header_rows(unit_names: Mapping[str, str] | None, st: Styles) -> list[list[Any]]:
    """Title and 申报单位 line; repeated at the top of every page of the declaration."""
    return [[_para(escape(FORM_TITLE), st.title), ""], [_unit_line(unit_names, st), ""]]


def _estimated_lines(flowable: Flowable) -> int:
    if isinstance(flowable, SealBox):
        return sum(_estimated_lines(f) for f in flowable.body) + 4
    if isinstance(flowable, Paragraph):
        text = flowable.text
        return len(text) // 30 + text.count("<br/>") + 1
    return 1


def is_long_row(cell: object) -> bool:
    """Whether a content cell is tall enough that its row is split across pages rather than moved."""
    items = cell if isinstance(cell, list) else [cell]
    flowables = [f for f in items if isinstance(f, Flowable)]
    if sum(_estimated_lines(f) for f in flowables) * 16 < LONG_ROW_HEIGHT * 0.8:
        return False
    height = sum(f.wrap(CONTENT_WIDTH - 14, PAGE_TEXT_HEIGHT)[1] for f in flowables)
    return height > LONG_ROW_HEIGHT


class FormTable(Table):
    """The form's table, split page by page the way a paper form continues.

    Short rows move whole to the next page; a row taller than ``LONG_ROW_HEIGHT`` is split inside
    (reportlab's ``splitInRow``) so long text flows on. After every split the rest starts on a new
    page: otherwise reportlab would place the repeated title rows mid-page under the first part.
    """

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        self._calc(availWidth, availHeight)
        fitting = self._getFirstPossibleSplitRowPosition(availHeight)
        parts: list[Flowable] = []
        if fitting < len(self._rowHeights) and self._rowHeights[fitting] > LONG_ROW_HEIGHT:
            used = sum(self._rowHeights[:fitting])
            if availHeight - used > MIN_ROW_PART:
                parts = self._splitRows(availHeight, doInRowSplit=1)
        if not parts:
            parts = self._splitRows(availHeight, doInRowSplit=0)
        if len(parts) == 2:
            head = parts[0]
            if isinstance(head, Table):  # close the grid at the foot of the page
                head.setStyle(TableStyle([("LINEBELOW", (0, -1), (-1, -1), 1.2, colors.black)]))
            return [head, PageBreak(), parts[1]]
        return parts


def table_for(rows: list[list[Any]], font: str) -> Table:
    """The two-column form table; rows 0–1 (title, unit line) repeat on every page."""
    table = FormTable(
        rows,
        colWidths=[LABEL_WIDTH, CONTENT_WIDTH],
        repeatRows=2,
        splitByRow=1,
        splitInRow=MIN_ROW_PART,
    )
    last = len(rows) - 1
    # reportlab pads a vertically centred cell when it splits a row across pages, and the padding
    # grows with every split until the row no longer fits anywhere; long rows keep their label at
    # the top.
    top_labels = [("VALIGN", (0, i), (0, i), "TOP") for i in range(2, len(rows)) if is_long_row(rows[i][1])]
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),  # not Helvetica, which would be referenced unembedded
                ("SPAN", (0, 0), (1, 0)),
                ("SPAN", (0, 1), (1, 1)),
                ("BOTTOMPADDING", (0, 1), (1, 1), 6),
                ("LEFTPADDING", (0, 0), (-1, 1), 0),
                ("GRID", (0, 2), (-1, last), 0.7, colors.black),
                ("BOX", (0, 2), (-1, last), 1.2, colors.black),
                ("VALIGN", (0, 2), (0, last), "MIDDLE"),
                ("VALIGN", (1, 2), (1, last), "TOP"),
                ("TOPPADDING", (0, 2), (-1, last), 5),
                ("BOTTOMPADDING", (0, 2), (-1, last), 5),
                ("LEFTPADDING", (0, 2), (-1, last), 5),
                ("RIGHTPADDING", (0, 2), (0, last), 5),
                # Room for closing punctuation that CJK wrapping lets hang past the line end.
                ("RIGHTPADDING", (1, 2), (1, last), 9),
                *top_labels,
            ]
        )
    )
    return table


def latest_opinions(opinions: Iterable[PrintableOpinion]) -> dict[Level, PrintableOpinion]:
    """The latest opinion per level: by date, and among equal dates the later one in the list."""
    best: dict[Level, tuple[tuple[date, int], PrintableOpinion]] = {}
    for index, op in enumerate(opinions):
        level = Level(op.level)
        key = (op.decided_on or date.min, index)
        if level not in best or key >= best[level][0]:
            best[level] = (key, op)
    return {level: op for level, (_, op) in best.items()}


def _opinion_box(op: PrintableOpinion | None, level: Level, st: Styles) -> SealBox:
    if op is None:
        return SealBox([], font=st.font, size=st.body_size, min_height=SEAL_BOX_HEIGHT)
    decision = Decision(op.decision).label
    head = f"审核结论：{escape(decision)}"
    if op.from_paper:
        head += " 【纸质意见代录】"
    body: list[Flowable] = [_para(head, st.body)]
    if op.text.strip():
        body.append(_item("意见", op.text.strip(), st.body))
    if level is Level.PROVINCE and op.granted is not None:
        body.append(_item("批准补助金额", _yuan_text(op.granted), st.body))
    signer = []
    for line in (op.office_name and f"审核单位：{op.office_name}", op.reviewer and f"审核人：{op.reviewer}"):
        if not line:
            continue
        if signer_line_fits(line, CONTENT_WIDTH - 14, st.font, st.body_size):
            signer.append(line)
        else:  # too long to sit beside the date: give it its own wrapped line above
            body.append(_para(markup(line), st.body))
    return SealBox(
        body,
        font=st.font,
        size=st.body_size,
        min_height=SEAL_BOX_HEIGHT,
        signer_lines=signer,
        on=op.decided_on,
    )


def declaration_rows(decl: PrintableDeclaration, st: Styles) -> list[list[Any]]:
    """All rows of the filled form for one declaration."""
    f = decl.fields
    body = st.body
    profile = _section(f.get("community_profile"))
    effect = _section(f.get("expected_effect"))
    undertaker = _section(f.get("undertaker"))
    steps = _section(f.get("pre_steps"))
    label = st.label

    urban = profile.get("urban")
    kind = "城市社区" if urban is True else "农村社区" if urban is False else "—"
    figures = escape(
        f"社区类型：{kind}；常住人口 {_count(profile.get('population'), '人')}，"
        f"{_count(profile.get('households'), '户')}；"
        f"社区社会组织 {_count(profile.get('social_organisations'), '个')}；"
        f"持证社工 {_count(profile.get('social_workers'), '名')}；"
        f"注册志愿者 {_count(profile.get('registered_volunteers'), '名')}。"
    )
    start, end = format_date(f.get("period_start")), format_date(f.get("period_end"))
    overview = [
        _item("需求分析", f.get("needs_analysis", ""), body),
        _item("服务对象", _join(f.get("target_groups", [])), body),
        _item("重点领域", _join(f.get("focus_areas", [])), body),
        _item("服务方式", _join(f.get("service_methods", [])), body),
        _item("服务计划", f.get("service_plan", ""), body),
        _item("项目实施周期", f"{start} 至 {end}" if start or end else "", body),
    ]
    funding: list[Flowable] = [_item("项目总预算", _yuan_text(f.get("budget_total")), body)]
    sources = f.get("funding_sources") or []
    if sources:
        funding.append(_para("资金来源：", body))
        for n, src in enumerate(sources, 1):
            s = _section(src)
            amount = _amount(s.get("amount"))
            shown = f"{format_yuan(amount)} 元" if amount is not None else str(s.get("amount", ""))
            funding.append(_para(f"{n}. {markup(s.get('source', ''))}：{escape(shown)}", st.item))
    requested = _amount(f.get("subsidy_requested"))
    subsidy = [_para(markup(f.get("subsidy_requested", "")), body)]
    if requested is not None:
        subsidy = [
            _para(f"小写：￥{format_yuan(requested)} 元", body),
            _para(f"大写：{capital_numerals(requested)}", body),
        ]
    effect_cells = [
        _para(markup(effect.get("text", "")), body),
        _para(
            escape(
                f"预计受益人数 {_count(effect.get('beneficiaries'), '人')}；"
                f"预计服务 {_count(effect.get('service_sessions'), '场(次)')}。"
            ),
            body,
        ),
    ]
    worker = str(undertaker.get("lead_worker", "") or "")
    cert = str(undertaker.get("lead_worker_certificate", "") or "")
    undertaker_cells = [
        _item("单位名称", undertaker.get("name", ""), body),
        _item("统一社会信用代码", undertaker.get("credit_code", ""), body),
        _item("项目负责社工", f"{worker}（{cert}）" if cert else worker, body),
        _item("联系电话", undertaker.get("phone", ""), body),
    ]
    notice_dates = (format_date(steps.get("notice_start")), format_date(steps.get("notice_end")))
    notice = " 至 ".join(x for x in notice_dates if x)
    step_cells = [
        _item("社区筹划征集", format_date(steps.get("solicitation_date")), body),
        _item("社区居民听证", format_date(steps.get("hearing_date")), body),
        _item("居民代表会议审议", format_date(steps.get("council_date")), body),
        _item("张榜公示", notice, body),
    ]
    rows: list[list[Any]] = [
        [_para("项目名称", label), _para(markup(f.get("title", "")), body)],
        [_para("社区概况", label), [_para(markup(profile.get("text", "")), body), _para(figures, body)]],
        [_para("项目概况", label), overview],
        [_para("资金需求<br/>和来源", label), funding],
        [_para("申请省级<br/>补助资金", label), subsidy],
        [_para("效果预估", label), effect_cells],
        [_para("项目承接<br/>单位", label), undertaker_cells],
        [_para("申报前程序", label), step_cells],
    ]
    latest = latest_opinions(decl.opinions)
    for level in REVIEW_LEVELS:
        rows.append([_para(_BOX_LABELS[level], label), _opinion_box(latest.get(level), level, st)])
    return rows


def blank_rows(st: Styles) -> list[list[Any]]:
    """Rows of the empty form for handwriting, with generous fixed heights."""
    body, label = st.body, st.label

    def cell(prompt: str, height: float) -> list[Flowable]:
        return [_para(prompt, body), Spacer(1, height)] if prompt else [Spacer(1, height)]

    # (label, prompt, room for handwriting)
    layout = [
        ("项目名称", "", 12 * mm),
        ("社区概况", "城乡类型、人口和户数、社区社会组织、持证社工、注册志愿者：", 30 * mm),
        ("项目概况", "需求分析、服务对象、服务方式及项目实施周期：", 62 * mm),
        ("资金需求<br/>和来源", "项目总预算及资金来源（逐项列明金额）：", 26 * mm),
        ("申请省级<br/>补助资金", "小写：￥<br/><br/>大写：", 3 * mm),
        ("效果预估", "", 34 * mm),
        ("项目承接<br/>单位", "单位名称、统一社会信用代码、项目负责社工及证书等级、联系电话：", 16 * mm),
        ("申报前程序", "社区筹划征集、社区居民听证、居民代表会议审议、张榜公示的日期：", 16 * mm),
    ]
    rows: list[list[Any]] = [[_para(name, label), cell(prompt, room)] for name, prompt, room in layout]
    for level in REVIEW_LEVELS:
        box = SealBox(
            [], font=st.font, size=st.body_size, min_height=BLANK_SEAL_BOX_HEIGHT, signer_lines=["审核人："]
        )
        rows.append([_para(_BOX_LABELS[level], label), box])
    return rows
