"""Render the 统计 page (targets, ranking, pipeline, grants) with demo data offscreen into docs/screenshots/,
and the exported PDF's pages next to them for a look.

Usage: python scripts/screens_stats.py [OUTPUT_DIR] [PDF_PAGES_DIR]

Writes stats.png, stats-ranking.png, stats-pipeline.png, stats-grants.png and the exported PDF's first two
pages (stats-report-1.png, stats-report-2.png); with PDF_PAGES_DIR, every page of the PDF there too.

The office is the province with 1,500 demo communities and 6,000 declarations, so the ranking has a bar
per city.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import screenkit


def main() -> int:
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.stats.page import StatsPage

    screens = screenkit.start()
    out = screens.out
    office = screens.office("province", "620000", "甘肃省民政厅", declarations=6000, communities=1500,
                            with_regions=False)
    settings = screens.settings(office.home)
    # Open on 统计 directly: the province's 待办 filter bar alone is wider than 1280 pixels.
    settings.setValue("mainwindow/last_page", "stats")
    ctx = UiContext(office.store, office.reviewer, settings, screens.jobs)
    window = screens.main_window(ctx, "stats")
    page = window.current_page()
    assert isinstance(page, StatsPage)

    def settle() -> None:
        screens.settle(0.5, ready=lambda: page.view is not None)

    def shot(name: str) -> None:
        screens.save(window, name, seconds=0.5, ready=lambda: page.view is not None)

    settle()
    lanzhou = page.tree_model.index_of("620100")
    page._reveal(lanzhou)
    page.target.setCurrentIndex(2)  # 每个社区至少1名专业社工
    page.tree.expand(lanzhou)
    shot("stats.png")
    page.tabs.setCurrentIndex(1)
    page.target.setCurrentIndex(6)  # 试点地区建立社会工作协会: met, missed and not recorded side by side
    shot("stats-ranking.png")
    page.tabs.setCurrentIndex(2)
    shot("stats-pipeline.png")
    page.tabs.setCurrentIndex(3)
    shot("stats-grants.png")

    # The exported PDF: its first two pages (targets; rankings) beside the screenshots, and with a
    # second argument every page at 60 dpi to look at.
    pages = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp())
    pages.mkdir(parents=True, exist_ok=True)
    pdf = pages / "统计.pdf"
    handle = page.export_to(pdf)
    assert handle is not None
    settle()
    assert pdf.exists(), page.result.text()
    subprocess.run(["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "2", str(pdf), str(pages / "report")], check=True)
    for n, image in enumerate(sorted(pages.glob("report-*.png")), start=1):
        image.replace(out / f"stats-report-{n}.png")
        print("wrote", out / f"stats-report-{n}.png")
    if len(sys.argv) > 2:
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(pages / "page")], check=True)
        print("pages in", pages)
    return screens.finish(office.store, window)


if __name__ == "__main__":
    raise SystemExit(main())
