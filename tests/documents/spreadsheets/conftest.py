"""Fixtures for the spreadsheet tests: the example declaration, a fresh template, a clerk who fills it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sanlian_desktop.documents.spreadsheets import write_template
from sanlian_desktop.documents.spreadsheets.columns import COLUMNS, example_declaration, get_path
from sanlian_desktop.documents.spreadsheets.template import cell_value
from sanlian_desktop.kernel.errors import FieldError

Fill = Callable[..., Path]
Validator = Callable[[dict[str, Any]], list[FieldError]]


@pytest.fixture
def example() -> dict[str, Any]:
    return example_declaration()


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "申报表模板.xlsx"
    write_template(path)
    return path


@pytest.fixture
def fill(template: Path, tmp_path: Path) -> Fill:
    """Open the template with openpyxl, type rows into it (``{row: {header: value}}``) and save."""

    def fill(rows: dict[int, dict[str, Any]], *, name: str = "已填写.xlsx", delete_example: bool = False,
             source: Path | None = None) -> Path:
        wb = openpyxl.load_workbook(source or template)
        ws = wb["申报表"]
        if delete_example:
            ws.delete_rows(2)
        headers = {cell.value: cell.column for cell in ws[1] if cell.value}
        for row, cells in rows.items():
            for header, value in cells.items():
                ws.cell(row=row, column=headers[header], value=value)
        out = tmp_path / name
        wb.save(out)
        return out

    return fill


def example_cells(declaration: dict[str, Any]) -> dict[str, Any]:
    """Header → cell value, as a clerk would type the declaration into the template."""
    return {col.header: cell_value(col, get_path(declaration, col.key)) for col in COLUMNS}


@pytest.fixture
def cells(example: dict[str, Any]) -> dict[str, Any]:
    """The example declaration as a clerk types it: header → cell value."""
    return example_cells(example)


def simple_validator(data: dict[str, Any]) -> list[FieldError]:
    """A stand-in for the core's validator: a few rules of the real form."""
    errors = []
    if not data["title"]:
        errors.append(FieldError("title", "项目名称", "不能为空"))
    for idx, entry in enumerate(data["funding_sources"]):
        if entry["source"] is None:
            message = "填写了金额，但没有选择来源"
            errors.append(FieldError(f"funding_sources.{idx}.source", "资金来源", message))
    amounts = [Decimal(e["amount"]) for e in data["funding_sources"] if e["amount"]]
    if data["budget_total"] and amounts and sum(amounts) != Decimal(data["budget_total"]):
        errors.append(FieldError("funding_sources", "资金需求和来源", "各项资金合计不等于项目总预算"))
    return errors


@pytest.fixture
def validator() -> Validator:
    return simple_validator
