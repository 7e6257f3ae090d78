"""Child process for bench_ui: cold start of the main window and the 100,000-row list, measured inside.

Run as ``python -m bench.ui_probe HOME``; prints one JSON line. Started fresh so that "cold" includes
Python, imports, Qt and the store.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(home: Path) -> dict[str, float]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from sanlian_desktop import app as composition
    from sanlian_desktop.declarations import listing
    from sanlian_desktop.offices import auth
    from sanlian_desktop.store.engine import Store
    from sanlian_desktop.ui.app import make_application

    composition.compose_gui()
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.inbox.model import DeclarationTableModel
    from sanlian_desktop.ui.jobs import JobRunner
    from sanlian_desktop.ui.mainwindow import MainWindow

    app = make_application([sys.argv[0]])
    store = Store.open(home)
    with store.session() as s:
        actor = auth.sign_in(s, "rev", "bench-password-1")
    settings = QSettings(str(home / "bench-ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(UiContext(store=store, actor=actor, settings=settings, jobs=JobRunner(app)))
    window.resize(1280, 800)
    window.show()
    for _ in range(5):
        QApplication.processEvents()
    cold = time.perf_counter() - T0

    model = DeclarationTableModel(store, actor)
    start = time.perf_counter()
    model.reload()  # all 100,000 declarations of the province, ids only
    for row in range(40):
        model.row_data(row)  # the first screenful of rows
    open_all = time.perf_counter() - start

    timings: dict[str, list[float]] = {"filter_status": [], "search_title": [], "search_pinyin": [],
                                       "filter_overdue": []}
    filters = {
        "filter_status": listing.ListFilter(status="under_review"),
        "search_title": listing.ListFilter(search="留守"),
        "search_pinyin": listing.ListFilter(search="dgxl"),
        "filter_overdue": listing.ListFilter(overdue_days=14),
    }
    for _ in range(5):
        for key, flt in filters.items():
            start = time.perf_counter()
            model.set_filter(flt)
            for row in range(40):
                model.row_data(row)
            timings[key].append(time.perf_counter() - start)
    model.set_filter(listing.ListFilter())
    from bench.common import peak_rss_mb

    rss_mb = peak_rss_mb()
    window.close()
    store.close()
    return {"cold_start": cold, "open_100k": open_all, "rss_mb": rss_mb,
            **{k: statistics.median(v) for k, v in timings.items()}}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
