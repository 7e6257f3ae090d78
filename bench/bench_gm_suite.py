"""The 国密 suite beside SL1: SM2 sign/verify/envelope, SM3, SM4-GCM, and a package written and opened.

Run: ``python bench/bench_gm_suite.py [--size-mb 20] [--entries 2000] [--dir /tmp] [--json]``. Prints,
for each suite, the single-operation times (median of many) and the time to write (spool, seal, fsync,
read-back verification) and to open (full verification) one package of ``--entries`` small records
plus attachments making about ``--size-mb`` megabytes. ``run()`` is the hook for ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import statistics
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


def run() -> list[Any]:
    """``make bench`` hook: both suites' figures, informative (the 国密 import goal is in bench_sync)."""
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
    return results


if __name__ == "__main__":
    main()
