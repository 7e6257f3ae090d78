"""Sync: export and import of a 10,000-declaration package between the county and the city offices.

Next to it, a floor measured in the same run: the same declaration, version, opinion, region and registry rows written
by a bare SQLAlchemy Core bulk insert into the same store, plus the same signature checks
(``verify_statement`` on every version and opinion statement, with the certificates the package
carries in a pool that checks each chain once, as the import does) and SHA-256 over the package file.
Export and import each run in a child process on fresh copies of the two offices, so the import's
peak memory (RSS) is its own.

Run alone: ``python -m bench bench_sync``; ``python -m bench.bench_sync child import HOME PACKAGE``
is the child.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import ROOT, WORK, Result, peak_rss_mb

COUNT = int(os.environ.get("SANLIAN_BENCH_SYNC_COUNT", "10000"))
RUNS = 3
COUNTY, CITY = "620102", "620100"
# The registries the county holds travel up in the same packages (registrysync.py): the floor writes
# their rows too.
REGISTRY_TABLES = ("community_facts", "community_organisation", "social_worker", "area_facts")


def _prepare() -> Path:
    """Five certified offices with COUNT declarations at the county, built once under bench/_work."""
    from tests.sync.helpers_service import build_template, fill_county, open_chain

    base = WORK / f"sync-{COUNT}"
    marker = base / ".built"
    if marker.exists():
        return base / "chain"
    shutil.rmtree(base, ignore_errors=True)
    template = build_template(base / "template")
    offices = open_chain(template, base / "chain")
    try:
        fill_county(offices[COUNTY], COUNT)
    finally:
        for office in offices.values():
            office.store.close()
    marker.write_text("built\n")
    return base / "chain"


def _child(*args: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # Run by ``-c``, not ``-m``: a process the import starts (its verifying worker, spawned) then imports
    # no main module of the benchmark's own, as in the program (whose entry point imports next to nothing).
    code = "import sys; from bench.bench_sync import child; child(*sys.argv[1:])"
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def child(action: str, home: str, package: str) -> None:
    """In a child process: export county → city into the folder ``package`` (in parts), or import every
    part found there; print seconds and peak RSS."""
    from sanlian_desktop.offices.auth import sign_in
    from sanlian_desktop.store.engine import Store
    from sanlian_desktop.sync.exchange.export import export_package
    from sanlian_desktop.sync.exchange.importing import import_package
    from tests.helpers import PASSWORD

    workers: list[logging.LogRecord] = []

    class Workers(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if hasattr(record, "worker_peak_mb"):
                workers.append(record)

    logging.getLogger("sanlian_desktop.sync.trust.ahead").addHandler(Workers())
    logging.getLogger("sanlian_desktop.sync.trust.ahead").setLevel(logging.INFO)
    store = Store.open(Path(home))
    with store.session() as s:
        actor = sign_in(s, "admin", PASSWORD)
    folder = Path(package)
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    start = time.perf_counter()
    if action == "export":
        # A package holds up to 20,000 entries: the export goes in parts, one after another.
        sent = 0
        while sent < COUNT:
            part = export_package(store, actor, CITY, folder / f"part-{len(list(folder.iterdir())):02d}.sanlian")
            sent += part.by_kind.get("declaration", 0)
    else:
        new = sum(import_package(store, actor, part).report.new_declarations
                  for part in sorted(folder.glob("part-*.sanlian")))
        assert new == COUNT, new
    seconds = time.perf_counter() - start
    store.close()
    # CPU time of this process and of any it started and waited for (the import's verifying worker).
    own, reaped = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb(),
                      "cpu": own.ru_utime + own.ru_stime - cpu_before,
                      "child_cpu": reaped.ru_utime + reaped.ru_stime,
                      "worker_rss_mb": max((getattr(r, "worker_peak_mb", 0.0) for r in workers), default=0.0),
                      "workers": len(workers)}))


def _floor(chain: Path, county: Path, package: Path, target: Path,
           place: Callable[[Path], object] | None = None) -> float:
    """Bulk-insert the same rows into a copy of the city (declarations, versions, opinions, the streets
    and communities, and the registry rows that travel with them), verify every statement (versions,
    opinions and the registry rows' owner statements), hash the file.

    The statements are verified exactly as the import verifies them: each names its signer's
    certificate, found in the certificates the package carries (read and checked once here too) or
    in the store, each chain checked once and the signed time, revocations and signature every time.
    ``place`` (bench_server) moves the copied city onto a database server before it is opened.
    """
    from sqlalchemy import insert, select

    from sanlian_desktop.models import Declaration, Region, utcnow
    from sanlian_desktop.offices import custody as trust
    from sanlian_desktop.offices.auth import sign_in
    from sanlian_desktop.store import dialects
    from sanlian_desktop.store.engine import Store
    from sanlian_desktop.sync.transport.package import open_package
    from sanlian_desktop.sync.trust.certs import Cert
    from sanlian_desktop.sync.trust.chain import CertPool
    from sanlian_desktop.sync.trust.statements import verify_statement
    from tests.helpers import PASSWORD

    source = Store.open(county)
    tables = [Declaration.metadata.tables[name] for name in ("declaration", "declaration_version", "opinion",
                                                              *REGISTRY_TABLES)]
    region_table = Declaration.metadata.tables["region"]
    with source.engine.connect() as conn:
        rows = {t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in tables}
        # Organisations and workers get the receiving store's own row ids.
        for name in ("community_organisation", "social_worker"):
            for row in rows[name]:
                del row["id"]
        # The streets and communities the county added for its declarations travel too.
        regions = [dict(r._mapping) for r in conn.execute(select(region_table).where(
            Region.level.in_(("street", "community"))).order_by(Region.level.desc()))]
    source.close()
    statements = [("version", r["signature"]) for r in rows["declaration_version"]] + [
        ("opinion", r["signature"]) for r in rows["opinion"]] + [
        # Registry rows travel signed by their owning office (issue 20): the import verifies those too.
        ("registry", r["signature"]) for name in REGISTRY_TABLES for r in rows[name] if r.get("signature")]
    shutil.copytree(chain / CITY, target)
    if place is not None:
        place(target)
    store = Store.open(target)
    with store.session() as s:
        actor = sign_in(s, "admin", PASSWORD)
        keys = trust.office_keys(s, actor)
        roots, revoked = trust.pinned_roots(s), trust.revoked_map(s)
        parent_of = functools.cache(trust.parent_of(s))
        certs = []
        for part in sorted(package.glob("part-*.sanlian")):
            with open_package(part, keys, roots, revoked, utcnow(), recipient_code=CITY,
                              parent_of=parent_of) as pkg:
                certs += [Cert.decode(pkg.read_entry(e)) for e in pkg.entries if e.kind == "certificate"]
        start = time.perf_counter()
        # The same checks as the import makes, with the same certificates and parent lookups remembered.
        pool = CertPool(roots, revoked, parent_of, lookup=trust.cert_by_serial(s))
        for cert in certs:
            pool.get(cert.serial)
            pool.add(cert)
        for cert in certs:
            pool.check(cert.serial)
        for kind, data in statements:
            verify_statement(data, pool, kind=kind)
        for part in sorted(package.glob("part-*.sanlian")):
            digest = hashlib.sha256()
            with part.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        conn = s.connection()
        conn.execute(dialects.insert(s, region_table).on_conflict_do_nothing(), regions)
        for t in tables:
            if rows[t.name]:
                conn.execute(insert(t), rows[t.name])
    seconds = time.perf_counter() - start
    store.close()
    return seconds


def run() -> list[Result]:
    chain = _prepare()
    work = WORK / f"sync-{COUNT}" / "runs"
    exports, imports, peaks, floors, cpus, worker_peaks = [], [], [], [], [], []
    size = 0
    for n in range(RUNS):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        county, city, package = work / "county", work / "city", work / "packages"
        shutil.copytree(chain / COUNTY, county)
        shutil.copytree(chain / CITY, city)
        package.mkdir()
        exports.append(_child("export", str(county), str(package))["seconds"])
        parts = sorted(package.glob("part-*.sanlian"))
        size = sum(p.stat().st_size for p in parts)
        measured = _child("import", str(city), str(package))
        imports.append(measured["seconds"])
        peaks.append(measured["rss_mb"])
        cpus.append(measured["cpu"] + measured["child_cpu"])
        worker_peaks.append(measured["worker_rss_mb"])
        print(f"  run {n + 1}: import {measured['seconds']:.1f} s, CPU {measured['cpu']:.1f} s + "
              f"{measured['workers']} workers {measured['child_cpu']:.1f} s, peak {measured['rss_mb']:.0f} MB "
              f"(worker {measured['worker_rss_mb']:.0f} MB), load {os.getloadavg()[0]:.1f}", flush=True)
        floors.append(_floor(chain, county, package, work / f"floor-{n}"))
        print(f"  run {n + 1}: floor {floors[-1]:.1f} s, load {os.getloadavg()[0]:.1f}", flush=True)
    export, imported, peak, floor, cpu, worker_peak = (statistics.median(x) for x in (
        exports, imports, peaks, floors, cpus, worker_peaks))
    note = (f"{COUNT} declarations, 2 opinions each, in {len(parts)} packages of {size / 2**20:.0f} MiB in all; "
            f"median of {RUNS}; child process on fresh copies")
    return [
        Result("sync.export_10k", round(export, 2), "s", "informative", note=note),
        Result("sync.import_10k", round(imported, 2), "s", "≤ 1.5 × floor", imported <= 1.5 * floor, floor=round(floor, 2),
               note="wall time; the import verifies the statements of the window ahead in a worker process on the "
                    "second core while it applies one (sync/trust/ahead.py): see sync.import_10k_cpu. "
                    "floor (one core) = Core bulk insert of the same declaration/version/opinion, region and registry rows "
                    "(community facts, organisations, workers, area facts) into the same store "
                    "+ verify_statement on every statement (the package's certificates, each chain checked once, "
                    "as the import does) + SHA-256 of the package"),
        Result("sync.import_10k_cpu", round(cpu, 2), "s", "informative",
               note="CPU time (user + system) of the importing process and its verifying workers together "
                    "(one per package part); compare with the floor's wall time, which is one core's"),
        Result("sync.import_10k_peak_rss", round(peak, 1), "MB", "< 300 MB", peak < 300,
               note=f"peak RSS of the importing process; its verifying worker's own peak: {worker_peak:.0f} MB (median)"),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "child":
        child(*sys.argv[2:])
    else:
        for r in run():
            print(r)
