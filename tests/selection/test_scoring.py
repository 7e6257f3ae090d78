"""Expert scoring: the sheet, its rules, and the arithmetic checked against answers worked by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import select

from sanlian_desktop.declarations import drafts, lookup
from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.models import AuditEntry, Batch
from sanlian_desktop.selection import scoring
from sanlian_desktop.selection.scoring import Criterion, ScorerTotal, ScoreSummary
from sanlian_desktop.store import audit
from tests.helpers import Office
from tests.selection.helpers import awaiting, province_office

FULL = "需求分析=18,项目设计=22,社工参与=17,预算合理性=12,预期成效=16"  # 85


@pytest.fixture
def province(tmp_path: Path) -> Office:
    office = province_office(tmp_path / "province")
    yield office
    office.store.close()


def _summary(*totals: str) -> ScoreSummary:
    return ScoreSummary(tuple(ScorerTotal(f"专家{i}", Fraction(t)) for i, t in enumerate(totals)))


def test_known_answers_for_average_spread_and_deviation() -> None:
    s = _summary("80", "85", "90")
    assert (s.average, s.spread, s.stdev) == (Decimal("85.00"), Decimal("10.00"), Decimal("4.08"))  # √(50/3)
    s = _summary("70", "90")
    assert (s.average, s.spread, s.stdev) == (Decimal("80.00"), Decimal("20.00"), Decimal("10.00"))
    s = _summary("88.5")
    assert (s.average, s.spread, s.stdev, s.count) == (Decimal("88.50"), Decimal("0.00"), Decimal("0.00"), 1)
    # (81 + 82 + 82) / 3 = 81.666… → 81.67; deviation √(2/9) = 0.4714 → 0.47
    s = _summary("81", "82", "82")
    assert (s.average, s.stdev) == (Decimal("81.67"), Decimal("0.47"))
    empty = ScoreSummary(())
    assert (empty.average, empty.spread, empty.stdev, empty.count) == (None, None, None, 0)


def test_rounding_is_half_up_on_exact_values() -> None:
    assert scoring.rounded(Fraction(1, 200)) == Decimal("0.01")  # 0.005 exactly
    assert scoring.rounded(Fraction(2, 3)) == Decimal("0.67")
    assert scoring.rounded(Fraction(1, 3)) == Decimal("0.33")
    assert scoring.rounded(Fraction(-1, 200)) == Decimal("-0.01")


def test_weighted_total_scales_each_criterion_by_weight_over_top_mark() -> None:
    sheet = [Criterion("甲", 60, 10), Criterion("乙", 40, 40)]
    # 7/10 × 60 + 30/40 × 40 = 42 + 30 = 72
    assert scoring.weighted_total(sheet, {"甲": Decimal("7"), "乙": Decimal("30")}) == 72
    # 7.5/10 × 60 + 0 = 45; 1/3-ish values stay exact: 1/30 × 60 ... (10/30 of 60 = 20)
    assert scoring.weighted_total(sheet, {"甲": Decimal("7.5"), "乙": Decimal("0")}) == 45
    sheet = [Criterion("甲", 50, 30), Criterion("乙", 50, 30)]
    total = scoring.weighted_total(sheet, {"甲": Decimal("10"), "乙": Decimal("10")})
    assert total == Fraction(100, 3) and scoring.rounded(total) == Decimal("33.33")


def test_default_sheet_weights_sum_to_100_and_total_is_the_sum_of_points(province: Office) -> None:
    decl_id = awaiting(province)
    with province.session() as s:
        batch = s.scalars(select(Batch)).one()
        sheet = scoring.criteria(s, batch)
        assert [c.name for c in sheet] == ["需求分析", "项目设计", "社工参与", "预算合理性", "预期成效"]
        assert sum(c.weight for c in sheet) == 100
        decl = lookup.get(s, decl_id)
        scoring.add_score(s, province.reviewer, decl, scorer="张教授", points=scoring.parse_points(FULL))
        scoring.add_score(s, province.reviewer, decl, scorer="李研究员", points=scoring.parse_points(
            "需求分析=20,项目设计=25,社工参与=19.5,预算合理性=14,预期成效=18"))  # 96.5
        summary = scoring.summarise(sheet, scoring.scores_for(s, decl))
    assert [(t.scorer, t.total) for t in summary.totals] == [("张教授", Decimal("85.00")),
                                                             ("李研究员", Decimal("96.50"))]
    assert (summary.average, summary.spread, summary.stdev) == (Decimal("90.75"), Decimal("11.50"), Decimal("5.75"))


def test_score_records_who_when_and_points_and_refuses_bad_marks(province: Office) -> None:
    decl_id = awaiting(province)
    with province.session() as s:
        decl = lookup.get(s, decl_id)
        score = scoring.add_score(s, province.reviewer, decl, scorer=" 张  教授 ", points=scoring.parse_points(FULL))
        assert (score.scorer, score.entered_by) == ("张 教授", "reviewer")
        assert score.points["需求分析"] == "18" and score.scored_at is not None
    bad = [
        ("需求分析=21,项目设计=22,社工参与=17,预算合理性=12,预期成效=16", "0至20"),
        ("需求分析=-1,项目设计=22,社工参与=17,预算合理性=12,预期成效=16", "0至20"),
        ("需求分析=18,项目设计=22,社工参与=17,预算合理性=12", "缺少"),
        (FULL + ",创新性=5", "没有“创新性”"),
        ("需求分析=18.555,项目设计=22,社工参与=17,预算合理性=12,预期成效=16", "两位小数"),
        ("需求分析=十八,项目设计=22,社工参与=17,预算合理性=12,预期成效=16", "不是数字"),
    ]
    for text, message in bad:
        with province.session() as s, pytest.raises(UserError, match=message):
            scoring.add_score(s, province.reviewer, lookup.get(s, decl_id), scorer="王专家",
                              points=scoring.parse_points(text))
    with province.session() as s:
        decl = lookup.get(s, decl_id)
        with pytest.raises(UserError, match="已为申报"):
            scoring.add_score(s, province.reviewer, decl, scorer="张 教授", points=scoring.parse_points(FULL))
        with pytest.raises(UserError, match="专家姓名"):
            scoring.add_score(s, province.reviewer, decl, scorer="  ", points=scoring.parse_points(FULL))
        assert len(scoring.scores_for(s, decl)) == 1


def test_a_correction_replaces_the_marks_and_the_audit_keeps_the_old(province: Office) -> None:
    decl_id = awaiting(province)
    with province.session() as s:
        decl = lookup.get(s, decl_id)
        scoring.add_score(s, province.reviewer, decl, scorer="张教授", points=scoring.parse_points(FULL))
        scoring.add_score(s, province.reviewer, decl, scorer="张教授", replace=True, points=scoring.parse_points(
            FULL.replace("需求分析=18", "需求分析=10")))
        [score] = scoring.scores_for(s, decl)
        assert score.points["需求分析"] == "10"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "score.replace")).one()
        assert entry.details["replaced"]["需求分析"] == "18" and entry.details["total"] == "77.00"
        assert audit.verify(s).ok


def test_sheet_is_editable_until_the_first_score_then_fixed(province: Office) -> None:
    decl_id = awaiting(province)
    with province.session() as s:
        batch = s.scalars(select(Batch)).one()
        with pytest.raises(UserError, match="之和应为100，现为90"):
            scoring.set_criteria(s, province.admin, batch, scoring.parse_criteria("甲=50,乙=40"))
        with pytest.raises(UserError, match="重复"):
            scoring.set_criteria(s, province.admin, batch, scoring.parse_criteria("甲=50,甲=50"))
        with pytest.raises(UserError, match="名称=权重"):
            scoring.set_criteria(s, province.admin, batch, scoring.parse_criteria("甲50"))
        with pytest.raises(UserError, match="正整数"):
            scoring.parse_criteria("甲=50.5,乙=49.5")
        scoring.set_criteria(s, province.admin, batch, scoring.parse_criteria("需求=60/10,设计=40"))
        assert scoring.criteria(s, batch) == [Criterion("需求", 60, 10), Criterion("设计", 40, 40)]
        scoring.add_score(s, province.reviewer, lookup.get(s, decl_id), scorer="张教授",
                          points={"需求": "7", "设计": "30"})
        summary = scoring.batch_summaries(s, batch)[decl_id]
        assert summary.average == Decimal("72.00")
        with pytest.raises(UserError, match="已有专家评分"):
            scoring.set_criteria(s, province.admin, batch, scoring.parse_criteria("需求=50,设计=50"))


def test_first_score_fixes_the_default_sheet(province: Office) -> None:
    decl_id = awaiting(province)
    with province.session() as s:
        batch = s.scalars(select(Batch)).one()
        scoring.add_score(s, province.reviewer, lookup.get(s, decl_id), scorer="张教授",
                          points=scoring.parse_points(FULL))
        assert scoring.sheet_locked(s, batch)
        assert len(scoring.criteria(s, batch)) == 5


def test_only_province_reviewers_and_admins_score(province: Office, tmp_path: Path) -> None:
    decl_id = awaiting(province)
    with province.session() as s:
        decl = lookup.get(s, decl_id)
        with pytest.raises(PermissionDenied, match="经办人不能"):
            scoring.add_score(s, province.clerk, decl, scorer="张教授", points=scoring.parse_points(FULL))
        from sanlian_desktop.kernel.vocab import Level, Role
        from tests.selection.helpers import actor

        with pytest.raises(PermissionDenied, match="省民政厅"):
            scoring.add_score(s, actor("620102", Level.COUNTY, Role.REVIEWER), decl, scorer="张教授",
                              points=scoring.parse_points(FULL))


def test_only_declarations_awaiting_the_province_are_scored(province: Office) -> None:
    from sanlian_desktop.declarations import workflow
    from sanlian_desktop.kernel.vocab import Decision, Level, Role
    from tests.selection.helpers import actor

    with province.session() as s:
        clerk = actor("620102001001", Level.COMMUNITY, Role.CLERK)
        from tests.helpers import example_declaration

        d = drafts.create(s, clerk, example_declaration())
        drafts.submit(s, clerk, d, province.store.paths)
        with pytest.raises(UserError, match="不在省民政厅待遴选"):
            scoring.add_score(s, province.reviewer, d, scorer="张教授", points=scoring.parse_points(FULL))
        workflow.review(s, actor("620102001", Level.STREET, Role.REVIEWER), d, decision=Decision.REJECT, text="否")
        with pytest.raises(UserError, match="不在省民政厅待遴选"):
            scoring.add_score(s, province.reviewer, d, scorer="张教授", points=scoring.parse_points(FULL))
