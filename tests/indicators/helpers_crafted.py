"""A county with crafted registries whose indicators are known: shared by the indicator, export and 统计 tests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import insert

from sanlian_desktop.models import Declaration, Opinion
from sanlian_desktop.offices import regions
from sanlian_desktop.registries import service as registries
from tests.helpers import Office

URBAN_MEETS, URBAN_MISSES = "620102001001", "620102001002"  # 8640 residents each (make_office)
VILLAGE_MEETS, VILLAGE_EMPTY, VILLAGE_NO_RESIDENTS = "620102002001", "620102002002", "620102002003"
EMPTY_STREET = "620102003"


def _orgs(office: Office, community: str, qualifying: int, plain: int = 0) -> None:
    with office.session() as s:
        for i in range(qualifying + plain):
            registries.add_organisation(
                s, office.clerk, name=f"组织{i}", community_code=community, kind="社区服务类",
                record_number=f"备{community[-4:]}{i:03d}", has_social_workers=i < qualifying and i % 2 == 0,
                hosts_agency=i < qualifying and i % 2 == 1)


def build_crafted(county: Office) -> Office:
    """Two urban communities, three villages (one without residents recorded) and an empty street."""
    with county.session() as s:
        regions.add_region(s, code="620102002", name="青白石镇", within="620102")
        regions.add_region(s, code=VILLAGE_MEETS, name="白道坪村", within="620102", rural=True, population=1000)
        regions.add_region(s, code=VILLAGE_EMPTY, name="石门村", within="620102", rural=True, population=1200)
        regions.add_region(s, code=VILLAGE_NO_RESIDENTS, name="大砂坪村", within="620102", rural=True)
        regions.add_region(s, code=EMPTY_STREET, name="空街道", within="620102")
    _orgs(county, URBAN_MEETS, 5, plain=1)
    _orgs(county, URBAN_MISSES, 4)
    _orgs(county, VILLAGE_MEETS, 3)
    _orgs(county, VILLAGE_NO_RESIDENTS, 0, plain=1)
    with county.session() as s:
        clerk = county.clerk
        for community, level in ((URBAN_MEETS, "社会工作师"), (URBAN_MISSES, None), (VILLAGE_MEETS, "助理社会工作师")):
            registries.add_worker(s, clerk, name="张敏", community_code=community, certificate_level=level,
                                  certificate_number="S1" if level else "")
        registries.set_community_facts(s, clerk, URBAN_MEETS, has_workroom=True, in_federation=True,
                                       registered_volunteers=900, election="direct")
        registries.set_community_facts(s, clerk, URBAN_MISSES, has_workroom=False, in_federation=False,
                                       registered_volunteers=800, election="indirect")
        registries.set_community_facts(s, clerk, VILLAGE_MEETS, has_workroom=True, registered_volunteers=100)
        registries.set_community_facts(s, clerk, VILLAGE_NO_RESIDENTS, registered_volunteers=50)
    return county


def _declaration(code: str, status: str, **extra: object) -> dict[str, object]:
    now = datetime.now(UTC)
    row: dict[str, object] = {
        "id": str(uuid.uuid4()), "number": str(uuid.uuid4())[:8], "community_code": code, "street_code": code[:9],
        "county_code": "620102", "city_code": "620100", "status": status, "awaiting_level": None,
        "awaiting_office": None, "entered_by_office": "620102", "title": "项目", "focus_areas": "扶老救孤",
        "created_at": now, "updated_at": now, "current_version": 1, "from_paper": True, "title_pinyin": "",
        "budget_fen": 0, "requested_fen": 0, "created_by": "clerk"}
    row.update(extra)
    return row


def _opinion(decl_id: object, seq: int, level: str, decision: str) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "declaration_id": decl_id, "seq": seq, "version": 1, "level": level,
            "office_code": {"street": "620102001", "county": "620102"}[level], "office_name": "审核单位",
            "reviewer": "r", "reviewer_name": "r", "decision": decision, "text": "意见", "decided_on": date(2016, 8, 1),
            "at": datetime(2016, 8, 1, tzinfo=UTC), "from_paper": True}


def add_pipeline(office: Office) -> None:
    """Seven declarations of the crafted county: 2 approved (300,000.00 and 200,000.00 yuan granted), one
    rejected by the county, two awaiting the county, one returned and a draft; submitted in July and
    August 2016 (UTC)."""
    july, august = datetime(2016, 7, 10, tzinfo=UTC), datetime(2016, 8, 10, tzinfo=UTC)
    rows = [
        _declaration(URBAN_MEETS, "approved", granted_fen=30_000_000, focus_areas="扶老救孤、心理疏导",
                     submitted_at=july, decided_at=august),
        _declaration(URBAN_MEETS, "approved", granted_fen=20_000_000, submitted_at=july, decided_at=august),
        _declaration(URBAN_MISSES, "rejected", submitted_at=july, decided_at=august),
        *[_declaration(VILLAGE_MEETS, "under_review", awaiting_level="county", awaiting_office="620102",
                       submitted_at=august, awaiting_since=august) for _ in range(2)],
        _declaration(VILLAGE_EMPTY, "returned", awaiting_level="community", awaiting_office="620102",
                     submitted_at=august, awaiting_since=august),
        _declaration(VILLAGE_EMPTY, "draft"),
    ]
    with office.session() as s:
        s.execute(insert(Declaration), rows)
        s.execute(insert(Opinion), [_opinion(rows[2]["id"], 1, "street", "approve"),
                                    _opinion(rows[2]["id"], 2, "county", "reject"),
                                    _opinion(rows[5]["id"], 1, "street", "return")])
