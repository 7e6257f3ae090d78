"""``select`` and ``score`` on the command line: JSON shapes, text, files and refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from sanlian_desktop.cli import main
from tests.helpers import PASSWORD, Office
from tests.selection.helpers import awaiting, province_office

FULL = "需求分析=18,项目设计=22,社工参与=17,预算合理性=12,预期成效=16"


@pytest.fixture
def province(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Office]:
    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
    office = province_office(tmp_path / "province")
    yield office
    office.store.close()


def run(office: Office, capsys: pytest.CaptureFixture[str], *args: str, user: str = "reviewer") -> tuple[int, str, str]:
    rc = main(["--home", str(office.home), "--user", user, *args])
    out, err = capsys.readouterr()
    return rc, out, err


def js(office: Office, capsys: pytest.CaptureFixture[str], *args: str, user: str = "reviewer") -> Any:
    rc, out, err = run(office, capsys, "--json", *args, user=user)
    assert rc == 0, err
    return json.loads(out)


def test_score_and_select_through_the_command_line(province: Office, capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    a = awaiting(province, "620102001001", title="项目甲", requested="60000")
    b = awaiting(province, "620402001001", title="项目乙", requested="40000")
    sheet = js(province, capsys, "score", "criteria", "--batch", "2016")
    assert [c["weight"] for c in sheet["criteria"]] == [20, 25, 20, 15, 20] and sheet["locked"] is False
    shown = js(province, capsys, "score", "add", a, "--scorer", "张教授", "--points", FULL)
    assert (shown["count"], shown["average"]) == (1, "85.00")
    shown = js(province, capsys, "score", "add", a, "--scorer", "李研究员", "--points",
               "需求分析=20，项目设计=25，社工参与=19.5，预算合理性=14，预期成效=18")
    assert (shown["average"], shown["spread"], shown["stdev"]) == ("90.75", "11.50", "5.75")
    assert shown["scores"][0]["entered_by"] == "reviewer" and shown["scores"][1]["points"]["社工参与"] == "19.50"
    rc, out, _ = run(province, capsys, "score", "show", a)
    assert rc == 0 and "2 位专家，平均分 90.75，极差 11.50，标准差 5.75" in out and "张教授" in out
    rc, _, err = run(province, capsys, "score", "criteria", "--set", "需求分析=50,项目设计=50")
    assert rc == 2 and "已有专家评分" in err

    listed = js(province, capsys, "select", "list", "--batch", "2016", "--sort", "score")
    assert [r["id"] for r in listed["rows"]] == [a, b]
    assert [m["key"] for m in listed["meters"]] == ["projects", "communities", "budget"]
    assert listed["meters"][2] == {"key": "budget", "label": "补助金额", "used": "0.00", "limit": "150000.00",
                                   "state": "ok"}
    assert [r["id"] for r in js(province, capsys, "select", "list", "--sort", "amount")["rows"]] == [a, b]

    done = js(province, capsys, "select", "shortlist", a, "--amount", "55000")
    assert done["meters"][0]["used"] == 1
    done = js(province, capsys, "select", "approve", b, "--granted", "38000")
    assert done["status"] == "approved" and done["meters"][2]["used"] == "93000.00"
    # 1 more project would reach the quota of 3 (amber), and the text says so.
    c = awaiting(province, "620102001002", title="项目丙", requested="60000")
    rc, _, err = run(province, capsys, "select", "shortlist", c)
    assert rc == 2 and "入选社区将达 3 个，超过上限 2 个" in err and "补助金额将达 153,000.00 元" in err
    rc, out, err = run(province, capsys, "select", "shortlist", c, "--amount", "50000", "--override", "厅务会同意")
    assert rc == 0, err
    assert "注意：入选项目已达上限 3 个" in out and "入选社区已超出上限" in out

    pdf, xlsx = tmp_path / "公示.pdf", tmp_path / "公示.xlsx"
    issued = js(province, capsys, "select", "notice", "--batch", "2016", "--from", "2016-10-10", "--to",
                "2016-10-16", "--pdf", str(pdf), "--xlsx", str(xlsx))
    assert (issued["seq"], issued["projects"], issued["total"]) == (1, 3, "143000.00")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    ws = load_workbook(xlsx).active
    assert ws["C4"].value in {"项目甲", "项目丙", "项目乙"} and ws.max_row == 3 + 3 + 1
    issued = js(province, capsys, "select", "notice", "--from", "2016-10-12", "--to", "2016-10-18")
    assert issued["seq"] == 2 and issued["supersedes"] == js(province, capsys, "select", "notices")[1]["id"]
    listing = js(province, capsys, "select", "notices")
    assert [(n["seq"], n["current"]) for n in listing] == [(2, True), (1, False)]
    again = tmp_path / "第1号.pdf"
    assert js(province, capsys, "select", "export", "--seq", "1", "--pdf", str(again))["seq"] == 1
    assert again.exists()


def test_refusals_are_one_line_and_change_nothing(province: Office, capsys: pytest.CaptureFixture[str]) -> None:
    a = awaiting(province)
    rc, _, err = run(province, capsys, "select", "shortlist", a, user="clerk")
    assert rc == 2 and "经办人不能" in err and err.count("\n") == 1
    rc, _, err = run(province, capsys, "score", "add", a, "--scorer", "张", "--points", "需求分析=30")
    assert rc == 2 and "缺少评分项" in err
    rc, _, err = run(province, capsys, "score", "add", a, "--scorer", "张", "--points", FULL.replace("=18", "=21"))
    assert rc == 2 and "0至20" in err
    rc, _, err = run(province, capsys, "select", "notice", "--from", "2016-10-10", "--to", "2016-10-16")
    assert rc == 2 and "还没有入围或批准的项目" in err
    rc, _, err = run(province, capsys, "select", "notice", "--from", "2016-10-10", "--to", "十月")
    assert rc == 2 and "不是日期" in err
    rc, _, err = run(province, capsys, "select", "list", "--batch", "1999")
    assert rc == 2 and "没有申报批次" in err
    assert js(province, capsys, "score", "show", a)["count"] == 0
    assert js(province, capsys, "select", "list")["rows"][0]["state"] == "pending"


def test_only_the_province_selects(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch, county: Office) -> None:
    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
    rc, _, err = run(county, capsys, "select", "list")
    assert rc == 2 and "由省民政厅进行" in err
    rc, _, err = run(county, capsys, "score", "criteria")
    assert rc == 2 and "由省民政厅进行" in err
