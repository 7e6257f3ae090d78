"""Regions: the wizard's search over the official tree (~19,000 names) and the form opening at a county
with ~300 real communities in its 申报社区 box.

The form is timed in a child process (``python -m bench.bench_regions HOME``, one JSON line), so that Qt
runs offscreen there and the first opening, which reads the official tree, is measured on its own.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import PASSWORD, ROOT, Result, fresh_home

COUNTY = "620825"  # 庄浪县: 305 村/居 committees in the official data
QUERIES = ("村", "社区", "畅家巷", "z", "cjx", "dgxl", "6201", "620102001", "s", "xq")


def search_times() -> tuple[float, float, int]:
    """Median and worst time (s) of the wizard's search over the queries, for streets and communities."""
    from sanlian_desktop.kernel.vocab import Level
    from sanlian_desktop.offices.regiondata import official_tree
    from sanlian_desktop.ui.firstrun.regionmodel import search_official

    names = len(official_tree().regions)
    times = []
    for _ in range(5):
        for query in QUERIES:
            for level in (Level.STREET, Level.COMMUNITY):
                start = time.perf_counter()
                search_official(query, level)
                times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), names


def county_home() -> Path:
    from sanlian_desktop.kernel.vocab import Level, Role
    from sanlian_desktop.offices.auth import add_user
    from sanlian_desktop.offices.office import init_office

    home = fresh_home("regions-county")
    store = init_office(home, level=Level.COUNTY, region_code=COUNTY, name="庄浪县民政局", admin="admin",
                        admin_password=PASSWORD)
    with store.session() as s:
        add_user(s, None, username="clerk", role=Role.CLERK, password=PASSWORD)
    store.close()
    return home


def form_probe(home: Path) -> dict[str, float]:
    """In a fresh process: open the new-declaration form at the county, first and then 5 more times."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from sanlian_desktop import app as composition
    from sanlian_desktop.offices import auth
    from sanlian_desktop.store.engine import Store
    from sanlian_desktop.ui.app import make_application
    from sanlian_desktop.ui.form.dialog import DeclarationDialog
    from sanlian_desktop.ui.jobs import JobRunner

    composition.compose_gui()
    qt_app = make_application([sys.argv[0]])
    jobs = JobRunner(qt_app)
    store = Store.open(home)
    with store.session() as s:
        actor = auth.sign_in(s, "clerk", PASSWORD)

    def open_form() -> tuple[float, int]:
        start = time.perf_counter()
        dialog = DeclarationDialog(store, actor, None, jobs=jobs)
        dialog.show()
        QApplication.processEvents()
        elapsed = time.perf_counter() - start
        count = dialog.form.community.count() - 1
        dialog.close()
        dialog.deleteLater()
        QApplication.processEvents()
        return elapsed, count

    first, count = open_form()
    again = [open_form()[0] for _ in range(5)]
    jobs.wait(10_000)
    store.close()
    qt_app.quit()
    return {"first": first, "again": statistics.median(again), "communities": count}


def run() -> list[Result]:
    median, worst, names = search_times()
    home = county_home()
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-m", "bench.bench_regions", str(home)], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    again = statistics.median(r["again"] for r in runs)
    first = statistics.median(r["first"] for r in runs)
    communities = int(runs[0]["communities"])
    return [
        Result("regions.wizard_search", round(median * 1000, 2), "ms", "< 50 ms", median < 0.05,
               note=f"official tree of {names:,} names, by name, pinyin initials and code, streets and communities "
                    f"({len(QUERIES)} queries × 2 levels × 5); worst {worst * 1000:.1f} ms"),
        Result("regions.form_open_county", round(again * 1000, 1), "ms", "< 300 ms", again < 300 / 1000,
               note=f"new-declaration form at 庄浪县 ({communities} communities in 申报社区, store + official), "
                    "built and shown; median of 5 in each of 3 processes"),
        Result("regions.form_first_open_county", round(first * 1000, 1), "ms", "informative",
               note="the first opening in a process, which also reads the official tree (package data, ~0.3 s); "
                    "median of 3 processes"),
    ]


if __name__ == "__main__":
    print(json.dumps(form_probe(Path(sys.argv[1]))))
