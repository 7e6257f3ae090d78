"""Warnings where a project drifts from its declaration, each with known dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event

from sanlian_desktop.declarations import drafts
from sanlian_desktop.implementation import service as impl
from sanlian_desktop.implementation.warnings import (
    add_months,
    jurisdiction_warnings,
    many_project_facts,
    many_project_warnings,
    project_facts,
    project_record,
    project_warnings,
)
from sanlian_desktop.models import Declaration, ProjectDisbursement, ProjectUndertaking
from tests.helpers import example_declaration
from tests.implementation.conftest import COMMUNITY, Project, approve
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


# -- many projects at once ----------------------------------------------------------------------------


def _another(p: Project, s: Any, title: str, **fields: Any) -> Project:
    fields = {"period_start": "2016-10-01", "period_end": "2017-09-30", **fields}
    decl = drafts.create(s, p.office.clerk, example_declaration(title=title, **fields),
                               now=datetime(2016, 7, 30, tzinfo=UTC))
    approve(s, decl)
    return Project(p.office, decl.id)


def _crafted(project: Project, s: Any) -> list[Project]:
    """Projects that between them raise every warning, with corrections of every kind the warnings read."""
    fresh = project  # nothing recorded: the first report falls due, then the period ends
    behind = _another(project, s, "社区“银龄互助”空巢老人关爱项目")
    pay(behind, s, amount="30000")
    paid = pay(behind, s, amount="10000", supersedes=impl.current(s, ProjectDisbursement, behind.decl_id)[0].id,
               reason="金额登记有误")
    report(behind, s, spent="15000", beneficiaries=90)  # spent above the 10,000 paid after the correction
    assert paid.supersedes
    over = _another(project, s, "社区“阳光童伴”留守儿童关爱项目")
    pay(over, s, amount="45000")
    report(over, s, spent="40000", beneficiaries=100)
    report(over, s, period_start="2017-01-01", period_end="2017-02-28", spent="5000.01", beneficiaries=60)
    # An undertaking above the grant, corrected to other dates (the latest current one sets the period).
    moved = _another(project, s, "社区“邻里守望”助残服务项目", period_start="2016-10-01", period_end="2017-06-30")
    tender(moved, s)
    first = undertake(moved, s, amount="50000", over_grant_reason="社区自筹5000元", ends_on="2017-09-30")
    undertake(moved, s, amount="50000", over_grant_reason="社区自筹5000元", starts_on="2016-11-01",
              ends_on="2017-08-31", supersedes=first.id, reason="协议改签")
    # Few people served: a report of 200 corrected down to 30 (the warning reads the correction).
    few = _another(project, s, "社区“书香家园”青少年成长项目")
    wrong = report(few, s, period_start="2016-10-01", period_end="2017-01-31", beneficiaries=200, spent="0")
    report(few, s, period_start="2016-10-01", period_end="2017-01-31", beneficiaries=30, spent="0",
           supersedes=wrong.id, reason="误将人次当人数")
    # Finished: a final report, so no period or report warnings.
    done = _another(project, s, "社区“和谐楼院”议事协商项目", period_start="2016-10-01", period_end="2017-01-31")
    report(done, s, period_start="2016-10-01", period_end="2017-01-31", beneficiaries=300, spent="0", final=True,
           today=LATE)
    # Two current undertakings, as when the community and the county each entered one before syncing: the
    # later one counts.
    twice = _another(project, s, "社区“健康小屋”慢病管理项目")
    tender(twice, s)
    undertake(twice, s, ends_on="2017-12-31")
    s.add(ProjectUndertaking(id="ffff0000-0000-4000-8000-000000000000", declaration_id=twice.decl_id,
                             office_code=COMMUNITY, entered_by="community", entered_at=datetime(2017, 3, 2, tzinfo=UTC),
                             supersedes=None, reason="", org_name=ORG, credit_code="52620102MJ0000123U",
                             amount_fen=45_000_00, over_grant_reason="", starts_on=date(2016, 10, 1),
                             ends_on=date(2017, 8, 31)))
    return [fresh, behind, over, moved, few, done, twice]


def test_many_projects_at_once_give_what_one_by_one_gives(project: Project) -> None:
    with project.office.session() as s:
        projects = _crafted(project, s)
    seen: set[str] = set()
    with project.office.store.read_session() as s:
        decls = [p.decl(s) for p in projects]
        for today in (date(2016, 9, 25), date(2017, 2, 1), date(2017, 3, 1), date(2017, 7, 1), date(2017, 9, 1),
                      LATE):
            one_by_one = {d.id: project_warnings(s, d, today) for d in decls}
            assert many_project_warnings(s, decls, today) == one_by_one, today
            seen |= {w.code for ws in one_by_one.values() for w in ws}
        # Chunks of two projects split the crafted set across queries; the facts stay the same.
        assert many_project_facts(s, decls, chunk=2) == {d.id: project_facts(s, d) for d in decls}
        assert [(d.id, ws) for d, ws in jurisdiction_warnings(s, project.office.clerk, LATE)] == sorted(
            ((d.id, project_warnings(s, d, LATE)) for d in decls), key=lambda item: s.get(Declaration, item[0]).number)
    assert seen == {"spent_over_grant", "spent_over_disbursed", "undertaking_over_grant", "period_overrun",
                    "report_overdue", "beneficiaries_low"}


def test_many_projects_take_four_queries_per_chunk(project: Project) -> None:
    with project.office.session() as s:
        projects = _crafted(project, s)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = project.office.store.engine
    with project.office.store.read_session() as s:
        decls = [p.decl(s) for p in projects]
        event.listen(engine, "before_cursor_execute", count)
        try:
            many_project_warnings(s, decls, LATE)
            assert len(statements) == 4
            statements.clear()
            many_project_facts(s, decls, chunk=4)
            assert len(statements) == 8
        finally:
            event.remove(engine, "before_cursor_execute", count)


def test_the_history_names_who_corrected_what(project: Project) -> None:
    with project.office.session() as s:
        first = pay(project, s, amount="20000")
        second = pay(project, s, amount="15000", tranche=2, paid_on="2017-01-05")
        fixed = pay(project, s, amount="18000", supersedes=first.id, reason="金额登记有误")
        old = report(project, s, beneficiaries=80)
        new = report(project, s, beneficiaries=85, supersedes=old.id, reason="漏计")
        record = project_record(s, project.decl(s), date(2017, 1, 5), with_history=True)
        assert "history" not in project_record(s, project.decl(s), date(2017, 1, 5))
    paid = record["history"]["disbursements"]
    assert [(d["id"], d["amount"]) for d in paid] == [(first.id, "20000.00"), (fixed.id, "18000.00"),
                                                      (second.id, "15000.00")]
    assert paid[0]["superseded_by"]["id"] == fixed.id and paid[0]["superseded_by"]["reason"] == "金额登记有误"
    assert paid[0]["superseded_by"]["office"] == "620102" and paid[1]["superseded_by"] is None
    assert [(p["id"], p["superseded_by"] and p["superseded_by"]["reason"]) for p in record["history"]["progress"]] == [
        (old.id, "漏计"), (new.id, None)]
    assert [d["id"] for d in record["disbursements"]] == [second.id, fixed.id]
