"""The implementation commands on one office: --json output, refusals as one line with exit code 2."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sanlian_desktop.cli import main
from tests.helpers import PASSWORD
from tests.implementation.conftest import Project

ORG = "城关区和煦社会工作服务中心"


def run(project: Project, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["--home", str(project.office.home), "--user", "clerk", *args])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)


def test_commands_and_json(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    with project.office.session() as s:
        number = project.decl(s).number
    rc, out, err = run(project, capsys, "--json", "tender", number, "--date", "2016-09-25", "--bidder", ORG,
                       "--winner", ORG)
    assert rc == 0, err
    tender_id = json.loads(out)["id"]
    rc, out, _ = run(project, capsys, "tender", number, "--date", "2016-09-26", "--bidder", ORG, "--winner", ORG,
                     "--supersedes", tender_id[:8], "--reason", "日期录错")
    assert rc == 0 and "并更正了之前的记录" in out
    rc, _, err = run(project, capsys, "workers", "add", number, "--name", "李娟", "--certificate", "社工")
    assert rc == 2 and err.count("\n") == 1 and err.startswith("证书等级：应为") and " / " in err
    rc, _, err = run(project, capsys, "disburse", number, "--date", "2016-10-10", "--amount", "45000.01",
                     "--tranche", "1")
    assert rc == 2 and "超过批准补助" in err
    rc, out, _ = run(project, capsys, "--json", "project", "list", "--today", "2017-01-20")
    listed: list[dict[str, Any]] = json.loads(out)
    assert [w["code"] for w in listed[0]["warnings"]] == ["report_overdue"]
    rc, out, _ = run(project, capsys, "project", "list", "--warnings-only", "--today", "2016-10-02")
    assert rc == 0 and "没有有预警的项目" in out
    rc, out, _ = run(project, capsys, "project", "show", number, "--today", "2016-10-02")
    assert "招标：2016-09-26" in out and "（另有 1 条记录已被更正）" in out and "预警：无" in out


def test_an_unknown_declaration_is_refused(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(project, capsys, "project", "show", "no-such-number")
    assert rc == 2 and "没有找到申报" in err
