"""Template → filled by a clerk → read: the declaration comes back exactly."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as strats

from sanlian_desktop.documents.spreadsheets import read_declarations, write_template
from sanlian_desktop.kernel.errors import FieldError

Fill = Callable[..., Path]
Validator = Callable[[dict[str, Any]], list[FieldError]]
SHARED_EXAMPLE = Path("/work/shared/domain/declaration.example.json")


def no_errors(data: dict[str, Any]) -> list[Any]:
    return []


def test_round_trip_reproduces_the_example(fill: Fill, cells: dict[str,
                                           Any], example: dict[str, Any]) -> None:
    path = fill({3: cells})
    result = read_declarations(path, no_errors)
    assert result.ok and result.example_skipped
    assert [row.row for row in result.valid] == [3]
    assert result.valid[0].data == example
    # Same text when serialised: key order and types (strings for money, ISO dates, bool, int).
    assert json.dumps(result.valid[0].data, ensure_ascii=False) == json.dumps(example, ensure_ascii=False)


def test_packaged_example_matches_the_domain_file(example: dict[str, Any]) -> None:
    if SHARED_EXAMPLE.exists():
        assert example == json.loads(SHARED_EXAMPLE.read_text("utf-8"))


def test_validator_sees_each_row_dict(fill: Fill, cells: dict[str, Any], example: dict[str, Any]) -> None:
    seen: list[dict[str, Any]] = []

    def validate(data: dict[str, Any]) -> list[Any]:
        seen.append(data)
        return []

    second = {**cells, "项目名称": "第二个项目"}
    read_declarations(fill({3: cells, 4: second}), validate)
    assert [d["title"] for d in seen] == [example["title"], "第二个项目"]


def test_what_excel_and_clerks_actually_type(fill: Fill, cells: dict[str,
                                             Any], example: dict[str, Any]) -> None:
    cells.update({
        "社区代码": 620102001001,  # a number, not text: Excel dropped the text format
        "申报批次": 2016,
        "常住人口(人)": "8,640",
        "户数(户)": 3120.0,
        "城市/农村": " 城市 ",
        "服务对象": "老年人，低收入家庭",
        "重点领域": "扶老救孤、心理疏导、扶老救孤",
        "服务方式": "个案工作\n小组工作、社区工作",
        "实施开始日期": "2016年10月1日",
        "实施结束日期": datetime(2017, 9, 30),
        "项目总预算(元)": "8万",
        "金额1(元)": 50000,
        "金额2(元)": "20,000.00",
        "金额3(元)": 10000.0,
        "申请省级补助(元)": Decimal("50000"),
        "筹划征集日期": "2016/7/5",
        "居民听证日期": 42563,  # a day number: the date format was lost in a paste
        "居民代表会议审议日期": "20160718",
        "社工证书等级": "社会工作师",
        "联系电话": "0931-8812345",
    })
    result = read_declarations(fill({3: cells}), no_errors)
    assert result.ok
    assert result.valid[0].data == example


def test_example_row_deleted_and_columns_reordered(template: Path, tmp_path: Path, cells: dict[str, Any],
                                                   example: dict[str, Any]) -> None:
    wb = openpyxl.load_workbook(template)
    ws = wb["申报表"]
    ws.delete_rows(2)
    ws.move_range("A1:A1", cols=50)  # 申报批次 moved to the far right
    ws.cell(row=1, column=52, value="备注")  # a column of the clerk's own
    headers = {cell.value: cell.column for cell in ws[1] if cell.value}
    for header, value in {**cells, "项目名称": "改名后的项目"}.items():
        ws.cell(row=2, column=headers[header], value=value)
    ws.cell(row=2, column=52, value="县里代录")
    path = tmp_path / "reordered.xlsx"
    wb.save(path)
    result = read_declarations(path, no_errors)
    assert not result.example_skipped
    assert [row.row for row in result.valid] == [2]
    assert result.valid[0].data == {**example, "title": "改名后的项目"}


def test_empty_cells_give_none_and_empty_lists(fill: Fill) -> None:
    result = read_declarations(fill({3: {"项目名称": "只有名称"}}), no_errors)
    data = result.valid[0].data
    assert data["title"] == "只有名称"
    assert data["community"] is None and data["community_profile"]["urban"] is None
    assert data["focus_areas"] == [] and data["funding_sources"] == []
    assert data["pre_steps"] == {
        "solicitation_date": None, "hearing_date": None, "council_date": None,
        "notice_start": None, "notice_end": None,
    }


def test_funding_slots_with_gaps_keep_their_cells(fill: Fill, cells: dict[str,
                                                  Any], validator: Validator) -> None:
    cells.update({"资金来源1": None, "金额1(元)": None, "资金来源2": None, "金额2(元)": None,
                  "资金来源3": None, "金额3(元)": None,
                  "资金来源4": "省级补助", "金额4(元)": 50000, "金额5(元)": 30000})
    result = read_declarations(fill({3: cells}), validator)
    assert not result.valid
    [error] = result.errors
    assert (error.row, error.header, error.message) == (3, "资金来源5", "填写了金额，但没有选择来源")
    letter = openpyxl.utils.get_column_letter(19 + 2 * 4)  # 资金来源5
    assert error.column == letter and error.field == "funding_sources[4].source"


def test_validator_errors_point_at_cells(fill: Fill, cells: dict[str, Any], validator: Validator) -> None:
    good = cells
    bad = {**good, "项目名称": None, "项目总预算(元)": 90000}
    result = read_declarations(fill({3: good, 5: bad}), validator)
    assert [row.row for row in result.valid] == [3]
    by_field = {e.field: e for e in result.errors}
    assert by_field["title"].line() == "第5行 C列（项目名称）：不能为空"
    assert by_field["funding_sources"].column == "S"  # the first funding column
    assert by_field["funding_sources"].message == "各项资金合计不等于项目总预算"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(strats.lists(strats.decimals(min_value=0, max_value=Decimal("99999999999.99"), places=2,
                                    allow_nan=False, allow_infinity=False), min_size=1, max_size=6),
       strats.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_money_and_dates_survive_the_float_cells(tmp_path_factory: Any, amounts: list[Decimal],
                                                 day: date) -> None:
    """Excel keeps numbers as doubles; amounts of up to 13 digits come back as the exact string."""
    folder = tmp_path_factory.mktemp("money")
    template = folder / "t.xlsx"
    write_template(template)
    wb = openpyxl.load_workbook(template)
    ws = wb["申报表"]
    headers = {cell.value: cell.column for cell in ws[1] if cell.value}
    for slot, amount in enumerate(amounts, 1):
        ws.cell(row=3, column=headers[f"资金来源{slot}"], value="社区自筹")
        ws.cell(row=3, column=headers[f"金额{slot}(元)"], value=float(amount))
    ws.cell(row=3, column=headers["公示开始日期"], value=day)
    wb.save(folder / "f.xlsx")
    data = read_declarations(folder / "f.xlsx", no_errors).valid[0].data
    assert [e["amount"] for e in data["funding_sources"]] == [f"{a:.2f}" for a in amounts]
    assert data["pre_steps"]["notice_start"] == day.isoformat()
