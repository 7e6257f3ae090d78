"""Effect-evaluation arithmetic: the default criteria, points, totals and the grade thresholds."""

from __future__ import annotations

import pytest

from sanlian_desktop.evaluation import service as evaluation
from sanlian_desktop.kernel.errors import UserError


def test_default_criteria_sum_to_one_hundred() -> None:
    assert [c.name for c in evaluation.CRITERIA] == ["需求回应", "目标达成", "服务质量", "资金使用", "三社联动"]
    assert evaluation.max_total() == 100


@pytest.mark.parametrize(("total", "grade"), [
    (100, "优"), (90, "优"), (89, "良"), (75, "良"), (74, "中"), (60, "中"), (59, "差"), (0, "差"),
])
def test_grade_thresholds_at_their_edges(total: int, grade: str) -> None:
    assert evaluation.grade_for(total, 100) == grade


def test_thresholds_are_shares_of_the_maximum() -> None:
    assert evaluation.grade_for(45, 50) == "优" and evaluation.grade_for(44, 50) == "良"
    assert evaluation.grade_for(29, 50) == "差"


def test_points_parse_in_the_usual_spellings() -> None:
    assert evaluation.parse_points("需求回应=18，目标达成：22、服务质量=17, 资金使用＝18,三社联动=12") == {
        "需求回应": 18, "目标达成": 22, "服务质量": 17, "资金使用": 18, "三社联动": 12}


@pytest.mark.parametrize(("text", "words"), [
    ("需求回应=十八", "指标=分数"), ("需求回应", "指标=分数"), ("需求回应=1,需求回应=2", "重复"), ("=3", "指标=分数"),
    ("需求回应=-1", "指标=分数"), ("需求回应=1.5", "指标=分数"),
])
def test_bad_points_are_refused(text: str, words: str) -> None:
    with pytest.raises(UserError, match=words):
        evaluation.parse_points(text)


def test_every_criterion_once_within_its_range() -> None:
    full = {"需求回应": 18, "目标达成": 22, "服务质量": 17, "资金使用": 18, "三社联动": 12}
    scores = evaluation.check_points(full)
    assert [s["points"] for s in scores] == [18, 22, 17, 18, 12] and sum(s["max"] for s in scores) == 100
    with pytest.raises(UserError, match=r"缺少.*三社联动"):
        evaluation.check_points({k: v for k, v in full.items() if k != "三社联动"})
    with pytest.raises(UserError, match="没有评估指标“创新性”"):
        evaluation.check_points({**full, "创新性": 3})
    with pytest.raises(UserError, match="0 至 15"):
        evaluation.check_points({**full, "三社联动": 16})
