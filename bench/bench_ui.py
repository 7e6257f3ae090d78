"""Desktop: cold start to a usable main window, the 100,000-declaration list, filters, memory."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from bench.common import ROOT, Result, demo_store


def run() -> list[Result]:
    home = demo_store("core-100k", 100_000)
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-m", "bench.ui_probe", str(home)], cwd=ROOT, capture_output=True,
                             text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    results = [
        Result("ui.cold_start_main_window", round(med("cold_start"), 3), "s", "< 2 s", med("cold_start") < 2,
               note="fresh process: Python, imports, Qt, store, argon2 sign-in, main window shown; median of 3"),
        Result("ui.open_100k_list", round(med("open_100k"), 3), "s", "< 0.5 s", med("open_100k") < 0.5,
               note="all 100,000 ids of the province in order, first screenful of rows"),
        Result("ui.list_memory_100k", round(med("rss_mb"), 1), "MB", "< 300 MB", med("rss_mb") < 300,
               note="peak RSS of the process with the 100,000-row list loaded"),
    ]
    for key, label in (("filter_status", "status filter"), ("search_title", "title search"),
                       ("search_pinyin", "pinyin-initials search"), ("filter_overdue", "overdue filter")):
        value = med(key)
        results.append(Result(f"ui.{key}_100k", round(value, 3), "s", "< 0.2 s", value < 0.2,
                              note=f"{label} over 100,000 declarations, ids + first screenful; median of 5×3"))
    return results
