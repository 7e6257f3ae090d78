"""The registries workbook (台账模板): one sheet per registry, Chinese headers, drop-down lists; and
reading a filled-in one back into plain rows, cell values converted, every problem tied to its cell.

No database here: the template gets its communities and areas as plain data, and the reader returns
rows for the caller (``registryexcel``) to check with the registry services.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from sanlian_desktop.documents.spreadsheets import styles as st
from sanlian_desktop.documents.spreadsheets._dimension import readable_source
from sanlian_desktop.documents.spreadsheets._guard import check_workbook_file
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import atomic_write

MARKER_NAME = "SANLIAN_REGISTRY_TEMPLATE"
TEMPLATE_VERSION = "1"
HEADER_ROW = 1
MAX_ROWS = 20_000
EMPTY_RUN_LIMIT = 200
INSTRUCTIONS_SHEET = "填写说明"
LISTS_SHEET = "选项"
YES_NO = ("是", "否")
_YES = {"是", "有", "已建立", "已加入", "√", "✓", "y", "yes", "true", "1"}
_NO = {"否", "无", "没有", "未建立", "未加入", "×", "n", "no", "false", "0"}


@dataclass(frozen=True)
class Col:
    """A column: the field it fills, its header, how to read it, its width and drop-down list."""

    field: str
    header: str
    kind: str  # "text", "code", "yesno", "count", "choice"
    width: int = 16
    choices: tuple[str, ...] = ()
    required: bool = False
    note: str = ""


@dataclass(frozen=True)
class Sheet:
    key: str  # "orgs", "workers", "communities", "areas"
    title: str
    columns: tuple[Col, ...]

    def by_field(self, field: str) -> tuple[int, Col] | None:
        for idx, col in enumerate(self.columns):
            if col.field == field:
                return idx, col
        return None


def sheets(kinds: Sequence[str], certificate_levels: Sequence[str], elections: Sequence[str]) -> tuple[Sheet, ...]:
    """The four sheets, with the vocabularies the services accept."""
    return (
        Sheet("orgs", "社区社会组织", (
            Col("community_code", "所属社区代码", "code", 16, required=True, note="12位社区代码，见“社区情况”表"),
            Col("name", "组织名称", "text", 30, required=True),
            Col("kind", "组织类别", "choice", 14, tuple(kinds), required=True),
            Col("credit_code", "统一社会信用代码", "code", 22, note="已登记的组织填写；备案的组织填备案编号"),
            Col("record_number", "备案编号", "text", 18),
            Col("has_social_workers", "有专兼职专业社工", "yesno", 12, YES_NO),
            Col("hosts_agency", "接纳社工机构", "yesno", 12, YES_NO),
        )),
        Sheet("workers", "社会工作者", (
            Col("community_code", "所属社区代码", "code", 16, required=True),
            Col("name", "姓名", "text", 12, required=True),
            Col("certificate_level", "证书等级", "choice", 16, (*certificate_levels, "无")),
            Col("certificate_number", "证书编号", "code", 18, note="持证社工必填"),
            Col("employer", "工作单位", "text", 26),
        )),
        Sheet("communities", "社区情况", (
            Col("community_code", "社区代码", "code", 16, required=True),
            Col("community_name", "社区名称（仅供对照）", "text", 20),
            Col("has_workroom", "设有社会工作室", "yesno", 12, YES_NO),
            Col("in_federation", "加入社区社会组织联合会", "yesno", 14, YES_NO),
            Col("registered_volunteers", "注册志愿者人数", "count", 12),
            Col("election", "居委会选举方式", "choice", 14, tuple(elections)),
        )),
        Sheet("areas", "试点地区", (
            Col("region_code", "县级区划代码", "code", 14, required=True),
            Col("region_name", "名称（仅供对照）", "text", 16),
            Col("pilot", "是否试点地区", "yesno", 12, YES_NO),
            Col("has_association", "建立社会工作协会", "yesno", 14, YES_NO),
        )),
    )


# -- writing --------------------------------------------------------------------------------------------


def write_template(out: str | os.PathLike[str], layout: Sequence[Sheet], prefill: dict[str, list[list[Any]]],
                   *, title: str) -> None:
    """Write the workbook: a sheet per registry (rows of ``prefill[sheet.key]`` filled in), 填写说明 and a
    hidden 选项 sheet behind the drop-downs."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    lists = wb.create_sheet(LISTS_SHEET)
    list_columns: dict[tuple[str, ...], str] = {}
    for sheet in layout:
        ws = wb.create_sheet(sheet.title)
        for idx, col in enumerate(sheet.columns, 1):
            cell = ws.cell(HEADER_ROW, idx, col.header)
            cell.font, cell.fill, cell.alignment, cell.border = (st.HEADER_FONT, st.HEADER_FILL,
                                                                 st.HEADER_ALIGNMENT, st.BORDER)
            letter = get_column_letter(idx)
            ws.column_dimensions[letter].width = col.width
            if col.kind in ("code", "text"):
                ws.column_dimensions[letter].number_format = st.TEXT_FORMAT
            if col.choices:
                if col.choices not in list_columns:
                    list_letter = get_column_letter(len(list_columns) + 1)
                    for row, choice in enumerate(col.choices, 1):
                        lists.cell(row, len(list_columns) + 1, choice)
                    list_columns[col.choices] = (f"{quote_sheetname(LISTS_SHEET)}!${list_letter}$1:"
                                                 f"${list_letter}${len(col.choices)}")
                dv = DataValidation(type="list", formula1=list_columns[col.choices], allow_blank=True,
                                    showErrorMessage=True, errorTitle="请从列表中选择",
                                    error=f"“{col.header}”请从下拉列表中选择")
                dv.add(f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + MAX_ROWS}")
                ws.add_data_validation(dv)
            elif col.kind == "count":
                dv = DataValidation(type="whole", operator="between", formula1="0", formula2="10000000",
                                    allow_blank=True, showErrorMessage=True, errorTitle="请填写整数",
                                    error=f"“{col.header}”应为0至1000万之间的整数")
                dv.add(f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + MAX_ROWS}")
                ws.add_data_validation(dv)
        for r, values in enumerate(prefill.get(sheet.key, []), HEADER_ROW + 1):
            for c, value in enumerate(values, 1):
                cell = ws.cell(r, c, value)
                if sheet.columns[c - 1].kind in ("code", "text"):
                    cell.number_format = st.TEXT_FORMAT
        ws.freeze_panes = ws.cell(HEADER_ROW + 1, 2)
    lists.sheet_state = "hidden"
    notes = wb.create_sheet(INSTRUCTIONS_SHEET, 0)
    notes.column_dimensions["A"].width = 100
    lines = [title, "",
             "每张表第1行是栏目名称，请不要修改或删除；从第2行起每行填写一条。",
             "“社区社会组织”“社会工作者”两张表用于新登记；已登记的组织、社工请在程序中修改。",
             "“社区情况”“试点地区”两张表已列出本单位辖区的社区和县级区划及已登记的情况；空白的格子表示保持原样。",
             "统一社会信用代码与备案编号须填写其中一项；持证社工须填写证书编号。",
             "是/否、组织类别、证书等级、选举方式请从下拉列表中选择。",
             "导入时任何一行有错误，全部不导入，并逐行列出错误（行号、栏目、原因）；改正后重新导入即可。"]
    for r, text in enumerate(lines, 1):
        notes.cell(r, 1, text).alignment = st.WRAP_TOP
    notes.cell(1, 1).font = st.TITLE_FONT
    wb.defined_names[MARKER_NAME] = DefinedName(MARKER_NAME, attr_text=f'"{TEMPLATE_VERSION}"')
    with atomic_write(out) as fh:
        wb.save(fh)


# -- reading --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellProblem:
    """A problem in one cell (``column`` "" for the whole row), in Chinese."""

    sheet: str
    row: int
    column: str
    header: str
    message: str

    def line(self) -> str:
        """``“社区社会组织”第5行 C列（组织类别）：……``."""
        where = f"第{self.row}行 {self.column}列" if self.column else f"第{self.row}行"
        return f"“{self.sheet}”{where}（{self.header}）：{self.message}"


@dataclass
class SheetRow:
    """One non-empty row, its values converted (None for an empty or unconvertible cell)."""

    sheet: Sheet
    row: int
    values: dict[str, Any]
    problems: list[CellProblem]


def read_workbook(path: Path, layout: Sequence[Sheet]) -> list[SheetRow]:
    """Every non-empty row of every sheet, in sheet order. A file that is not such a workbook (not
    xlsx, a sheet missing, headers changed, formulas) raises ``UserError``."""
    check_workbook_file(path)
    name = path.name
    try:
        wb = load_workbook(readable_source(path), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise UserError(f"无法打开工作簿“{name}”：文件内容已损坏，或不是有效的 Excel 工作簿。",
                        f"cannot open workbook {path}: {type(exc).__name__}") from None
    try:
        marker = wb.defined_names.get(MARKER_NAME)
        if marker is not None and (marker.attr_text or "").strip('"') != TEMPLATE_VERSION:
            raise UserError(f"工作簿“{name}”是另一版本的台账模板，请从本程序重新导出模板",
                            "registry template of another version")
        missing = [s.title for s in layout if not any(t.strip() == s.title for t in wb.sheetnames)]
        if missing:
            listed = "、".join(f"“{t}”" for t in wb.sheetnames) or "（无）"
            raise UserError(f"工作簿“{name}”中缺少工作表：{'、'.join(missing)}（现有：{listed}）。"
                            "请使用本程序导出的台账模板，不要修改工作表名称。",
                            f"missing sheets: {missing}")
        rows: list[SheetRow] = []
        for sheet in layout:
            title = next(t for t in wb.sheetnames if t.strip() == sheet.title)
            ws = wb[title]
            if not hasattr(ws, "iter_rows"):
                raise UserError(f"工作簿“{name}”中的“{sheet.title}”不是普通工作表，无法读取。",
                                f"sheet {sheet.title} is not a worksheet")
            rows.extend(_read_sheet(ws, sheet, name))
    finally:
        wb.close()
    return rows


def _guarded(rows: Iterator[Any], name: str, sheet: str) -> Iterator[Any]:
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a broken XML part can fail anywhere in the stream
            raise UserError(f"工作簿“{name}”中的“{sheet}”工作表内容已损坏，无法读取。",
                            f"damaged sheet {sheet}: {type(exc).__name__}") from None
        yield row


def _read_sheet(ws: Any, sheet: Sheet, name: str) -> Iterator[SheetRow]:
    width = len(sheet.columns)
    header = next(_guarded(ws.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW, max_col=width + 20), name,
                           sheet.title), ())
    texts = ["" if c.value is None else str(c.value).strip() for c in header]
    expected = [c.header for c in sheet.columns]
    if texts[:width] != expected:
        wrong = [f"{get_column_letter(i + 1)}列应为“{h}”" for i, h in enumerate(expected)
                 if i >= len(texts) or texts[i] != h]
        raise UserError(f"工作簿“{name}”的“{sheet.title}”表第{HEADER_ROW}行栏目名称不对：{'，'.join(wrong[:6])}。"
                        "请不要修改或移动栏目，可从本程序重新导出模板对照。",
                        f"sheet {sheet.title}: unexpected headers")
    empty_run = 0
    count = 0
    cells_by_row = ws.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + MAX_ROWS + EMPTY_RUN_LIMIT,
                                max_col=width)
    for row_number, cells in enumerate(_guarded(cells_by_row, name, sheet.title), HEADER_ROW + 1):
        raw = list(cells) + [None] * (width - len(cells))
        if all(c is None or _blank(c.value) for c in raw):
            empty_run += 1
            if empty_run >= EMPTY_RUN_LIMIT:
                return
            continue
        empty_run = 0
        count += 1
        if count > MAX_ROWS:
            raise UserError(f"工作簿“{name}”的“{sheet.title}”表超过 {MAX_ROWS} 行，请分成几个文件导入。",
                            f"more than {MAX_ROWS} rows")
        values: dict[str, Any] = {}
        problems: list[CellProblem] = []
        for idx, col in enumerate(sheet.columns):
            cell = raw[idx]
            letter = get_column_letter(idx + 1)
            if cell is not None and cell.data_type == "f":
                problems.append(CellProblem(sheet.title, row_number, letter, col.header,
                                            "含有公式，请改为直接填写的内容"))
                values[col.field] = None
                continue
            try:
                values[col.field] = _convert(col, None if cell is None else cell.value)
            except ValueError as exc:
                problems.append(CellProblem(sheet.title, row_number, letter, col.header, str(exc)))
                values[col.field] = None
            if values[col.field] is None and col.required and not any(p.column == letter for p in problems):
                problems.append(CellProblem(sheet.title, row_number, letter, col.header, "请填写"))
        yield SheetRow(sheet, row_number, values, problems)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _convert(col: Col, value: Any) -> Any:
    if _blank(value):
        return None
    if col.kind in ("text", "code", "choice"):
        if isinstance(value, bool):
            raise ValueError(f"“{value}”不是文字")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"“{value}”不是有效的{'代码' if col.kind == 'code' else '内容'}")
            value = int(value)
        text = str(value).strip()
        if col.kind == "code":
            text = text.replace(" ", "")
        if col.kind == "choice" and text not in col.choices:
            raise ValueError(f"“{text}”不在可选项中（{'、'.join(col.choices)}）")
        return text
    if col.kind == "yesno":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise ValueError(f"“{value}”应为“是”或“否”")
    if col.kind == "count":
        if isinstance(value, bool):
            raise ValueError(f"“{value}”不是整数")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"“{value}”应为非负整数")
        return value
    raise ValueError(col.kind)


# -- the error copy -------------------------------------------------------------------------------------

ERROR_COLUMN_HEADER = "错误说明"
_AUTHOR = "三社联动申报系统"


def write_error_copy(source: Path, out: Path, layout: Sequence[Sheet], problems: Sequence[CellProblem]) -> None:
    """A copy of ``source`` with every bad cell red and commented and a 错误说明 column on each bad row.

    Rows and columns keep their places, so the list of problems matches the copy; marks of an earlier
    copy are cleared first, so the copy can be fixed and imported again (the extra column is ignored).
    """
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    wb = load_workbook(readable_source(source))
    by_sheet: dict[str, list[CellProblem]] = {}
    for p in problems:
        by_sheet.setdefault(p.sheet, []).append(p)
    for sheet in layout:
        title = next((t for t in wb.sheetnames if t.strip() == sheet.title), None)
        if title is None:
            continue
        ws = wb[title]
        error_col = len(sheet.columns) + 1
        for row in ws.iter_rows(min_row=HEADER_ROW + 1, max_col=len(sheet.columns)):
            for cell in row:
                if cell.comment is not None and cell.comment.author == _AUTHOR:
                    cell.comment = None
                    cell.fill = PatternFill()
        for r in range(HEADER_ROW + 1, ws.max_row + 1):
            ws.cell(r, error_col).value = None
        found = by_sheet.get(sheet.title, [])
        if not found:
            continue
        header = ws.cell(HEADER_ROW, error_col, ERROR_COLUMN_HEADER)
        header.font, header.fill = st.HEADER_FONT, st.ERROR_FILL
        ws.column_dimensions[get_column_letter(error_col)].width = 60
        notes: dict[int, list[str]] = {}
        for p in found:
            notes.setdefault(p.row, []).append(f"{p.column}列（{p.header}）：{p.message}" if p.column else p.message)
            if p.column:
                cell = ws[f"{p.column}{p.row}"]
                cell.fill = st.ERROR_FILL
                cell.comment = Comment(p.message, _AUTHOR)
        for r, lines in notes.items():
            cell = ws.cell(r, error_col, "；".join(lines))
            cell.font, cell.alignment = st.ERROR_FONT, st.WRAP_TOP
    with atomic_write(out) as fh:
        wb.save(fh)
