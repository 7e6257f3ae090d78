"""Core: building a 100,000-declaration demo store, and answering `decl list` and `inbox` over it."""

from __future__ import annotations

import statistics
import time

from bench.common import Result, cli, fresh_home, median_time


def run() -> list[Result]:
    home = fresh_home("core-100k")
    cli(home, "init", "--level", "province", "--region", "620000", "--name", "甘肃省民政厅", "--admin", "admin",
        user=None)
    cli(home, "user", "add", "rev", "--role", "reviewer")
    start = time.perf_counter()
    cli(home, "demo", "--count", "100000", "--no-screening")
    build = time.perf_counter() - start
    (home / ".demo-100000").write_text("built\n")

    from sanlian_desktop.declarations import listing
    from sanlian_desktop.offices import auth
    from sanlian_desktop.store.engine import Store

    store = Store.open(home)
    with store.session() as s:
        actor = auth.sign_in(s, "rev", "bench-password-1")

    def answer(query_of: object) -> None:
        with store.read_session() as s:
            query = query_of(actor)  # type: ignore[operator]
            listing.count(s, query)
            rows = list(s.scalars(query.limit(200)))
            _ = [f"{d.number}\t{d.status}\t{d.title}" for d in rows]

    list_answer = median_time(lambda: answer(listing.list_query), runs=7)
    inbox_answer = median_time(lambda: answer(listing.inbox_query), runs=7)
    store.close()
    # Whole commands in a fresh process, next to a floor measured in the same run: a command that
    # starts Python, imports the program, opens the store and signs in, but reads no declarations.
    # The three are interleaved so that the machine's noise falls on all of them alike.
    cli(home, "batch", "list", user="rev")  # warm the page cache
    times: dict[str, list[float]] = {"floor": [], "list": [], "inbox": []}
    for _ in range(5):
        for key, args in (("floor", ("batch", "list")), ("list", ("decl", "list")), ("inbox", ("inbox",))):
            times[key].append(median_time(lambda args=args: cli(home, *args, user="rev"), runs=1))
    floor, list_cmd, inbox_cmd = (statistics.median(times[k]) for k in ("floor", "list", "inbox"))
    return [
        Result("core.demo_100k_build", round(build, 2), "s", "< 60 s", build < 60),
        Result("core.decl_list_answer_100k", round(list_answer, 4), "s", "< 0.3 s", list_answer < 0.3,
               note="in-process: count + first page of 200 rows, formatted"),
        Result("core.inbox_answer_100k", round(inbox_answer, 4), "s", "< 0.3 s", inbox_answer < 0.3,
               note="in-process: count + first page of 200 rows, formatted"),
        Result("core.decl_list_command_100k", round(list_cmd, 3), "s", "floor + < 0.3 s",
               list_cmd - floor < 0.3, floor=round(floor, 3),
               note="whole `sanlian decl list` process; floor = `batch list` (start-up, imports, argon2 sign-in)"),
        Result("core.inbox_command_100k", round(inbox_cmd, 3), "s", "floor + < 0.3 s",
               inbox_cmd - floor < 0.3, floor=round(floor, 3), note="whole `sanlian inbox` process"),
    ]
