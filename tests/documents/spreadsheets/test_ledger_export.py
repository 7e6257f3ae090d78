"""The ledger export: layout, formats, exact totals and the summary, read back with openpyxl."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from sanlian_desktop.documents.spreadsheets import LedgerRow, ReviewMark, write_ledger
from sanlian_desktop.kernel.vocab import Level

GENERATED = datetime(2026, 11, 25, 9, 30)


def _rows() -> list[LedgerRow]:
    return [
        LedgerRow(
            number="2016-0001", city="兰州市", county="城关区", street="东岗西路街道",
            community="东岗西路社区",
            title="银龄守望", focus_areas=["扶老救孤", "心理疏导"], budget_total=Decimal("80000.00"),
            requested=Decimal("50000.00"), granted=Decimal("45000.10"), status="已批准",
            reviews={
                Level.STREET: ReviewMark("同意", date(2016, 8, 1)),
                Level.COUNTY: ReviewMark("同意", date(2016, 8, 10)),
                Level.CITY: ReviewMark("同意", date(2016, 8, 20)),
                Level.PROVINCE: ReviewMark("同意", date(2016, 9, 1)),
            },
        ),
        LedgerRow(
            number="2016-0002", city="嘉峪关市", county="", street="雄关街道", community="建设社区",
            title="阳光助残", focus_areas=["助残助学"], budget_total=Decimal("0.10"),
            requested=Decimal("0.20"), granted=None, status="审核中",
            reviews={Level.STREET: ReviewMark("退回修改")},
        ),
        LedgerRow(
            number="2016-0003", city="兰州市", county="七里河区", street="西园街道", community="西园社区",
            title="心灵驿站", focus_areas=["心理疏导"], budget_total=Decimal("12345.67"),
            requested=Decimal("10000.01"), granted=None, status="草稿",
        ),
    ]


def _write(tmp_path: Path, rows: list[LedgerRow]) -> Path:
    out = tmp_path / "台账.xlsx"

    def stream() -> Iterator[LedgerRow]:
        yield from rows

    assert write_ledger(stream(), out, title="2016年试点项目台账", generated_at=GENERATED) == len(rows)
    return out


def _money(value: object) -> Decimal:
    assert isinstance(value, int | float)
    return Decimal(repr(value)).quantize(Decimal("0.01"))


def test_layout_header_freeze_filter_and_formats(tmp_path: Path) -> None:
    out = _write(tmp_path, _rows())
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["台账", "汇总"]
    ws = wb["台账"]
    assert ws["A1"].value == "2016年试点项目台账"
    assert ws["A2"].value == "生成时间：2026-11-25 09:30"
    headers = [c.value for c in ws[3]]
    assert headers[:11] == [
        "申报编号", "市(州)", "县(市、区)", "街道(乡镇)", "社区", "项目名称", "重点领域",
        "项目总预算(元)", "申请省级补助(元)", "批准补助(元)", "状态",
    ]
    assert headers[11:] == ["街道初核", "县级审核", "市级复核", "省厅审批"]
    header = ws["A3"]
    assert header.font.b and header.fill.fill_type == "solid" and header.alignment.wrap_text
    assert header.border.left.style == "thin"
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:O6"
    assert ws.column_dimensions["F"].width == 40
    assert ws.print_title_rows == "$3:$3" and ws.page_setup.orientation == "landscape"
    assert ws["G4"].value == "扶老救孤、心理疏导"
    for col in "HIJ":
        assert ws[f"{col}4"].number_format == "#,##0.00"
        assert isinstance(ws[f"{col}4"].value, int | float)
    assert ws["J5"].value is None  # not granted yet
    assert ws["C5"].value is None  # 嘉峪关市 has no county
    assert ws["L4"].value == "同意 2016-08-01"
    assert ws["O4"].value == "同意 2016-09-01"
    assert ws["L5"].value == "退回修改"
    assert ws["M5"].value is None


def test_totals_are_exact_sums(tmp_path: Path) -> None:
    rows = _rows()
    ws = openpyxl.load_workbook(_write(tmp_path, rows))["台账"]
    total_row = 3 + len(rows) + 1
    assert ws[f"A{total_row}"].value == "合计"
    assert ws[f"B{total_row}"].value == "3 项"
    assert _money(ws[f"H{total_row}"].value) == sum(r.budget_total for r in rows) == Decimal("92345.77")
    assert _money(ws[f"I{total_row}"].value) == sum(r.requested for r in rows) == Decimal("60000.21")
    assert _money(ws[f"J{total_row}"].value) == Decimal("45000.10")
    assert ws[f"H{total_row}"].number_format == "#,##0.00"
    # The second line follows the auto filter.
    assert ws[f"H{total_row + 1}"].value == "=SUBTOTAL(109,H4:H6)"


def test_summary_by_city_and_focus_area(tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(_write(tmp_path, _rows()))["汇总"]
    table = [[c.value for c in row] for row in ws.iter_rows()]
    by_label = {row[0]: row[1:] for row in table if row and row[0]}
    assert by_label["兰州市"][0] == 2
    assert _money(by_label["兰州市"][1]) == Decimal("92345.67")
    assert _money(by_label["兰州市"][2]) == Decimal("60000.01")
    assert by_label["兰州市"][3] == 1
    assert _money(by_label["兰州市"][4]) == Decimal("45000.10")
    assert by_label["嘉峪关市"][0] == 1
    assert by_label["合计"][0] == 3
    # A declaration with two focus areas counts under both.
    assert by_label["心理疏导"][0] == 2
    assert _money(by_label["心理疏导"][1]) == Decimal("92345.67")
    assert by_label["扶老救孤"][0] == 1
    assert by_label["助残助学"][0] == 1
    notes = [row[0] for row in table if row and isinstance(row[0], str) and row[0].startswith("说明")]
    assert notes and "各计一次" in notes[0]


def test_empty_ledger_and_no_temporary_file_left(tmp_path: Path) -> None:
    out = _write(tmp_path, [])
    ws = openpyxl.load_workbook(out)["台账"]
    assert ws["A4"].value == "合计"
    assert [p.name for p in tmp_path.iterdir()] == ["台账.xlsx"]


def test_failure_midway_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "台账.xlsx"
    out.write_bytes(b"old")

    def broken() -> Iterator[LedgerRow]:
        yield _rows()[0]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        write_ledger(broken(), out, title="t", generated_at=GENERATED)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["台账.xlsx"]


@pytest.mark.slow
def test_many_rows_stream(tmp_path: Path) -> None:
    """Volume check only; the time is measured by the benchmark, not asserted here."""
    template = _rows()[0]

    def many() -> Iterator[LedgerRow]:
        for i in range(20_000):
            yield LedgerRow(**{**template.__dict__, "number": f"2016-{i:06d}", "requested": Decimal(i)})

    out = tmp_path / "big.xlsx"
    assert write_ledger(many(), out, title="t", generated_at=GENERATED) == 20_000
    ws = openpyxl.load_workbook(out, read_only=True)["台账"]
    last = next(ws.iter_rows(min_row=20_004, max_row=20_004, values_only=True))
    assert last[0] == "合计"
    assert _money(last[8]) == Decimal(sum(range(20_000)))
