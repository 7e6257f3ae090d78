"""The registries in Excel: the template, an all-or-nothing import with every bad row reported, and
malformed workbooks refused cleanly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from sanlian_desktop.kernel.checks import credit_code_check_char
from tests.helpers import PASSWORD
from tests.indicators.test_indicators_cli import Cli

BODY = "52620102MJ0000001"
CREDIT = BODY + credit_code_check_char(BODY)
COMMUNITY, OTHER = "620102001001", "620102001002"


@pytest.fixture
def office(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
    monkeypatch.setenv("SANLIAN_NEW_PASSWORD", PASSWORD)
    c = Cli(tmp_path / "county", capsys)
    c.ok("init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin", user=None)
    c.ok("user", "add", "clerk", "--role", "clerk")
    c.ok("region", "add", "--code", "620102001", "--name", "东岗街道")
    c.ok("region", "add", "--code", COMMUNITY, "--name", "东岗西路社区", "--population", "8640")
    c.ok("region", "add", "--code", OTHER, "--name", "雁园社区", "--population", "100")
    return c


def _template(cli: Cli, tmp_path: Path) -> Path:
    path = tmp_path / "台账模板.xlsx"
    cli.ok("registry", "template", "--out", str(path), user="clerk")
    return path


def _fill(path: Path, rows: dict[str, list[list[Any]]], *, communities: dict[str, list[Any]] | None = None) -> Path:
    wb = load_workbook(path)
    for title, values in rows.items():
        ws = wb[title]
        for r, row in enumerate(values, 2):
            for c, value in enumerate(row, 1):
                ws.cell(r, c, value)
    if communities:
        ws = wb["社区情况"]
        for r in range(2, ws.max_row + 1):
            code = ws.cell(r, 1).value
            if code in communities:
                for c, value in enumerate(communities[code], 3):
                    ws.cell(r, c, value)
    wb.save(path)
    return path


def test_template_lists_the_jurisdiction_with_drop_downs(office: Cli, tmp_path: Path) -> None:
    office.ok("registry", "set-community", COMMUNITY, "--workroom", "是", "--election", "direct", user="clerk")
    wb = load_workbook(_template(office, tmp_path))
    assert wb.sheetnames[:5] == ["填写说明", "选项", "社区社会组织", "社会工作者", "社区情况"] or set(wb.sheetnames) >= {
        "社区社会组织", "社会工作者", "社区情况", "试点地区"}
    orgs = wb["社区社会组织"]
    assert [c.value for c in orgs[1]] == ["所属社区代码", "组织名称", "组织类别", "统一社会信用代码", "备案编号",
                                          "有专兼职专业社工", "接纳社工机构"]
    lists = [dv for dv in orgs.data_validations.dataValidation if dv.type == "list"]
    assert {str(dv.sqref).split(":")[0] for dv in lists} == {"C2", "F2", "G2"}
    communities = wb["社区情况"]
    assert [[c.value for c in row] for row in communities.iter_rows(min_row=2)] == [
        [COMMUNITY, "东岗西路社区", "是", None, None, "直接选举"], [OTHER, "雁园社区", None, None, None, None]]
    assert [c.value for c in wb["试点地区"][2]] == ["620102", "城关区", "是", None]
    assert wb["选项"].sheet_state == "hidden"


def test_import_applies_every_sheet(office: Cli, tmp_path: Path) -> None:
    path = _fill(_template(office, tmp_path), {
        "社区社会组织": [[COMMUNITY, "东岗夕阳红服务队", "社区服务类", CREDIT, None, "是", "否"],
                         [int(OTHER), "雁园书画社", "文体娱乐类", None, "城关备字第002号", None, None]],
        "社会工作者": [[COMMUNITY, "张敏", "社会工作师", "2016001", "东岗西路社区居委会"], [OTHER, "李强", "无", None, None]],
        "试点地区": [["620102", "城关区", "否", "是"]],
    }, communities={COMMUNITY: ["是", "否", 900, "间接选举"]})
    result = office.json("registry", "import-excel", str(path), user="clerk")
    assert result == {"imported": True, "file": path.name, "organisations": 2, "workers": 2, "communities": 1,
                      "areas": 1}
    orgs = office.json("registry", "list", "orgs")
    assert [(o["community"], o["name"], o["has_social_workers"]) for o in orgs] == [
        (COMMUNITY, "东岗夕阳红服务队", True), (OTHER, "雁园书画社", False)]
    facts = office.json("registry", "list", "communities")
    assert facts == [{"community": COMMUNITY, "has_workroom": True, "in_federation": False,
                      "registered_volunteers": 900, "election": "indirect"}]
    assert office.json("registry", "list", "areas") == [{"region": "620102", "pilot": False, "has_association": True}]
    # The same workbook again: every registry row is there already, nothing is doubled.
    rc, out, err = office.run("registry", "import-excel", str(path), user="clerk")
    assert rc == 2 and "未导入任何内容" in err
    assert "已登记在另一个组织名下" in out and "在该社区已登记" in out
    assert len(office.json("registry", "list", "orgs")) == 2


def test_bad_rows_are_all_reported_and_nothing_is_imported(office: Cli, tmp_path: Path) -> None:
    path = _fill(_template(office, tmp_path), {
        "社区社会组织": [[COMMUNITY, "好的组织", "社区服务类", CREDIT, None, "是", "否"],
                         [COMMUNITY, "", "兴趣小组", None, None, "也许", None],
                         ["620103001001", "别处的组织", "其他", None, "备001", None, None]],
        "社会工作者": [[COMMUNITY, "王芳", "社会工作师", None, None]],
    }, communities={OTHER: [None, None, 5000, None]})
    rc, out, err = office.run("--json", "registry", "import-excel", str(path), user="clerk")
    assert rc == 2 and "未导入任何内容" in err and " / " in err
    problems = [(p["sheet"], p["row"], p["column"], p["message"]) for p in json.loads(out)["problems"]]
    assert ("社区社会组织", 3, "B", "请填写") in problems
    assert any(p[:3] == ("社区社会组织", 3, "C") and "不在可选项中" in p[3] for p in problems)
    assert any(p[:3] == ("社区社会组织", 3, "F") and "应为“是”或“否”" in p[3] for p in problems)
    assert any(p[:3] == ("社区社会组织", 4, "A") and "没有代码为" in p[3] for p in problems)
    assert ("社会工作者", 2, "D", "请填写") in problems
    assert any(p[:3] == ("社区情况", 3, "E") and "超过了社区居民总数" in p[3] for p in problems)
    assert not any(p[1] == 2 and p[0] == "社区社会组织" for p in problems)  # the good row is fine…
    assert office.json("registry", "list", "orgs") == []  # …and still not imported
    # A copy beside the file marks each bad cell and says what is wrong on each bad row.
    marked = Path(json.loads(out)["errors_file"])
    assert marked == tmp_path / "台账模板-错误标注.xlsx"
    wb = load_workbook(marked)
    orgs = wb["社区社会组织"]
    assert orgs["B3"].comment.text == "请填写" and orgs["B3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert orgs["H1"].value == "错误说明" and "C列（组织类别）" in orgs["H3"].value and orgs["H2"].value is None
    # Fixed in the copy, the copy imports (its 错误说明 column is ignored, earlier marks cleared).
    orgs["B3"], orgs["C3"], orgs["E3"], orgs["F3"] = "东岗舞蹈队", "文体娱乐类", "城关备010", "否"
    orgs.delete_rows(4)
    wb["社会工作者"]["D2"] = "2016009"
    wb["社区情况"]["E3"] = 10
    wb.save(marked)
    result = office.json("registry", "import-excel", str(marked), user="clerk")
    assert (result["organisations"], result["workers"], result["communities"]) == (2, 1, 1)


def test_only_clerks_import(office: Cli, tmp_path: Path) -> None:
    office.ok("user", "add", "rev", "--role", "reviewer")
    path = _template(office, tmp_path)
    rc, _, err = office.run("registry", "import-excel", str(path), user="rev")
    assert rc == 2 and "不能维护台账" in err


@pytest.mark.parametrize("damage", ["not-xlsx", "missing-sheet", "wrong-header", "formula", "empty"])
def test_malformed_workbooks_are_refused_cleanly(office: Cli, tmp_path: Path, damage: str) -> None:
    path = _template(office, tmp_path)
    if damage == "not-xlsx":
        path.write_text("代码,名称\n", encoding="utf-8")
        words = "不是 Excel 工作簿"
    elif damage == "empty":
        Workbook().save(path)
        words = "缺少工作表"
    else:
        wb = load_workbook(path)
        if damage == "missing-sheet":
            del wb["社会工作者"]
            words = "缺少工作表：社会工作者"
        elif damage == "wrong-header":
            wb["社区社会组织"]["B1"] = "名称"
            words = "B列应为“组织名称”"
        else:
            wb["社区社会组织"]["B2"] = "=A2"
            wb["社区社会组织"]["A2"] = COMMUNITY
            wb["社区社会组织"]["C2"] = "其他"
            wb["社区社会组织"]["E2"] = "备001"
            words = "含有公式"
        wb.save(path)
    rc, out, err = office.run("registry", "import-excel", str(path), user="clerk")
    assert rc == 2 and "Traceback" not in err
    assert words in out + err
    assert office.json("registry", "list", "orgs") == []
