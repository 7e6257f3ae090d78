"""Authority (issue 20): the share of the 10,000-declaration import spent deciding who may sign what.

The chain and the county's declarations are bench_sync's (built once under bench/_work). On a fresh copy
of the offices, the county exports to the city and the city imports the package in this process while
every authority check (``sync/kinds/authority.py``: the per-record checks of the Applier and the
certificate/revocation check of the import) is timed; the figure is their sum over the whole import.

Run alone: ``python -m bench bench_authority``.
"""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Callable
from typing import Any

from bench.bench_sync import CITY, COUNT, COUNTY, _prepare
from bench.common import WORK, Result

_CHECKS = ("region", "batch", "declaration", "link", "version", "new_version", "opinion")


def _timed(fn: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    return wrapper


def run() -> list[Result]:
    from sanlian_desktop.sync.exchange import importing
    from sanlian_desktop.sync.exchange.export import export_package
    from sanlian_desktop.sync.exchange.importing import import_package
    from sanlian_desktop.sync.kinds import authority
    from tests.sync.helpers_service import open_chain

    chain = _prepare()
    work = WORK / f"authority-{COUNT}"
    shutil.rmtree(work, ignore_errors=True)
    offices = open_chain(chain, work / "chain")
    spent = [0.0]
    originals = {name: getattr(authority.Authority, name) for name in _CHECKS}
    trust_check = importing.authority.check_trust_entries
    parts = work / "parts"
    parts.mkdir()
    records = applied = 0
    total = 0.0
    try:
        sent = 0  # a package holds up to 20,000 entries: the export goes in parts, as in bench_sync
        while sent < COUNT:
            part = export_package(offices[COUNTY].store, offices[COUNTY].admin, CITY,
                                  parts / f"part-{len(list(parts.iterdir())):02d}.sanlian")
            sent += part.by_kind.get("declaration", 0)
            records += part.records
        for name, fn in originals.items():
            setattr(authority.Authority, name, _timed(fn, spent))
        importing.authority.check_trust_entries = _timed(trust_check, spent)  # type: ignore[method-assign]
        for path in sorted(parts.glob("part-*.sanlian")):
            start = time.perf_counter()
            result = import_package(offices[CITY].store, offices[CITY].admin, path, backup=False)
            total += time.perf_counter() - start
            applied += result.report.applied
    finally:
        for name, fn in originals.items():
            setattr(authority.Authority, name, fn)
        importing.authority.check_trust_entries = trust_check  # type: ignore[method-assign]
        for office in offices.values():
            office.store.close()
    share = spent[0] / total * 100
    note = (f"{spent[0]:.2f} s of a {total:.1f} s import of {records} records in "
            f"{len(list(parts.glob('part-*.sanlian')))} packages ({applied} applied); one run, in process")
    return [Result("authority.share_of_import_10k", round(share, 2), "%", "<= 5 %", share <= 5, note=note)]
