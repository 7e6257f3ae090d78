"""A province office holding declarations that await it, built through the services."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from sanlian_desktop.declarations import drafts, workflow
from sanlian_desktop.kernel.vocab import Decision, Level, Role
from sanlian_desktop.models import Batch
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from tests.helpers import Office, example_declaration, make_office

PROVINCE = "620000"
# community -> (street, county, city)
COMMUNITIES = {
    "620102001001": ("620102001", "620102", "620100"),
    "620102001002": ("620102001", "620102", "620100"),
    "620402001001": ("620402001", "620402", "620400"),
    "620402001002": ("620402001", "620402", "620400"),
}


def actor(code: str, level: Level, role: Role) -> Actor:
    return Actor(username=f"{role.value}-{code}", display_name=f"{role.label}{code}", role=role,
                 office_code=code, office_level=level, office_name=f"office {code}")


def province_office(home: Path, *, projects: int | None = 3, communities: int | None = 2,
                    budget_fen: int | None = 150_000_00) -> Office:
    """The province with four communities in two cities and a batch with small limits."""
    office = make_office(home, "province", PROVINCE, "甘肃省民政厅")
    with office.session() as s:
        regions.add_region(s, code="620402001", name="兴平路街道", within=PROVINCE)
        regions.add_region(s, code="620402001001", name="兴平路社区", within=PROVINCE, rural=False, population=5000)
        regions.add_region(s, code="620402001002", name="红会路社区", within=PROVINCE, rural=False, population=6000)
        batch = s.query(Batch).one()
        batch.quota_projects, batch.quota_communities, batch.budget_fen = projects, communities, budget_fen
    return office


def awaiting(office: Office, community: str = "620102001001", *, title: str | None = None,
             requested: str = "50000.00", focus: list[str] | None = None) -> str:
    """A declaration of ``community`` submitted and approved up to the city: it awaits the province."""
    street, county, city = COMMUNITIES[community]
    rest = Decimal("80000.00") - Decimal(requested)
    sources = [{"source": "省级补助", "amount": requested}]
    if rest > 0:
        sources.append({"source": "社区自筹", "amount": str(rest)})
    fields: dict[str, Any] = {"community": community, "subsidy_requested": requested, "budget_total": "80000.00",
                              "funding_sources": sources}
    if title:
        fields["title"] = title
    if focus:
        fields["focus_areas"] = focus
    with office.session() as s:
        clerk = actor(community, Level.COMMUNITY, Role.CLERK)
        d = drafts.create(s, clerk, example_declaration(**fields))
        drafts.submit(s, clerk, d, office.store.paths)
        for code, level in ((street, Level.STREET), (county, Level.COUNTY), (city, Level.CITY)):
            workflow.review(s, actor(code, level, Role.REVIEWER), d, decision=Decision.APPROVE, text="同意上报")
        return d.id
