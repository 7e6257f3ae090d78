"""Every validation rule of the form, with bad input."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest

from sanlian_desktop.declarations import fields as declfields
from tests.helpers import example_declaration


def errors_for(data: Any, *, for_submit: bool = True) -> dict[str, str]:
    return {e.field: e.message for e in declfields.normalise(data, for_submit=for_submit).errors}


def test_example_is_valid() -> None:
    assert errors_for(example_declaration()) == {}


def test_canonical_form_is_stable() -> None:
    a = declfields.normalise(example_declaration(), for_submit=True).fields
    b = declfields.normalise(copy.deepcopy(a), for_submit=True).fields
    assert a == b
    assert declfields.content_hash(a) == declfields.content_hash(b)


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        ("title", "", "title", "必填"),
        ("title", "项" * 101, "title", "不能超过100字"),
        ("community", "62010200100", "community", "12位"),
        ("needs_analysis", None, "needs_analysis", "必填"),
        ("target_groups", ["老年人", "外星人"], "target_groups", "不在可选范围内"),
        ("focus_areas", [], "focus_areas", "至少选择一项"),
        ("service_methods", ["个案工作", "远程工作"], "service_methods", "不在可选范围内"),
        ("period_end", "2016-09-01", "period_end", "晚于开始日期"),
        ("period_start", "2016-13-01", "period_start", "不是有效日期"),
        ("budget_total", "-5", "budget_total", "应大于0"),
        ("budget_total", 80000.5, "budget_total", "浮点数"),
        ("budget_total", "80000.123", "budget_total", "两位小数"),
        ("subsidy_requested", "0", "subsidy_requested", "应大于0"),
        ("subsidy_requested", "90000", "subsidy_requested", "不能超过项目总预算"),
        ("subsidy_requested", "40000", "subsidy_requested", "省级补助"),
        ("unknown_key", 1, "unknown_key", "未知字段"),
    ],
)
def test_top_level_rules(path: str, value: Any, field: str, words: str) -> None:
    data = example_declaration()
    data[path] = value
    if path == "period_end":
        data["period_start"] = "2016-10-01"
    errs = errors_for(data)
    assert field in errs, errs
    assert words in errs[field]


@pytest.mark.parametrize(
    ("section", "key", "value", "words"),
    [
        ("undertaker", "credit_code", "52620102MJ0000123A", "校验码"),
        ("undertaker", "credit_code", "5262010", "18位"),
        ("undertaker", "phone", "12345", "手机号"),
        ("undertaker", "lead_worker_certificate", "社工", "不是社工证书等级"),
        ("undertaker", "name", "", "必填"),
        ("community_profile", "population", -3, "不能为负数"),
        ("community_profile", "population", "很多", "不是整数"),
        ("community_profile", "urban", "yes", "true"),
        ("expected_effect", "beneficiaries", 0, "应大于0"),
        ("expected_effect", "text", "", "必填"),
        ("pre_steps", "hearing_date", "2000-01-01", "应不早于"),
        ("pre_steps", "notice_end", None, "必填"),
    ],
)
def test_nested_rules(section: str, key: str, value: Any, words: str) -> None:
    data = example_declaration()
    data[section][key] = value
    errs = errors_for(data)
    path = f"{section}.{key}"
    assert path in errs, errs
    assert words in errs[path]


def test_funding_sources_must_add_up_exactly() -> None:
    data = example_declaration()
    data["funding_sources"][2]["amount"] = "9999.99"
    errs = errors_for(data)
    assert "合计 79999.99 元" in errs["funding_sources"]


def test_funding_source_vocabulary_and_duplicates() -> None:
    data = example_declaration()
    data["funding_sources"][1]["source"] = "银行贷款"
    assert "不在可选范围内" in errors_for(data)["funding_sources[1]"]
    data = example_declaration()
    data["funding_sources"][2]["source"] = "市县财政配套"
    assert "重复" in errors_for(data)["funding_sources[2]"]


def test_quote_styles_are_accepted() -> None:
    data = example_declaration(focus_areas=['"三留守"人员关爱'], target_groups=["农村三留守人员"])
    fields = declfields.normalise(data, for_submit=True).fields
    assert fields["focus_areas"] == ["“三留守”人员关爱"]
    assert fields["target_groups"] == ["农村“三留守”人员"]


def test_draft_may_be_incomplete_but_not_wrong() -> None:
    draft = {"community": "620102001001", "title": "草稿项目"}
    assert errors_for(draft, for_submit=False) == {}
    assert "title" in errors_for({"community": "620102001001"}, for_submit=False)
    assert "undertaker.phone" in errors_for({**draft, "undertaker": {"phone": "1"}}, for_submit=False)
    assert "needs_analysis" in errors_for(draft, for_submit=True)


def test_pre_steps_before_submission_day() -> None:
    fields = declfields.normalise(example_declaration(), for_submit=True).fields
    early = date.fromisoformat(fields["pre_steps"]["notice_end"]) - timedelta(days=1)
    errs = declfields.check_before(fields, early)
    assert [e.field for e in errs] == ["pre_steps.notice_end"]
    assert declfields.check_before(fields, date.today()) == []


def test_not_an_object() -> None:
    assert errors_for(["a list"])


def test_diff_reports_changed_fields_in_form_order() -> None:
    a = declfields.normalise(example_declaration(), for_submit=True).fields
    b = copy.deepcopy(a)
    b["title"] = "新标题"
    b["undertaker"]["phone"] = "13912345678"
    changes = declfields.diff(a, b)
    assert [c.field for c in changes] == ["title", "undertaker.phone"]
    assert changes[1].label == "联系电话"
    assert changes[1].after == "13912345678"


def test_texts_keep_no_control_characters_or_half_characters() -> None:
    """Pasted text brings Word's manual line break (a vertical tab); a damaged file brings NUL or a lone
    surrogate: none can be stored (NUL breaks the database server, a surrogate every encoder), so texts
    keep their line breaks and lose the rest — and the example's canonical bytes can be made again."""
    raw = example_declaration(title="老年\x00人关爱\ud800服务")
    raw["needs_analysis"] = "第一行\v第二行\f第三行\x07\t完\r\n"
    result = declfields.normalise(raw, for_submit=True)
    assert result.errors == []
    assert result.fields["title"] == "老年人关爱服务"
    assert result.fields["needs_analysis"] == "第一行\n第二行\n第三行\t完"
    declfields.content_hash(result.fields)  # encodes: no surrogate left
