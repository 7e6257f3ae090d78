"""The store on a PostgreSQL server (issue 18), each figure beside its SQLite one.

* ``demo --count 100000`` into an office whose store is on the server, then the answer to ``decl list``
  and ``inbox`` over it (count + first page of 200 rows), as bench_core measures them on SQLite;
* the 10,000-declaration import (bench_sync's packages) into a city on the server, beside its floor
  measured the same way on the same engine (bench_sync's floor with the city moved onto the server);
* review latency with 20 reviewers at once, each a process with its own connection, on both engines.

The server is a throw-away cluster like the tests' (tests/pgserver.py), stopped at the end. The SQLite
figures beside the first two are the ones bench_core and bench_sync wrote to results.json.
``SANLIAN_BENCH_PG_BUDGET`` (seconds, default 1800) bounds the demo build; past it the figure says so.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import PASSWORD, ROOT, WORK, Result, cli, fresh_home, median_time

DEMO_COUNT = int(os.environ.get("SANLIAN_BENCH_PG_DEMO_COUNT", "100000"))
BUDGET = float(os.environ.get("SANLIAN_BENCH_PG_BUDGET", "1800"))
REVIEWERS = 20
REVIEWS_EACH = 10
# The latency runs take half a minute each and vary with the machine's load: the figure is their median.
LATENCY_RUNS = int(os.environ.get("SANLIAN_BENCH_PG_LATENCY_RUNS", "3"))
THINK = (0.25, 0.75)  # seconds between one reviewer's decisions (a person takes far longer)


def _sqlite(name: str) -> str:
    """The SQLite figure ``name`` from results.json, for the note beside a server figure."""
    path = ROOT / "bench" / "results.json"
    results = json.loads(path.read_text("utf-8")) if path.exists() else {}
    r = results.get(name)
    return f"SQLite ({name}): {r['value']} {r['unit']}" if r else f"SQLite ({name}): not measured"


# -- demo, list and inbox -------------------------------------------------------------------------

def _demo(server: Any) -> list[Result]:
    home = fresh_home("server-core")
    url = server.new_database()
    cli(home, "init", "--level", "province", "--region", "620000", "--name", "甘肃省民政厅", "--admin", "admin",
        "--database", url, user=None)
    cli(home, "user", "add", "rev", "--role", "reviewer")
    env = dict(os.environ, SANLIAN_PASSWORD=PASSWORD)
    argv = [sys.executable, "-m", "sanlian_desktop", "--home", str(home), "--user", "admin",
            "demo", "--count", str(DEMO_COUNT), "--no-screening"]
    start = time.perf_counter()
    try:
        subprocess.run(argv, capture_output=True, text=True, env=env, check=True, timeout=BUDGET)
    except subprocess.TimeoutExpired:
        return [Result("server.demo_100k_build", round(BUDGET, 1), "s", "< 60 s", False,
                       note=f"did not finish within the budget of {BUDGET:.0f} s; {_sqlite('core.demo_100k_build')}")]
    build = time.perf_counter() - start

    from sanlian_desktop.declarations import listing
    from sanlian_desktop.offices import auth
    from sanlian_desktop.store.engine import Store

    store = Store.open(home)
    with store.session() as s:
        actor = auth.sign_in(s, "rev", PASSWORD)

    def answer(query_of: Any) -> None:
        with store.read_session() as s:
            query = query_of(actor)
            listing.count(s, query)
            rows = list(s.scalars(query.limit(200)))
            _ = [f"{d.number}\t{d.status}\t{d.title}" for d in rows]

    list_answer = median_time(lambda: answer(listing.list_query), runs=7)
    inbox_answer = median_time(lambda: answer(listing.inbox_query), runs=7)
    store.close()
    count = f"{DEMO_COUNT} declarations" if DEMO_COUNT != 100_000 else "100,000 declarations"
    return [
        Result("server.demo_100k_build", round(build, 2), "s", "< 60 s", build < 60,
               note=f"PostgreSQL, {count}; {_sqlite('core.demo_100k_build')}"),
        Result("server.decl_list_answer_100k", round(list_answer, 4), "s", "< 0.3 s", list_answer < 0.3,
               note=f"PostgreSQL, in-process: count + first page of 200 rows; {_sqlite('core.decl_list_answer_100k')}"),
        Result("server.inbox_answer_100k", round(inbox_answer, 4), "s", "< 0.3 s", inbox_answer < 0.3,
               note=f"PostgreSQL, in-process: count + first page of 200 rows; {_sqlite('core.inbox_answer_100k')}"),
    ]


# -- the 10,000-declaration import ------------------------------------------------------------------

def _import(server: Any) -> list[Result]:
    from bench import bench_sync
    from sanlian_desktop.store.moving import move_to_server

    def onto_server(home: Path) -> None:
        move_to_server(home, server.new_database(), user="admin")

    chain = bench_sync._prepare()
    work = WORK / f"sync-{bench_sync.COUNT}" / "server-runs"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    county, city, package = work / "county", work / "city", work / "packages"
    shutil.copytree(chain / bench_sync.COUNTY, county)
    shutil.copytree(chain / bench_sync.CITY, city)
    onto_server(city)
    package.mkdir()
    bench_sync._child("export", str(county), str(package))
    measured = bench_sync._child("import", str(city), str(package))
    floor = bench_sync._floor(chain, county, package, work / "floor", place=onto_server)
    imported = measured["seconds"]
    return [
        Result("server.import_10k", round(imported, 2), "s", "≤ 2 × floor", imported <= 2 * floor,
               floor=round(floor, 2),
               note=f"PostgreSQL city, one run; floor = bench_sync's floor (Core bulk insert + every signature "
                    f"check + SHA-256) into a copy of the city on the same server; peak RSS "
                    f"{measured['rss_mb']:.0f} MB; {_sqlite('sync.import_10k')}"),
    ]


# -- review latency under 20 reviewers -----------------------------------------------------------------

def _reviewer(home: str, ids: list[tuple[str, str]], barrier: Any, out: Any) -> None:
    """One reviewer's computer: its own store (its own connection), reviewing its declarations one after
    after another, pausing THINK seconds between them, as soon as everyone is ready; the seconds of each
    review (open, decide, commit)."""
    import random

    from sanlian_desktop.declarations import lookup, workflow
    from sanlian_desktop.kernel.codes import level_of
    from sanlian_desktop.kernel.vocab import Decision, Role
    from sanlian_desktop.offices.auth import Actor
    from sanlian_desktop.store.engine import Store

    store = Store.open(Path(home))
    times: list[float] = []
    try:
        with store.read_session() as s:  # connect before the clock starts
            lookup.get(s, ids[0][0])
        barrier.wait()
        rng = random.Random(os.getpid())
        for decl_id, office in ids:
            time.sleep(rng.uniform(*THINK))
            actor = Actor(username=f"rev-{os.getpid()}", display_name="李审核", role=Role.REVIEWER,
                          office_code=office, office_level=level_of(office), office_name=office)
            start = time.perf_counter()
            with store.session() as s:
                workflow.review(s, actor, lookup.get(s, decl_id), decision=Decision.APPROVE, text="同意")
            times.append(time.perf_counter() - start)
    finally:
        store.close()
        out.put(times)


def _latency(server: Any | None) -> tuple[float, float, int]:
    """p95 and median of REVIEWERS × REVIEWS_EACH reviews, REVIEWERS at once, on a demo county."""
    from sqlalchemy import select

    from sanlian_desktop.demo.generate import generate
    from sanlian_desktop.models import Declaration
    from tests.helpers import make_office

    engine = "postgresql" if server is not None else "sqlite"
    home = fresh_home(f"server-review-{engine}")
    office = make_office(home, "county", "620102", "城关区民政局",
                         database=server.new_database() if server is not None else None)
    try:
        generate(office.store, office.admin, count=1200, seed=18)
        with office.store.read_session() as s:
            waiting = list(s.execute(select(Declaration.id, Declaration.awaiting_office).where(
                Declaration.status == "under_review", Declaration.awaiting_office.like("620102%")).order_by(
                Declaration.id)))
    finally:
        office.store.close()
    need = REVIEWERS * REVIEWS_EACH
    if len(waiting) < need:
        raise RuntimeError(f"only {len(waiting)} declarations await the county and its streets")
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(REVIEWERS), ctx.Queue()
    procs = [ctx.Process(target=_reviewer, args=(str(home), [tuple(w) for w in waiting[n:need:REVIEWERS]],
                                                 barrier, out)) for n in range(REVIEWERS)]
    for p in procs:
        p.start()
    times = [t for _ in procs for t in out.get(timeout=600)]
    for p in procs:
        p.join(60)
    if len(times) != need:
        raise RuntimeError(f"{len(times)} of {need} reviews were timed")
    times.sort()
    return times[int(0.95 * len(times)) - 1], statistics.median(times), len(times)


def run() -> list[Result]:
    from tests import pgserver

    reason = pgserver.unavailable_reason()
    if reason is not None:
        raise RuntimeError(reason)
    server = pgserver.PgServer()
    results: list[Result] = []
    try:
        pg_runs, lite_runs = [], []
        for _ in range(LATENCY_RUNS):  # the engines in turn, so both see the same spells of load
            pg_runs.append(_latency(server))
            lite_runs.append(_latency(None))
        pg_p95, pg_median = (statistics.median(r[k] for r in pg_runs) for k in (0, 1))
        lite_p95, lite_median = (statistics.median(r[k] for r in lite_runs) for k in (0, 1))
        n = pg_runs[0][2]

        def spread(runs: list[tuple[float, float, int]]) -> str:
            return ", ".join(f"{r[0]:.3f}" for r in runs)

        results.append(Result(
            "server.review_p95_20_reviewers", round(pg_p95, 4), "s", "< 0.15 s", pg_p95 < 0.15,
            note=f"PostgreSQL: {n} reviews by {REVIEWERS} reviewer processes at once, each its own connection, "
                 f"{THINK[0]}-{THINK[1]} s between one reviewer's decisions; median of {LATENCY_RUNS} runs' p95 "
                 f"({spread(pg_runs)} s; review median {pg_median:.4f} s); SQLite, same runs: p95 {lite_p95:.4f} s "
                 f"({spread(lite_runs)} s), median {lite_median:.4f} s"))
        results.append(Result("server.review_p95_20_reviewers_sqlite", round(lite_p95, 4), "s", "informative",
                              note=f"the same 20 reviewer processes on one SQLite file, median of {LATENCY_RUNS} "
                                   "runs' p95 (one writer at a time; an office on one PC has one reviewer at a time)"))
        results += _demo(server)
        results += _import(server)
    finally:
        server.stop()
    return results


if __name__ == "__main__":
    for r in run():
        print(r)
