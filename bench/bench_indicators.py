"""Indicators: the pilot's targets and pipeline figures (funnel and monthly trend included) for a province of
17,000 communities, and the report's Excel and PDF exports."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from bench.common import PASSWORD, Result, cli, fresh_home

DECLARATIONS = 100_000
COMMUNITIES = 17_000


def province_store() -> tuple[Path, float]:
    """A fresh province store with 17,000 communities, 100,000 declarations and filled registries, and the
    seconds the ``demo`` command took to build it."""
    home = fresh_home("indicators-17k")
    cli(home, "init", "--level", "province", "--region", "620000", "--name", "甘肃省民政厅", "--admin", "admin",
        user=None)
    start = time.perf_counter()
    cli(home, "demo", "--count", str(DECLARATIONS), "--communities", str(COMMUNITIES), "--no-screening")
    return home, time.perf_counter() - start


def run() -> list[Result]:
    home, build = province_store()
    from sqlalchemy import func, select

    from sanlian_desktop.indicators import service as indicators
    from sanlian_desktop.kernel.vocab import Level
    from sanlian_desktop.models import CommunityOrganisation, Declaration, Region
    from sanlian_desktop.offices import auth
    from sanlian_desktop.store.engine import Store

    store = Store.open(home)
    with store.session() as s:
        auth.sign_in(s, "admin", PASSWORD)
        communities = s.scalar(select(func.count()).select_from(Region).where(Region.level == Level.COMMUNITY))
        declarations = s.scalar(select(func.count()).select_from(Declaration))
        organisations = s.scalar(select(func.count()).select_from(CommunityOrganisation))
    times, dumps = [], []
    for _ in range(3):
        start = time.perf_counter()
        with store.read_session() as s:
            report = indicators.compute(s, "620000")
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        text = json.dumps(indicators.as_dict(report), ensure_ascii=False, default=str)
        dumps.append(time.perf_counter() - start)
    store.close()
    from sanlian_desktop.indicators import files as indicatorfiles

    out = home / "exports"
    out.mkdir(exist_ok=True)
    start = time.perf_counter()
    indicatorfiles.write_xlsx(report, out / "统计.xlsx")
    xlsx = time.perf_counter() - start
    start = time.perf_counter()
    indicatorfiles.write_pdf(report, out / "统计.pdf")
    pdf = time.perf_counter() - start
    value = statistics.median(times)
    return [
        Result("indicators.demo_100k_17k_build", round(build, 1), "s", "< 60 s", build < 60,
               note="`sanlian demo --count 100000 --communities 17000`: declarations, communities and registries"),
        Result("indicators.province_17k", round(value, 2), "s", "< 2 s", value < 2,
               note=f"{communities} communities, {declarations} declarations, {organisations} organisations; "
                    f"{len(report.regions)} regions down to communities; median of 3"),
        Result("indicators.province_17k_json", round(statistics.median(dumps), 2), "s", "none (for information)", None,
               note=f"turning that report into JSON ({len(text) // 1_000_000} MB), for the CLI's --json"),
        Result("indicators.province_17k_xlsx", round(xlsx, 2), "s", "none (for information)", None,
               note=f"that report as a workbook (a sheet per section, every region and every community missing a "
                    f"target; {(out / '统计.xlsx').stat().st_size // 1_000_000} MB), one run"),
        Result("indicators.province_17k_pdf", round(pdf, 2), "s", "none (for information)", None,
               note="that report as a PDF (tables down to counties, 18 charts, embedded font), one run"),
    ]
