"""Third-party evaluation through the command line: an evaluator office certified by the province gets
an approved project, sends a visit and an evaluation back, and they reach the project's community."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import example_declaration
from tests.sync.helpers_cli import Offices, prepared_chain
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


@pytest.fixture
def evaluated(tmp_path: Path, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> tuple[Offices, str]:
    """The chain with an evaluator certified by the province and an approved project (built once)."""
    return prepared_chain("evaluated", tmp_path / "chain", capsys, monkeypatch, _evaluated)


def _evaluated(o: Offices, work: Path) -> str:
    add_evaluator(o, EVAL, "甘肃省社会工作评估中心")
    o.down(CODES)
    work.mkdir()
    return approved_project(o, work)


def test_certification_rules(chain: Offices) -> None:
    o = chain
    add_evaluator(o, EVAL, "甘肃省社会工作评估中心")
    shown = o.json(PROVINCE, "office", "show")
    assert EVAL in json.dumps(shown)
    # The province's certificate for it records the kind.
    assert [n["office"] for n in o.json(EVAL, "sync", "status")] == [PROVINCE]
    assert EVAL in [n["office"] for n in o.json(PROVINCE, "sync", "status")]
    # A city cannot certify an evaluator.
    o.homes[OTHER] = o.root / OTHER
    o.ok(OTHER, "init", "--level", "evaluator", "--code", OTHER, "--name", "另一评估机构", "--admin", "admin",
         "--suite", o.suite, user=None)
    req = o.files / "other.req"
    o.ok(OTHER, "office", "request", "--out", str(req))
    rc, _, err = o.run(CITY, "office", "certify", str(req), "--out", str(o.files / "x.cert"))
    assert rc == 2 and "只能由省民政厅认证" in err
    # An evaluator certifies no one.
    rc, _, err = o.run(EVAL, "office", "certify", str(req), "--out", str(o.files / "y.cert"))
    assert rc == 2 and "不能为其他单位签发证书" in err
    # A malformed evaluator code is refused at init.
    o.homes["bad"] = o.root / "bad"
    rc, _, err = o.run("bad", "init", "--level", "evaluator", "--code", "620100E001", "--name", "x", "--admin",
                       "admin", user=None)
    assert rc == 2 and "620000E001" in err


def test_region_commands_at_an_evaluator_refuse_or_show_nothing(chain: Offices, tmp_path: Path) -> None:
    o = chain
    add_evaluator(o, EVAL, "甘肃省社会工作评估中心")
    assert o.json(EVAL, "inbox", user="rev")["total"] == 0
    assert o.json(EVAL, "decl", "list", user="rev")["total"] == 0
    assert o.json(EVAL, "evaluate", "list", user="rev") == []
    decl_file = tmp_path / "d.json"
    decl_file.write_text(json.dumps(example_declaration(), ensure_ascii=False), "utf-8")
    for args in (("decl", "new", "--file", str(decl_file)), ("batch", "add", "--name", "x", "--opens", "2016-01-01",
                                                            "--closes", "2016-02-01"),
                 ("region", "add", "--code", "620102001002", "--name", "新社区")):
        rc, _, err = o.run(EVAL, *args, user="clerk" if args[0] == "decl" else "admin")
        assert rc == 2, (args, err)
    assert not o.json(EVAL, "region", "list", user="admin")  # an evaluator has no territory
    rc, _, err = o.run(EVAL, "indicators", user="admin")
    assert rc == 2 and "没有行政辖区" in err, err
    rc, _, err = o.run(EVAL, "report", "preview", "--from", "2016-01-01", "--to", "2016-12-31", user="admin")
    assert rc == 2 and "620000E001" in err and "不出具进展情况报告" in err, err


def test_evaluation_travels_to_the_province_and_down_to_the_community(evaluated: tuple[Offices, str],
                                                                       tmp_path: Path) -> None:
    o, decl_id = evaluated
    # Only approved projects, only certified evaluators, only at the province.
    rc, _, err = o.run(PROVINCE, "evaluate", "assign", decl_id, "--to", OTHER, user="rev")
    assert rc == 2 and OTHER in err
    rc, _, err = o.run(CITY, "evaluate", "assign", decl_id, "--to", EVAL, user="rev")
    assert rc == 2 and "省民政厅" in err
    assigned = o.json(PROVINCE, "evaluate", "assign", decl_id, "--to", EVAL, "--note", "中期和结项各一次", user="rev")
    assert assigned["evaluator"] == EVAL and assigned["evaluator_name"] == "甘肃省社会工作评估中心"
    rc, _, err = o.run(PROVINCE, "evaluate", "assign", decl_id, "--to", EVAL, user="rev")
    assert rc == 2 and "已指派" in err

    # The province's package to the evaluator carries the project and its assignment, and nothing else.
    report = o.carry(PROVINCE, EVAL)
    assert report["new_declarations"] == 1
    copy = o.json(EVAL, "decl", "show", decl_id, user="rev")
    assert copy["status"] == "approved" and copy["granted"] == "40000.00"
    assert [x["level"] for x in copy["opinions"]] == ["street", "county", "city", "province"]
    assert [a["name"] for a in copy["attachments"]] == ["minutes.txt"]
    assert o.json(EVAL, "decl", "list", user="rev")["total"] == 1
    assert o.json(EVAL, "inbox", user="rev")["total"] == 0
    assert [r["number"] for r in o.json(EVAL, "evaluate", "list", user="rev")] == [copy["number"]]
    # Read-only: the evaluator cannot change or review the copy.
    rc, _, _ = o.run(EVAL, "review", decl_id, "--decision", "approve", "--opinion", "x", user="rev")
    assert rc == 2

    # At the evaluator: a visit and an evaluation with its report.
    visit_day = (date.today() - timedelta(days=3)).isoformat()
    o.ok(EVAL, "evaluate", "visit", decl_id, "--date", visit_day, "--who", "李评估、王督导",
         "--findings", "活动按计划开展，服务对象满意度较高", user="clerk")
    pdf = tmp_path / "评估报告.pdf"
    pdf.write_bytes(PDF)
    not_pdf = tmp_path / "report.pdf"
    not_pdf.write_text("plain text", "utf-8")
    rc, _, err = o.run(EVAL, "evaluate", "score", decl_id, "--points", POINTS, "--report", str(not_pdf), user="rev")
    assert rc == 2 and "PDF" in err
    rc, _, err = o.run(EVAL, "evaluate", "score", decl_id, "--points", "需求回应=18", "--report", str(pdf), user="rev")
    assert rc == 2 and "缺少" in err
    rc, _, err = o.run(EVAL, "evaluate", "score", decl_id, "--points", POINTS, "--grade", "优", "--report", str(pdf),
                       user="rev")
    assert rc == 2 and "理由" in err  # 87 points give 良
    scored = o.json(EVAL, "evaluate", "score", decl_id, "--points", POINTS, "--report", str(pdf), user="rev")
    assert (scored["total"], scored["max_total"], scored["grade"]) == (87, 100, "良")

    # Up to the province, signed by the evaluator; then down the chain to the community.
    report = o.carry(EVAL, PROVINCE)
    assert report["applied"] >= 3 and report["conflicting"] == 0, report
    o.down(CODES)
    for code in CODES:
        shown = o.json(code, "evaluate", "show", decl_id, user="rev")
        assert shown["assignment"]["evaluator"] == EVAL, code
        assert [(v["date"], v["who"]) for v in shown["visits"]] == [(visit_day, "李评估、王督导")], code
        (ev,) = shown["evaluations"]
        assert (ev["total"], ev["grade"], ev["report"]["name"]) == (87, "良", "评估报告.pdf"), code
        assert [s["points"] for s in ev["scores"]] == [18, 22, 17, 18, 12]
        assert ev["signed"] and shown["visits"][0]["signed"]
    text = o.ok(COMMUNITY, "evaluate", "show", decl_id, user="clerk")
    assert "甘肃省社会工作评估中心" in text and "良" in text and "活动按计划开展" in text
    # The report file itself reached the community.
    from sanlian_desktop.kernel.paths import AppPaths
    from sanlian_desktop.store.attachments import verify_blob

    assert verify_blob(AppPaths(o.homes[COMMUNITY]), ev["report"]["sha256"])

    # Everything settles: receipts flow back and nothing is waiting anywhere.
    o.carry(PROVINCE, EVAL)
    o.carry(EVAL, PROVINCE)
    o.down(UP)
    o.down(CODES)
    for code in [*CODES, EVAL]:
        for row in o.json(code, "sync", "status"):
            assert row["waiting"] == 0 and row["sent_unacknowledged"] == 0, (code, row)
    for code in [*CODES, EVAL]:
        assert "审计日志完好" in o.ok(code, "audit", "verify")


def _forge(o: Offices, code: str, decl_id: str, evaluator_code: str, *, sign_as_self: bool = True) -> None:
    """Write a visit row straight into an evaluator's store, bypassing the service's checks."""
    import uuid
    from datetime import UTC, datetime

    from sanlian_desktop.models import Declaration, FollowUpVisit
    from sanlian_desktop.store.engine import Store

    store = Store.open(o.homes[code])
    try:
        with store.session() as s:
            if s.get(Declaration, decl_id) is None:
                _copy_declaration(o, s, decl_id)
            s.add(FollowUpVisit(id=str(uuid.uuid4()), declaration_id=decl_id, evaluator_code=evaluator_code,
                                evaluator_name="冒名", visited_on=date.today(), who="某人", findings="伪造的回访",
                                by="admin", at=datetime.now(UTC), signer_code=None if sign_as_self else code))
    finally:
        store.close()


def _copy_declaration(o: Offices, s: Any, decl_id: str) -> None:
    """Copy the province's declaration row (and its regions) so that a forged visit can refer to it."""
    from sqlalchemy import select

    from sanlian_desktop.models import Declaration, Region
    from sanlian_desktop.store.engine import Store

    src = Store.open(o.homes[PROVINCE])
    try:
        with src.read_session() as ps:
            d = ps.get(Declaration, decl_id)
            assert d is not None
            for code in (d.street_code, d.community_code):
                r = ps.get(Region, code)
                if s.get(Region, code) is None:
                    s.add(Region(code=r.code, name=r.name, level=r.level, parent_code=r.parent_code))
                    s.flush()
            cols = {c.key: getattr(d, c.key) for c in Declaration.__table__.columns}
            cols["batch_id"] = None
            s.add(Declaration(**cols))
            s.flush()
            del select
    finally:
        src.close()


@pytest.mark.parametrize("forgery", ["unassigned", "other_evaluator", "named_other", "core_record"])
def test_forged_visits_are_refused(evaluated: tuple[Offices, str], forgery: str,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    o, decl_id = evaluated
    add_evaluator(o, OTHER, "另一家评估机构")
    if forgery != "unassigned":
        o.ok(PROVINCE, "evaluate", "assign", decl_id, "--to", EVAL, user="rev")
    sender, expected = {
        # Not assigned to anyone: the evaluator's own visit is refused at the province.
        "unassigned": (EVAL, "没有指派给 620000E001"),
        # Assigned to the first evaluator: the other one's visit is refused.
        "other_evaluator": (OTHER, "没有指派给 620000E002"),
        # A visit naming the first evaluator but signed by the other.
        "named_other": (OTHER, "不符"),
        # An evaluator's package holding a declaration record.
        "core_record": (EVAL, "无权报送的记录（declaration）"),
    }[forgery]
    if forgery == "named_other":
        _forge(o, OTHER, decl_id, EVAL, sign_as_self=False)
        _sign_rows_as(o, OTHER)
    elif forgery == "core_record":
        o.carry(PROVINCE, EVAL)
        from sanlian_desktop.models import Declaration
        from sanlian_desktop.sync.kinds import registry as kinds
        from sanlian_desktop.sync.kinds.records import declaration_record

        visit = kinds.get("followup_visit")
        assert visit is not None

        def with_declaration(session: Any, route: Any) -> Any:
            forged = declaration_record(session.get(Declaration, decl_id))
            forged.body["number"] = "2016-620102-9999"  # not what the province holds, so it is sent
            yield forged
            yield from visit.records(session, route)

        monkeypatch.setitem(kinds._KINDS, "followup_visit", dataclasses.replace(visit, records=with_declaration))
        # An insider's altered program skips the export's own check (sync/exchange/outgoing.py, which
        # refuses this package); the province must refuse it all the same.
        monkeypatch.setattr("sanlian_desktop.sync.exchange.export.check_outgoing", lambda *args, **kwargs: None)
    else:
        _forge(o, sender, decl_id, sender)
    path = o.files / f"forged-{forgery}.sanlian"
    o.ok(sender, "sync", "export", "--to", PROVINCE, "--out", str(path))
    rc, _, err = o.run(PROVINCE, "sync", "import", str(path))
    assert rc == 2 and expected in err, err
    assert o.json(PROVINCE, "evaluate", "show", decl_id, user="rev")["visits"] == []


def _sign_rows_as(o: Offices, code: str) -> None:
    """Sign every unsigned visit in the store with this office's keys, whatever evaluator it names."""
    from sanlian_desktop.evaluation.records import VISIT, visit_body
    from sanlian_desktop.models import FollowUpVisit
    from sanlian_desktop.offices import custody as trust
    from sanlian_desktop.offices.auth import sign_in
    from sanlian_desktop.store.engine import Store
    from sanlian_desktop.sync.trust.statements import sign_statement
    from tests.helpers import PASSWORD

    store = Store.open(o.homes[code])
    try:
        with store.session() as s:
            actor = sign_in(s, "admin", PASSWORD)
            keys, chain = trust.office_keys(s, actor), trust.own_chain(s)
            from sqlalchemy import select

            for v in s.scalars(select(FollowUpVisit).where(FollowUpVisit.signature.is_(None))):
                v.signature, v.signer_code = sign_statement(VISIT, visit_body(v), keys, chain), code
    finally:
        store.close()


def test_a_revoked_evaluator_is_refused(evaluated: tuple[Offices, str], tmp_path: Path) -> None:
    o, decl_id = evaluated
    o.ok(PROVINCE, "evaluate", "assign", decl_id, "--to", EVAL, user="rev")
    o.carry(PROVINCE, EVAL)
    o.ok(EVAL, "evaluate", "visit", decl_id, "--date", date.today().isoformat(), "--who", "李评估",
         "--findings", "按计划开展", user="rev")
    o.ok(PROVINCE, "office", "revoke", EVAL, "--reason", "评估合同终止")
    path = o.files / "after-revocation.sanlian"
    o.ok(EVAL, "sync", "export", "--to", PROVINCE, "--out", str(path))
    rc, _, err = o.run(PROVINCE, "sync", "import", str(path))
    assert rc == 2 and "吊销" in err, err
    assert o.json(PROVINCE, "evaluate", "show", decl_id, user="rev")["visits"] == []
    # And the province no longer lists it for new assignments.
    assert o.json(PROVINCE, "evaluate", "evaluators", user="rev") == []
