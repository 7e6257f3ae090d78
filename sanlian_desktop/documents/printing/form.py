"""The printed declaration form (申报表) as a PDF: filled declarations or the blank form.

Plain data in, a PDF file out; no database and no Qt. Text is laid out after the notice's
attachment, every page of a filled form carries a QR code pointing back to the stored version,
and pages are numbered per declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate
from reportlab.platypus.flowables import Flowable

from sanlian_desktop.documents.printing import layout
from sanlian_desktop.documents.printing.canvas import GroupStart, deferred_canvas_maker
from sanlian_desktop.documents.printing.fonts import FontChoice, find_cjk_font
from sanlian_desktop.documents.printing.qr import draw_qr, qr_modules, qr_payload
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import atomic_write as atomic_output
from sanlian_desktop.kernel.vocab import REVIEW_LEVELS, Decision

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 20 * mm
MARGIN_BOTTOM = 18 * mm
QR_SIZE = 17 * mm
_REVIEW_LEVEL_VALUES = {level.value for level in REVIEW_LEVELS}


@dataclass(frozen=True)
class PrintableOpinion:
    """One level's written opinion as it appears in the form's opinion box."""

    level: str  # street / county / city / province
    office_name: str
    reviewer: str
    decision: str  # approve / reject / return
    text: str
    decided_on: date | None
    from_paper: bool = False
    granted: Decimal | None = None  # the province's approved subsidy

    def __post_init__(self) -> None:
        if self.level not in _REVIEW_LEVEL_VALUES:
            raise UserError(f"意见的审核层级“{self.level}”无效", f"unknown opinion level {self.level!r}")
        if self.decision not in {d.value for d in Decision}:
            raise UserError(f"审核结论“{self.decision}”无效", f"unknown decision {self.decision!r}")


@dataclass(frozen=True)
class PrintableDeclaration:
    """Everything printed for one declaration version.

    ``fields`` has the keys of ``declaration.example.json``; amounts may be text or Decimal,
    dates ISO text or ``date``. Region names are printed as given.
    """

    number: str
    version: int
    content_hash: str
    city: str
    county: str
    street: str
    community: str
    fields: Mapping[str, Any]
    opinions: Sequence[PrintableOpinion] = field(default_factory=list)

    def unit_names(self) -> dict[str, str]:
        """Region names keyed as on the 申报单位 line."""
        return {"city": self.city, "county": self.county, "street": self.street, "community": self.community}


def _doc(fh: Any, title: str, font: str) -> BaseDocTemplate:
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        PAGE_WIDTH - 2 * MARGIN_X,
        PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="form",
    )
    doc = BaseDocTemplate(
        fh,
        pagesize=A4,
        title=title,
        author="三社联动申报系统",
        creator="sanlian_desktop",
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        initialFontName=font,  # otherwise every page references an unembedded Helvetica
    )
    doc.addPageTemplates([PageTemplate(id="form", frames=[frame])])
    return doc


def _footer(canv: Canvas, font: str, page: int, pages: int) -> None:
    canv.setFont(font, 9)
    canv.drawCentredString(PAGE_WIDTH / 2, 9 * mm, f"第 {page} 页 共 {pages} 页")


def _missing_glyphs(font: FontChoice, decl: PrintableDeclaration) -> str:
    """Characters of the declaration that the embedded font cannot draw (printed as boxes)."""
    face = pdfmetrics.getFont(font.name)
    if not isinstance(face, TTFont):
        return ""
    chars: set[str] = set()

    def collect(value: object) -> None:
        if isinstance(value, str):
            chars.update(value)
        elif isinstance(value, Mapping):
            for v in value.values():
                collect(v)
        elif isinstance(value, list | tuple):
            for v in value:
                collect(v)

    collect(decl.fields)
    collect([decl.city, decl.county, decl.street, decl.community])
    collect([[op.office_name, op.reviewer, op.text] for op in decl.opinions])
    known = face.face.charToGlyph
    missing = sorted(ch for ch in chars if ch.isprintable() and not ch.isspace() and ord(ch) not in known)
    return "".join(missing)


def render_declarations(
    decls: Sequence[PrintableDeclaration],
    out_path: str | Path,
    *,
    font: FontChoice | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Print ``decls`` into one PDF at ``out_path``, each starting on a new page.

    Returns warnings (Chinese sentences) for the user: a non-embedded fallback font, characters
    the font cannot draw. The file is written to ``out_path.tmp`` and renamed when complete.
    ``progress(done, total)`` is called as each declaration is laid out and once at the end; an
    exception raised from it cancels the job and leaves ``out_path`` as it was.
    """
    if not decls:
        raise UserError("没有要打印的申报", "no declarations to print")
    font = font or find_cjk_font()
    payloads = [qr_payload(d.number, d.version, d.content_hash) for d in decls]
    warnings = [font.warning] if font.warning else []
    st = layout.make_styles(font.name)
    total = len(decls)

    def on_start(index: int) -> None:
        if progress is not None:
            progress(index, total)

    story: list[Flowable] = []
    for index, decl in enumerate(decls):
        if index:
            story.append(PageBreak())
        story.append(GroupStart(index, on_start))
        rows = layout.header_rows(decl.unit_names(), st) + layout.declaration_rows(decl, st)
        story.append(layout.table_for(rows, font.name))
        missing = _missing_glyphs(font, decl)
        if missing:
            warnings.append(f"申报 {decl.number} 中有字符无法用当前字体打印（将显示为方框）：{missing}")

    modules: list[list[bool]] = []

    def overlay(canv: Canvas, group: int, page: int, pages: int) -> None:
        decl = decls[group]
        top = PAGE_HEIGHT - 8 * mm
        if page == 1:  # encode once per declaration; its pages come one after another
            modules[:] = qr_modules(payloads[group])
        draw_qr(canv, modules, PAGE_WIDTH - MARGIN_X - QR_SIZE + 2 * mm, top - QR_SIZE, QR_SIZE)
        canv.setFont(font.name, 7.5)
        text_right = PAGE_WIDTH - MARGIN_X - QR_SIZE + 1 * mm
        canv.drawRightString(text_right, top - 4 * mm, f"编号 {decl.number}")
        canv.drawRightString(text_right, top - 8 * mm, f"第 {decl.version} 版")
        _footer(canv, font.name, page, pages)

    title = layout.FORM_TITLE if len(decls) > 1 else f"{layout.FORM_TITLE} {decls[0].number}"
    with atomic_output(out_path) as fh:
        _doc(fh, title, font.name).build(story, canvasmaker=deferred_canvas_maker(overlay))
    if progress is not None:
        progress(total, total)
    return warnings


def render_blank(out_path: str | Path, *, font: FontChoice | None = None) -> list[str]:
    """Print the empty form for handwriting (no QR code) to ``out_path``; returns warnings."""
    font = font or find_cjk_font()
    st = layout.make_styles(font.name)
    table = layout.table_for(layout.header_rows(None, st) + layout.blank_rows(st), font.name)

    def overlay(canv: Canvas, group: int, page: int, pages: int) -> None:
        _footer(canv, font.name, page, pages)

    with atomic_output(out_path) as fh:
        doc = _doc(fh, layout.FORM_TITLE, font.name)
        doc.build([GroupStart(0), table], canvasmaker=deferred_canvas_maker(overlay))
    return [font.warning] if font.warning else []

