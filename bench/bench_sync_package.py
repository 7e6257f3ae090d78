"""Write and verify a large .sanlian package while watching peak memory (RSS).

Run: ``python bench/bench_sync_package.py [--size-mb 200] [--dir /tmp] [--json]``. Prints the peak
resident set size after start-up, after writing (spool, seal, fsync, read-back verification) and after
opening (full verification, spooling) and streaming every entry back out. ``run()`` is the hook for
``make bench`` (``bench/__main__.py``): it measures in a child process, since peak RSS is per process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import peak_rss_mb
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.transport.package import PackageWriter, open_package
from sanlian_desktop.sync.trust.certs import OfficeInfo, certify, make_request, make_root
from sanlian_desktop.sync.trust.keys import OfficeKeys

MIB = 1024 * 1024


class Synthetic:
    """A file-like source of ``size`` pseudo-random bytes that never holds more than 1 MiB."""

    def __init__(self, size: int, seed: bytes) -> None:
        self.remaining = size
        self.block = hashlib.sha256(seed).digest() * (MIB // 32)
        self.counter = 0

    def read(self, n: int = -1, /) -> bytes:
        if self.remaining <= 0:
            return b""
        take = min(self.remaining, MIB if n < 0 else n, MIB)
        self.counter += 1
        piece = self.counter.to_bytes(8, "big") + self.block[8:take]
        self.remaining -= len(piece[:take])
        return piece[:take]


def main() -> None:
    """Write, verify and read back a package of about ``--size-mb`` megabytes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args()
    figures = measure(args.size_mb, args.dir, quiet=args.json)
    if args.json:
        print(json.dumps(figures))


def measure(size_mb: int, directory: Path, *, quiet: bool = False) -> dict[str, float]:
    """Write, verify and stream back a package of about ``size_mb`` MB; return the figures."""
    say = (lambda _text: None) if quiet else print

    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    province_keys, county_keys = OfficeKeys.generate(), OfficeKeys.generate()
    root = make_root(OfficeInfo("620000", Level.PROVINCE, "甘肃省民政厅"), province_keys, now=t0)
    city_keys = OfficeKeys.generate()
    city = certify(
        make_request(OfficeInfo("620100", Level.CITY, "兰州市民政局"), city_keys, now=t0),
        root,
        province_keys,
        now=t0,
    )
    county = certify(
        make_request(OfficeInfo("620102", Level.COUNTY, "城关区民政局"), county_keys, now=t0),
        city,
        city_keys,
        now=t0,
    )
    startup = peak_rss_mb()
    say(f"start-up peak RSS: {startup:.1f} MB")

    path = directory / "bench-sync-package.sanlian"
    attachments = 20
    per = size_mb * MIB // attachments
    started = time.perf_counter()
    with PackageWriter(path, county_keys, [county, city, root], city, 1) as writer:
        for i in range(500):
            writer.add_entry("declaration", f"D-{i:04d}", 1, (b'{"name":"\xe9\xa1\xb9\xe7\x9b\xae"}' * 50))
        for i in range(attachments):
            writer.add_entry("attachment", f"scan-{i:02d}.pdf", 1, Synthetic(per, str(i).encode()))
    written = time.perf_counter() - started
    size = path.stat().st_size
    after_write = peak_rss_mb()
    say(
        f"wrote {size / MIB:.1f} MiB in {written:.1f} s (incl. fsync + read-back); "
        f"peak RSS {peak_rss_mb():.1f} MB"
    )

    started = time.perf_counter()
    total = 0
    with open_package(path, city_keys, root, set(), datetime.now(UTC), recipient_code="620100") as pkg:
        verified = time.perf_counter() - started
        for entry in pkg.entries:
            for piece in pkg.iter_entry(entry):
                total += len(piece)
    read = time.perf_counter() - started
    after_read = peak_rss_mb()
    say(
        f"verified in {verified:.1f} s, streamed {total / MIB:.1f} MiB of entries back by {read:.1f} s; "
        f"peak RSS {after_read:.1f} MB"
    )
    path.unlink()
    return {
        "size_mib": size / MIB,
        "startup_rss_mb": startup,
        "write_rss_mb": after_write,
        "read_rss_mb": after_read,
        "write_s": written,
        "verify_s": verified,
    }


def run() -> list[Any]:
    """``make bench`` hook: a 200 MB package written and verified in a child process."""
    from bench.common import Result  # the bench harness in the main tree

    proc = subprocess.run([sys.executable, __file__, "--json"], capture_output=True, text=True, check=True)
    fig = json.loads(proc.stdout.strip().splitlines()[-1])
    peak = max(fig["write_rss_mb"], fig["read_rss_mb"])
    return [
        Result(
            "sync: peak RSS, write + verify + read a 200 MB package",
            round(peak, 1),
            "MB",
            "< 300 MB",
            met=peak < 300,
        ),
        Result(
            "sync: write 200 MB package (fsync + read-back)", round(fig["write_s"], 2), "s", "informative"
        ),
        Result("sync: open + verify 200 MB package", round(fig["verify_s"], 2), "s", "informative"),
    ]


if __name__ == "__main__":
    main()
