"""Project warnings: 2,000 approved projects with implementation records (corrections among them), their
warnings gathered in a few queries per 500 projects against the same warnings project by project."""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import PASSWORD, WORK, Result, demo_store

PROJECTS = 2_000
DECLARATIONS = 7_500  # about a quarter of the demo's declarations end approved


def _records(home: Path) -> None:
    """Give the first PROJECTS approved projects an undertaking, two tranches (the first corrected) and two
    quarterly reports (the first corrected), written straight into the tables; once per store."""
    flag = home / ".warnings-records"
    if flag.exists():
        return
    from sqlalchemy import insert, select

    from sanlian_desktop.kernel.vocab import Status
    from sanlian_desktop.models import (
        Declaration,
        ProjectDisbursement,
        ProjectProgress,
        ProjectUndertaking,
    )
    from sanlian_desktop.store.engine import Store

    rng = random.Random(2016)
    store = Store.open(home)
    with store.session() as s:
        decls = list(s.execute(select(Declaration.id, Declaration.county_code, Declaration.granted_fen)
                               .where(Declaration.status == Status.APPROVED.value)
                               .order_by(Declaration.number).limit(PROJECTS)))
        rows: dict[Any, list[dict[str, Any]]] = {ProjectUndertaking: [], ProjectDisbursement: [], ProjectProgress: []}
        at = datetime(2017, 1, 1, tzinfo=UTC)
        start = date(2016, 10, 1)

        def common(decl_id: str, office: str, n: int, supersedes: str | None = None) -> dict[str, Any]:
            return {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "declaration_id": decl_id,
                    "office_code": office, "entered_by": "bench", "entered_at": at + timedelta(minutes=n),
                    "supersedes": supersedes, "reason": "更正" if supersedes else ""}

        for decl_id, county, granted in decls:
            rows[ProjectUndertaking].append({**common(decl_id, county, 0), "org_name": "社工中心",
                                             "credit_code": "52620102MJ0000123U", "amount_fen": granted,
                                             "over_grant_reason": "", "starts_on": start,
                                             "ends_on": date(2017, 9, 30)})
            first = common(decl_id, county, 1)
            rows[ProjectDisbursement] += [
                {**first, "paid_on": start, "amount_fen": granted // 2 + 100, "tranche": 1},
                {**common(decl_id, county, 2, first["id"]), "paid_on": start, "amount_fen": granted // 2,
                 "tranche": 1},
            ]
            report = common(decl_id, county, 3)
            people = rng.randint(0, 200)
            body = {"activities": "入户走访，开展小组活动", "problems": "", "final": False, "attachments": []}
            rows[ProjectProgress] += [
                {**report, **body, "period_start": start, "period_end": date(2016, 12, 31), "beneficiaries": people,
                 "spent_fen": granted // 4},
                {**common(decl_id, county, 4, report["id"]), **body, "period_start": start,
                 "period_end": date(2016, 12, 31), "beneficiaries": people + 5, "spent_fen": granted // 4},
                {**common(decl_id, county, 5), **body, "period_start": date(2017, 1, 1),
                 "period_end": date(2017, 3, 31), "beneficiaries": people, "spent_fen": granted // 5},
            ]
        for model, values in rows.items():
            s.execute(insert(model), values)
    store.close()
    flag.write_text(f"{len(decls)} projects\n")


def run() -> list[Result]:
    home = demo_store("warnings-7k", DECLARATIONS)
    assert home.parent == WORK
    _records(home)
    from sqlalchemy import select

    from sanlian_desktop.implementation.warnings import many_project_warnings, project_warnings
    from sanlian_desktop.kernel.vocab import Status
    from sanlian_desktop.models import Declaration
    from sanlian_desktop.offices import auth
    from sanlian_desktop.store.engine import Store

    store = Store.open(home)
    with store.session() as s:
        auth.sign_in(s, "admin", PASSWORD)
    today = date(2017, 8, 1)
    batched, single = [], []
    for _ in range(3):
        with store.read_session() as s:
            decls = list(s.scalars(select(Declaration).where(Declaration.status == Status.APPROVED.value)
                                   .order_by(Declaration.number).limit(PROJECTS)))
            started = time.perf_counter()
            many = many_project_warnings(s, decls, today)
            batched.append(time.perf_counter() - started)
        with store.read_session() as s:
            decls = list(s.scalars(select(Declaration).where(Declaration.status == Status.APPROVED.value)
                                   .order_by(Declaration.number).limit(PROJECTS)))
            started = time.perf_counter()
            one = {d.id: project_warnings(s, d, today) for d in decls}
            single.append(time.perf_counter() - started)
        assert many == one
    store.close()
    value, floor = statistics.median(batched), statistics.median(single)
    warned = sum(1 for ws in many.values() if ws)
    return [Result("warnings.projects_2000_batched", round(value, 3), "s", "informative", None, floor=round(floor, 2),
                   note=f"{len(many)} approved projects ({warned} with warnings), an undertaking, 2 tranches and 3 "
                        f"reports each (corrections among them), 4 queries per 500 projects; floor = the same "
                        f"warnings project by project ({floor / value:.0f}× slower); median of 3")]
