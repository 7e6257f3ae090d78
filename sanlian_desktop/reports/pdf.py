"""The printed progress report (进展情况) of one office: plain figures in, a PDF out (no database, no Qt)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from sanlian_desktop.documents.printing.canvas import deferred_canvas_maker
from sanlian_desktop.documents.printing.fonts import FontChoice, find_cjk_font
from sanlian_desktop.documents.printing.layout import markup
from sanlian_desktop.kernel.fileio import atomic_write
from sanlian_desktop.reports.text import sections

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
WIDTH = PAGE_WIDTH - 2 * MARGIN


def render_progress_report(report: Mapping[str, Any], out_path: str | Path, *,
                           font: FontChoice | None = None) -> list[str]:
    """Print one report (``progress.as_dict``) to ``out_path``; returns warnings for the user."""
    font = font or find_cjk_font()
    base = {"fontName": font.name, "wordWrap": "CJK"}
    title = ParagraphStyle("title", fontSize=17, leading=24, alignment=TA_CENTER, spaceAfter=4, **base)
    sub = ParagraphStyle("sub", fontSize=10, leading=15, alignment=TA_CENTER, spaceAfter=8, **base)
    head = ParagraphStyle("head", fontSize=12, leading=18, spaceBefore=8, spaceAfter=4, **base)
    cell = ParagraphStyle("cell", fontSize=9.5, leading=13.5, **base)
    story: list[Flowable] = []
    figures = report["figures"]
    story.append(Paragraph(markup(f"{figures['region']['name']}“三社联动”试点项目进展情况"), title))
    story.append(Paragraph(markup(
        f"报告期 {report['period_start']} 至 {report['period_end']}　出具单位 {report['office_name']}"
        f"　编号 {report['id'][:12]}"), sub))
    for heading, header, rows in sections(figures):
        story.append(Paragraph(markup(heading), head))
        if not rows:
            story.append(Paragraph("（无）", cell))
            continue
        data = [[Paragraph(markup(h), cell) for h in header]]
        data += [[Paragraph(markup(v), cell) for v in row] for row in rows]
        first = WIDTH * (0.34 if len(header) > 2 else 0.5)
        rest = (WIDTH - first) / (len(header) - 1)
        table = Table(data, colWidths=[first] + [rest] * (len(header) - 1), repeatRows=1)
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), font.name),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ]))
        story.append(table)
        story.append(Spacer(1, 2 * mm))

    def overlay(canv: Canvas, _group: int, page: int, pages: int) -> None:
        canv.setFont(font.name, 9)
        canv.drawCentredString(PAGE_WIDTH / 2, 9 * mm, f"第 {page} 页 共 {pages} 页")

    frame = Frame(MARGIN, MARGIN, WIDTH, PAGE_HEIGHT - 2 * MARGIN, leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    with atomic_write(out_path) as fh:
        doc = BaseDocTemplate(fh, pagesize=A4, title="进展情况报告", author="三社联动申报系统",
                              initialFontName=font.name)
        doc.addPageTemplates([PageTemplate(id="report", frames=[frame])])
        doc.build(story, canvasmaker=deferred_canvas_maker(overlay))
    return [font.warning] if font.warning else []
