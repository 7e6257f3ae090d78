"""The public notice (公示) of selected projects as an Excel workbook."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from sanlian_desktop.documents.printing.notice import STATE_TEXT, PrintableNotice
from sanlian_desktop.documents.spreadsheets.styles import (
    BORDER,
    HEADER_ALIGNMENT,
    HEADER_FILL,
    HEADER_FONT,
    MONEY_FORMAT,
    TITLE_FONT,
    TOTAL_FILL,
    TOTAL_FONT,
    WRAP_TOP,
)
from sanlian_desktop.kernel.fileio import atomic_write

HEADERS = (("序号", 6), ("申报编号", 24), ("项目名称", 44), ("市(州)", 12), ("县(市、区)", 12), ("街道(乡镇)", 14),
           ("社区", 16), ("重点领域", 18), ("补助金额（元）", 16), ("状态", 8))


def write_notice_xlsx(target: str | Path, notice: PrintableNotice) -> None:
    """Write the notice's table, with its period and issuer above it, to ``target`` (atomically)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "公示名单"
    ws.append([notice.title])
    ws["A1"].font = TITLE_FONT
    ws.append([f"公示期：{notice.starts.isoformat()} 至 {notice.ends.isoformat()}；发布单位：{notice.issuer}；"
               f"发布日期：{notice.issued_on.isoformat()}；公示第 {notice.seq} 号"
               + (f"（替代第 {notice.supersedes_seq} 号）" if notice.supersedes_seq else "")])
    ws.append([name for name, _ in HEADERS])
    for col, (_, width) in enumerate(HEADERS, 1):
        cell = ws.cell(row=3, column=col)
        cell.font, cell.fill, cell.alignment, cell.border = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT, BORDER
        ws.column_dimensions[get_column_letter(col)].width = width
    total = Decimal(0)
    for i, e in enumerate(notice.entries, 1):
        amount = (Decimal(int(e.get("amount_fen") or 0)) / 100).quantize(Decimal("0.01"))
        total += amount
        ws.append([i, e["number"], e["title"], e["city"], e["county"], e.get("street", ""), e["community"],
                   e["focus_areas"], amount, STATE_TEXT.get(str(e.get("state")), "")])
    ws.append(["合计", f"{len(notice.entries)} 个项目", None, None, None, None, None, None, total, None])
    last = ws.max_row
    for row in ws.iter_rows(min_row=4, max_row=last):
        for cell in row:
            cell.border, cell.alignment = BORDER, WRAP_TOP
        row[8].number_format = MONEY_FORMAT
    for cell in ws[last]:
        cell.font, cell.fill = TOTAL_FONT, TOTAL_FILL
    ws.freeze_panes = "A4"
    with atomic_write(target) as fh:
        wb.save(fh)
