"""Timings of the spreadsheet services: ``python -m bench.spreadsheet_timings [rows]``.

Not a test: prints wall-clock seconds and peak memory for the ledger export, the template, the
intake of a full file and of a file with 100,000 trailing empty rows.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import PatternFill

from sanlian_desktop.documents.spreadsheets import (
    LedgerRow,
    ReviewMark,
    read_declarations,
    write_ledger,
    write_template,
)
from sanlian_desktop.documents.spreadsheets.columns import (
    COLUMNS,
    MAX_DECLARATIONS,
    example_declaration,
    get_path,
)
from sanlian_desktop.documents.spreadsheets.template import cell_value
from sanlian_desktop.kernel.vocab import REVIEW_LEVELS


def _ledger_rows(count: int) -> Iterator[LedgerRow]:
    reviews = {level: ReviewMark("同意", date(2016, 8, 1)) for level in REVIEW_LEVELS}
    cities = ["兰州市", "天水市", "酒泉市", "嘉峪关市", "甘南藏族自治州"]
    for idx in range(count):
        yield LedgerRow(
            number=f"2016-{idx:06d}", city=cities[idx % 5], county="城关区", street="东岗西路街道",
            community="东岗西路社区", title="东岗西路社区“银龄守望”空巢老人关爱服务项目",
            focus_areas=["扶老救孤", "心理疏导"][: 1 + idx % 2], budget_total=Decimal("80000.00") + idx,
            requested=Decimal("50000.01"), granted=Decimal("45000.00"), status="已批准", reviews=reviews,
        )


def _timed(label: str, func: Any) -> Any:
    started = time.perf_counter()
    value = func()
    print(f"{label:<52} {time.perf_counter() - started:6.2f} s")
    return value


def main() -> None:
    """Run each measurement once and print the times."""
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    folder = Path(tempfile.mkdtemp(prefix="sanlian-bench-"))
    _timed(f"ledger, {rows:,} rows, every column filled", lambda: write_ledger(
        _ledger_rows(rows), folder / "ledger.xlsx", title="台账", generated_at=datetime.now()))
    _timed("template", lambda: write_template(folder / "template.xlsx"))

    wb = openpyxl.load_workbook(folder / "template.xlsx")
    ws = wb["申报表"]
    example = example_declaration()
    values = [cell_value(col, get_path(example, col.key)) for col in COLUMNS]
    for row in range(3, 3 + MAX_DECLARATIONS):
        for col_idx, value in enumerate(values, 1):
            ws.cell(row=row, column=col_idx, value=value)
    wb.save(folder / "full.xlsx")
    result = _timed(f"intake, {MAX_DECLARATIONS:,} declarations", lambda: read_declarations(
        folder / "full.xlsx", lambda data: []))
    assert len(result.valid) == MAX_DECLARATIONS
    _timed(f"error copy, {MAX_DECLARATIONS:,} rows", lambda: result.write_error_copy(folder / "copy.xlsx"))

    wb = openpyxl.Workbook(write_only=True)
    sheet = wb.create_sheet("申报表")
    sheet.append([col.header for col in COLUMNS])
    sheet.append([None, None, "唯一的项目"])
    fill = PatternFill(fill_type="solid", start_color="FFFF00", end_color="FFFF00")
    for _ in range(100_000):
        cells = []
        for _ in range(len(COLUMNS)):
            cell = WriteOnlyCell(sheet, None)
            cell.fill = fill
            cells.append(cell)
        sheet.append(cells)
    wb.save(folder / "empty-rows.xlsx")
    _timed("intake, 100,000 formatted empty rows × 44 columns", lambda: read_declarations(
        folder / "empty-rows.xlsx", lambda data: []))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the whole run: {peak:.0f} MB; files in {folder}")


if __name__ == "__main__":
    main()
