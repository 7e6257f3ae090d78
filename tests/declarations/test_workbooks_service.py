"""Spreadsheets against the store: ledger from declarations, template intake into drafts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sanlian_desktop.declarations import listing, lookup
from sanlian_desktop.declarations import workbooks as sheets
from sanlian_desktop.demo.generate import generate
from sanlian_desktop.kernel.errors import UserError
from tests.documents.spreadsheets.conftest import example_cells
from tests.helpers import Office, example_declaration


def _fill(template: Path, rows: dict[int, dict[str, Any]], out: Path) -> Path:
    wb = openpyxl.load_workbook(template)
    ws = wb["申报表"]
    headers = {cell.value: cell.column for cell in ws[1] if cell.value}
    for row, cells in rows.items():
        for header, value in cells.items():
            ws.cell(row=row, column=headers[header], value=value)
    wb.save(out)
    return out


def test_ledger_from_store(county: Office, tmp_path: Path) -> None:
    generate(county.store, county.admin, count=60, seed=5)
    out = tmp_path / "台账.xlsx"
    with county.session() as s:
        count = sheets.export_ledger(s, county.clerk, out)
        expected = sum(d.requested_fen for d in s.scalars(listing.list_query(county.clerk)))
    assert count == 60
    ws = openpyxl.load_workbook(out, read_only=True)["台账"]
    rows = list(ws.iter_rows(values_only=True))
    total = next(r for r in rows if r and r[0] == "合计")
    assert Decimal(str(total[8])).quantize(Decimal("0.01")) == Decimal(expected) / 100


def test_template_round_trip_into_drafts(county: Office, tmp_path: Path) -> None:
    template = tmp_path / "模板.xlsx"
    sheets.write_template(template)
    good = example_cells(example_declaration(title="模板导入的项目甲"))
    second = example_cells(example_declaration(title="模板导入的项目乙"))
    bad = dict(second, 项目名称="有错的项目", 统一社会信用代码="52620102MJ0000123A")
    filled = _fill(template, {3: good, 4: bad}, tmp_path / "已填写.xlsx")
    with county.session() as s, pytest.raises(UserError, match="1 行填写有误") as refused:
        sheets.import_excel(s, county.clerk, filled)
    copy = tmp_path / "已填写-错误标注.xlsx"
    assert copy.exists()
    assert isinstance(refused.value, sheets.ExcelRowsInvalid)
    assert refused.value.intake.invalid_rows == [4] and refused.value.intake.errors_file == copy
    assert refused.value.intake.messages
    with county.session() as s:
        assert listing.count(s, listing.list_query(county.clerk)) == 0
    with county.session() as s:
        intake = sheets.import_excel(s, county.clerk, filled, accept_valid=True)
    assert len(intake.created) == 1 and intake.invalid_rows == [4]
    with county.session() as s:
        d = lookup.get(s, intake.created[0])
        assert d.title == "模板导入的项目甲" and d.from_paper


def test_template_rows_outside_jurisdiction(county: Office, tmp_path: Path) -> None:
    template = tmp_path / "模板.xlsx"
    sheets.write_template(template)
    foreign = example_cells(example_declaration(community="620103001001", title="外区项目"))
    filled = _fill(template, {3: foreign}, tmp_path / "外区.xlsx")
    with county.session() as s, pytest.raises(UserError, match="未导入"):
        sheets.import_excel(s, county.clerk, filled)
    wb = openpyxl.load_workbook(tmp_path / "外区-错误标注.xlsx")
    comments = [c.comment.text for row in wb["申报表"].iter_rows() for c in row if c.comment]
    assert any("不在本单位辖区" in t for t in comments)
