"""backup, restore and check on the command line: success lines, refusals as one line with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sanlian_desktop.cli import main
from sanlian_desktop.store import attachments
from tests.helpers import PASSWORD, Office
from tests.shipping.helpers import add_declaration_with_attachment, fingerprint


@pytest.fixture
def run(county: Office, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)

    def _run(*args: str, user: str | None = "admin") -> tuple[int, str, str]:
        code = main(["--home", str(county.home)] + (["--user", user] if user else []) + list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def _refused(result: tuple[int, str, str], text: str) -> None:
    code, _out, err = result
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert text in err and " / " in err


def test_backup_then_restore(run, county: Office, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_declaration_with_attachment(county, tmp_path)
    code, out, err = run("backup", "--out", str(tmp_path / "b.zip"))
    assert code == 0, err
    assert "已备份到" in out and "附件 1 个" in out and "已加密" in out
    county.store.close()
    code, out, err = run("restore", str(tmp_path / "b.zip"))
    assert code == 0, err
    assert "已从" in out and "恢复前的数据已备份到" in out
    code, out, err = run("--json", "check", user=None)
    assert code == 0 and json.loads(out)["ok"] is True


def test_automatic_location_when_no_out_is_given(run, county: Office) -> None:  # type: ignore[no-untyped-def]
    code, out, _err = run("backup")
    assert code == 0 and "backups" in out


def test_refusals(run, county: Office, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("backup", "--out", str(tmp_path / "b.zip"))
    county.store.close()
    before = fingerprint(county.home)
    _refused(run("backup", "--out", str(tmp_path / "b.zip")), "已存在")
    _refused(run("backup", "--out", str(tmp_path / "b.txt")), ".zip")
    _refused(run("backup", "--out", str(tmp_path / "nowhere" / "b.zip")), "不存在")
    (tmp_path / "junk.zip").write_bytes(b"junk" * 100)
    _refused(run("restore", str(tmp_path / "junk.zip")), "不是本程序的备份文件")
    _refused(run("restore", str(tmp_path / "missing.zip")), "找不到备份文件")
    _refused(run("restore", str(tmp_path / "b.zip"), user="clerk"), "只有管理员")
    _refused(run("restore", str(tmp_path / "b.zip"), user=None), "--user")
    assert fingerprint(county.home) == before


def test_restore_is_refused_while_the_program_runs(run, county: Office, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sanlian_desktop.store import instance

    run("backup", "--out", str(tmp_path / "b.zip"))
    with instance.acquire(county.store.paths):
        _refused(run("restore", str(tmp_path / "b.zip")), "已经打开了同一份数据")


def test_backup_of_another_office_is_refused(run, county: Office, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sanlian_desktop.store import backup
    from tests.helpers import make_office

    other = make_office(tmp_path / "other", "county", "620103", "七里河区民政局", with_regions=False)
    backup.take(other.store, reason="manual", out=tmp_path / "other.zip")
    other.store.close()
    _refused(run("restore", str(tmp_path / "other.zip")), "不是本单位的数据")


def test_restore_when_the_store_is_destroyed_signs_in_against_the_backup(  # type: ignore[no-untyped-def]
        run, county: Office, tmp_path: Path) -> None:
    run("backup", "--out", str(tmp_path / "b.zip"))
    county.store.close()
    for path in county.home.glob("sanlian.db*"):
        path.unlink()
    (county.home / "sanlian.db").write_bytes(b"garbage" * 5000)
    _refused(run("check", user=None), "不是本程序的数据文件")
    before = fingerprint(county.home)
    # The backup is encrypted: only an administrator's own password opens it, even with no store to ask.
    _refused(run("restore", str(tmp_path / "b.zip"), user="clerk"), "不是城关区民政局（620102）的管理员")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SANLIAN_PASSWORD", "not-the-password")
        _refused(run("restore", str(tmp_path / "b.zip")), "密码不正确")
    assert fingerprint(county.home) == before
    code, out, err = run("restore", str(tmp_path / "b.zip"))
    assert code == 0, err
    assert "原有数据无法备份" in out
    assert run("check", user=None)[0] == 0


def test_check_reports_a_damaged_attachment_with_exit_2(run, county: Office, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _decl, sha = add_declaration_with_attachment(county, tmp_path)
    attachments.blob_path(county.store.paths, sha).write_bytes(b"changed")
    code, out, err = run("check", user=None)
    assert code == 2
    assert "损坏 1 个" in out and "检查结果：发现 1 处问题" in out
    assert err.strip() == "检查发现 1 处问题 / check found 1 problems"
