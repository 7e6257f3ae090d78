"""The fill-in workbook (申报表模板) for communities that key declarations in Excel instead of the program."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sanlian_desktop.documents.spreadsheets import styles as st
from sanlian_desktop.documents.spreadsheets.columns import (
    COLUMNS,
    EXAMPLE_ROW,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    MARKER_NAME,
    MAX_DECLARATIONS,
    MULTI_SEPARATOR,
    TEMPLATE_SHEET,
    TEMPLATE_VERSION,
    URBAN_CHOICES,
    Column,
    Kind,
    example_declaration,
    get_path,
)
from sanlian_desktop.kernel.fileio import atomic_write as atomic_output

# The lists behind the drop-downs, one column each on the hidden sheet.
_LISTS: list[tuple[str, tuple[str, ...]]] = []
_NUMBER_FORMATS = {
    Kind.CODE: st.TEXT_FORMAT,
    Kind.INTEGER: st.INTEGER_FORMAT,
    Kind.MONEY: st.MONEY_FORMAT,
    Kind.DATE: st.DATE_FORMAT,
}
_FIRST_DATE, _LAST_DATE = 36526, 73050  # Excel serials of 2000-01-01 and 2099-12-31
LAST_DATA_ROW = HEADER_ROW + 1 + MAX_DECLARATIONS  # the example row plus the allowed declarations
FROZEN_COLUMNS = 3  # 申报批次, 社区代码, 项目名称 stay visible while scrolling right


def write_template(out_path: str | os.PathLike[str]) -> None:
    """Write the fill-in template: sheet 申报表 (one row per declaration), 填写说明 and a hidden 选项 sheet.

    The workbook carries the defined name ``SANLIAN_DECLARATION_TEMPLATE`` with the template version,
    which :func:`read_declarations` recognises. Row 2 holds a grey example that the reader skips.
    """
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = TEMPLATE_SHEET
    lists = add_lists_sheet(wb)
    layout_declaration_sheet(ws, COLUMNS, lists)
    write_example_row(ws, COLUMNS)
    add_instructions_sheet(wb)
    move_to_end(wb, LISTS_SHEET)
    add_marker(wb)
    with atomic_output(out_path) as handle:
        wb.save(handle)


def move_to_end(wb: Workbook, sheet: str) -> None:
    """Put ``sheet`` last, where a hidden sheet belongs."""
    wb.move_sheet(sheet, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(sheet))


def add_marker(wb: Workbook) -> None:
    """Mark ``wb`` as our template, with its version, as a workbook-level defined name."""
    wb.defined_names[MARKER_NAME] = DefinedName(MARKER_NAME, attr_text=f'"{TEMPLATE_VERSION}"')


def add_lists_sheet(wb: Workbook) -> dict[str, str]:
    """Add the hidden sheet of drop-down lists; return each vocabulary's range formula by column key."""
    ws = wb.create_sheet(LISTS_SHEET)
    ws.sheet_state = "hidden"
    ranges: dict[str, str] = {}
    seen: dict[tuple[str, ...], str] = {}
    list_col = 0
    for col in COLUMNS:
        if col.kind not in (Kind.URBAN, Kind.CHOICE, Kind.TERMS) or not col.vocabulary:
            continue
        if col.vocabulary not in seen:
            list_col += 1
            letter = get_column_letter(list_col)
            ws.cell(row=1, column=list_col, value=col.header.rstrip("0123456789"))
            for idx, term in enumerate(col.vocabulary, 2):
                ws.cell(row=idx, column=list_col, value=term)
            last = len(col.vocabulary) + 1
            seen[col.vocabulary] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${last}"
            ws.column_dimensions[letter].width = 18
        ranges[col.key] = seen[col.vocabulary]
    return ranges


def layout_declaration_sheet(ws: Worksheet, layout: Sequence[Column | str], lists: dict[str, str]) -> None:
    """Headers, widths, column formats, drop-downs and checks for a declaration sheet.

    ``layout`` is the column order: template columns, or plain header text for columns that are not
    ours (kept as they are in an error copy).
    """
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=FROZEN_COLUMNS + 1).coordinate
    ws.row_dimensions[HEADER_ROW].height = 36
    for idx, col in enumerate(layout, 1):
        letter = get_column_letter(idx)
        header = ws.cell(row=HEADER_ROW, column=idx, value=col.header if isinstance(col, Column) else col)
        header.font = st.HEADER_FONT
        header.fill = st.HEADER_FILL
        header.alignment = st.HEADER_ALIGNMENT
        header.border = st.BORDER
        dimension = ws.column_dimensions[letter]
        if not isinstance(col, Column):
            dimension.width = 16
            continue
        dimension.width = col.width
        if col.kind in _NUMBER_FORMATS:
            dimension.number_format = _NUMBER_FORMATS[col.kind]
        if col.kind is Kind.TEXT:
            dimension.alignment = st.WRAP_TOP
        if col.hint:
            header.comment = Comment(col.hint, "三社联动申报系统", width=220, height=70)
        validation = _validation(col, lists)
        if validation is not None:
            validation.add(f"{letter}{HEADER_ROW + 1}:{letter}{LAST_DATA_ROW}")
            ws.add_data_validation(validation)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"


def _validation(col: Column, lists: dict[str, str]) -> DataValidation | None:
    """Excel's own checks while typing; the reader checks again, since Excel lets a paste through."""
    common: dict[str, Any] = {"allow_blank": True, "showErrorMessage": True, "errorTitle": col.header}
    if col.kind in (Kind.URBAN, Kind.CHOICE):
        return DataValidation(type="list", formula1=lists[col.key], error="请从下拉列表中选择。", **common)
    if col.kind is Kind.TERMS:
        prompt = f"可填多项，用“{MULTI_SEPARATOR}”分隔：" + MULTI_SEPARATOR.join(col.vocabulary)
        return DataValidation(showInputMessage=True, promptTitle=col.header, prompt=prompt[:250],
                              allow_blank=True)
    if col.kind is Kind.DATE:
        return DataValidation(type="date", operator="between", formula1=str(_FIRST_DATE),
                              formula2=str(_LAST_DATE), error="请填写日期，如 2016-07-05。", **common)
    if col.kind is Kind.INTEGER:
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                              error="请填写不小于 0 的整数。", **common)
    if col.kind is Kind.MONEY:
        return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                              error="请填写金额（元），最多两位小数。", **common)
    if col.code_length:
        return DataValidation(type="textLength", operator="equal", formula1=str(col.code_length),
                              error=f"应为 {col.code_length} 位。", **common)
    return None


def cell_value(col: Column, value: Any) -> Any:
    """A declaration value as the template cell holds it (the reverse of the reader's conversion)."""
    if value is None or value == []:
        return None
    if col.kind is Kind.MONEY:
        return Decimal(value)
    if col.kind is Kind.DATE:
        return date.fromisoformat(value)
    if col.kind is Kind.URBAN:
        return URBAN_CHOICES[0] if value else URBAN_CHOICES[1]
    if col.kind is Kind.TERMS:
        return MULTI_SEPARATOR.join(value)
    return value


def write_example_row(ws: Worksheet, layout: Sequence[Column | str]) -> None:
    """The grey example row (row 2), from the example declaration shipped with the program."""
    example = example_declaration()
    for idx, col in enumerate(layout, 1):
        if not isinstance(col, Column):
            continue
        cell = ws.cell(row=EXAMPLE_ROW, column=idx, value=cell_value(col, get_path(example, col.key)))
        style_data_cell(cell, col)
        cell.font = st.EXAMPLE_FONT


def style_data_cell(cell: Any, col: Column) -> None:
    """Number format and alignment of a data cell written by openpyxl (which ignores column styles)."""
    if col.kind in _NUMBER_FORMATS:
        cell.number_format = _NUMBER_FORMATS[col.kind]
    if col.kind is Kind.TEXT:
        cell.alignment = st.WRAP_TOP


_GENERAL_RULES = [
    "一、每个申报项目填一行，从第3行起填写；第2行为灰色示例，可以保留（导入时自动跳过）或删除。",
    "二、请勿修改、删除第1行的栏目名称；栏目顺序可以调整，可以在最后增加自己的备注列（导入时忽略）。",
    "三、日期请填写为日期格式，如 2016-07-05；金额以元为单位，最多两位小数，不要写“万元”。",
    "四、“服务对象”“重点领域”“服务方式”可填多项，用顿号“、”分隔，须使用下表所列的名称。",
    "五、“城市/农村”“资金来源”“社工证书等级”请从下拉列表选择。资金来源最多6项，不用的留空。",
    "六、请直接填写数值，不要使用公式；不要合并单元格；请勿设置打开密码。",
    f"七、每个文件最多 {MAX_DECLARATIONS} 个项目；保存为 Excel 工作簿（.xlsx）格式后导入。",
    "八、导入时发现的问题会列在一份“错误标注”副本中：出错的单元格标为红色并附批注，改正后可再次导入。",
]


def add_instructions_sheet(wb: Workbook) -> Worksheet:
    """The 填写说明 sheet: general rules, then one line per column with its requirement and choices."""
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    ws["A1"] = "“三社联动”试点项目申报表填写说明"
    ws["A1"].font = st.TITLE_FONT
    row = 3
    for rule in _GENERAL_RULES:
        ws.cell(row=row, column=1, value=rule)
        row += 1
    row += 1
    for idx, text in enumerate(["列", "栏目", "填写要求", "可选值"], 1):
        cell = ws.cell(row=row, column=idx, value=text)
        cell.font = st.HEADER_FONT
        cell.fill = st.HEADER_FILL
        cell.border = st.BORDER
    for idx, col in enumerate(COLUMNS, 1):
        row += 1
        ws.cell(row=row, column=1, value=get_column_letter(idx))
        ws.cell(row=row, column=2, value=col.header)
        ws.cell(row=row, column=3, value=col.hint or "文字")
        ws.cell(row=row, column=4, value=MULTI_SEPARATOR.join(col.vocabulary) or None)
        for cidx in range(1, 5):
            ws.cell(row=row, column=cidx).alignment = st.WRAP_TOP
    for letter, width in zip("ABCD", (6, 22, 34, 60), strict=True):
        ws.column_dimensions[letter].width = width
    return ws
