"""The ledger (台账): one row per declaration, streamed to an .xlsx by :mod:`fastxlsx`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from openpyxl.utils import get_column_letter

from sanlian_desktop.documents.spreadsheets import fastxlsx as fx
from sanlian_desktop.kernel.fileio import atomic_write as atomic_output
from sanlian_desktop.kernel.vocab import FOCUS_AREAS, REVIEW_LEVELS, Level

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


def write_ledger(
    rows: Iterable[LedgerRow],
    out_path: str | os.PathLike[str],
    *,
    title: str,
    generated_at: datetime,
) -> int:
    """Stream ``rows`` into a ledger workbook (sheets 台账 and 汇总) and return how many were written.

    The file is written to ``name.tmp`` and renamed onto ``out_path`` when complete.
    """
    wb = fx.Workbook(title=title, creator="三社联动申报系统")
    try:
        count = _fill_workbook(wb, rows, title=title, generated_at=generated_at)
        with atomic_output(out_path) as handle:
            wb.save(handle)
    except BaseException:
        wb.discard()
        raise
    return count


def _money(value: Decimal | None, style: fx.Style = fx.Style.MONEY) -> fx.Cell:
    return None if value is None else (value, style)


def _fill_workbook(wb: fx.Workbook, rows: Iterable[LedgerRow], *, title: str, generated_at: datetime) -> int:
    headers = [name for name, _ in _COLUMNS]
    last_col = get_column_letter(len(headers))
    ws = wb.add_sheet(LEDGER_SHEET, [width for _, width in _COLUMNS], freeze_row=HEADER_ROW + 1,
                      landscape=True, print_title_row=HEADER_ROW)
    ws.append([(title, fx.Style.TITLE)])
    ws.append([(f"生成时间：{generated_at:%Y-%m-%d %H:%M}", fx.Style.NOTE)])
    ws.append([(h, fx.Style.HEADER) for h in headers])

    total = _Tally()
    by_city: dict[str, _Tally] = {}
    by_focus: dict[str, _Tally] = {}
    count = 0
    money = fx.Style.MONEY
    for row in rows:
        count += 1
        total.add(row)
        by_city.setdefault(row.city, _Tally()).add(row)
        for area in dict.fromkeys(row.focus_areas) or [NO_FOCUS_AREA]:
            by_focus.setdefault(area, _Tally()).add(row)
        reviews = row.reviews
        values: list[fx.Cell] = [
            row.number, row.city or None, row.county or None, row.street or None, row.community or None,
            row.title, "、".join(row.focus_areas) or None,
            (row.budget_total, money), (row.requested, money),
            None if row.granted is None else (row.granted, money),
            row.status,
        ]
        for level in REVIEW_LEVELS:
            mark = reviews.get(level)
            values.append(mark.label() if mark else None)
        ws.append(values)

    last_data_row = HEADER_ROW + count
    ws.auto_filter = f"A{HEADER_ROW}:{last_col}{max(last_data_row, HEADER_ROW + 1)}"
    total_text, total_money = fx.Style.TOTAL_TEXT, fx.Style.TOTAL_MONEY
    totals: list[fx.Cell] = [("合计", total_text), (f"{count} 项", total_text)]
    totals += [(None, total_text) for _ in range(_MONEY_COLUMNS[0] - 3)]
    totals += [(total.budget_total, total_money), (total.requested, total_money), (total.granted, total_money)]
    ws.append(totals)
    if count:
        # SUBTOTAL(109, …) follows the auto filter; the exact totals above do not.
        first = HEADER_ROW + 1
        subtotal: list[fx.Cell] = [("筛选结果小计", total_text), None, None, None, None, None, None]
        for col in _MONEY_COLUMNS:
            letter = get_column_letter(col)
            subtotal.append((fx.Formula(f"SUBTOTAL(109,{letter}{first}:{letter}{last_data_row})"), total_money))
        ws.append(subtotal)

    _write_summary(wb.add_sheet(SUMMARY_SHEET, [24, 10, 18, 18, 12, 18]), title=title, total=total,
                   by_city=by_city, by_focus=by_focus)
    return count


def _ordered_focus(by_focus: dict[str, _Tally]) -> list[str]:
    known = [area for area in FOCUS_AREAS if area in by_focus]
    others = sorted(area for area in by_focus if area not in FOCUS_AREAS and area != NO_FOCUS_AREA)
    tail = [NO_FOCUS_AREA] if NO_FOCUS_AREA in by_focus else []
    return known + others + tail


def _write_summary(
    ws: fx.Sheet,
    *,
    title: str,
    total: _Tally,
    by_city: dict[str, _Tally],
    by_focus: dict[str, _Tally],
) -> None:
    headers = ["项目数", "项目总预算(元)", "申请省级补助(元)", "已定补助项目数", "批准补助(元)"]

    def tally_row(label: str, tally: _Tally, *, bold: bool = False) -> list[fx.Cell]:
        text = fx.Style.TOTAL_TEXT if bold else fx.Style.PLAIN
        money = fx.Style.TOTAL_MONEY if bold else fx.Style.MONEY
        return [(label, text), (tally.count, text), (tally.budget_total, money), (tally.requested, money),
                (tally.granted_count, text), (tally.granted, money)]

    ws.append([(f"{title} — 汇总", fx.Style.TITLE)])
    ws.append([])
    ws.append([(h, fx.Style.HEADER) for h in ["按市(州)", *headers]])
    for city, tally in by_city.items():
        ws.append(tally_row(city or "（未填写市州）", tally))
    ws.append(tally_row("合计", total, bold=True))
    ws.append([])
    ws.append([(h, fx.Style.HEADER) for h in ["按重点领域", *headers]])
    for area in _ordered_focus(by_focus):
        ws.append(tally_row(area, by_focus[area]))
    ws.append([(
        "说明：一个项目填报了多个重点领域时，在每个领域下各计一次（项目数和金额均计入），"
        "因此按重点领域的合计可能大于项目总数和总金额，故此表不列合计。",
        fx.Style.NOTE,
    )])
