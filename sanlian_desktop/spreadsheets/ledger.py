"""The ledger (台账): one row per declaration, streamed to an .xlsx in openpyxl's write-only mode."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from sanlian_desktop.spreadsheets import _styles as st
from sanlian_desktop.spreadsheets._atomic import atomic_output
from sanlian_desktop.vocab import FOCUS_AREAS, REVIEW_LEVELS, Level

LEDGER_SHEET = "台账"
SUMMARY_SHEET = "汇总"
NO_FOCUS_AREA = "（未填写重点领域）"
_ZERO = Decimal("0.00")
_REVIEW_COLUMN = {
    Level.STREET: "街道初核",
    Level.COUNTY: "县级审核",
    Level.CITY: "市级复核",
    Level.PROVINCE: "省厅审批",
}


@dataclass(frozen=True)
class ReviewMark:
    """One level's decision on a declaration: its label (同意 / 不同意 / 退回修改) and date."""

    decision: str
    on: date | None = None

    def label(self) -> str:
        """The ledger cell: ``同意 2016-08-01``, or the decision alone when it has no date."""
        return f"{self.decision} {self.on.isoformat()}" if self.on else self.decision


@dataclass(frozen=True)
class LedgerRow:
    """One declaration as the ledger shows it. Money is exact Decimal yuan; ``granted`` is None until decided.

    ``county`` is empty where a city has no counties (嘉峪关市, 兰州新区 and the like).
    ``reviews`` maps a review level (street, county, city, province) to its latest decision.
    """

    number: str
    city: str
    county: str
    street: str
    community: str
    title: str
    focus_areas: Sequence[str]
    budget_total: Decimal
    requested: Decimal
    granted: Decimal | None
    status: str
    reviews: Mapping[Level, ReviewMark] = field(default_factory=dict)


# (header, width) in sheet order; money columns are the three after 重点领域.
_COLUMNS: list[tuple[str, float]] = [
    ("申报编号", 16),
    ("市(州)", 12),
    ("县(市、区)", 12),
    ("街道(乡镇)", 14),
    ("社区", 16),
    ("项目名称", 40),
    ("重点领域", 22),
    ("项目总预算(元)", 15),
    ("申请省级补助(元)", 15),
    ("批准补助(元)", 15),
    ("状态", 9),
]
# Decision and date share one cell per level ("同意 2016-08-01"): four more cells a row instead of eight
# keeps 100,000 rows within the time budget, and reads like the paper ledger.
_COLUMNS += [(_REVIEW_COLUMN[level], 17) for level in REVIEW_LEVELS]
_MONEY_COLUMNS = (8, 9, 10)  # 1-based
_TITLE_ROWS = 2  # title, then "generated at"
HEADER_ROW = _TITLE_ROWS + 1


@dataclass
class _Tally:
    """Count and exact sums for one group of the summary."""

    count: int = 0
    budget_total: Decimal = _ZERO
    requested: Decimal = _ZERO
    granted: Decimal = _ZERO
    granted_count: int = 0

    def add(self, row: LedgerRow) -> None:
        self.count += 1
        self.budget_total += row.budget_total
        self.requested += row.requested
        if row.granted is not None:
            self.granted += row.granted
            self.granted_count += 1


class _StyledCells:
    """Prepared write-only cells: copying a finished style is much cheaper than styling each cell anew."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self._ws = ws
        self._money = WriteOnlyCell(ws)
        self._money.number_format = st.MONEY_FORMAT
        self._total_money = self._styled(st.MONEY_FORMAT, bold=True)
        self._total_text = self._styled("General", bold=True)

    def _styled(self, number_format: str, *, bold: bool) -> WriteOnlyCell:
        cell = WriteOnlyCell(self._ws)
        cell.number_format = number_format
        if bold:
            cell.font = st.TOTAL_FONT
            cell.fill = st.TOTAL_FILL
            cell.border = st.BORDER
        return cell

    def _like(self, template: WriteOnlyCell, value: object) -> WriteOnlyCell:
        cell = WriteOnlyCell(self._ws, value)
        # openpyxl's own cell copy does this; going through the style setters for every money cell
        # of a 100,000-row export costs about a second more.
        cell._style = template._style.__copy__()
        return cell

    def money(self, value: Decimal | None) -> WriteOnlyCell | None:
        return None if value is None else self._like(self._money, value)

    def total_money(self, value: Decimal | str) -> WriteOnlyCell:
        """A bold total cell; ``value`` may be a formula."""
        return self._like(self._total_money, value)

    def total_text(self, value: object) -> WriteOnlyCell:
        return self._like(self._total_text, value)


def _header_cells(ws: WriteOnlyWorksheet, headers: Sequence[str]) -> list[WriteOnlyCell]:
    cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, header)
        cell.font = st.HEADER_FONT
        cell.fill = st.HEADER_FILL
        cell.alignment = st.HEADER_ALIGNMENT
        cell.border = st.BORDER
        cells.append(cell)
    return cells


def _title_cell(ws: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, text)
    cell.font = st.TITLE_FONT
    return cell


def _note_cell(ws: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, text)
    cell.font = st.NOTE_FONT
    return cell


def write_ledger(
    rows: Iterable[LedgerRow],
    out_path: str | os.PathLike[str],
    *,
    title: str,
    generated_at: datetime,
) -> int:
    """Write the ledger workbook (sheets 台账 and 汇总) and return the number of declarations written.

    ``rows`` is consumed once, as a stream: a generator over a large query is fine. The totals and
    the summary by city and by focus area are exact Decimal sums accumulated while streaming.
    The file is written to ``name.tmp`` and renamed onto ``out_path`` when complete.
    """
    wb = Workbook(write_only=True)
    try:
        count = _fill_workbook(wb, rows, title=title, generated_at=generated_at)
    except BaseException:
        _discard(wb)
        raise
    with atomic_output(out_path) as handle:
        wb.save(handle)
    return count


def _discard(wb: Workbook) -> None:
    """Close a half-written write-only workbook and remove its temporary sheet files."""
    for ws in wb.worksheets:
        with contextlib.suppress(Exception):
            if not ws.closed:
                ws.close()
            if ws._writer is not None:
                ws._writer.cleanup()


def _fill_workbook(wb: Workbook, rows: Iterable[LedgerRow], *, title: str, generated_at: datetime) -> int:
    wb.properties.title = title
    wb.properties.creator = "三社联动申报系统"
    ws: WriteOnlyWorksheet = wb.create_sheet(LEDGER_SHEET)
    headers = [name for name, _ in _COLUMNS]
    last_col = get_column_letter(len(headers))
    for idx, (_, width) in enumerate(_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    ws.append([_title_cell(ws, title)])
    ws.append([_note_cell(ws, f"生成时间：{generated_at:%Y-%m-%d %H:%M}")])
    ws.append(_header_cells(ws, headers))

    cells = _StyledCells(ws)
    total = _Tally()
    by_city: dict[str, _Tally] = {}
    by_focus: dict[str, _Tally] = {}
    count = 0
    for row in rows:
        count += 1
        total.add(row)
        by_city.setdefault(row.city, _Tally()).add(row)
        for area in dict.fromkeys(row.focus_areas) or [NO_FOCUS_AREA]:
            by_focus.setdefault(area, _Tally()).add(row)
        values: list[object] = [
            row.number,
            row.city,
            row.county,
            row.street,
            row.community,
            row.title,
            "、".join(row.focus_areas),
            cells.money(row.budget_total),
            cells.money(row.requested),
            cells.money(row.granted),
            row.status,
        ]
        for level in REVIEW_LEVELS:
            mark = row.reviews.get(level)
            values.append(mark.label() if mark else None)
        ws.append(values)

    last_data_row = HEADER_ROW + count
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{max(last_data_row, HEADER_ROW + 1)}"
    totals: list[object] = [cells.total_text("合计"), cells.total_text(f"{count} 项")]
    totals += [cells.total_text(None) for _ in range(_MONEY_COLUMNS[0] - 3)]
    totals += [cells.total_money(total.budget_total), cells.total_money(total.requested)]
    totals += [cells.total_money(total.granted)]
    ws.append(totals)
    if count:
        # SUBTOTAL(109, …) follows the auto filter; the exact totals above do not.
        first = HEADER_ROW + 1
        subtotal: list[object] = [cells.total_text("筛选结果小计"), None, None, None, None, None, None]
        for col in _MONEY_COLUMNS:
            letter = get_column_letter(col)
            subtotal.append(cells.total_money(f"=SUBTOTAL(109,{letter}{first}:{letter}{last_data_row})"))
        ws.append(subtotal)

    _write_summary(wb.create_sheet(SUMMARY_SHEET), title=title, total=total, by_city=by_city,
                   by_focus=by_focus)
    return count


def _ordered_focus(by_focus: dict[str, _Tally]) -> list[str]:
    known = [area for area in FOCUS_AREAS if area in by_focus]
    others = sorted(area for area in by_focus if area not in FOCUS_AREAS and area != NO_FOCUS_AREA)
    tail = [NO_FOCUS_AREA] if NO_FOCUS_AREA in by_focus else []
    return known + others + tail


def _write_summary(
    ws: WriteOnlyWorksheet,
    *,
    title: str,
    total: _Tally,
    by_city: dict[str, _Tally],
    by_focus: dict[str, _Tally],
) -> None:
    widths = [24, 10, 18, 18, 12, 18]
    for idx, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    cells = _StyledCells(ws)
    headers = ["项目数", "项目总预算(元)", "申请省级补助(元)", "已定补助项目数", "批准补助(元)"]

    def tally_row(label: str, tally: _Tally, *, bold: bool = False) -> list[object]:
        money = cells.total_money if bold else cells.money
        first = cells.total_text(label) if bold else label
        return [first, tally.count, money(tally.budget_total), money(tally.requested),
                tally.granted_count, money(tally.granted)]

    ws.append([_title_cell(ws, f"{title} — 汇总")])
    ws.append([])
    ws.append(_header_cells(ws, ["按市(州)", *headers]))
    for city, tally in by_city.items():
        ws.append(tally_row(city or "（未填写市州）", tally))
    ws.append(tally_row("合计", total, bold=True))
    ws.append([])
    ws.append(_header_cells(ws, ["按重点领域", *headers]))
    for area in _ordered_focus(by_focus):
        ws.append(tally_row(area, by_focus[area]))
    ws.append([_note_cell(
        ws,
        "说明：一个项目填报了多个重点领域时，在每个领域下各计一次（项目数和金额均计入），"
        "因此按重点领域的合计可能大于项目总数和总金额，故此表不列合计。",
    )])
