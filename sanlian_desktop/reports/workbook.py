"""A progress report (进展情况) as a workbook: one sheet, one block per section, figures as numbers."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from sanlian_desktop.documents.spreadsheets.styles import (
    BORDER,
    HEADER_ALIGNMENT,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    WRAP_TOP,
)
from sanlian_desktop.kernel.fileio import atomic_write
from sanlian_desktop.reports.text import sections

WIDTHS = (40, 18, 18, 18)


def _value(text: str) -> Any:
    """Counts and amounts as numbers, so the office can sum them; everything else as text."""
    plain = text.replace(",", "")
    if plain.isdigit():
        return int(plain)
    head, dot, tail = plain.partition(".")
    if dot and head.lstrip("-").isdigit() and tail.isdigit() and len(tail) == 2:
        return Decimal(plain)
    return text


def write_progress_report(report: Mapping[str, Any], out_path: str | Path) -> None:
    """Write one report (``progress.as_dict``) to ``out_path`` (temporary name, then renamed)."""
    figures = report["figures"]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "进展情况"
    ws.append([f"{figures['region']['name']}“三社联动”试点项目进展情况"])
    ws["A1"].font = TITLE_FONT
    ws.append([f"报告期 {report['period_start']} 至 {report['period_end']}，出具单位 {report['office_name']}，"
               f"编号 {report['id']}"])
    for heading, header, rows in sections(figures):
        ws.append([])
        ws.append([heading])
        ws.cell(ws.max_row, 1).font = HEADER_FONT
        ws.append(header)
        for c in ws[ws.max_row]:
            c.font, c.fill, c.alignment, c.border = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT, BORDER
        for row in rows:
            ws.append([_value(v) for v in row])
            for c in ws[ws.max_row]:
                c.border, c.alignment = BORDER, WRAP_TOP
                if isinstance(c.value, Decimal):
                    c.number_format = "#,##0.00"
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions["ABCD"[i]].width = width
    with atomic_write(out_path) as fh:
        wb.save(fh)
