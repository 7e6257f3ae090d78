"""The public notice (公示) of selected projects as a PDF: landscape A4, a table that repeats its header
and wraps long Chinese titles inside their cells, "第 x 页 共 y 页" on every page.

Plain data in, a PDF file out; no database and no Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle

from sanlian_desktop.documents.printing.canvas import deferred_canvas_maker
from sanlian_desktop.documents.printing.fonts import FontChoice, find_cjk_font
from sanlian_desktop.kernel.fileio import atomic_write
from sanlian_desktop.kernel.money import format_yuan

PAGE = landscape(A4)
MARGIN = 15 * mm
# 序号, 申报编号, 项目名称, 市(州), 县(市、区), 街道(乡镇), 社区, 重点领域, 补助金额, 状态
COLUMNS = (("序号", 10), ("申报编号", 39), ("项目名称", 67), ("市(州)", 20), ("县(市、区)", 20),
           ("街道(乡镇)", 21), ("社区", 24), ("重点领域", 26), ("补助金额（元）", 24), ("状态", 15))
STATE_TEXT = {"approved": "已批准", "shortlisted": "拟入选"}


@dataclass(frozen=True)
class PrintableNotice:
    """What the notice shows; ``entries`` are the stored notice's entries (dicts)."""

    title: str
    seq: int
    starts: date
    ends: date
    issued_on: date
    issuer: str
    entries: Sequence[dict[str, Any]]
    supersedes_seq: int | None = None


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=17, leading=24, alignment=TA_CENTER),
        "body": ParagraphStyle("body", fontName=font, fontSize=10.5, leading=17, wordWrap="CJK", firstLineIndent=21),
        "cell": base,
        "head": ParagraphStyle("head", parent=base, alignment=TA_CENTER),
        "num": ParagraphStyle("num", parent=base, alignment=TA_RIGHT),
        "centre": ParagraphStyle("centre", parent=base, alignment=TA_CENTER),
        "sign": ParagraphStyle("sign", fontName=font, fontSize=10.5, leading=17, alignment=TA_RIGHT),
    }


def _table(notice: PrintableNotice, st: dict[str, ParagraphStyle]) -> Table:
    font = st["cell"].fontName
    def p(text: object, style: str = "cell") -> Paragraph:
        return Paragraph(escape(str(text)), st[style])

    data: list[list[Any]] = [[p(name, "head") for name, _ in COLUMNS]]
    total = Decimal(0)
    for i, e in enumerate(notice.entries, 1):
        amount = (Decimal(int(e.get("amount_fen") or 0)) / 100).quantize(Decimal("0.01"))
        total += amount
        data.append([p(i, "centre"), p(e["number"]), p(e["title"]), p(e["city"]), p(e["county"]),
                     p(e.get("street", "")), p(e["community"]), p(e["focus_areas"]), p(format_yuan(amount), "num"),
                     p(STATE_TEXT.get(str(e.get("state")), ""), "centre")])
    data.append([p("合计", "centre"), p(f"{len(notice.entries)} 个项目"), "", "", "", "", "", "",
                 p(format_yuan(total), "num"), ""])
    widths = [w * mm for _, w in COLUMNS]
    table = Table(data, colWidths=widths, repeatRows=1)
    last = len(data) - 1
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),  # empty cells too: no unembedded Helvetica
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("SPAN", (1, last), (7, last)),
        ("BACKGROUND", (0, last), (-1, last), colors.HexColor("#f4f4f4")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def render_notice(target: str | Path, notice: PrintableNotice, *, font_file: str | Path | None = None) -> FontChoice:
    """Write the notice as a PDF to ``target`` (atomically); returns the font used (with any warning)."""
    font = find_cjk_font(font_file)
    st = _styles(font.name)
    communities = len({e["community_code"] for e in notice.entries})
    total = sum((Decimal(int(e.get("amount_fen") or 0)) for e in notice.entries), Decimal(0)) / 100
    approved = sum(1 for e in notice.entries if e.get("state") == "approved")
    parts = [
        f"经社区申报、街道（乡镇）初核、县级民政部门审核、市州民政部门复核和省民政厅专家评审，"
        f"现将入选项目予以公示：共 {len(notice.entries)} 个项目（其中已批准 {approved} 个），"
        f"涉及 {communities} 个城乡社区，补助资金合计 {format_yuan(total.quantize(Decimal('0.01')))} 元。",
        f"公示期：{_day(notice.starts)}至{_day(notice.ends)}。公示期内，对入选项目如有异议，"
        "请以书面形式向省民政厅反映，并写明真实姓名和联系方式。",
    ]
    if notice.supersedes_seq is not None:
        parts.append(f"本公示（第 {notice.seq} 号）替代第 {notice.supersedes_seq} 号公示。")
    story: list[Any] = [Paragraph(escape(notice.title), st["title"]), Spacer(1, 4 * mm)]
    story += [Paragraph(escape(t), st["body"]) for t in parts]
    story += [Spacer(1, 4 * mm), _table(notice, st), Spacer(1, 8 * mm),
              Paragraph(escape(notice.issuer), st["sign"]), Paragraph(_day(notice.issued_on), st["sign"])]

    def overlay(canv: Canvas, _group: int, page: int, pages: int) -> None:
        canv.setFont(font.name, 9)
        canv.drawCentredString(PAGE[0] / 2, 8 * mm, f"第 {page} 页 共 {pages} 页")
        canv.drawRightString(PAGE[0] - MARGIN, 8 * mm, f"公示第 {notice.seq} 号")

    with atomic_write(target) as fh:
        frame = Frame(MARGIN, MARGIN, PAGE[0] - 2 * MARGIN, PAGE[1] - 2 * MARGIN, leftPadding=0, rightPadding=0,
                      topPadding=0, bottomPadding=0, id="notice")
        doc = BaseDocTemplate(fh, pagesize=PAGE, title=notice.title, author=notice.issuer,
                              creator="sanlian_desktop", initialFontName=font.name)
        doc.addPageTemplates([PageTemplate(id="notice", frames=[frame])])
        doc.build(story, canvasmaker=deferred_canvas_maker(overlay))
    return font
