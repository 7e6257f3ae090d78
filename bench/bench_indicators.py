"""Indicators: the pilot's targets and pipeline figures for a province of 17,000 communities."""

from __future__ import annotations

import json
import statistics
import time

from bench.common import PASSWORD, WORK, Result, cli, fresh_home

DECLARATIONS = 100_000
COMMUNITIES = 17_000


def province_store() -> object:
    """A province store with 17,000 communities, 100,000 declarations and filled registries (built once)."""
    home = WORK / "indicators-17k"
    marker = home / f".demo-{DECLARATIONS}-{COMMUNITIES}"
    if not marker.exists():
        home = fresh_home("indicators-17k")
        cli(home, "init", "--level", "province", "--region", "620000", "--name", "甘肃省民政厅", "--admin", "admin",
            user=None)
        cli(home, "demo", "--count", str(DECLARATIONS), "--communities", str(COMMUNITIES))
        marker.write_text("built\n")
    return home


def run() -> list[Result]:
    home = province_store()
    from sqlalchemy import func, select

    from sanlian_desktop import auth, indicators
    from sanlian_desktop.models import CommunityOrganisation, Declaration, Region
    from sanlian_desktop.store import Store
    from sanlian_desktop.vocab import Level

    store = Store.open(home)  # type: ignore[arg-type]
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
    value = statistics.median(times)
    return [
        Result("indicators.province_17k", round(value, 2), "s", "< 2 s", value < 2,
               note=f"{communities} communities, {declarations} declarations, {organisations} organisations; "
                    f"{len(report.regions)} regions down to communities; median of 3"),
        Result("indicators.province_17k_json", round(statistics.median(dumps), 2), "s", "none (for information)", None,
               note=f"turning that report into JSON ({len(text) // 1_000_000} MB), for the CLI's --json"),
    ]
