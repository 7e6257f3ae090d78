"""After the review, all through packages: scored and selected at the province, approved, announced,
tendered, undertaken, reported on, paid, evaluated by a third party — and the province sees all of it,
including the county's progress report (进展情况) with the money paid out."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from pathlib import Path

from tests.helpers import example_declaration
from tests.sync.helpers_cli import Offices
from tests.sync.helpers_evaluation import CODES, COMMUNITY, EVAL, PDF, POINTS, PROVINCE, UP, add_evaluator

COUNTY = "620102"
ORG = "兰州市城关区乐龄社会工作服务中心"
CREDIT = "52620102MJ0000123U"
SCORES = {"张教授": "需求分析=18,项目设计=22,社工参与=17,预算合理性=13,预期成效=16",
          "李处长": "需求分析=16,项目设计=20,社工参与=18,预算合理性=12,预期成效=18"}


def test_from_selection_to_evaluation_seen_at_the_province(chain: Offices, tmp_path: Path) -> None:
    o = chain
    today = date.today()
    add_evaluator(o, EVAL, "甘肃省社会工作评估中心")
    o.down(CODES)

    # The community declares; every level below the province approves.
    decl_file = tmp_path / "decl.json"
    decl_file.write_text(json.dumps(example_declaration(), ensure_ascii=False), "utf-8")
    decl_id = o.ok(COMMUNITY, "decl", "new", "--file", str(decl_file), user="clerk").strip()
    o.ok(COMMUNITY, "decl", "submit", decl_id, user="clerk")
    for lower, upper in itertools.pairwise(UP):
        o.carry(lower, upper)
        if upper != PROVINCE:
            o.ok(upper, "review", decl_id, "--decision", "approve", "--opinion", "同意", user="rev")

    # The province: two experts score it, it is shortlisted and approved, and the 公示 is issued.
    for scorer, points in SCORES.items():
        o.ok(PROVINCE, "score", "add", decl_id, "--scorer", scorer, "--points", points, user="rev")
    scores = o.json(PROVINCE, "score", "show", decl_id, user="rev")
    assert scores["average"] == "85.00" and scores["spread"] == "2.00"  # 86 and 84
    o.ok(PROVINCE, "select", "shortlist", decl_id, "--amount", "40000", user="rev")
    o.ok(PROVINCE, "select", "approve", decl_id, user="rev")
    notice = o.json(PROVINCE, "select", "notice", "--from", today.isoformat(), "--to",
                    (today + timedelta(days=6)).isoformat(), user="rev")
    assert notice["projects"] == 1 and notice["total"] == "40000.00"
    o.down(CODES)
    assert o.json(COMMUNITY, "decl", "show", decl_id, user="clerk")["granted"] == "40000.00"
    assert [n["seq"] for n in o.json(COMMUNITY, "select", "notices", user="clerk")] == [1]

    # The community tenders, signs the undertaking and reports progress with a photo.
    o.ok(COMMUNITY, "tender", decl_id, "--date", today.isoformat(), "--bidder", ORG, "--bidder", "兰州益民社工中心",
         "--winner", ORG, user="clerk")
    o.ok(COMMUNITY, "undertake", decl_id, "--org", ORG, "--credit-code", CREDIT, "--amount", "40000",
         "--start", today.isoformat(), "--end", (today + timedelta(days=365)).isoformat(), user="clerk")
    o.ok(COMMUNITY, "workers", "add", decl_id, "--name", "王芳", "--certificate", "社会工作师", user="clerk")
    photo = tmp_path / "小组活动.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 group session photo")
    o.ok(COMMUNITY, "progress", decl_id, "--from", today.isoformat(), "--to", today.isoformat(),
         "--activities", "建立空巢老人档案40份", "--beneficiaries", "40", "--spent", "5000",
         "--attach", str(photo), user="clerk")
    o.down(UP[:3])  # community → street → county
    o.ok(COUNTY, "disburse", decl_id, "--date", today.isoformat(), "--amount", "20000", "--tranche", "1",
         user="clerk")
    # The county reports on its jurisdiction for the quarter so far, and everything goes up.
    report_id = o.json(COUNTY, "report", "issue", "--from", (today - timedelta(days=30)).isoformat(), "--to",
                       today.isoformat(), user="rev")["id"]
    o.down(UP[2:])  # county → city → province

    # The province assigns the project to the evaluator, who visits and evaluates it.
    o.ok(PROVINCE, "evaluate", "assign", decl_id, "--to", EVAL, user="rev")
    o.carry(PROVINCE, EVAL)
    o.ok(EVAL, "evaluate", "visit", decl_id, "--date", today.isoformat(), "--who", "李评估",
         "--findings", "档案齐全，服务对象满意", user="clerk")
    pdf = tmp_path / "评估报告.pdf"
    pdf.write_bytes(PDF)
    o.ok(EVAL, "evaluate", "score", decl_id, "--points", POINTS, "--report", str(pdf), user="rev")
    assert o.carry(EVAL, PROVINCE)["conflicting"] == 0

    # At the province: the whole story of the project.
    project = o.json(PROVINCE, "project", "show", decl_id, user="rev")
    assert project["tender"]["winner"] == ORG
    assert (project["undertaking"]["org_name"], project["undertaking"]["credit_code"]) == (ORG, CREDIT)
    assert [w["name"] for w in project["workers"]] == ["王芳"]
    assert project["disbursed"] == "20000.00"
    assert [p["beneficiaries"] for p in project["progress"]] == [40]
    evaluation = o.json(PROVINCE, "evaluate", "show", decl_id, user="rev")
    assert [v["who"] for v in evaluation["visits"]] == ["李评估"]
    assert [(e["total"], e["grade"]) for e in evaluation["evaluations"]] == [(87, "良")]
    reports = {r["id"]: r for r in o.json(PROVINCE, "report", "list", user="rev")}
    assert reports[report_id]["office"] == COUNTY
    figures = o.json(PROVINCE, "report", "show", report_id, user="rev")["figures"]
    assert figures["disbursed_by_city"] == [{"city": "620100", "name": "兰州市", "projects": 1,
                                            "disbursed_fen": 2_000_000}]
    assert figures["granted_by_city"][0]["granted_fen"] == 4_000_000
    assert figures["by_status"] == {"approved": 1}
    assert figures["behind_schedule"] == []  # on time today
    # A year and more from now, with no final report, the same project is behind schedule.
    from sanlian_desktop.reports.service import _projects
    from sanlian_desktop.store.engine import Store

    store = Store.open(o.homes[PROVINCE])
    try:
        with store.read_session() as s:
            late = _projects(s, [], today + timedelta(days=400))["behind_schedule"]
    finally:
        store.close()
    assert [r["community"] for r in late] == ["东岗西路社区"]
    assert "尚未报送结项报告" in late[0]["reason"] and "进展报告逾期" in late[0]["reason"]

    # And down again: the community sees the evaluation of its project.
    o.down(CODES)
    seen = o.json(COMMUNITY, "evaluate", "show", decl_id, user="clerk")
    assert [(e["total"], e["grade"]) for e in seen["evaluations"]] == [(87, "良")]
    for code in [*CODES, EVAL]:
        assert "审计日志完好" in o.ok(code, "audit", "verify")
