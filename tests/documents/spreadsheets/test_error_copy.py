"""The error copy: bad cells red with comments, a 错误说明 column, a summary; fix it and import again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from sanlian_desktop.documents.spreadsheets import read_declarations
from sanlian_desktop.documents.spreadsheets.columns import COLUMNS
from sanlian_desktop.kernel.errors import FieldError

Fill = Callable[..., Path]
Validator = Callable[[dict[str, Any]], list[FieldError]]
LETTER = {col.header: openpyxl.utils.get_column_letter(i) for i, col in enumerate(COLUMNS, 1)}
ERROR_COLUMN = openpyxl.utils.get_column_letter(len(COLUMNS) + 1)


def _bad_file(fill: Fill, cells: dict[str, Any]) -> Path:
    good = cells
    bad = {**good, "常住人口(人)": "八千多", "实施结束日期": "明年", "项目名称": None}
    return fill({3: good, 4: bad, 6: {**good, "项目名称": "第三个项目"}})


def test_bad_cells_are_marked(fill: Fill, cells: dict[str,
                              Any], validator: Validator, tmp_path: Path) -> None:
    result = read_declarations(_bad_file(fill, cells), validator)
    assert [row.row for row in result.valid] == [3, 6]
    assert sorted(result.errors_by_row()) == [4]
    copy = tmp_path / "错误标注.xlsx"
    result.write_error_copy(copy)

    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames == ["申报表", "错误汇总", "填写说明", "选项"]
    ws = wb["申报表"]
    for header, text in [("常住人口(人)", "“八千多”不是整数"), ("实施结束日期", "“明年”不是有效日期"),
                         ("项目名称", "不能为空")]:
        cell = ws[f"{LETTER[header]}4"]
        assert cell.fill.start_color.rgb == "00FFC7CE", header
        assert cell.comment is not None and text in cell.comment.text
    assert ws[f"{LETTER['常住人口(人)']}4"].value == "八千多"  # the clerk's text is kept to correct
    assert ws[f"{LETTER['项目名称']}3"].fill.fill_type is None  # good rows untouched
    assert ws[f"{LETTER['项目名称']}6"].value == "第三个项目"
    assert ws[f"{ERROR_COLUMN}1"].value == "错误说明"
    note = ws[f"{ERROR_COLUMN}4"].value
    assert "F列 常住人口(人)：“八千多”不是整数" in note and "C列 项目名称：不能为空" in note
    assert ws[f"{ERROR_COLUMN}3"].value is None
    assert ws["C2"].font.i  # the example row stays grey
    assert ws[f"{LETTER['实施开始日期']}3"].number_format == "yyyy-mm-dd"

    summary = wb["错误汇总"]
    assert "共 1 行有问题（3 处），2 行可以导入" in summary["A2"].value
    lines = [tuple(c.value for c in row) for row in summary.iter_rows(min_row=5)]
    assert (4, "C", "项目名称", "不能为空") in lines
    assert len(lines) == 3


def test_fix_the_copy_and_import_again(fill: Fill, cells: dict[str, Any], validator: Validator,
                                       tmp_path: Path) -> None:
    result = read_declarations(_bad_file(fill, cells), validator)
    copy = tmp_path / "错误标注.xlsx"
    result.write_error_copy(copy)

    again = read_declarations(copy, validator)  # the copy is a template: same findings
    assert [(e.row, e.column, e.message) for e in again.errors] == [
        (e.row, e.column, e.message) for e in result.errors
    ]
    fixed = fill({4: {"常住人口(人)": 8000, "实施结束日期": "2017-09-30", "项目名称": "改好的项目"}},
                 source=copy, name="改好.xlsx")
    final = read_declarations(fixed, validator)
    assert final.ok and [row.row for row in final.valid] == [3, 4, 6]
    assert final.valid[1].data["community_profile"]["population"] == 8000
    # Writing a copy of the re-imported copy reuses its 错误说明 column rather than adding another.
    final.write_error_copy(tmp_path / "再次.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "再次.xlsx")["申报表"]
    assert ws.max_column == len(COLUMNS) + 1 and ws[f"{ERROR_COLUMN}4"].value is None


def test_row_level_problem_without_a_column(fill: Fill, cells: dict[str, Any], tmp_path: Path) -> None:
    def validate(data: dict[str, Any]) -> list[FieldError]:
        return [FieldError("batch_window", "申报时间", "本批次申报已截止")]

    result = read_declarations(fill({3: cells}), validate)
    [error] = result.errors
    assert error.column == "" and error.header == "申报时间"
    assert error.line() == "第3行（申报时间）：本批次申报已截止"
    result.write_error_copy(tmp_path / "copy.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "copy.xlsx")["申报表"]
    assert ws[f"{ERROR_COLUMN}3"].value == "—列 申报时间：本批次申报已截止"


def test_copy_after_columns_reordered_keeps_letters(template: Path, tmp_path: Path, cells: dict[str, Any],
                                                    validator: Validator) -> None:
    wb = openpyxl.load_workbook(template)
    ws = wb["申报表"]
    ws.move_range("C1:C2", cols=48)  # 项目名称 to column AY
    typed = {**cells, "项目名称": "", "户数(户)": "三千"}
    headers = {cell.value: cell.column for cell in ws[1] if cell.value}
    for header, value in typed.items():
        ws.cell(row=3, column=headers[header], value=value)
    wb.save(tmp_path / "moved.xlsx")
    result = read_declarations(tmp_path / "moved.xlsx", validator)
    assert {e.column for e in result.errors} == {"AY", "G"}
    result.write_error_copy(tmp_path / "copy.xlsx")
    copy = openpyxl.load_workbook(tmp_path / "copy.xlsx")["申报表"]
    assert copy["AY1"].value == "项目名称" and copy["AY3"].comment is not None
    assert copy["G3"].comment is not None and copy["G3"].value == "三千"
    assert copy["AZ1"].value == "错误说明"


def test_text_that_looks_like_a_formula_stays_text(fill: Fill, cells: dict[str, Any], validator: Validator,
                                                   tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(fill({3: {**cells, "项目名称": None}}))
    cell = wb["申报表"][f"{LETTER['需求分析']}3"]
    cell.value = "=见附件"
    cell.data_type = "s"  # typed as '=见附件 in Excel
    wb.save(tmp_path / "text.xlsx")
    result = read_declarations(tmp_path / "text.xlsx", validator)
    result.write_error_copy(tmp_path / "copy.xlsx")
    copy = openpyxl.load_workbook(tmp_path / "copy.xlsx")["申报表"]
    assert copy[f"{LETTER['需求分析']}3"].data_type == "s"
    assert copy[f"{LETTER['需求分析']}3"].value == "=见附件"
