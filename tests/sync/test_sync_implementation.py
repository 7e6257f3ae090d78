"""A project's implementation through packages: approval → tender → undertaking → workers → progress with a
file → disbursement, all seen at the province; the disbursement reaches the community."""

from __future__ import annotations

import itertools
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from tests.helpers import example_declaration
from tests.sync.helpers_cli import CHAIN, Offices

CODES = [code for _, code, _ in CHAIN]
UP = list(reversed(CODES))
COMMUNITY, STREET, COUNTY = "620102001001", "620102001", "620102"
ORG, CREDIT = "城关区和煦社会工作服务中心", "52620102MJ0000123U"


def approved(o: Offices, tmp_path: Path) -> str:
    o.down(CODES)
    decl_file = tmp_path / "decl.json"
    decl_file.write_text(json.dumps(example_declaration(), ensure_ascii=False), "utf-8")
    decl_id = o.ok(COMMUNITY, "decl", "new", "--file", str(decl_file), user="clerk").strip()
    o.ok(COMMUNITY, "decl", "submit", decl_id, user="clerk")
    for lower, upper in itertools.pairwise(UP):
        o.carry(lower, upper)
        extra = ["--granted", "45000"] if upper == "620000" else []
        o.ok(upper, "review", decl_id, "--decision", "approve", "--opinion", "同意", *extra, user="rev")
    o.down(CODES)
    return decl_id


def test_implementation_travels_up_and_the_disbursement_down(chain: Offices, tmp_path: Path) -> None:
    o = chain
    decl_id = approved(o, tmp_path)
    today = date.today()
    # Only an approved project takes records, and the community's are the community's to write.
    rc, _, err = o.run(STREET, "tender", decl_id, "--date", today.isoformat(), "--bidder", ORG, "--winner", ORG,
                       user="clerk")
    assert rc == 2 and "本单位不能登记" in err
    o.ok(COMMUNITY, "tender", decl_id, "--date", today.isoformat(), "--bidder", ORG, "--bidder", "兰州益民社工中心",
         "--winner", ORG, user="clerk")
    o.ok(COMMUNITY, "undertake", decl_id, "--org", ORG, "--credit-code", CREDIT, "--amount", "45000",
         "--start", today.isoformat(), "--end", (today + timedelta(days=365)).isoformat(), user="clerk")
    worker = o.json(COMMUNITY, "workers", "add", decl_id, "--name", "李娟", "--certificate", "社会工作师",
                    user="clerk")
    o.ok(COMMUNITY, "workers", "add", decl_id, "--name", "王芳", "--certificate", "社会工作师", user="clerk")
    o.ok(COMMUNITY, "workers", "add", decl_id, "--name", "李娟", "--certificate", "高级社会工作师",
         "--supersedes", worker["id"][:8], "--reason", "证书等级有误", user="clerk")
    photo = tmp_path / "小组活动.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 group session photo")
    o.ok(COMMUNITY, "progress", decl_id, "--from", today.isoformat(), "--to", today.isoformat(),
         "--activities", "建立空巢老人档案40份", "--beneficiaries", "40", "--spent", "0", "--problems", "志愿者不足",
         "--attach", str(photo), user="clerk")
    rc, _, err = o.run(COMMUNITY, "disburse", decl_id, "--date", today.isoformat(), "--amount", "1000",
                       "--tranche", "1", user="clerk")
    assert rc == 2 and "拨付记录由城关区民政局登记" in err
    for lower, upper in itertools.pairwise(UP):
        report = o.carry(lower, upper)
        assert report["conflicting"] == 0, (lower, report)
    rc, _, err = o.run(COUNTY, "disburse", decl_id, "--date", today.isoformat(), "--amount", "45000.01",
                       "--tranche", "1", user="clerk")
    assert rc == 2 and "超过批准补助" in err
    o.ok(COUNTY, "disburse", decl_id, "--date", today.isoformat(), "--amount", "20000", "--tranche", "1",
         user="clerk")
    o.down([COUNTY, STREET, COMMUNITY])
    o.down([COUNTY, "620100", "620000"])

    seen = o.json("620000", "project", "show", decl_id, user="rev")
    assert seen["tender"]["winner"] == ORG and seen["tender"]["office"] == COMMUNITY
    assert seen["undertaking"]["credit_code"] == CREDIT and seen["undertaking"]["amount"] == "45000.00"
    assert sorted((w["name"], w["certificate_level"]) for w in seen["workers"]) == [
        ("李娟", "高级社会工作师"), ("王芳", "社会工作师")]
    assert seen["superseded"]["workers"] == 1
    assert [(d["tranche"], d["amount"], d["office"]) for d in seen["disbursements"]] == [(1, "20000.00", COUNTY)]
    [progress] = seen["progress"]
    assert progress["beneficiaries"] == 40 and progress["problems"] == "志愿者不足"
    [att] = progress["attachments"]
    stored = o.homes["620000"] / "attachments" / att["sha256"][:2] / att["sha256"]
    assert att["name"] == "小组活动.jpg" and stored.read_bytes() == photo.read_bytes()
    text = o.ok("620000", "project", "show", decl_id, user="rev")
    assert "中标 城关区和煦社会工作服务中心" in text and "第1批" in text and "预警：无" in text
    listed = o.json("620000", "project", "list", "--today", (today + timedelta(days=400)).isoformat(), user="rev")
    assert [w["code"] for w in listed[0]["warnings"]] == ["period_overrun", "report_overdue"]
    # The disbursement reached the community; the middle offices keep copies of everything.
    assert o.json(COMMUNITY, "project", "show", decl_id, user="clerk")["disbursed"] == "20000.00"
    for code in (STREET, "620100"):
        copy = o.json(code, "project", "show", decl_id, user="rev")
        assert copy["tender"] is not None and copy["disbursed"] == "20000.00", code

    # Receipts flow back: nothing waits any more, and nothing echoes back where it came from.
    o.down(UP)
    o.down(CODES)
    for code in CODES:
        for row in o.json(code, "sync", "status"):
            assert row["waiting"] == 0 and row["sent_unacknowledged"] == 0, (code, row)
        assert "审计日志完好" in o.ok(code, "audit", "verify")


def test_a_differing_copy_is_kept_aside_as_a_conflict(chain: Offices, tmp_path: Path) -> None:
    o = chain
    decl_id = approved(o, tmp_path)
    o.ok(COMMUNITY, "tender", decl_id, "--date", date.today().isoformat(), "--bidder", ORG, "--winner", ORG,
         user="clerk")
    o.carry(COMMUNITY, STREET)
    # The street's copy is changed behind the program's back; the community sends its record again.
    with sqlite3.connect(o.homes[STREET] / "sanlian.db") as db:
        assert db.execute("UPDATE project_tender SET winner = '别的机构'").rowcount == 1
    with sqlite3.connect(o.homes[COMMUNITY] / "sanlian.db") as db:
        db.execute("DELETE FROM sync_item WHERE kind = 'project_tender'")
    report = o.carry(COMMUNITY, STREET)
    assert report["conflicting"] == 1
    conflicts = o.json(STREET, "sync", "conflicts", user="admin")
    assert any(c["kind"] == "project_tender" for c in conflicts), conflicts
    assert o.json(STREET, "project", "show", decl_id, user="rev")["tender"]["winner"] == "别的机构"
