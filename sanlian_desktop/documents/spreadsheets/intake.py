"""Intake of filled-in templates: each row back to a declaration dict, with every problem tied to its cell."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from sanlian_desktop.documents.spreadsheets._dimension import readable_source
from sanlian_desktop.documents.spreadsheets._guard import check_workbook_file
from sanlian_desktop.documents.spreadsheets.columns import (
    COLUMNS,
    ERROR_COLUMN_HEADER,
    EXAMPLE_ROW,
    FUNDING_SLOTS,
    HEADER_ROW,
    MARKER_NAME,
    MAX_DECLARATIONS,
    TEMPLATE_SHEET,
    TEMPLATE_VERSION,
    Column,
    Kind,
    example_declaration,
    funding_key,
    normalise_header,
)
from sanlian_desktop.documents.spreadsheets.convert import CellValueError, convert, is_blank
from sanlian_desktop.kernel.errors import FieldError, UserError

MAX_HEADER_COLUMNS = 200
# A run of this many empty rows ends the data: a sheet with 100,000 formatted but empty rows
# (or a dimension claiming a million rows) is then read in well under a second.
EMPTY_RUN_LIMIT = 200
MAX_SCANNED_ROWS = 50_000
_BY_HEADER = {normalise_header(col.header): col for col in COLUMNS}
_T = TypeVar("_T")

Validator = Callable[[dict[str, Any]], list[FieldError]]


@dataclass(frozen=True)
class RowError:
    """One problem in one row: the cell's column letter ("" if it concerns the whole row), the
    declaration key path, the column header and the message in Chinese."""

    row: int
    column: str
    field: str
    header: str
    message: str

    def line(self) -> str:
        """``第5行 H列（项目总预算(元)）：“五万”不是有效金额``."""
        where = f"第{self.row}行 {self.column}列" if self.column else f"第{self.row}行"
        return f"{where}（{self.header}）：{self.message}"


@dataclass(frozen=True)
class IntakeRow:
    """A row that converted and validated cleanly: its row number and the declaration dict."""

    row: int
    data: dict[str, Any]


@dataclass(frozen=True)
class SheetSnapshot:
    """What was read from sheet 申报表, kept to write the error copy without reopening the file."""

    layout: list[Column | str]  # column order of the file; header text for columns that are not ours
    positions: dict[str, int]  # declaration key → 0-based column index
    rows: dict[int, tuple[Any, ...]]  # non-empty rows by row number, raw cell values
    error_column: int | None  # 0-based index of an earlier error copy's 错误说明 column


@dataclass
class IntakeResult:
    """The outcome of reading one workbook: valid rows, and the problems of the others, row by row."""

    source: Path
    valid: list[IntakeRow]
    errors: list[RowError]
    example_skipped: bool
    snapshot: SheetSnapshot = field(repr=False)

    @property
    def ok(self) -> bool:
        """True when every non-empty row is a valid declaration."""
        return not self.errors

    def errors_by_row(self) -> dict[int, list[RowError]]:
        """The problems grouped by row number, rows in ascending order."""
        grouped: dict[int, list[RowError]] = {}
        for error in sorted(self.errors, key=lambda e: e.row):
            grouped.setdefault(error.row, []).append(error)
        return grouped

    def write_error_copy(self, out_path: str | os.PathLike[str]) -> None:
        """Write a copy of the workbook with each bad cell filled red and commented, a 错误说明 column
        on each row and a 错误汇总 sheet. The copy is a template again: fix it and import it again."""
        from sanlian_desktop.documents.spreadsheets.error_copy import write_error_copy

        write_error_copy(self, out_path)


def read_declarations(path: str | os.PathLike[str], validate: Validator) -> IntakeResult:
    """Read a filled-in template and return its declarations and the problems found, cell by cell.

    Each non-empty row of sheet 申报表 becomes a dict shaped like ``declaration.example.json``:
    money as ``"50000.00"``, dates as ``"2016-07-05"``, lists for vocabularies, ``urban`` as bool,
    counts as int; an empty cell gives None (``[]`` for a list). A cell that cannot be converted is
    an error of its row; ``validate`` is then called on the row's dict and its errors are added.
    A file that is not a usable template raises ``UserError`` with a Chinese and an English message.
    """
    source = Path(path)
    check_workbook_file(source)
    snapshot = _read_snapshot(source)
    return _convert_rows(source, snapshot, validate)


# -- reading -------------------------------------------------------------------------------------


def _read_snapshot(source: Path) -> SheetSnapshot:
    name = source.name
    try:
        wb = load_workbook(readable_source(source), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise UserError(
            f"无法打开工作簿“{name}”：文件内容已损坏，或不是有效的 Excel 工作簿。",
            f"cannot open workbook {source}: {type(exc).__name__}: {exc}",
        ) from None
    try:
        _check_marker(wb, name)
        ws = _declaration_sheet(wb, name)
        header_cells = next(_guarded(ws.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW,
                                                  max_col=MAX_HEADER_COLUMNS), name), ())
        layout, positions, error_column = _parse_header(header_cells, name)
        rows = _read_rows(ws, len(layout), layout, name)
    finally:
        wb.close()
    return SheetSnapshot(layout=layout, positions=positions, rows=rows, error_column=error_column)


def _guarded(rows: Iterator[_T], name: str) -> Iterator[_T]:
    """Rows from openpyxl, with a damaged sheet reported as a ``UserError`` instead of a traceback."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a broken XML part can fail anywhere in the stream
            raise UserError(
                f"工作簿“{name}”中的“{TEMPLATE_SHEET}”工作表内容已损坏，无法读取。",
                f"damaged sheet in {name}: {type(exc).__name__}: {exc}",
            ) from None
        yield row


def _check_marker(wb: Workbook, name: str) -> None:
    marker = wb.defined_names.get(MARKER_NAME)
    if marker is None:
        return  # not our file, or copied into a new workbook: the headers decide
    version = (marker.attr_text or "").strip('"')
    if version != TEMPLATE_VERSION:
        raise UserError(
            f"工作簿“{name}”是另一版本的申报表模板（版本 {version}，本程序使用版本 {TEMPLATE_VERSION}）。"
            "请从本程序重新导出模板，把内容复制过去后再导入。",
            f"template version {version!r}, expected {TEMPLATE_VERSION!r}",
        )


def _declaration_sheet(wb: Workbook, name: str) -> Any:
    # A trailing space slips into a renamed tab easily; accept it.
    found = next((sheet for sheet in wb.sheetnames if sheet.strip() == TEMPLATE_SHEET), None)
    if found is not None and hasattr(wb[found], "iter_rows"):
        return wb[found]
    if found is not None:
        raise UserError(
            f"工作簿“{name}”中的“{TEMPLATE_SHEET}”不是普通工作表（可能是图表），无法读取。",
            f"sheet {TEMPLATE_SHEET!r} is not a worksheet",
        )
    listed = "、".join(f"“{sheet}”" for sheet in wb.sheetnames) or "（无）"
    raise UserError(
        f"工作簿“{name}”中找不到名为“{TEMPLATE_SHEET}”的工作表（现有：{listed}）。"
        f"请使用本程序导出的申报表模板，不要修改工作表名称。",
        f"sheet {TEMPLATE_SHEET!r} not found; sheets: {wb.sheetnames}",
    )


def _refuse_formula(cell: Any, header: str, name: str) -> None:
    label = f"（{header}）" if header else ""
    raise UserError(
        f"工作簿“{name}”的 {cell.coordinate} 单元格{label}含有公式。导入只接受直接填写的数值："
        "请复制该列后“选择性粘贴→数值”，再保存导入。",
        f"formula in cell {cell.coordinate} of {name}",
    )


def _parse_header(
    cells: tuple[Any, ...], name: str
) -> tuple[list[Column | str], dict[str, int], int | None]:
    texts = []
    for cell in cells:
        if cell.data_type == "f":
            _refuse_formula(cell, "", name)
        texts.append("" if cell.value is None else str(cell.value).strip())
    while texts and not texts[-1]:
        texts.pop()
    layout: list[Column | str] = []
    positions: dict[str, int] = {}
    error_column = None
    for idx, text in enumerate(texts):
        col = _BY_HEADER.get(normalise_header(text))
        if col is None:
            if normalise_header(text) == ERROR_COLUMN_HEADER:
                error_column = idx
            layout.append(text)
            continue
        if col.key in positions:
            first = get_column_letter(positions[col.key] + 1)
            raise UserError(
                f"工作簿“{name}”第{HEADER_ROW}行的栏目“{col.header}”出现了两次"
                f"（{first}列和{get_column_letter(idx + 1)}列），请删除多余的一列。",
                f"duplicate column {col.header!r}",
            )
        positions[col.key] = idx
        layout.append(col)
    missing = [col.header for col in COLUMNS if col.key not in positions]
    if len(missing) == len(COLUMNS):
        raise UserError(
            f"工作簿“{name}”的“{TEMPLATE_SHEET}”工作表第{HEADER_ROW}行不是申报表模板的栏目名称。"
            "请使用本程序导出的申报表模板，从第3行起填写。",
            "header row does not match the template",
        )
    if missing:
        shown = "、".join(f"“{header}”" for header in missing[:12])
        more = f"等 {len(missing)} 栏" if len(missing) > 12 else ""
        raise UserError(
            f"工作簿“{name}”的“{TEMPLATE_SHEET}”工作表缺少以下栏目：{shown}{more}。"
            "请不要删除或改写第1行的栏目名称；可从本程序重新导出模板对照。",
            f"missing columns: {', '.join(missing)}",
        )
    return layout, positions, error_column


def _read_rows(ws: Any, width: int, layout: list[Column | str], name: str) -> dict[int, tuple[Any, ...]]:
    rows: dict[int, tuple[Any, ...]] = {}
    empty_run = 0
    limit = MAX_DECLARATIONS + 1  # the example row may still be there
    # Explicit bounds: the sheet's recorded dimension may be a placeholder (see _dimension.py).
    cells_by_row = ws.iter_rows(min_row=HEADER_ROW + 1, max_row=MAX_SCANNED_ROWS + 1, max_col=width)
    for row_number, cells in enumerate(_guarded(cells_by_row, name), HEADER_ROW + 1):
        values = []
        for idx, cell in enumerate(cells):
            if cell.data_type == "f":
                col = layout[idx]
                _refuse_formula(cell, col.header if isinstance(col, Column) else col, name)
            values.append(cell.value)
        if all(is_blank(value) for value in values):
            empty_run += 1
            if empty_run >= EMPTY_RUN_LIMIT:
                break
            continue
        empty_run = 0
        rows[row_number] = tuple(values)
        if len(rows) > limit:
            raise UserError(
                f"工作簿“{name}”中的申报项目超过 {MAX_DECLARATIONS} 个（已读到第{row_number}行）。"
                f"请把申报项目分成几个文件，每个文件不超过 {MAX_DECLARATIONS} 个。",
                f"more than {MAX_DECLARATIONS} declarations",
            )
        if row_number > MAX_SCANNED_ROWS:
            raise UserError(
                f"工作簿“{name}”的数据行过于分散（已到第{row_number}行），不像是正常的申报表。"
                "请删除多余的空行后再导入。",
                f"data beyond row {MAX_SCANNED_ROWS}",
            )
    return rows


# -- converting ----------------------------------------------------------------------------------


def _convert_rows(source: Path, snapshot: SheetSnapshot, validate: Validator) -> IntakeResult:
    example = example_declaration()
    valid: list[IntakeRow] = []
    errors: list[RowError] = []
    example_skipped = False
    for row_number in sorted(snapshot.rows):
        data, problems, slots = _row_to_declaration(snapshot, snapshot.rows[row_number])
        if row_number == EXAMPLE_ROW and not problems and data == example:
            example_skipped = True
            continue
        row_errors = [_row_error(snapshot, row_number, key, "", message) for key, message in problems]
        failed = [key for key, _ in problems]
        for found in validate(data):
            key = _sheet_key(found.field, slots)
            if any(_related(key, bad) for bad in failed):
                continue  # the cell's own conversion message says it better
            row_errors.append(_row_error(snapshot, row_number, key, found.label, found.message))
        if row_errors:
            errors.extend(row_errors)
        else:
            valid.append(IntakeRow(row=row_number, data=data))
    return IntakeResult(source=source, valid=valid, errors=errors, example_skipped=example_skipped,
                        snapshot=snapshot)


def _row_to_declaration(
    snapshot: SheetSnapshot, values: tuple[Any, ...]
) -> tuple[dict[str, Any], list[tuple[str, str]], list[int]]:
    """The declaration dict, the (key, message) conversion problems, and the template slot of each
    funding source kept (empty slots are dropped, so list index and slot can differ)."""
    data: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    converted: dict[str, Any] = {}
    for col in COLUMNS:
        try:
            converted[col.key] = convert(col, values[snapshot.positions[col.key]])
        except CellValueError as exc:
            problems.append((col.key, exc.message))
            converted[col.key] = [] if col.kind is Kind.TERMS else None
        if col.key.startswith("funding_sources["):
            data.setdefault("funding_sources", [])  # keeps the key in the example's order
            continue
        _set_path(data, col.key, converted[col.key])
    funding = []
    slots = []
    for slot in range(FUNDING_SLOTS):
        source, amount = converted[funding_key(slot, "source")], converted[funding_key(slot, "amount")]
        failed = any(key.startswith(f"funding_sources[{slot}]") for key, _ in problems)
        if source is None and amount is None and not failed:
            continue
        funding.append({"source": source, "amount": amount})
        slots.append(slot)
    data["funding_sources"] = funding
    return data, problems, slots


def _set_path(data: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _sheet_key(key: str, slots: list[int]) -> str:
    """A validator's field path in the sheet's terms: ``funding_sources.0.amount`` and list index 0
    both become the template slot the entry came from."""
    key = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", key)
    match = re.match(r"^funding_sources\[(\d+)\](.*)$", key)
    if match and int(match.group(1)) < len(slots):
        key = f"funding_sources[{slots[int(match.group(1))]}]{match.group(2)}"
    return key


def _related(key: str, other: str) -> bool:
    """True when one key path contains the other (``funding_sources`` and ``funding_sources[0].amount``)."""
    a, b = sorted((key, other), key=len)
    return b == a or b.startswith((a + ".", a + "["))


def _row_error(snapshot: SheetSnapshot, row: int, key: str, label: str, message: str) -> RowError:
    idx = snapshot.positions.get(key)
    if idx is None:
        idx = next((pos for k, pos in snapshot.positions.items() if _related(k, key)), None)
    if idx is None:
        return RowError(row=row, column="", field=key, header=label or key, message=message)
    col = snapshot.layout[idx]
    header = col.header if isinstance(col, Column) else label
    return RowError(row=row, column=get_column_letter(idx + 1), field=key, header=header, message=message)
