"""The error copy of an imported workbook: bad cells red and commented, a 错误说明 column, a summary."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter

from sanlian_desktop.documents.spreadsheets import styles as st
from sanlian_desktop.documents.spreadsheets.columns import (
    ERROR_COLUMN_HEADER,
    EXAMPLE_ROW,
    HEADER_ROW,
    LISTS_SHEET,
    TEMPLATE_SHEET,
    Column,
)
from sanlian_desktop.documents.spreadsheets.template import (
    add_instructions_sheet,
    add_lists_sheet,
    add_marker,
    layout_declaration_sheet,
    move_to_end,
    style_data_cell,
)
from sanlian_desktop.kernel.fileio import atomic_write as atomic_output

if TYPE_CHECKING:
    from sanlian_desktop.documents.spreadsheets.intake import IntakeResult, RowError

SUMMARY_SHEET = "错误汇总"
_AUTHOR = "三社联动申报系统"


def write_error_copy(result: IntakeResult, out_path: str | os.PathLike[str]) -> None:
    """Write ``result``'s workbook again in the template's layout, with every problem marked.

    Rows keep their row numbers and columns their letters, so the messages match the original file.
    """
    snapshot = result.snapshot
    layout: list[Column | str] = list(snapshot.layout)
    error_idx = snapshot.error_column
    if error_idx is None:
        layout.append(ERROR_COLUMN_HEADER)
        error_idx = len(layout) - 1
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = TEMPLATE_SHEET
    lists = add_lists_sheet(wb)
    layout_declaration_sheet(ws, layout, lists)
    error_letter = get_column_letter(error_idx + 1)
    ws.column_dimensions[error_letter].width = 50
    ws.cell(row=HEADER_ROW, column=error_idx + 1).fill = st.ERROR_FILL

    by_row = result.errors_by_row()
    for row_number, values in snapshot.rows.items():
        for idx, value in enumerate(values):
            if idx == error_idx:
                continue  # the old messages are replaced below
            cell = ws.cell(row=row_number, column=idx + 1, value=_writable(value))
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text the clerk typed, not a formula to bring to life
            col = layout[idx]
            if isinstance(col, Column):
                style_data_cell(cell, col)
            if row_number == EXAMPLE_ROW and result.example_skipped:
                cell.font = st.EXAMPLE_FONT
    for row_number, errors in by_row.items():
        _mark_row(ws, row_number, errors, error_idx + 1)

    _add_summary(wb, result)
    add_instructions_sheet(wb)
    move_to_end(wb, LISTS_SHEET)
    add_marker(wb)
    with atomic_output(out_path) as handle:
        wb.save(handle)


def _writable(value: Any) -> Any:
    """Control characters that came in through a paste cannot be written back into the XML."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _mark_row(ws: Any, row_number: int, errors: list[RowError], error_column: int) -> None:
    by_cell: dict[str, list[str]] = {}
    for error in errors:
        if error.column:
            by_cell.setdefault(error.column, []).append(error.message)
    for letter, messages in by_cell.items():
        cell = ws[f"{letter}{row_number}"]
        cell.fill = st.ERROR_FILL
        cell.font = st.ERROR_FONT
        text = "\n".join(messages)
        cell.comment = Comment(text, _AUTHOR, width=260, height=max(60, 22 * (len(messages) + 1)))
    note = ws.cell(row=row_number, column=error_column,
                   value="\n".join(f"{e.column or '—'}列 {e.header}：{e.message}" for e in errors))
    note.font = st.ERROR_FONT
    note.alignment = st.WRAP_TOP


def _add_summary(wb: Workbook, result: IntakeResult) -> None:
    ws = wb.create_sheet(SUMMARY_SHEET)
    bad_rows = len(result.errors_by_row())
    ws["A1"] = f"导入检查：{result.source.name}"
    ws["A1"].font = st.TITLE_FONT
    ws["A2"] = (
        f"共 {bad_rows} 行有问题（{len(result.errors)} 处），{len(result.valid)} 行可以导入。"
        "请在“申报表”工作表中修改红色单元格（鼠标指向可看批注），保存后重新导入。"
    )
    headers = ["行号", "列", "栏目", "问题"]
    for idx, text in enumerate(headers, 1):
        cell = ws.cell(row=4, column=idx, value=text)
        cell.font = st.HEADER_FONT
        cell.fill = st.HEADER_FILL
        cell.border = st.BORDER
    row = 4
    for error in sorted(result.errors, key=lambda e: (e.row, len(e.column), e.column)):
        row += 1
        ws.cell(row=row, column=1, value=error.row)
        ws.cell(row=row, column=2, value=error.column or None)
        ws.cell(row=row, column=3, value=error.header)
        ws.cell(row=row, column=4, value=error.message).alignment = st.WRAP_TOP
    for letter, width in zip("ABCD", (8, 6, 22, 70), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A5"
    if row > 4:
        ws.auto_filter.ref = f"A4:D{row}"
