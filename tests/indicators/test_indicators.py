"""Each target on crafted registries with known answers, the edge cases, and the pipeline figures."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from sanlian_desktop.indicators import service as indicators
from sanlian_desktop.indicators.service import IndicatorReport, Target
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Declaration, Opinion
from sanlian_desktop.offices import regions
from sanlian_desktop.registries import service as registries
from tests.helpers import Office
from tests.indicators.helpers_crafted import (
    EMPTY_STREET,
    URBAN_MEETS,
    URBAN_MISSES,
    VILLAGE_EMPTY,
    VILLAGE_MEETS,
    VILLAGE_NO_RESIDENTS,
    build_crafted,
)


@pytest.fixture
def crafted(county: Office) -> Office:
    """Two urban communities, three villages (one without residents recorded) and an empty street."""
    return build_crafted(county)


def _report(office: Office, code: str = "620102", **kwargs: object) -> IndicatorReport:
    with office.store.read_session() as s:
        return indicators.compute(s, code, **kwargs)  # type: ignore[arg-type]


def _target(report: IndicatorReport, code: str, key: str) -> Target:
    return next(t for t in report.region(code).targets if t.key == key)


def test_every_target_on_the_county(crafted: Office) -> None:
    report = _report(crafted)
    county = report.region("620102")
    assert (county.communities, county.urban, county.rural) == (5, 2, 3)

    t = _target(report, "620102", "orgs_per_community")
    assert (t.value, t.met, sorted(t.missing)) == (0.4, False, [URBAN_MISSES, VILLAGE_EMPTY, VILLAGE_NO_RESIDENTS])

    t = _target(report, "620102", "workroom")
    assert (t.value, t.met, t.missing, sorted(t.unknown)) == (0.4, False, [URBAN_MISSES],
                                                              [VILLAGE_EMPTY, VILLAGE_NO_RESIDENTS])

    t = _target(report, "620102", "social_worker")  # the uncertified worker does not count
    assert (t.value, t.met, sorted(t.missing)) == (0.4, False, [URBAN_MISSES, VILLAGE_EMPTY, VILLAGE_NO_RESIDENTS])

    t = _target(report, "620102", "rural_reach")  # one village in three: exactly the threshold
    assert (t.value, t.threshold, t.met, sorted(t.missing)) == (1 / 3, 1 / 3, True,
                                                                [VILLAGE_EMPTY, VILLAGE_NO_RESIDENTS])

    t = _target(report, "620102", "federation_urban")
    assert (t.value, t.met, t.missing) == (0.5, False, [URBAN_MISSES])

    t = _target(report, "620102", "volunteers")
    assert t.value == pytest.approx(1800 / 18280)
    assert (t.met, t.missing, sorted(t.unknown)) == (False, [URBAN_MISSES], [VILLAGE_EMPTY, VILLAGE_NO_RESIDENTS])

    t = _target(report, "620102", "association")  # nothing recorded yet: cannot tell, not 0 %
    assert (t.value, t.met, t.unknown) == (None, None, ["620102"])

    t = _target(report, "620102", "orgs_per_10k")
    assert t.value == pytest.approx(13 * 10_000 / 19_480)
    assert (t.met, sorted(t.missing), t.unknown) == (False, [URBAN_MEETS, URBAN_MISSES, VILLAGE_EMPTY],
                                                     [VILLAGE_NO_RESIDENTS])

    t = _target(report, "620102", "direct_election")
    assert (t.value, t.met, t.missing) == (0.5, False, [URBAN_MISSES])


def test_association_and_direct_election_met(crafted: Office) -> None:
    with crafted.session() as s:
        registries.set_area_facts(s, crafted.clerk, "620102", has_association=True)
        registries.set_community_facts(s, crafted.clerk, URBAN_MISSES, election="direct")
    report = _report(crafted)
    assert _target(report, "620102", "association").met is True
    assert _target(report, "620102", "direct_election").value == 1.0
    assert _target(report, "620102", "direct_election").met is True


def test_community_rows_use_their_own_thresholds(crafted: Office) -> None:
    report = _report(crafted)
    urban = _target(report, URBAN_MEETS, "orgs_per_community")
    assert (urban.value, urban.threshold, urban.met) == (5.0, 5.0, True)
    village = _target(report, VILLAGE_MEETS, "orgs_per_community")
    assert (village.value, village.threshold, village.met) == (3.0, 3.0, True)
    assert _target(report, URBAN_MISSES, "orgs_per_community").met is False
    # Villages have no residents' committee and no federation target; urban communities no rural reach.
    assert {t.key for t in report.region(VILLAGE_MEETS).targets} >= {"rural_reach"}
    assert not {"federation_urban", "direct_election"} & {t.key for t in report.region(VILLAGE_MEETS).targets}
    assert "rural_reach" not in {t.key for t in report.region(URBAN_MEETS).targets}
    assert _target(report, VILLAGE_MEETS, "volunteers").met is True  # exactly 10 %


def test_no_residents_recorded_is_said_not_divided_by(crafted: Office) -> None:
    t = _target(_report(crafted), VILLAGE_NO_RESIDENTS, "volunteers")
    assert (t.value, t.met) == (None, None)
    assert "未登记居民人数" in t.note
    assert _target(_report(crafted), VILLAGE_NO_RESIDENTS, "orgs_per_10k").value is None


def test_region_without_communities(crafted: Office) -> None:
    report = _report(crafted)
    empty = report.region(EMPTY_STREET)
    assert empty.communities == 0
    for t in empty.targets:
        assert (t.value, t.met, t.missing) == (None, None, [])
    assert _target(report, EMPTY_STREET, "volunteers").note == "辖区内没有社区"


def test_rows_follow_the_tree_and_stop_at_the_level_asked(crafted: Office) -> None:
    report = _report(crafted)
    assert [r.code for r in report.regions][:4] == ["620102", "620102001", URBAN_MEETS, URBAN_MISSES]
    streets = _report(crafted, down_to=Level.STREET)
    assert [r.level for r in streets.regions] == ["county", "street", "street", "street"]
    # The street row still counts the communities below it.
    assert streets.region("620102002").communities == 3
    assert report.names[URBAN_MISSES] == "东岗东路社区"
    # The region asked for is always there, even below the level asked for.
    assert [r.code for r in _report(crafted, URBAN_MEETS, down_to=Level.COUNTY).regions] == [URBAN_MEETS]


def _decl(code: str, status: str, **extra: object) -> dict[str, object]:
    now = datetime.now(UTC)
    row: dict[str, object] = {
        "id": str(uuid.uuid4()), "number": str(uuid.uuid4())[:8], "community_code": code, "street_code": code[:9],
        "county_code": "620102", "city_code": "620100", "status": status, "awaiting_level": None,
        "awaiting_office": None, "entered_by_office": "620102", "title": "项目", "focus_areas": "扶老救孤",
        "created_at": now, "updated_at": now, "current_version": 1, "from_paper": True, "title_pinyin": "",
        "budget_fen": 0, "requested_fen": 0, "created_by": "clerk"}
    row.update(extra)
    return row


def _return_opinion(decl_id: object) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "declaration_id": decl_id, "seq": 1, "version": 1, "level": "street",
            "office_code": "620102001", "office_name": "东岗街道办事处", "reviewer": "r", "reviewer_name": "r",
            "decision": "return", "text": "请补充", "decided_on": date.today(), "at": datetime.now(UTC),
            "from_paper": True}


def test_pipeline_figures(county: Office) -> None:
    now = datetime(2016, 9, 30, 12, tzinfo=UTC)
    rows = [
        _decl(URBAN_MEETS, "approved", granted_fen=3_000_000, focus_areas="扶老救孤、心理疏导"),
        _decl(URBAN_MEETS, "approved", granted_fen=2_000_000),
        _decl(URBAN_MEETS, "rejected"),
        *[_decl(URBAN_MISSES, "under_review", awaiting_level="county", awaiting_office="620102",
                awaiting_since=now - timedelta(days=d)) for d in (2, 4, 9)],
        _decl(URBAN_MISSES, "returned", awaiting_level="community", awaiting_office="620102",
              awaiting_since=now - timedelta(days=1)),
        _decl(URBAN_MISSES, "draft"),
    ]
    with county.session() as s:
        s.execute(insert(Declaration), rows)
        s.execute(insert(Opinion), [_return_opinion(rows[1]["id"]), _return_opinion(rows[6]["id"])])
    with county.store.read_session() as s:
        p = indicators.compute(s, "620102", now=now).pipeline
        elsewhere = indicators.compute(s, "620102001", now=now).pipeline
    assert p.total == 8
    assert p.by_status == {"approved": 2, "rejected": 1, "under_review": 3, "returned": 1, "draft": 1}
    assert p.awaiting_by_level == {"county": 3, "community": 1}
    assert p.approval_rate == pytest.approx(2 / 3)
    assert p.return_rate == pytest.approx(2 / 7)
    assert p.median_days_waiting == {"community": 1.0, "county": 4.0}
    assert p.granted_by_city == [{"city": "620100", "name": "兰州市", "projects": 2, "granted_fen": 5_000_000}]
    assert p.granted_by_focus_area == [{"focus_area": "扶老救孤", "projects": 2, "granted_fen": 5_000_000},
                                       {"focus_area": "心理疏导", "projects": 1, "granted_fen": 3_000_000}]
    assert elsewhere.total == 8  # both communities lie in 东岗街道


def test_pipeline_of_an_empty_region(county: Office) -> None:
    p = _report(county).pipeline
    assert (p.total, p.approval_rate, p.return_rate, p.median_days_waiting) == (0, None, None, {})


def test_only_pilot_areas_count_for_the_association(tmp_path: object) -> None:
    from pathlib import Path

    from tests.helpers import make_office

    city = make_office(Path(str(tmp_path)) / "city", "city", "620100", "兰州市民政局")
    with city.session() as s:
        registries.set_area_facts(s, city.clerk, "620102", has_association=True)
        registries.set_area_facts(s, city.clerk, "620103", has_association=False)
    before = _target(_report(city, "620100", down_to=Level.COUNTY), "620100", "association")
    assert before.missing == ["620103"] and "620104" in before.unknown
    with city.session() as s:
        # Pilot defaults to true; the flag is changed on its own, the association kept.
        facts = registries.set_area_facts(s, city.clerk, "620103", pilot=False)
        assert (facts.pilot, facts.has_association) == (False, False)
        for code in [r.code for r in registries.areas_in(s, city.clerk) if r.code not in ("620102", "620103")]:
            registries.set_area_facts(s, city.clerk, code, pilot=False)
    report = _report(city, "620100", down_to=Level.COUNTY)
    after = _target(report, "620100", "association")
    assert (after.value, after.met, after.missing, after.unknown) == (1.0, True, [], [])
    county = _target(report, "620103", "association")  # no pilot area below 七里河区 itself
    assert (county.value, county.met, county.note) == (None, None, "没有县级试点地区")


def _opinion(decl_id: object, level: str, decision: str, seq: int = 1) -> dict[str, object]:
    return dict(_return_opinion(decl_id), id=str(uuid.uuid4()), seq=seq, level=level, decision=decision,
                office_code={"street": "620102001", "county": "620102"}.get(level, "620100"))


def test_funnel_counts_what_passed_each_level_and_was_not_sent_back(county: Office) -> None:
    rows = [
        _decl(URBAN_MEETS, "approved"), _decl(URBAN_MEETS, "approved"),
        _decl(URBAN_MEETS, "rejected"),  # rejected by the county: it passed the street
        _decl(URBAN_MEETS, "rejected"),  # rejected by the street
        *[_decl(URBAN_MISSES, "under_review", awaiting_level="county", awaiting_office="620102") for _ in range(3)],
        _decl(URBAN_MISSES, "under_review", awaiting_level="province", awaiting_office="620000"),
        _decl(URBAN_MISSES, "returned", awaiting_level="community", awaiting_office="620102"),
        _decl(URBAN_MISSES, "draft"),
    ]
    with county.session() as s:
        s.execute(insert(Declaration), rows)
        s.execute(insert(Opinion), [_opinion(rows[2]["id"], "street", "approve"),
                                    _opinion(rows[2]["id"], "county", "reject", seq=2),
                                    _opinion(rows[3]["id"], "street", "reject")])
    funnel = _report(county).pipeline.funnel
    assert [(f["stage"], f["count"]) for f in funnel] == [
        ("submitted", 9), ("street", 2 + 1 + 3 + 1), ("county", 2 + 1), ("city", 2 + 1), ("province", 2)]
    assert [f["label"] for f in funnel][-1] == "省民政厅批准"
    # A street's own report counts only its declarations: the other street has none.
    with county.session() as s:
        regions.add_region(s, code="620102009", name="别的街道", within="620102")
    assert [f["count"] for f in _report(county, "620102009").pipeline.funnel] == [0, 0, 0, 0, 0]


def test_monthly_counts_follow_local_calendar_months(county: Office) -> None:
    lanzhou = timezone(timedelta(hours=8))
    utc = datetime(2016, 7, 31, 17, tzinfo=UTC)  # 1 August, 01:00 in Lanzhou
    rows = [
        _decl(URBAN_MEETS, "approved", submitted_at=utc, decided_at=datetime(2016, 9, 2, 3, tzinfo=UTC)),
        _decl(URBAN_MEETS, "rejected", submitted_at=datetime(2016, 7, 10, tzinfo=UTC),
              decided_at=datetime(2016, 7, 20, tzinfo=UTC)),
        _decl(URBAN_MISSES, "under_review", awaiting_level="county", awaiting_office="620102",
              submitted_at=datetime(2016, 10, 5, tzinfo=UTC)),
        _decl(URBAN_MISSES, "draft"),
    ]
    with county.session() as s:
        s.execute(insert(Declaration), rows)
    with county.store.read_session() as s:
        local = indicators.compute(s, "620102", tz=lanzhou).pipeline.monthly
        in_utc = indicators.compute(s, "620102", tz=UTC).pipeline.monthly
    assert local == [
        {"month": "2016-07", "submitted": 1, "approved": 0, "rejected": 1},
        {"month": "2016-08", "submitted": 1, "approved": 0, "rejected": 0},
        {"month": "2016-09", "submitted": 0, "approved": 1, "rejected": 0},  # a month between is still listed
        {"month": "2016-10", "submitted": 1, "approved": 0, "rejected": 0},
    ]
    assert in_utc[0] == {"month": "2016-07", "submitted": 2, "approved": 0, "rejected": 1}
    assert _report(county, URBAN_MEETS).pipeline.monthly[0]["submitted"] == 2


def test_monthly_runs_across_the_new_year(county: Office) -> None:
    rows = [_decl(URBAN_MEETS, "under_review", awaiting_level="county", awaiting_office="620102",
                  submitted_at=datetime(y, m, 15, tzinfo=UTC)) for y, m in ((2016, 11), (2017, 2))]
    with county.session() as s:
        s.execute(insert(Declaration), rows)
    with county.store.read_session() as s:
        months = indicators.compute(s, "620102", tz=UTC).pipeline.monthly
    assert [m["month"] for m in months] == ["2016-11", "2016-12", "2017-01", "2017-02"]
    assert [m["submitted"] for m in months] == [1, 0, 0, 1]


def test_an_empty_region_has_no_months_and_an_empty_funnel(county: Office) -> None:
    p = _report(county).pipeline
    assert p.monthly == []
    assert [f["count"] for f in p.funnel] == [0, 0, 0, 0, 0]
