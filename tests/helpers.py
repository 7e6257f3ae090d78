"""Builders for tests: offices in temporary homes, signed-in actors, declarations."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sanlian_desktop.declarations import batches
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.models import Batch
from sanlian_desktop.offices import auth, regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.offices.office import init_office
from sanlian_desktop.store.engine import Store

PASSWORD = "secret-pass-1"
EXAMPLE_PATH = Path(__file__).parent / "data" / "declaration.example.json"


def _local_file() -> str | None:
    return None


# Where make_office puts a new office's store: None for the SQLite file in its home, or a PostgreSQL URL.
# The ``database`` fixture (tests/conftest.py) replaces it for a test run on PostgreSQL.
new_database: Callable[[], str | None] = _local_file


@dataclass
class Office:
    """A store set up as one office, with its users signed in."""

    home: Path
    store: Store
    admin: Actor
    clerk: Actor
    reviewer: Actor

    def session(self) -> Any:
        return self.store.session()


def make_office(home: Path, level: str, code: str, name: str, *, with_regions: bool = True,
                with_batch: bool = True, suite: str | None = None, database: str | None = None) -> Office:
    """Initialise an office with admin/clerk/reviewer users, 东岗街道 and 东岗西路社区 and an open batch
    (its keys in ``suite``: ``sl1`` or ``gm``; by default the tests' suite, tests/suites.py).

    Its store is on ``database`` if given, else where :data:`new_database` says (the SQLite file unless
    the test runs on PostgreSQL)."""
    from tests.suites import suite_short

    store = init_office(home, level=Level(level), region_code=code, name=name, admin="admin",
                        admin_password=PASSWORD, region_name=name, suite=suite or suite_short(),
                        database=database or new_database())
    with store.session() as s:
        admin = auth.sign_in(s, "admin", PASSWORD)
        auth.add_user(s, admin, username="clerk", role=Role.CLERK, password=PASSWORD, display_name="王经办")
        auth.add_user(s, admin, username="reviewer", role=Role.REVIEWER, password=PASSWORD, display_name="李审核")
        if with_regions:
            for rcode, rname, rural in (("620102001", "东岗街道", None), ("620102001001", "东岗西路社区", False),
                                        ("620102001002", "东岗东路社区", False)):
                if s.get(regions.Region, rcode) is None and regions.is_within(s, "620102", code):
                    regions.add_region(s, code=rcode, name=rname, within=regions.PROVINCE_CODE, rural=rural,
                                       population=8640)
        if with_batch:
            receive_open_batch(s)
    with store.session() as s:
        return Office(home, store, auth.sign_in(s, "admin", PASSWORD), auth.sign_in(s, "clerk", PASSWORD),
                      auth.sign_in(s, "reviewer", PASSWORD))


def receive_open_batch(session: Any, code: str = "2016", opens: date | None = None, closes: date | None = None) -> Batch:
    """A batch as if received from the province, open today unless dates are given."""
    today = date.today()
    batch = Batch(id=str(uuid.uuid4()), code=code, name=f"{code}年“三社联动”试点项目申报",
                  opens=opens or today - timedelta(days=30), closes=closes or today + timedelta(days=30),
                  budget_fen=10_000_000_00, quota_projects=200, quota_communities=100)
    session.add(batch)
    session.flush()
    return batch


def example_declaration(**overrides: Any) -> dict[str, Any]:
    """The example declaration with pre-step dates moved into the past month."""
    data = json.loads(EXAMPLE_PATH.read_text("utf-8"))
    today = date.today()
    base = today - timedelta(days=25)
    data["pre_steps"] = {
        "solicitation_date": base.isoformat(),
        "hearing_date": (base + timedelta(days=5)).isoformat(),
        "council_date": (base + timedelta(days=10)).isoformat(),
        "notice_start": (base + timedelta(days=11)).isoformat(),
        "notice_end": (base + timedelta(days=18)).isoformat(),
    }
    data["period_start"] = (today + timedelta(days=30)).isoformat()
    data["period_end"] = (today + timedelta(days=390)).isoformat()
    data = copy.deepcopy(data)
    data.update(overrides)
    return data


__all__ = ["PASSWORD", "Office", "batches", "example_declaration", "make_office", "receive_open_batch"]
