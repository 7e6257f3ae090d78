"""Fixtures for the spreadsheet tests: the example declaration, a fresh template, a clerk who fills it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from xlsx_helpers import Fill

from sanlian_desktop.spreadsheets import write_template
from sanlian_desktop.spreadsheets.columns import example_declaration


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
