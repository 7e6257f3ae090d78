"""The 国密 suite beside SL1: SM2 sign/verify/envelope, SM3, SM4-GCM, a package, and the 10,000-declaration import.

Run: ``python bench/bench_gm_suite.py [--size-mb 20] [--entries 2000] [--dir /tmp] [--json]``. Prints,
for each suite, the single-operation times (median of many) and the time to write (spool, seal, fsync,
read-back verification) and to open (full verification) one package of ``--entries`` small records
plus attachments making about ``--size-mb`` megabytes.

``run()`` is the hook for ``make bench``: those figures, then the goal of issue #17. The same 10,000
declarations (bench_sync's chain, built once per suite under bench/_work) travel county → city under
each suite; each import runs in a child process on a fresh copy of the city, the two suites taking
turns, and counts the signature verifications it makes. The 国密 import may cost no more than
(the SL1 import + the SM2 verifications it made × one SM2 verify, timed in the same run) × 1.2: the
signatures are what the 国密 suite adds, nothing else may.
``python -m bench.bench_gm_suite child HOME PACKAGES`` is the child.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_sync_package import MIB, Synthetic
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.transport.package import PackageWriter, open_package
from sanlian_desktop.sync.trust.certs import Cert, OfficeInfo, certify, make_request, make_root
from sanlian_desktop.sync.trust.gm import GM_SUITE
from sanlian_desktop.sync.trust.keys import OfficeKeys
from sanlian_desktop.sync.trust.suite import DEFAULT_SUITE, Suite

SUITES = {"sl1": DEFAULT_SUITE, "gm": GM_SUITE}


def _per_op_ms(fn: Callable[[], Any], count: int) -> float:
    """Median over five rounds of ``count`` calls, in milliseconds per call."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(count):
            fn()
        rounds.append((time.perf_counter() - start) / count * 1000)
    return statistics.median(rounds)


def primitives(suite: Suite) -> dict[str, float]:
    """Sign, verify, envelope (encapsulate, decapsulate), and SM3/SM4-GCM throughput for ``suite``."""
    sign_key, enc_key = suite.generate_signing_key(), suite.generate_encryption_key()
    sign_pub, enc_pub = suite.signing_public(sign_key), suite.encryption_public(enc_key)
    message = b"sanlian-statement-v2\x00" + b'{"body":{"opinion":"\xe5\x90\x8c\xe6\x84\x8f"}}' * 8
    signature = suite.sign(sign_key, message)
    enc, _ = suite.encapsulate(enc_pub)
    data = bytes(range(256)) * (4 * MIB // 256)
    key, nonce = bytes(range(suite.key_size)), bytes(12)
    started = time.perf_counter()
    suite.hash(data)
    hashed = time.perf_counter() - started
    started = time.perf_counter()
    suite.seal(key, nonce, data, b"")
    sealed = time.perf_counter() - started
    return {
        "sign_ms": _per_op_ms(lambda: suite.sign(sign_key, message), 100),
        "verify_ms": _per_op_ms(lambda: suite.verify(sign_pub, message, signature), 100),
        "encapsulate_ms": _per_op_ms(lambda: suite.encapsulate(enc_pub), 50),
        "decapsulate_ms": _per_op_ms(lambda: suite.decapsulate(enc, enc_key), 50),
        "hash_mb_s": len(data) / MIB / hashed,
        "aead_mb_s": len(data) / MIB / sealed,
    }


def _chain(suite: Suite, t0: datetime) -> tuple[OfficeKeys, list[Cert], OfficeKeys, Cert, Cert]:
    province = OfficeKeys.generate(suite)
    root = make_root(OfficeInfo("620000", Level.PROVINCE, "甘肃省民政厅"), province, now=t0)
    city_keys, county_keys = OfficeKeys.generate(suite), OfficeKeys.generate(suite)
    request = make_request(OfficeInfo("620100", Level.CITY, "兰州市民政局"), city_keys, now=t0)
    city = certify(request, root, province, now=t0)
    request = make_request(OfficeInfo("620102", Level.COUNTY, "城关区民政局"), county_keys, now=t0)
    county = certify(request, city, city_keys, now=t0)
    return county_keys, [county, city, root], city_keys, city, root


def package(suite: Suite, size_mb: int, entries: int, directory: Path) -> dict[str, float]:
    """Write and open one package of ``entries`` records plus ``size_mb`` MB of attachments."""
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    county_keys, chain, city_keys, city, root = _chain(suite, t0)
    path = directory / f"bench-gm-suite-{suite.short}.sanlian"
    attachments = 5
    started = time.perf_counter()
    with PackageWriter(path, county_keys, chain, city, 1) as writer:
        for i in range(entries):
            writer.add_entry("declaration", f"D-{i:05d}", 1, b'{"name":"\xe9\xa1\xb9\xe7\x9b\xae"}' * 30)
        for i in range(attachments):
            writer.add_entry("attachment", f"scan-{i:02d}.pdf", 1, Synthetic(size_mb * MIB // attachments,
                                                                             str(i).encode()))
    written = time.perf_counter() - started
    started = time.perf_counter()
    with open_package(path, city_keys, root, set(), datetime.now(UTC), recipient_code="620100") as pkg:
        opened = time.perf_counter() - started
        assert len(pkg.entries) == entries + attachments
    size = path.stat().st_size / MIB
    path.unlink()
    return {"size_mib": size, "write_s": written, "open_s": opened}


def measure(size_mb: int, entries: int, directory: Path, *, quiet: bool = False) -> dict[str, dict[str, float]]:
    """Every figure for both suites."""
    say = (lambda _text: None) if quiet else print
    figures: dict[str, dict[str, float]] = {}
    for short, suite in SUITES.items():
        fig = {**primitives(suite), **package(suite, size_mb, entries, directory)}
        figures[short] = fig
        say(f"{suite.label}: sign {fig['sign_ms']:.3f} ms, verify {fig['verify_ms']:.3f} ms, "
            f"envelope {fig['encapsulate_ms']:.3f} ms / open {fig['decapsulate_ms']:.3f} ms, "
            f"hash {fig['hash_mb_s']:.0f} MB/s, AEAD {fig['aead_mb_s']:.0f} MB/s; "
            f"package {fig['size_mib']:.1f} MiB ({entries} records) written in {fig['write_s']:.2f} s, "
            f"opened in {fig['open_s']:.2f} s")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=20)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args()
    figures = measure(args.size_mb, args.entries, args.dir, quiet=args.json)
    if args.json:
        print(json.dumps(figures))


IMPORT_RUNS = 3


def _prepare_chain(short: str) -> Path:
    """bench_sync's five offices with its declarations at the county, in suite ``short``, built once."""
    from bench import bench_sync
    from bench.common import WORK
    from tests.sync.helpers_service import build_template, fill_county, open_chain

    if short == "sl1":
        return bench_sync._prepare()  # the very chain bench_sync measures
    base = WORK / f"sync-{bench_sync.COUNT}-{short}"
    marker = base / ".built"
    if marker.exists():
        return base / "chain"
    shutil.rmtree(base, ignore_errors=True)
    template = build_template(base / "template", suite=short)
    offices = open_chain(template, base / "chain")
    try:
        fill_county(offices[bench_sync.COUNTY], bench_sync.COUNT)
    finally:
        for office in offices.values():
            office.store.close()
    marker.write_text("built\n")
    return base / "chain"


def _export(chain: Path, work: Path) -> Path:
    """Export the county's declarations to the city once (in parts, in a child process); the folder."""
    from bench import bench_sync

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    county, packages = work / "county", work / "packages"
    shutil.copytree(chain / bench_sync.COUNTY, county)
    packages.mkdir()
    bench_sync._child("export", str(county), str(packages))
    return packages


def _import_child(home: Path, packages: Path) -> dict[str, float]:
    from bench.common import ROOT

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "bench.bench_gm_suite", "child", str(home), str(packages)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def child(home: str, packages: str) -> None:
    """In a child process: import every part in ``packages`` at the city in ``home``; print the seconds,
    the signature verifications made and the key envelopes opened (counted, not timed apart)."""
    from bench import bench_sync
    from sanlian_desktop.offices.auth import sign_in
    from sanlian_desktop.store.engine import Store
    from sanlian_desktop.sync.exchange.importing import import_package
    from tests.helpers import PASSWORD

    counts = {"verify": 0, "decapsulate": 0}
    for suite in SUITES.values():
        for name in counts:
            real = getattr(type(suite), name)

            def counted(self: Suite, *args: Any, _real: Any = real, _name: str = name) -> Any:
                counts[_name] += 1
                return _real(self, *args)

            setattr(type(suite), name, counted)
    store = Store.open(Path(home))
    with store.session() as s:
        actor = sign_in(s, "admin", PASSWORD)
    counts = dict.fromkeys(counts, 0)  # signing in verifies nothing, but count the import alone
    start = time.perf_counter()
    new = sum(import_package(store, actor, part).report.new_declarations
              for part in sorted(Path(packages).glob("part-*.sanlian")))
    seconds = time.perf_counter() - start
    assert new == bench_sync.COUNT, new
    store.close()
    print(json.dumps({"seconds": seconds, "verify": counts["verify"], "decapsulate": counts["decapsulate"]}))


def import_goal(verify_ms: dict[str, float]) -> dict[str, float]:
    """The 10,000-declaration import under each suite (medians of ``IMPORT_RUNS``, taking turns), the
    verifications the 国密 import made, and its budget from ``verify_ms`` (one verify per suite, ms)."""
    from bench import bench_sync
    from bench.common import WORK

    chains = {short: _prepare_chain(short) for short in SUITES}
    work = WORK / f"gm-import-{bench_sync.COUNT}"
    packages = {short: _export(chain, work / short) for short, chain in chains.items()}
    seconds: dict[str, list[float]] = {short: [] for short in SUITES}
    counted: dict[str, dict[str, float]] = {}
    for n in range(IMPORT_RUNS):
        for short, chain in chains.items():
            city = work / short / f"city-{n}"
            shutil.rmtree(city, ignore_errors=True)
            shutil.copytree(chain / bench_sync.CITY, city)
            measured = _import_child(city, packages[short])
            seconds[short].append(measured["seconds"])
            counted[short] = measured
            shutil.rmtree(city, ignore_errors=True)
    sl1, gm = statistics.median(seconds["sl1"]), statistics.median(seconds["gm"])
    verifies = counted["gm"]["verify"]
    floor = sl1 + verifies * verify_ms["gm"] / 1000
    return {"sl1_s": sl1, "gm_s": gm, "gm_verifies": verifies, "sl1_verifies": counted["sl1"]["verify"],
            "gm_decapsulations": counted["gm"]["decapsulate"], "floor_s": floor,
            "parts": len(list(packages["gm"].glob("part-*.sanlian")))}


def run() -> list[Any]:
    """``make bench`` hook: both suites' single-operation and package figures, and the 国密 import goal."""
    from bench import bench_sync
    from bench.common import Result

    figures = measure(20, 2000, Path(tempfile.gettempdir()), quiet=True)
    results = []
    for short, fig in figures.items():
        label = SUITES[short].label
        results += [
            Result(f"suite {short}: sign", round(fig["sign_ms"], 3), "ms", "informative", note=label),
            Result(f"suite {short}: verify", round(fig["verify_ms"], 3), "ms", "informative", note=label),
            Result(f"suite {short}: envelope (encapsulate)", round(fig["encapsulate_ms"], 3), "ms", "informative"),
            Result(f"suite {short}: envelope (open)", round(fig["decapsulate_ms"], 3), "ms", "informative"),
            Result(f"suite {short}: hash", round(fig["hash_mb_s"]), "MB/s", "informative"),
            Result(f"suite {short}: AEAD seal", round(fig["aead_mb_s"]), "MB/s", "informative"),
            Result(f"suite {short}: write a 20 MB package of 2,000 records", round(fig["write_s"], 2), "s",
                   "informative"),
            Result(f"suite {short}: open a 20 MB package of 2,000 records", round(fig["open_s"], 2), "s",
                   "informative"),
        ]
    imported = import_goal({short: fig["verify_ms"] for short, fig in figures.items()})
    gm_verify = figures["gm"]["verify_ms"]
    count = bench_sync.COUNT
    results += [
        Result(f"suite sl1: import {count:,} declarations", round(imported["sl1_s"], 2), "s", "informative",
               note=f"{imported['sl1_verifies']:.0f} Ed25519 verifications; median of {IMPORT_RUNS}, taking turns "
                    "with the 国密 import; child process on a fresh copy of the city"),
        Result(f"suite gm: import {count:,} declarations", round(imported["gm_s"], 2), "s", "≤ 1.2 × floor",
               imported["gm_s"] <= 1.2 * imported["floor_s"], floor=round(imported["floor_s"], 2),
               note=f"floor = the SL1 import ({imported['sl1_s']:.2f} s) + {imported['gm_verifies']:.0f} SM2 "
                    f"verifications the 国密 import made × {gm_verify:.3f} ms (one SM2 verify, this run); "
                    f"{imported['gm_decapsulations']:.0f} SM2 envelopes opened, {imported['parts']:.0f} packages; "
                    f"median of {IMPORT_RUNS}"),
    ]
    return results


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "child":
        child(*sys.argv[2:])
    else:
        main()
