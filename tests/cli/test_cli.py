"""The command line: every command's success, refusal with exit 2 and one clean line, JSON shapes."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from sanlian_desktop.cli import main
from tests.helpers import PASSWORD, example_declaration, receive_open_batch


class Cli:
    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.home = home
        self.capsys = capsys
        monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
        monkeypatch.setenv("SANLIAN_NEW_PASSWORD", PASSWORD)

    def run(self, *args: str, user: str | None = "admin") -> tuple[int, str, str]:
        argv = ["--home", str(self.home)] + (["--user", user] if user else []) + list(args)
        code = main(argv)
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
        assert " / " in err  # Chinese, then English
        return err


def write_decl(tmp_path: Path, **overrides: Any) -> Path:
    path = tmp_path / "decl.json"
    path.write_text(json.dumps(example_declaration(**overrides), ensure_ascii=False), "utf-8")
    return path


def add_batch(cli: Cli) -> None:
    from sanlian_desktop.store.engine import Store

    store = Store.open(cli.home)
    with store.session() as s:
        receive_open_batch(s)
    store.close()


def test_init_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    c = Cli(tmp_path / "x", capsys, monkeypatch)
    assert "不符" in c.refused("init", "--level", "county", "--region", "620100", "--name", "x", "--admin", "a", user=None)
    assert "没有代码" in c.refused("init", "--level", "county", "--region", "629999", "--name", "x", "--admin", "a",
                                 user=None)
    monkeypatch.setenv("SANLIAN_NEW_PASSWORD", "short")
    assert "至少" in c.refused("init", "--level", "province", "--region", "620000", "--name", "省厅", "--admin", "a",
                              user=None)
    assert not (tmp_path / "x" / "sanlian.db").exists()


def test_init_unknown_community_follows_its_code(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    c = Cli(tmp_path / "c", capsys, monkeypatch)
    c.ok("init", "--level", "community", "--region", "620102001001", "--name", "东岗西路社区", "--admin", "ad", user=None)
    regions = c.json("region", "list", user="ad")
    codes = {r["code"]: r for r in regions}
    assert codes["620102001001"]["parent"] == "620102001"
    from sanlian_desktop.models import Region
    from sanlian_desktop.store.engine import Store

    store = Store.open(tmp_path / "c")
    with store.session() as s:
        street = s.get(Region, "620102001")
        assert street is not None and street.parent_code == "620102" and street.level == "street"
    store.close()


def test_bad_arguments_are_one_chinese_line(cli: Cli) -> None:
    assert "命令行参数有误" in cli.refused("decl", "list", "--status", "nonsense")
    assert "不是日期" in cli.refused("batch", "add", "--name", "x", "--opens", "2016-13-01", "--closes", "2016-09-30")
    assert "命令行参数有误" in cli.refused("frobnicate")


def test_wrong_password_and_missing_user(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "--user" in cli.refused("decl", "list", user=None)
    monkeypatch.setenv("SANLIAN_PASSWORD", "wrong-password")
    assert "用户名或密码不正确" in cli.refused("decl", "list")


def test_declaration_round_trip(cli: Cli, tmp_path: Path) -> None:
    add_batch(cli)
    decl_id = cli.ok("decl", "new", "--file", str(write_decl(tmp_path)), user="clerk").strip()
    shown = cli.json("decl", "show", decl_id, user="clerk")
    assert {"id", "number", "version", "status", "awaiting_level", "fields", "granted", "opinions"} <= set(shown)
    assert shown["status"] == "draft" and shown["number"] == "2016-620102-0001"
    assert shown["fields"]["subsidy_requested"] == "50000.00"

    # The county keyed it in on paper: the street's paper opinion is needed.
    assert "纸质意见" in cli.refused("decl", "submit", decl_id, user="clerk")
    cli.ok("decl", "submit", decl_id, "--paper-opinion", "同意上报", "--paper-date",
           (date.today() - timedelta(days=1)).isoformat(), user="clerk")
    inbox = cli.json("inbox", user="rev")
    assert [i["id"] for i in inbox["items"]] == [decl_id]
    assert "审核人不能" in cli.refused("decl", "edit", decl_id, "--file", str(write_decl(tmp_path)), user="rev")
    assert "经办人不能" in cli.refused("review", decl_id, "--decision", "approve", "--opinion", "同意", user="clerk")
    cli.ok("review", decl_id, "--decision", "return", "--opinion", "请补充预算明细", user="rev")
    cli.ok("decl", "edit", decl_id, "--file", str(write_decl(tmp_path, title="修订后的项目")), user="clerk")
    diff = cli.json("decl", "diff", decl_id, user="clerk")
    assert [d["field"] for d in diff] == ["title"]
    cli.ok("decl", "submit", decl_id, "--paper-opinion", "同意", "--paper-date", date.today().isoformat(), user="clerk")
    cli.ok("review", decl_id, "--decision", "approve", "--opinion", "同意上报", user="rev")
    shown = cli.json("decl", "show", decl_id, user="rev")
    assert shown["status"] == "under_review" and shown["awaiting_level"] == "city"
    assert [(o["level"], o["decision"], o["version"]) for o in shown["opinions"]] == [
        ("street", "approve", 1), ("county", "return", 1), ("street", "approve", 2), ("county", "approve", 2)]
    text = cli.ok("decl", "show", decl_id, user="rev")
    assert "修订后的项目" in text and "退回修改" in text
    listing = cli.json("decl", "list", "--status", "under_review", user="rev")
    assert listing["total"] == 1
    assert "审计日志完好" in cli.ok("audit", "verify")


def test_refused_commands_change_nothing(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    assert "不是有效的 JSON" in cli.refused("decl", "new", "--file", str(bad), user="clerk")
    assert "无法读取" in cli.refused("decl", "new", "--file", str(tmp_path / "missing.json"), user="clerk")
    wrong = write_decl(tmp_path, budget_total="-1")
    assert "填写有误" in cli.refused("decl", "new", "--file", str(wrong), user="clerk")
    assert cli.json("decl", "list", user="clerk")["total"] == 0
    assert "没有找到" in cli.refused("decl", "show", "nonexistent-id", user="clerk")
    assert "省民政厅设立" in cli.refused("batch", "add", "--name", "x", "--opens", "2016-07-01", "--closes", "2016-09-30")


def test_region_import(cli: Cli, tmp_path: Path) -> None:
    csv_file = tmp_path / "r.csv"
    csv_file.write_text("代码,名称,城乡类型,常住人口\n620102002,广武门街道,,\n620102002001,广武门社区,城市,9000\n"
                        "620102002002,庙滩子村,农村,2300\n", "utf-8")
    assert cli.json("region", "import", str(csv_file))["imported"] == 3
    rows = {r["code"]: r for r in cli.json("region", "list", "--level", "community")}
    assert rows["620102002002"]["rural"] is True and rows["620102002001"]["population"] == 9000
    # One bad row refuses the whole file.
    bad = tmp_path / "bad.csv"
    bad.write_text("代码,名称\n620102003,新街道\n620103001001,外区社区\n", "utf-8")
    assert "第3行" in cli.refused("region", "import", str(bad))
    assert "620102003" not in {r["code"] for r in cli.json("region", "list")}
    assert "拼音" not in cli.ok("region", "list", "--search", "dgxl")
    assert "东岗西路社区" in cli.ok("region", "list", "--search", "dgxl")


def test_users(cli: Cli) -> None:
    users = cli.json("user", "list")
    assert {u["username"]: u["role"] for u in users} == {"admin": "admin", "clerk": "clerk", "rev": "reviewer"}
    assert "已存在" in cli.refused("user", "add", "clerk", "--role", "clerk")
    assert "管理员" in cli.refused("user", "add", "x1", "--role", "clerk", user="clerk")
    assert cli.json("user", "disable", "clerk") == {"username": "clerk", "active": False}
    assert "clerk\tclerk\t经办人\t已停用" in cli.ok("user", "list")
    assert "账户“clerk”已停用" in cli.refused("user", "list", user="clerk")
    assert "不能停用自己的账户" in cli.refused("user", "disable", "admin")
    assert "已启用用户 clerk" in cli.ok("user", "enable", "clerk")
    assert {u["username"]: u["active"] for u in cli.json("user", "list", user="clerk")}["clerk"] is True


def test_init_takes_the_admins_name(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    c = Cli(tmp_path / "street", capsys, monkeypatch)
    c.ok("init", "--level", "county", "--region", "620103", "--name", "七里河区民政局", "--admin", "chief",
         "--admin-name", " 王建国 ", user=None)
    assert c.json("user", "list", user="chief")[0]["display_name"] == "王建国"


def test_demo_and_lists(cli: Cli) -> None:
    summary = cli.json("demo", "--count", "120")
    assert summary["declarations"] == 120
    listing = cli.json("decl", "list", "--limit", "10", user="rev")
    assert listing["total"] == 120 and len(listing["items"]) == 10
    statuses = {i["status"] for i in cli.json("decl", "list", "--limit", "0", user="rev")["items"]}
    # A county's demo: its own opinions and the streets' (from paper); only the province approves.
    assert statuses == {"draft", "under_review", "returned", "rejected"}
    inbox = cli.json("inbox", "--limit", "0", user="rev")
    assert inbox["total"] > 0
    assert all(i["status"] in ("under_review", "returned") for i in inbox["items"])
    assert "审计日志完好" in cli.ok("audit", "verify")


def test_attachments_listed_and_removed_before_they_travel(cli: Cli, tmp_path: Path) -> None:
    add_batch(cli)
    decl_id = cli.ok("decl", "new", "--file", str(write_decl(tmp_path)), user="clerk").strip()
    photo = tmp_path / "照片.jpg"
    photo.write_bytes(b"jpeg")
    cli.ok("decl", "attach", decl_id, str(photo), "--kind", "photo", user="clerk")
    listed = cli.json("decl", "attachments", decl_id, user="clerk")
    assert [(a["name"], a["kind"], a["removable"]) for a in listed] == [("照片.jpg", "photo", True)]
    assert "照片" in cli.ok("decl", "attachments", decl_id, user="clerk")
    assert "没有这个附件" in cli.refused("decl", "detach", decl_id, str(listed[0]["id"] + 99), user="clerk")
    assert "审核人不能" in cli.refused("decl", "detach", decl_id, str(listed[0]["id"]), user="rev")
    assert "已删除附件 照片.jpg" in cli.ok("decl", "detach", decl_id, str(listed[0]["id"]), user="clerk")
    assert cli.json("decl", "attachments", decl_id, user="clerk") == []
    assert "审计日志完好" in cli.ok("audit", "verify")
