"""The command line: indicators as a table and as JSON, registry commands and their refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sanlian_desktop.cli import main
from sanlian_desktop.kernel.checks import credit_code_check_char
from tests.helpers import PASSWORD

BODY = "52620102MJ0000001"
CREDIT = BODY + credit_code_check_char(BODY)


class Cli:
    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.home = home
        self.capsys = capsys

    def run(self, *args: str, user: str | None = "admin") -> tuple[int, str, str]:
        code = main(["--home", str(self.home)] + (["--user", user] if user else []) + list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str, user: str | None = "admin") -> str:
        code, out, err = self.run(*args, user=user)
        assert code == 0, err
        return out

    def json(self, *args: str, user: str | None = "admin") -> Any:
        return json.loads(self.ok("--json", *args, user=user))

    def refused(self, *args: str, user: str | None = "admin") -> str:
        code, out, err = self.run(*args, user=user)
        assert code == 2, (out, err)
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err
        assert " / " in err
        return err


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
    monkeypatch.setenv("SANLIAN_NEW_PASSWORD", PASSWORD)
    c = Cli(tmp_path / "county", capsys)
    c.ok("init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin", user=None)
    c.ok("user", "add", "clerk", "--role", "clerk")
    c.ok("user", "add", "rev", "--role", "reviewer")
    c.ok("region", "add", "--code", "620102001", "--name", "东岗街道")
    c.ok("region", "add", "--code", "620102001001", "--name", "东岗西路社区", "--population", "8640")
    return c


def test_registry_commands_and_indicators_json(cli: Cli) -> None:
    org = cli.json("registry", "add-org", "--community", "620102001001", "--name", "东岗夕阳红服务队",
                   "--kind", "社区服务类", "--credit-code", CREDIT, "--social-workers", user="clerk")
    assert org["credit_code"] == CREDIT and org["has_social_workers"] is True
    cli.ok("registry", "add-worker", "--community", "620102001001", "--name", "张敏", "--certificate", "社会工作师",
           "--certificate-number", "S001", user="clerk")
    cli.ok("registry", "set-community", "620102001001", "--workroom", "是", "--volunteers", "900",
           "--election", "direct", user="clerk")
    cli.ok("registry", "set-area", "620102", "--association", "yes", user="clerk")
    assert len(cli.json("registry", "list", "orgs")) == 1
    assert cli.json("registry", "list", "workers")[0]["certificate_level"] == "社会工作师"
    assert cli.json("registry", "list", "communities")[0]["registered_volunteers"] == 900
    assert cli.json("registry", "list", "areas") == [{"region": "620102", "pilot": True, "has_association": True}]

    data = cli.json("indicators", user="rev")
    assert data["root"] == "620102"
    assert [r["code"] for r in data["regions"]] == ["620102", "620102001", "620102001001"]
    for region in data["regions"]:
        assert {"code", "name", "level", "communities", "targets"} <= set(region)
        for target in region["targets"]:
            assert {"key", "label", "value", "threshold", "met", "missing", "unknown", "note"} <= set(target)
    county = {t["key"]: t for t in data["regions"][0]["targets"]}
    assert county["workroom"]["met"] is True
    assert county["association"]["met"] is True
    assert county["orgs_per_community"]["missing"] == ["620102001001"]
    assert data["names"]["620102001001"] == "东岗西路社区"
    assert {"total", "by_status", "awaiting_by_level", "approval_rate", "return_rate", "median_days_waiting",
            "granted_by_city", "granted_by_focus_area"} <= set(data["pipeline"])
    assert [r["level"] for r in cli.json("indicators", "--down-to", "street")["regions"]] == ["county", "street"]
    assert cli.json("indicators", "--region", "620102001")["root"] == "620102001"


def test_indicators_table(cli: Cli) -> None:
    out = cli.ok("indicators")
    assert "试点目标完成情况" in out and "东岗西路社区" in out
    assert "每个社区设有社会工作室" in out and "申报进度：共 0 份" in out


@pytest.mark.parametrize(
    ("args", "user", "words"),
    [
        (("registry", "add-org", "--community", "620102001001", "--name", "x", "--kind", "其他",
          "--credit-code", BODY + "0"), "clerk", "统一社会信用代码"),
        (("registry", "add-org", "--community", "620102001001", "--name", "x", "--kind", "其他"), "clerk",
         "须填写其中一项"),
        (("registry", "add-org", "--community", "620102001001", "--name", "x", "--kind", "其他",
          "--record-number", "备001"), "rev", "审核人不能维护台账"),
        (("registry", "add-worker", "--community", "620102001", "--name", "张敏"), "clerk", "不是社区"),
        (("registry", "set-community", "620102001001"), "clerk", "请至少给出一项"),
        (("registry", "set-community", "620102001001", "--workroom", "maybe"), "clerk", "命令行参数有误"),
        (("registry", "set-area", "620102001", "--association", "no"), "clerk", "不是县级区划"),
        (("indicators", "--region", "620103"), "admin", "不在本单位辖区内"),
        (("indicators", "--region", "999999"), "admin", "没有代码为"),
    ],
)
def test_refusals(cli: Cli, args: tuple[str, ...], user: str, words: str) -> None:
    assert words in cli.refused(*args, user=user)


def test_demo_fills_registries_with_gaps(cli: Cli) -> None:
    summary = cli.json("demo", "--count", "120", "--communities", "40")
    assert summary["communities"] == 40
    assert summary["organisations"] > 0 and summary["social_workers"] > 0 and summary["community_facts"] == 40
    data = cli.json("indicators", "--down-to", "county")
    assert data["pipeline"]["total"] == 120
    targets = {t["key"]: t for t in data["regions"][0]["targets"]}
    # Realistic gaps: some communities meet the organisation target, most do not.
    missing = len(targets["orgs_per_community"]["missing"])
    assert 0 < missing < 40
    assert cli.json("registry", "list", "orgs")[0]["credit_code"] or cli.json("registry", "list", "orgs")[0][
        "record_number"]


def test_demo_fills_the_sync_columns(cli: Cli) -> None:
    cli.json("demo", "--count", "20", "--communities", "30")
    orgs = cli.json("registry", "list", "orgs")
    assert len({o["uid"] for o in orgs}) == len(orgs) and {o["office"] for o in orgs} == {"620102"}
    workers = cli.json("registry", "list", "workers")
    assert len({w["uid"] for w in workers}) == len(workers)
    assert all(isinstance(a["pilot"], bool) for a in cli.json("registry", "list", "areas"))


def test_indicators_export_excel_and_pdf(cli: Cli, tmp_path: Path) -> None:
    import shutil
    import subprocess

    import openpyxl

    out = tmp_path / "导出"
    out.mkdir()
    cli.ok("registry", "set-community", "620102001001", "--workroom", "否", user="clerk")
    text = cli.ok("indicators", "--xlsx", str(out / "统计.xlsx"), "--pdf", str(out / "统计.pdf"))
    assert f"已导出 Excel：{out / '统计.xlsx'}" in text and f"已导出 PDF：{out / '统计.pdf'}" in text
    wb = openpyxl.load_workbook(out / "统计.xlsx")
    missing = [r[:3] for r in wb["未达标社区"].iter_rows(min_row=4, values_only=True)]
    assert ("社工室", "620102001001", "东岗西路社区") in missing
    assert [r[0] for r in wb["分区情况"].iter_rows(min_row=4, values_only=True)] == ["620102", "620102001",
                                                                                    "620102001001"]
    if shutil.which("pdftotext"):
        pdf = subprocess.run(["pdftotext", str(out / "统计.pdf"), "-"], capture_output=True, text=True,
                             check=True).stdout
        assert "城关区“三社联动”试点目标完成情况与申报进度统计" in pdf and "东岗西路社区" in pdf

    data = cli.json("indicators", "--region", "620102001", "--down-to", "street", "--xlsx", str(out / "街道.xlsx"))
    assert data == {"root": "620102001", "xlsx": str(out / "街道.xlsx"), "pdf": None, "warnings": []}
    codes = [r[0] for r in openpyxl.load_workbook(out / "街道.xlsx")["分区情况"].iter_rows(min_row=4, values_only=True)]
    assert codes == ["620102001"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--xlsx", "{out}/统计.pdf"), "Excel 文件名应以 .xlsx 结尾"),
        (("--pdf", "{out}/统计.xlsx"), "PDF 文件名应以 .pdf 结尾"),
        (("--pdf", "{out}/没有这个文件夹/统计.pdf"), "不存在"),
        (("--xlsx", "{out}/文件夹.xlsx"), "是一个文件夹"),
        (("--font", "/usr/share/fonts/x.ttf"), "--font 只用于 --pdf"),
        (("--region", "620103", "--xlsx", "{out}/a.xlsx"), "不在本单位辖区内"),
    ],
)
def test_indicators_export_refusals(cli: Cli, tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    out = tmp_path / "导出"
    out.mkdir()
    (out / "文件夹.xlsx").mkdir()
    err = cli.refused("indicators", *(a.format(out=out) for a in args))
    assert words in err
    assert [p.name for p in out.iterdir()] == ["文件夹.xlsx"]  # nothing written
