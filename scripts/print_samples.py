"""Render the sample pages in docs/: a filled declaration and the blank form, as 150 dpi PNGs.

Run from the repository root: ``python scripts/print_samples.py``. Needs poppler's ``pdftoppm``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sanlian_desktop.documents.printing import (  # noqa: E402
    PrintableDeclaration,
    PrintableOpinion,
    render_blank,
    render_declarations,
)

EXAMPLE = ROOT / "tests" / "printing" / "declaration.example.json"


def sample() -> PrintableDeclaration:
    """The domain's example declaration with an opinion at every level."""
    op = PrintableOpinion
    return PrintableDeclaration(
        number="2016-620102-0001",
        version=3,
        content_hash="9f2c4e7a1b3d5f60" + "0" * 48,
        city="兰州市",
        county="城关区",
        street="东岗街道",
        community="东岗西路社区",
        fields=json.loads(EXAMPLE.read_text(encoding="utf-8")),
        opinions=[
            op("street", "东岗街道办事处", "王强", "approve", "经初核，程序完备，同意上报。",
               date(2016, 7, 28), from_paper=True),
            op("county", "城关区民政局", "赵敏", "approve", "经审核，需求分析充分，预算合理，同意推荐。",
               date(2016, 8, 10)),
            op("city", "兰州市民政局", "孙立", "approve", "经复核，同意推荐。", date(2016, 8, 20)),
            op("province", "甘肃省民政厅", "周文", "approve", "同意列为试点项目，给予省级补助。",
               date(2016, 9, 15), granted=Decimal("45000.00")),
        ],
    )


def to_png(pdf: Path, page: int, target: Path) -> None:
    stem = target.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), "-singlefile", pdf, stem],
        check=True,
    )


def main() -> None:
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        filled, blank = Path(tmp) / "filled.pdf", Path(tmp) / "blank.pdf"
        for warning in render_declarations([sample()], filled) + render_blank(blank):
            print(warning, file=sys.stderr)
        to_png(filled, 1, docs / "print-sample-1.png")
        to_png(filled, 2, docs / "print-sample-2.png")
        to_png(blank, 1, docs / "print-blank.png")
        to_png(blank, 2, docs / "print-blank-2.png")


if __name__ == "__main__":
    main()
