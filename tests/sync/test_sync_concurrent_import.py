"""Two people of one office importing the same package at once (a shared PostgreSQL store; SQLite must
hold too): it is applied once, the other import finds it imported, and the store stays whole."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sanlian_desktop.declarations import batches
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Batch, SyncChannel, SyncPackage
from sanlian_desktop.offices import auth
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.offices.office import init_office
from sanlian_desktop.store import audit
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.export import ExportResult, export_package
from sanlian_desktop.sync.exchange.importing import ImportResult, import_package
from tests.helpers import PASSWORD

pytestmark = pytest.mark.engines


@dataclass
class Pair:
    province: Store
    city: Store
    p_admin: Actor
    c_admin: Actor


@pytest.fixture
def pair(tmp_path: Path, engine: str, database: Callable[[], str | None]) -> Iterator[Pair]:
    """The province (SQLite) and a city certified by it, whose store is on the engine of the test, with
    an open batch at the province waiting to go down."""
    province = init_office(tmp_path / "province", level=Level.PROVINCE, region_code="620000", name="甘肃省民政厅",
                           admin="admin", admin_password=PASSWORD)
    city = init_office(tmp_path / "city", level=Level.CITY, region_code="620100", name="兰州市民政局",
                       admin="admin", admin_password=PASSWORD, database=database())
    try:
        assert city.on_server is (engine == "postgresql")
        with province.session() as s:
            p_admin = auth.sign_in(s, "admin", PASSWORD)
        with city.session() as s:
            c_admin = auth.sign_in(s, "admin", PASSWORD)
            trust.request_certificate(s, c_admin, tmp_path / "city.req")
        with province.session() as s:
            trust.certify_child(s, p_admin, tmp_path / "city.req", tmp_path / "city.cert")
        with city.session() as s:
            trust.install_certificate(s, c_admin, tmp_path / "city.cert")
        today = date.today()
        with province.session() as s:
            batches.add_batch(s, p_admin, name="2016年试点项目申报", code="2016", opens=today - timedelta(days=30),
                              closes=today + timedelta(days=30), budget=Decimal("10000000"), quota_projects=200,
                              quota_communities=100)
        yield Pair(province, city, p_admin, c_admin)
    finally:
        province.close()
        city.close()


def _together(work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(2, timeout=30)
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    return results


def test_same_package_imported_twice_at_once_is_applied_once(pair: Pair, tmp_path: Path) -> None:
    package = tmp_path / "down.sanlian"
    export_package(pair.province, pair.p_admin, "620100", package)
    results = _together(lambda _i: import_package(pair.city, pair.c_admin, package, backup=False))
    assert all(isinstance(r, ImportResult) for r in results), results
    assert sorted(r.already_imported for r in results) == [False, True]
    with pair.city.session() as s:
        assert s.scalar(select(func.count()).select_from(Batch)) == 1
        assert s.scalar(select(func.count()).select_from(SyncPackage).where(SyncPackage.direction == "in")) == 1
        channel = s.get(SyncChannel, "620000")
        assert channel is not None and channel.received_seqs == [1]
        report = audit.verify(s)
        assert report.ok, report.problems


def test_two_exports_at_once_take_two_channel_numbers(pair: Pair, tmp_path: Path) -> None:
    """The city's two exports up to the province at once: numbered 1 and 2, never both 1."""
    results = _together(lambda i: export_package(pair.city, pair.c_admin, "620000", tmp_path / f"up-{i}.sanlian"))
    assert all(isinstance(r, ExportResult) for r in results), results
    with pair.city.session() as s:
        seqs = sorted(p.channel_seq for p in s.scalars(select(SyncPackage).where(SyncPackage.direction == "out")))
        channel = s.get(SyncChannel, "620000")
        assert seqs == [1, 2] and channel is not None and channel.next_out_seq == 3
        assert audit.verify(s).ok
    for r in results:  # both packages open at the province
        import_package(pair.province, pair.p_admin, r.path, backup=False)
