"""Write and verify a large .sanlian package while watching peak memory (RSS).

Run: ``python bench/sync_package_memory.py [--size-mb 200] [--dir /tmp]``. Prints the peak resident set
size after start-up, after writing (spool, seal, fsync, read-back verification) and after opening
(full verification, spooling) and streaming every entry back out.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sanlian_desktop.sync.certs import OfficeInfo, certify, make_request, make_root
from sanlian_desktop.sync.keys import OfficeKeys
from sanlian_desktop.sync.package import PackageWriter, open_package
from sanlian_desktop.vocab import Level

MIB = 1024 * 1024


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    args = parser.parse_args()

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
    print(f"start-up peak RSS: {peak_rss_mb():.1f} MB")

    path = args.dir / "bench-200mb.sanlian"
    attachments = 20
    per = args.size_mb * MIB // attachments
    started = time.perf_counter()
    with PackageWriter(path, county_keys, [county, city, root], city, 1) as writer:
        for i in range(500):
            writer.add_entry("declaration", f"D-{i:04d}", 1, (b'{"name":"\xe9\xa1\xb9\xe7\x9b\xae"}' * 50))
        for i in range(attachments):
            writer.add_entry("attachment", f"scan-{i:02d}.pdf", 1, Synthetic(per, str(i).encode()))
    written = time.perf_counter() - started
    size = path.stat().st_size
    print(
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
    print(
        f"verified in {verified:.1f} s, streamed {total / MIB:.1f} MiB of entries back by {read:.1f} s; "
        f"peak RSS {peak_rss_mb():.1f} MB"
    )
    path.unlink()


if __name__ == "__main__":
    main()
