"""Withdrawing an evaluation assignment: the province's rules, the command, and the withdrawal travelling
through packages to the evaluator and down the chain; what the evaluator sends afterwards is kept aside."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from sanlian_desktop.kernel.errors import UserError
from tests.sync.helpers_cli import Offices
from tests.sync.helpers_evaluation import (
    CITY,
    CODES,
    COMMUNITY,
    EVAL,
    OTHER,
    PDF,
    POINTS,
    PROVINCE,
    UP,
    add_evaluator,
    approved_project,
)

EVALUATOR_NAME, OTHER_NAME = "甘肃省社会工作评估中心", "兰州大学社会工作评估所"


@pytest.fixture
def assigned(chain: Offices, tmp_path: Path) -> tuple[Offices, str]:
    """Two certified evaluators; an approved project assigned to the first, carried to it and down the chain."""
    o = chain
    add_evaluator(o, EVAL, EVALUATOR_NAME)
    add_evaluator(o, OTHER, OTHER_NAME)
    o.down(CODES)
    decl_id = approved_project(o, tmp_path)
    o.ok(PROVINCE, "evaluate", "assign", decl_id, "--to", EVAL, user="rev")
    o.carry(PROVINCE, EVAL)
    o.down(CODES)
    return o, decl_id


def _report(tmp_path: Path) -> Path:
    pdf = tmp_path / "评估报告.pdf"
    pdf.write_bytes(PDF)
    return pdf


def test_who_may_withdraw_and_when(assigned: tuple[Offices, str], tmp_path: Path) -> None:
    o, decl_id = assigned
    # Only the province, with a reason, only what is assigned.
    rc, _, err = o.run(CITY, "evaluate", "withdraw", decl_id, "--reason", "指派有误", user="rev")
    assert rc == 2 and "只有省民政厅可以撤回评估指派" in err and "/ only the province" in err, err
    rc, _, err = o.run(EVAL, "evaluate", "withdraw", decl_id, "--reason", "指派有误", user="rev")
    assert rc == 2 and "省民政厅" in err, err
    rc, _, err = o.run(PROVINCE, "evaluate", "withdraw", decl_id, "--reason", "  ", user="rev")
    assert rc == 2 and "请填写撤回理由" in err, err
    rc, _, err = o.run(PROVINCE, "evaluate", "withdraw", decl_id, "--reason", "指派有误", user="clerk")
    assert rc == 2, err
    # Once the province holds an evaluation of the project from that evaluator, the assignment stays.
    o.ok(EVAL, "evaluate", "score", decl_id, "--points", POINTS, "--report", str(_report(tmp_path)), user="rev")
    assert o.carry(EVAL, PROVINCE)["applied"] >= 1
    rc, out, err = o.run(PROVINCE, "--json", "evaluate", "withdraw", decl_id, "--reason", "指派有误", user="rev")
    assert rc == 2 and not out and "已报送" in err and "成效评估" in err and "不能再撤回" in err, err
    shown = o.json(PROVINCE, "evaluate", "show", decl_id, user="rev")
    assert shown["assignment"]["evaluator"] == EVAL and shown["withdrawals"] == []
    # A project that is not assigned has nothing to withdraw.
    other = approved_project(o, tmp_path, "东岗西路社区“四点半课堂”项目")
    rc, _, err = o.run(PROVINCE, "evaluate", "withdraw", other, "--reason", "指派有误", user="rev")
    assert rc == 2 and "没有指派第三方评估机构" in err, err


def test_an_assignment_is_deleted_only_with_its_withdrawal(assigned: tuple[Offices, str]) -> None:
    o, decl_id = assigned
    from sanlian_desktop.models import EvaluationAssignment
    from sanlian_desktop.store.engine import Store

    store = Store.open(o.homes[PROVINCE])
    try:
        with pytest.raises(UserError, match="一经写入不能修改或删除"), store.session() as s:
            held = s.get(EvaluationAssignment, decl_id)
            assert held is not None
            s.delete(held)
        with store.read_session() as s:
            assert s.get(EvaluationAssignment, decl_id) is not None
    finally:
        store.close()


def test_the_withdrawal_travels_and_a_late_evaluation_is_kept_aside(assigned: tuple[Offices, str],
                                                                     tmp_path: Path) -> None:
    o, decl_id = assigned
    # The evaluator visits (the province receives the visit), then evaluates without sending it yet.
    day = (date.today() - timedelta(days=2)).isoformat()
    o.ok(EVAL, "evaluate", "visit", decl_id, "--date", day, "--who", "李评估", "--findings", "按计划开展", user="rev")
    o.carry(EVAL, PROVINCE)
    o.ok(EVAL, "evaluate", "score", decl_id, "--points", POINTS, "--report", str(_report(tmp_path)), user="rev")

    done = o.json(PROVINCE, "evaluate", "withdraw", decl_id, "--reason", "评估机构与项目承接方有利害关系", user="rev")
    assert (done["evaluator"], done["travels"], done["reason"]) == (EVAL, True, "评估机构与项目承接方有利害关系")
    shown = o.json(PROVINCE, "evaluate", "show", decl_id, user="rev")
    assert shown["assignment"] is None and len(shown["visits"]) == 1
    assert [(w["evaluator"], w["reason"]) for w in shown["withdrawals"]] == [(EVAL, "评估机构与项目承接方有利害关系")]
    assert o.json(PROVINCE, "evaluate", "list", user="rev") == []
    text = o.ok(PROVINCE, "evaluate", "show", decl_id, user="rev")
    assert "评估机构：未指派" in text and "已撤回" in text and "利害关系" in text
    assert _audited(o, decl_id) == [{"evaluator": EVAL, "number": shown["number"], "reason": "评估机构与项目承接方有利害关系"}]

    # The evaluation written before the evaluator learnt of it arrives: kept aside, not applied.
    report = o.carry(EVAL, PROVINCE)
    assert report["conflicting"] == 1, report  # (the report file itself is stored, as any attachment)
    assert o.json(PROVINCE, "evaluate", "show", decl_id, user="rev")["evaluations"] == []
    (conflict,) = o.json(PROVINCE, "sync", "conflicts")
    assert conflict["kind"] == "effect_evaluation" and conflict["from"] == EVAL
    assert "已于" in conflict["reason"] and "撤回" in conflict["reason"] and "利害关系" in conflict["reason"]
    assert "不予采用" in conflict["reason"]

    # The withdrawal reaches the evaluator: the project is no longer assigned there, nor listed.
    assert o.json(EVAL, "decl", "list", user="rev")["total"] == 1
    report = o.carry(PROVINCE, EVAL)
    assert report["applied"] == 1 and report["conflicting"] == 0, report
    assert o.json(EVAL, "evaluate", "list", user="rev") == []
    assert o.json(EVAL, "decl", "list", user="rev")["total"] == 0
    at_evaluator = o.json(EVAL, "evaluate", "show", decl_id, user="rev")
    assert at_evaluator["assignment"] is None and at_evaluator["withdrawals"][0]["signed"]
    rc, _, err = o.run(EVAL, "evaluate", "visit", decl_id, "--date", day, "--who", "李评估", "--findings", "再访",
                       user="rev")
    assert rc == 2 and "撤回" in err and "利害关系" in err, err

    # And down the chain to the community; the visit the province accepted before stays everywhere.
    o.down(CODES)
    for code in CODES:
        shown = o.json(code, "evaluate", "show", decl_id, user="rev")
        assert shown["assignment"] is None, code
        assert [w["evaluator"] for w in shown["withdrawals"]] == [EVAL], code
        assert len(shown["visits"]) == 1 and shown["evaluations"] == [], code

    # The project may be assigned again, to the right evaluator, and that reaches everyone too.
    o.ok(PROVINCE, "evaluate", "assign", decl_id, "--to", OTHER, user="rev")
    o.carry(PROVINCE, OTHER)
    assert [r["id"] for r in o.json(OTHER, "evaluate", "list", user="rev")] == [decl_id]
    o.down(CODES)
    assert o.json(COMMUNITY, "evaluate", "show", decl_id, user="rev")["assignment"]["evaluator"] == OTHER

    # Everything settles: the kept-aside evaluation is acknowledged by its receipt and stops travelling.
    for _ in range(2):
        o.carry(PROVINCE, EVAL)
        o.carry(EVAL, PROVINCE)
        o.carry(PROVINCE, OTHER)
        o.carry(OTHER, PROVINCE)
        o.down(UP)
        o.down(CODES)
    assert len(o.json(PROVINCE, "sync", "conflicts")) == 1
    for code in [*CODES, EVAL, OTHER]:
        for row in o.json(code, "sync", "status"):
            assert row["waiting"] == 0 and row["sent_unacknowledged"] == 0, (code, row)
        assert "审计日志完好" in o.ok(code, "audit", "verify")


def _audited(o: Offices, decl_id: str) -> list[dict[str, str]]:
    """The details of the province's audit entries for withdrawals of the project."""
    from sqlalchemy import select

    from sanlian_desktop.models import AuditEntry
    from sanlian_desktop.store.engine import Store

    store = Store.open(o.homes[PROVINCE])
    try:
        with store.read_session() as s:
            return [dict(e.details) for e in s.scalars(select(AuditEntry).where(
                AuditEntry.action == "eval.withdraw", AuditEntry.entity_id == decl_id))]
    finally:
        store.close()


def test_a_withdrawal_reaching_the_evaluator_first_and_a_late_old_package(assigned: tuple[Offices, str]) -> None:
    """The evaluator never imported the package with the assignment; the withdrawal arrives first, then
    the old package: the assignment is not applied again."""
    o, decl_id = assigned
    other = approved_project(o, o.root, "东岗西路社区“邻里守望”项目")
    o.ok(PROVINCE, "evaluate", "assign", other, "--to", EVAL, user="rev")
    old = o.files / "old.sanlian"
    o.ok(PROVINCE, "sync", "export", "--to", EVAL, "--out", str(old))
    o.ok(PROVINCE, "evaluate", "withdraw", other, "--reason", "项目已终止", user="rev")
    report = o.carry(PROVINCE, EVAL)  # the withdrawal alone: the project's copy never reached the evaluator
    assert report["conflicting"] == 0, report
    assert [r["id"] for r in o.json(EVAL, "evaluate", "list", user="rev")] == [decl_id]
    late = o.json(EVAL, "sync", "import", str(old))
    assert late["conflicting"] == 0, late
    assert [r["id"] for r in o.json(EVAL, "evaluate", "list", user="rev")] == [decl_id]
    shown = o.json(EVAL, "evaluate", "show", other, user="rev")
    assert shown["assignment"] is None and [w["reason"] for w in shown["withdrawals"]] == ["项目已终止"]


def test_an_assignment_never_sent_is_withdrawn_at_home(assigned: tuple[Offices, str], tmp_path: Path) -> None:
    """An assignment withdrawn before any export never left the province: neither does its withdrawal."""
    o, decl_id = assigned
    other = approved_project(o, tmp_path, "东岗西路社区“邻里守望”项目")
    o.ok(PROVINCE, "evaluate", "assign", other, "--to", EVAL, user="rev")
    done = o.json(PROVINCE, "evaluate", "withdraw", other, "--reason", "指派有误", user="rev")
    assert done["travels"] is False
    o.ok(PROVINCE, "evaluate", "assign", other, "--to", OTHER, user="rev")
    assert "尚未发出" in o.ok(PROVINCE, "evaluate", "withdraw", other, "--reason", "再次指派有误", user="rev")
    report = o.carry(PROVINCE, EVAL)
    assert report["applied"] == 0 and report["new_declarations"] == 0, report
    assert [r["id"] for r in o.json(EVAL, "evaluate", "list", user="rev")] == [decl_id]
    rc, _, err = o.run(EVAL, "evaluate", "show", other, user="rev")
    assert rc == 2 and "没有找到申报" in err, err
    o.down(CODES)
    assert o.json(COMMUNITY, "evaluate", "show", other, user="rev")["withdrawals"] == []
    assert len(o.json(PROVINCE, "evaluate", "show", other, user="rev")["withdrawals"]) == 2


def test_a_withdrawal_from_the_evaluator_is_refused(assigned: tuple[Offices, str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the province withdraws: the province's own signed withdrawal sent back by the evaluator is refused,
    and the package with it."""
    import dataclasses
    from typing import Any

    from sqlalchemy import select

    from sanlian_desktop.evaluation.records import WITHDRAWAL, _withdrawal_record
    from sanlian_desktop.models import EvaluationWithdrawal
    from sanlian_desktop.sync.kinds import registry as kinds

    o, decl_id = assigned
    o.ok(PROVINCE, "evaluate", "withdraw", decl_id, "--reason", "指派有误", user="rev")
    o.carry(PROVINCE, EVAL)
    o.ok(PROVINCE, "evaluate", "assign", decl_id, "--to", EVAL, user="rev")  # assigned again
    kind = kinds.get(WITHDRAWAL)
    assert kind is not None

    def echoed(session: Any, route: Any) -> Any:
        for w in session.scalars(select(EvaluationWithdrawal)):
            yield _withdrawal_record(w)

    monkeypatch.setitem(kinds._KINDS, WITHDRAWAL, dataclasses.replace(kind, records=echoed))
    from sqlalchemy import delete

    from sanlian_desktop.models import SyncItem
    from sanlian_desktop.store.engine import Store

    store = Store.open(o.homes[EVAL])  # forget that the province holds it, so that it is sent
    try:
        with store.session() as s:
            s.execute(delete(SyncItem).where(SyncItem.kind == WITHDRAWAL))
    finally:
        store.close()
    path = o.files / "echoed-withdrawal.sanlian"
    o.ok(EVAL, "sync", "export", "--to", PROVINCE, "--out", str(path))
    rc, _, err = o.run(PROVINCE, "sync", "import", str(path))
    assert rc == 2 and "评估指派的撤回只能由省民政厅发出" in err, err
    assert o.json(PROVINCE, "evaluate", "show", decl_id, user="rev")["assignment"]["evaluator"] == EVAL


def test_a_visit_of_the_withdrawn_assignment_is_not_taken_under_a_new_one_to_the_same_evaluator(
        assigned: tuple[Offices, str]) -> None:
    """(issue 14 §4) A visit written before the withdrawal reaches the province after it assigned the project
    to the same evaluator again: it belongs to the withdrawn assignment and is kept aside, not accepted."""
    o, decl_id = assigned
    day = (date.today() - timedelta(days=2)).isoformat()
    o.ok(EVAL, "evaluate", "visit", decl_id, "--date", day, "--who", "李评估", "--findings", "按计划开展", user="rev")
    o.ok(PROVINCE, "evaluate", "withdraw", decl_id, "--reason", "指派批次有误", user="rev")
    o.ok(PROVINCE, "evaluate", "assign", decl_id, "--to", EVAL, user="rev")  # the same evaluator again
    report = o.carry(EVAL, PROVINCE)
    assert report["conflicting"] == 1 and report["applied"] == 0, report
    shown = o.json(PROVINCE, "evaluate", "show", decl_id, user="rev")
    assert shown["assignment"]["evaluator"] == EVAL and shown["visits"] == []
    (conflict,) = o.json(PROVINCE, "sync", "conflicts")
    assert conflict["kind"] == "followup_visit" and conflict["from"] == EVAL
    assert "撤回" in conflict["reason"] and "指派批次有误" in conflict["reason"] and "不予采用" in conflict["reason"]
    # Under the new assignment, a new visit is taken.
    o.carry(PROVINCE, EVAL)
    o.ok(EVAL, "evaluate", "visit", decl_id, "--date", date.today().isoformat(), "--who", "李评估",
         "--findings", "重新指派后回访", user="rev")
    report = o.carry(EVAL, PROVINCE)
    assert report["applied"] == 1 and report["conflicting"] == 0, report
    assert [v["findings"] for v in o.json(PROVINCE, "evaluate", "show", decl_id, user="rev")["visits"]] == ["重新指派后回访"]
