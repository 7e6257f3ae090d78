"""Helpers for the printing tests: sample declarations, reading text and QR codes back from PDFs."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sanlian_desktop.documents.printing import PrintableDeclaration, PrintableOpinion

EXAMPLE = Path(__file__).with_name("declaration.example.json")
HASH = "ab12cd34ef56ab78" + "9" * 48
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def example_fields() -> dict[str, Any]:
    """The domain's example declaration (a copy of the shared declaration.example.json)."""
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def sample_opinions() -> list[PrintableOpinion]:
    """One opinion per level, with the county's earlier "return" superseded by its approval."""
    op = PrintableOpinion
    return [
        op("street", "东岗街道办事处", "王强", "approve", "经初核，同意上报。", date(2016, 7, 28),
           from_paper=True),
        op("county", "城关区民政局", "赵敏", "return", "请补充预算明细。", date(2016, 8, 2)),
        op("county", "城关区民政局", "赵敏", "approve", "经审核，同意推荐。", date(2016, 8, 10)),
        op("city", "兰州市民政局", "孙立", "approve", "同意复核。", date(2016, 8, 20)),
        op("province", "甘肃省民政厅", "周文", "approve", "同意立项。", date(2016, 9, 15),
           granted=Decimal("45000.00")),
    ]


def make_declaration(
    number: str = "2016-620102-0001",
    version: int = 3,
    fields: dict[str, Any] | None = None,
    opinions: list[PrintableOpinion] | None = None,
) -> PrintableDeclaration:
    return PrintableDeclaration(
        number=number,
        version=version,
        content_hash=HASH,
        city="兰州市",
        county="城关区",
        street="东岗街道",
        community="东岗西路社区",
        fields=fields if fields is not None else example_fields(),
        opinions=opinions if opinions is not None else sample_opinions(),
    )


def page_texts(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(str(pdf)).pages]


def decode_qr_codes(pdf: Path, tmp_path: Path, page: int) -> list[str]:
    """Render one page at 150 dpi with poppler and decode every QR code on it."""
    import zxingcpp
    from PIL import Image

    prefix = tmp_path / f"page{page}"
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), "-singlefile", pdf, prefix],
        check=True,
    )
    with Image.open(prefix.with_suffix(".png")) as image:
        return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
needs_wqy = pytest.mark.skipif(not WQY.is_file(), reason="fonts-wqy-microhei not installed")
