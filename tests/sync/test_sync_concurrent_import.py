"""Two people of one office importing the same package at once (a shared PostgreSQL store; SQLite must
hold too): it is applied once, the other import finds it imported, and the store stays whole."""

from __future__ import annotations

import threading
from collections.abc import Callable
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
from sanlian_desktop.offices.office import init_office
from sanlian_desktop.store import audit
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import ImportResult, import_package
from tests.helpers import PASSWORD

pytestmark = pytest.mark.engines


def test_same_package_imported_twice_at_once_is_applied_once(
        tmp_path: Path, engine: str, database: Callable[[], str | None]) -> None:
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
        package = tmp_path / "down.sanlian"
        export_package(province, p_admin, "620100", package)

        barrier = threading.Barrier(2, timeout=30)
        results: list[Any] = [None, None]

        def run(i: int) -> None:
            try:
                barrier.wait()
                results[i] = import_package(city, c_admin, package, backup=False)
            except Exception as exc:
                results[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert all(isinstance(r, ImportResult) for r in results), results
        assert sorted(r.already_imported for r in results) == [False, True]
        with city.session() as s:
            assert s.scalar(select(func.count()).select_from(Batch)) == 1
            assert s.scalar(select(func.count()).select_from(SyncPackage).where(SyncPackage.direction == "in")) == 1
            channel = s.get(SyncChannel, "620000")
            assert channel is not None and channel.received_seqs == [1]
            report = audit.verify(s)
            assert report.ok, report.problems
    finally:
        province.close()
        city.close()
