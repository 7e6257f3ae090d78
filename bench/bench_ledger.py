"""Spreadsheets: the 100,000-row ledger from a store, next to the bare workbook writer as a floor."""

from __future__ import annotations

import time

from bench.common import PASSWORD, Result, demo_store


def run() -> list[Result]:
    home = demo_store("core-100k", 100_000)
    from sanlian_desktop.declarations import listing
    from sanlian_desktop.declarations import workbooks as sheets
    from sanlian_desktop.documents.spreadsheets import write_ledger
    from sanlian_desktop.offices import auth
    from sanlian_desktop.store.engine import Store

    store = Store.open(home)
    with store.session() as s:
        actor = auth.sign_in(s, "admin", PASSWORD)
    times, floors = [], []
    for attempt in range(3):
        out = home / f"ledger-{attempt}.xlsx"
        start = time.perf_counter()
        with store.read_session() as s:
            count = sheets.export_ledger(s, actor, out)
        times.append(time.perf_counter() - start)
        # Floor: the same rows, already in memory, through the same writer (no store reads).
        with store.read_session() as s:
            rows = list(sheets.ledger_rows(s, listing.list_query(actor)))
        start = time.perf_counter()
        write_ledger(iter(rows), home / f"floor-{attempt}.xlsx", title="t", generated_at=__import__(
            "datetime").datetime.now(__import__("datetime").UTC))
        floors.append(time.perf_counter() - start)
        del rows
    store.close()
    value, floor = sorted(times)[1], sorted(floors)[1]
    return [Result("sheets.ledger_100k", round(value, 2), "s", "< 12 s", value < 12, floor=round(floor, 2),
                   note=f"{count} rows from the store; floor = the writer alone on rows held in memory; median of 3")]
