"""Paper: a 1,000-declaration batch PDF from a demo store."""

from __future__ import annotations

import time

from bench.common import PASSWORD, Result, cli, fresh_home


def run() -> list[Result]:
    home = fresh_home("paper-1000")
    cli(home, "init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin",
        user=None)
    cli(home, "demo", "--count", "1000")
    from sanlian_desktop.declarations import listing, paper
    from sanlian_desktop.offices import auth
    from sanlian_desktop.store.engine import Store

    store = Store.open(home)
    with store.session() as s:
        actor = auth.sign_in(s, "admin", PASSWORD)
        ids = [d.id for d in s.scalars(listing.list_query(actor))]
    times = []
    pages = 0
    for attempt in range(3):
        out = home / f"batch-{attempt}.pdf"
        start = time.perf_counter()
        with store.read_session() as s:
            paper.print_declarations(s, actor, out, keys=ids)
        times.append(time.perf_counter() - start)
        from pypdf import PdfReader

        pages = len(PdfReader(str(out)).pages)
    store.close()
    value = sorted(times)[1]
    return [Result("paper.batch_pdf_1000", round(value, 2), "s", "< 60 s", value < 60,
                   note=f"1,000 declarations, {pages} pages, embedded CJK font subset; median of 3")]
