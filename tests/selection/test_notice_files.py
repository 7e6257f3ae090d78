"""The 公示 as PDF and Excel: numbered pages, repeated header, long titles wrapped inside their cells,
embedded font, exact money."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from reportlab.platypus import Paragraph

from sanlian_desktop.documents.printing.fonts import find_cjk_font
from sanlian_desktop.documents.printing.notice import COLUMNS, PrintableNotice, _styles, _table, render_notice
from sanlian_desktop.documents.spreadsheets.notice import write_notice_xlsx

LONG = "东岗西路社区“银龄守望”空巢老人关爱服务暨困境儿童心理疏导与社区融合发展综合试点项目（第二期）"


def _notice(count: int) -> PrintableNotice:
    entries = [{
        "declaration_id": f"d{i}", "number": f"620102001001-2016-{i:04d}", "title": LONG if i % 2 else f"项目{i}",
        "community_code": f"62010200100{i % 3}", "community": "东岗西路社区", "street": "东岗街道",
        "street_code": "620102001", "county": "城关区", "county_code": "620102", "city": "兰州市",
        "city_code": "620100", "focus_areas": "扶老救孤、心理疏导、“三留守”人员关爱", "amount_fen": 4_500_001,
        "state": "approved" if i % 3 else "shortlisted"} for i in range(1, count + 1)]
    return PrintableNotice(title="2016年“三社联动”试点项目入选项目公示", seq=2, starts=date(2016, 10, 10),
                           ends=date(2016, 10, 16), issued_on=date(2016, 10, 9), issuer="甘肃省民政厅",
                           entries=entries, supersedes_seq=1)


def _text(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() for p in PdfReader(str(pdf)).pages]


def test_pdf_pages_are_numbered_and_repeat_the_header(tmp_path: Path) -> None:
    pdf = tmp_path / "公示.pdf"
    render_notice(pdf, _notice(45))
    pages = _text(pdf)
    assert len(pages) >= 3
    for i, text in enumerate(pages, 1):
        assert f"第 {i} 页 共 {len(pages)} 页" in text
        # Every page of the table repeats its header (the signature may end on a page of its own).
        assert ("项目名称" in text and "补助金额" in text) or (i == len(pages) and "序号" not in text)
    joined = "".join(pages)
    assert "公示期：2016年10月10日至2016年10月16日" in joined
    assert "替代第 1 号公示" in joined and "甘肃省民政厅" in joined
    assert "2,025,000.45" in joined  # 45 × 45,000.01 exactly
    assert "拟入选" in joined and "已批准" in joined


def test_pdf_embeds_its_only_font(tmp_path: Path) -> None:
    from pypdf import PdfReader

    pdf = tmp_path / "公示.pdf"
    choice = render_notice(pdf, _notice(3))
    if not choice.embedded:
        pytest.skip("no TrueType CJK font on this machine")
    for page in PdfReader(str(pdf)).pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font = ref.get_object()
            descriptors = [font.get("/FontDescriptor")]
            descriptors += [d.get_object().get("/FontDescriptor") for d in font.get("/DescendantFonts", [])]
            assert any(d is not None and "/FontFile2" in d.get_object() for d in descriptors), font["/BaseFont"]


def test_every_cell_wraps_inside_its_column() -> None:
    font = find_cjk_font()
    table = _table(_notice(4), _styles(font.name))
    widths = [w for _, w in COLUMNS]
    checked = 0
    for row in table._cellvalues:
        for cell, width_mm in zip(row, widths, strict=True):
            if not isinstance(cell, Paragraph):
                continue
            inner = width_mm * 72 / 25.4 - 6  # the cell's padding
            cell.wrap(inner, 10_000)
            lines = cell.blPara.lines
            for line in lines:
                spare = line[0] if isinstance(line, tuple) else line.extraSpace
                assert spare >= -0.01, (cell.text, spare)  # what is left of the width: never negative
            checked += 1
            if cell.text == LONG:
                assert len(lines) >= 2
    assert checked > 30


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_renders(tmp_path: Path) -> None:
    pdf = tmp_path / "notice.pdf"
    render_notice(pdf, _notice(5))
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True)
    assert list(tmp_path.glob("p-*.png"))


def test_excel_lists_the_notice_with_exact_amounts(tmp_path: Path) -> None:
    xlsx = tmp_path / "公示.xlsx"
    write_notice_xlsx(xlsx, _notice(3))
    ws = load_workbook(xlsx).active
    assert ws["A1"].value == "2016年“三社联动”试点项目入选项目公示"
    assert "公示期：2016-10-10 至 2016-10-16" in ws["A2"].value and "替代第 1 号" in ws["A2"].value
    assert [c.value for c in ws[3]][:3] == ["序号", "申报编号", "项目名称"]
    assert ws["C4"].value == LONG and ws["J4"].value == "已批准" and ws["J6"].value == "拟入选"
    assert Decimal(str(ws["I4"].value)) == Decimal("45000.01")
    assert ws["A7"].value == "合计" and Decimal(str(ws["I7"].value)) == Decimal("135000.03")
    assert ws["I4"].number_format == "#,##0.00"
