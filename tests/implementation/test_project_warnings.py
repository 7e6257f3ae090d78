"""Warnings where a project drifts from its declaration, each with known dates."""

from __future__ import annotations

from datetime import date
from typing import Any

from sanlian_desktop import implementation as impl
from sanlian_desktop.projectwarnings import (
    add_months,
    jurisdiction_warnings,
    project_record,
    project_warnings,
)
from tests.implementation.conftest import Project
from tests.implementation.test_implementation import ORG, pay, report, tender, undertake

# The declaration plans 2016-10-01 … 2017-09-30 and 300 beneficiaries; 45,000 yuan granted on 2016-09-20.
LATE = date(2018, 1, 1)


def codes(p: Project, s: Any, today: date) -> list[str]:
    return [w.code for w in project_warnings(s, p.decl(s), today)]


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2016, 11, 30), 3) == date(2017, 2, 28)
    assert add_months(date(2016, 10, 1), 3) == date(2017, 1, 1)
    assert add_months(date(2015, 11, 30), 3) == date(2016, 2, 29)


def test_a_fresh_project_has_no_warnings_until_its_first_report_is_due(project: Project) -> None:
    with project.office.session() as s:
        assert codes(project, s, date(2016, 9, 25)) == []
        # Implementation starts 2016-10-01: the first report is due by 2017-01-01 + 15 days.
        assert codes(project, s, date(2017, 1, 16)) == []
        assert codes(project, s, date(2017, 1, 17)) == ["report_overdue"]
        text = project_warnings(s, project.decl(s), date(2017, 1, 17))[0].text
        assert "尚无进展报告" in text and "2017-01-16" in text


def test_report_overdue_counts_from_the_last_period_covered(project: Project) -> None:
    with project.office.session() as s:
        report(project, s, period_start="2016-10-01", period_end="2016-12-31", beneficiaries=80)
        assert "report_overdue" not in codes(project, s, date(2017, 4, 15))
        assert "report_overdue" in codes(project, s, date(2017, 4, 16))


def test_spending_above_what_was_paid_out_then_above_the_grant(project: Project) -> None:
    with project.office.session() as s:
        pay(project, s, amount="10000")
        report(project, s, spent="10000", beneficiaries=80)
        assert "spent_over_disbursed" not in codes(project, s, date(2017, 1, 5))
        report(project, s, period_start="2017-01-01", period_end="2017-02-28", spent="0.01", beneficiaries=60)
        assert "spent_over_disbursed" in codes(project, s, date(2017, 3, 1))
        report(project, s, period_start="2017-03-01", period_end="2017-03-31", spent="34999.99", beneficiaries=30,
               today=date(2017, 4, 1))
        assert "spent_over_grant" not in codes(project, s, date(2017, 4, 1))
        report(project, s, period_start="2017-04-01", period_end="2017-04-30", spent="0.01", beneficiaries=30,
               today=date(2017, 5, 1))
        found = codes(project, s, date(2017, 5, 1))
        assert "spent_over_grant" in found and "spent_over_disbursed" not in found  # the graver one only


def test_period_overrun_without_a_final_report(project: Project) -> None:
    with project.office.session() as s:
        report(project, s, period_start="2016-10-01", period_end="2017-09-30", beneficiaries=300, spent="0", today=LATE)
        assert codes(project, s, date(2017, 9, 30)) == []
        assert "period_overrun" in codes(project, s, date(2017, 10, 1))
        report(project, s, period_start="2017-10-01", period_end="2017-10-31", beneficiaries=0, spent="0", final=True,
               today=LATE)
        assert codes(project, s, LATE) == []


def test_the_undertaking_dates_replace_the_planned_period(project: Project) -> None:
    with project.office.session() as s:
        tender(project, s)
        undertake(project, s, starts_on="2016-11-01", ends_on="2017-10-31")
        assert "period_overrun" not in codes(project, s, date(2017, 10, 31))
        assert "period_overrun" in codes(project, s, date(2017, 11, 1))


def test_beneficiaries_far_below_the_expected_effect_pro_rata(project: Project) -> None:
    with project.office.session() as s:
        # 2016-10-01 … 2017-01-31 is 122 of 364 days: 300 × 122/364 ≈ 100.5 expected by then; half is ≈ 50.3.
        first = report(project, s, period_start="2016-10-01", period_end="2017-01-31", beneficiaries=50, spent="0")
        warnings = project_warnings(s, project.decl(s), date(2017, 2, 1))
        assert [w.code for w in warnings] == ["beneficiaries_low"]
        assert "已服务 50 人" in warnings[0].text and "应达 101 人" in warnings[0].text
        report(project, s, period_start="2016-10-01", period_end="2017-01-31", beneficiaries=51, spent="0",
               supersedes=first.id, reason="漏计一人")
        assert codes(project, s, date(2017, 2, 1)) == []


def test_an_undertaking_above_the_grant_is_noted(project: Project) -> None:
    with project.office.session() as s:
        tender(project, s)
        undertake(project, s, amount="50000", over_grant_reason="社区自筹5000元")
        warnings = project_warnings(s, project.decl(s), date(2016, 10, 2))
        assert [(w.code, w.severity) for w in warnings] == [("undertaking_over_grant", "info")]


def test_the_whole_record_and_the_jurisdiction_list(project: Project) -> None:
    with project.office.session() as s:
        tender(project, s)
        undertake(project, s)
        impl.add_worker(s, project.office.clerk, project.decl(s), name="李娟", certificate_level="社会工作师")
        pay(project, s)
        report(project, s)
        record = project_record(s, project.decl(s), date(2017, 1, 5))
        assert record["tender"]["winner"] == ORG and record["undertaking"]["amount"] == "45000.00"
        assert [w["name"] for w in record["workers"]] == ["李娟"]
        assert record["disbursed"] == "20000.00" and record["spent"] == "9000.00"
        assert record["beneficiaries_served"] == 80 and record["expected_beneficiaries"] == 300
        assert record["warnings"] == []
        listed = jurisdiction_warnings(s, project.office.clerk, date(2017, 6, 1))
        assert [(d.id, [w.code for w in ws]) for d, ws in listed] == [(project.decl_id, ["report_overdue"])]
