"""The fill-in template, read back with openpyxl as Excel would see it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl

from sanlian_desktop.documents.spreadsheets.columns import COLUMNS, MARKER_NAME, TEMPLATE_VERSION


def test_sheets_marker_and_headers(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["申报表", "填写说明", "选项"]
    assert wb["选项"].sheet_state == "hidden"
    assert wb.active is not None and wb.active.title == "申报表"
    assert wb.defined_names[MARKER_NAME].attr_text == f'"{TEMPLATE_VERSION}"'
    ws = wb["申报表"]
    headers = [c.value for c in ws[1]]
    assert headers == [col.header for col in COLUMNS]
    for needed in ["社区代码", "项目名称", "社区概况", "城市/农村", "常住人口(人)", "资金来源1", "金额1(元)",
                   "资金来源6", "金额6(元)", "申请省级补助(元)", "承接组织名称", "统一社会信用代码",
                   "负责社工", "社工证书等级", "联系电话", "居民听证日期", "公示结束日期"]:
        assert needed in headers
    assert ws["A1"].font.b and ws["A1"].fill.fill_type == "solid" and ws["A1"].alignment.wrap_text
    assert ws.freeze_panes == "D2"
    assert ws.column_dimensions["C"].width == 36


def test_column_formats(template: Path) -> None:
    ws = openpyxl.load_workbook(template)["申报表"]
    letter = {col.header: openpyxl.utils.get_column_letter(i) for i, col in enumerate(COLUMNS, 1)}
    assert ws.column_dimensions[letter["实施开始日期"]].number_format == "yyyy-mm-dd"
    assert ws.column_dimensions[letter["项目总预算(元)"]].number_format == "#,##0.00"
    assert ws.column_dimensions[letter["社区代码"]].number_format == "@"
    assert ws.column_dimensions[letter["联系电话"]].number_format == "@"
    # Long text stays General: Excel shows #### for text-formatted cells over 255 characters.
    assert ws.column_dimensions[letter["社区概况"]].number_format == "General"


def test_drop_downs_and_checks(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    ws = wb["申报表"]
    letter = {col.header: openpyxl.utils.get_column_letter(i) for i, col in enumerate(COLUMNS, 1)}
    by_column = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_column[rng.coord.split(":")[0].rstrip("0123456789")] = dv
    urban = by_column[letter["城市/农村"]]
    assert urban.type == "list" and urban.formula1.startswith("'选项'!$")
    lists = wb["选项"]

    def items(formula: str) -> list[str]:
        return [c.value for row in lists[formula.split("!")[1].replace("$", "")] for c in row]

    assert items(urban.formula1) == ["城市社区", "农村社区"]
    certificates = items(by_column[letter["社工证书等级"]].formula1)
    assert certificates == ["助理社会工作师", "社会工作师", "高级社会工作师"]
    for slot in range(1, 7):
        assert "爱心捐赠/慈善基金" in items(by_column[letter[f"资金来源{slot}"]].formula1)
    assert by_column[letter["实施开始日期"]].type == "date"
    assert by_column[letter["常住人口(人)"]].type == "whole"
    assert by_column[letter["金额1(元)"]].type == "decimal"
    terms = by_column[letter["重点领域"]]
    assert terms.type is None and "流动人口管理服务" in terms.prompt and "、" in terms.prompt


def test_example_row_is_grey_and_typed(template: Path) -> None:
    ws = openpyxl.load_workbook(template)["申报表"]
    row = {col.header: cell for col, cell in zip(COLUMNS, ws[2], strict=True)}
    assert row["项目名称"].value == "东岗西路社区“银龄守望”空巢老人关爱服务项目"
    assert row["项目名称"].font.i and row["项目名称"].font.color.rgb == "00808080"
    assert row["实施开始日期"].value == datetime(2016, 10, 1)
    assert row["实施开始日期"].number_format == "yyyy-mm-dd"
    assert row["项目总预算(元)"].value == 80000
    assert row["重点领域"].value == "扶老救孤、心理疏导"
    assert row["城市/农村"].value == "城市社区"
    assert row["资金来源4"].value is None


def test_instructions(template: Path) -> None:
    ws = openpyxl.load_workbook(template)["填写说明"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "从第3行起填写" in text and "、" in text and "公式" in text
    assert "社工证书等级" in text and "高级社会工作师" in text


def test_written_atomically(tmp_path: Path, template: Path) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) == [template.name]
