"""PostgreSQL only: an office whose store is on a server, set up with ``init --database`` on one computer
and joined with ``join --database`` from another; the address is kept, a password never."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select

from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.models import Declaration
from sanlian_desktop.store import attachments
from sanlian_desktop.store.engine import Store
from tests.cli.test_cli import Cli, add_batch, write_decl
from tests.pgserver import PASSWORD, PgServer


def test_init_on_a_server_and_join_from_a_second_home(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch, pg_server: PgServer) -> None:
    url = pg_server.new_database()
    first = Cli(tmp_path / "first", capsys, monkeypatch)
    first.ok("init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin",
             "--database", url, user=None)
    assert not (first.home / "sanlian.db").exists()
    saved = json.loads((first.home / "database.json").read_text("utf-8"))
    assert make_url(saved["url"]) == make_url(url)  # the address as given: it holds no password to strip
    first.ok("user", "add", "clerk", "--role", "clerk")

    second = Cli(tmp_path / "second", capsys, monkeypatch)
    joined = second.json("join", "--database", url, user=None)
    assert (joined["region"], joined["name"]) == ("620102", "城关区民政局")
    listed = second.json("user", "list")
    assert {u["username"] for u in listed} >= {"admin", "clerk"}  # the first computer's user, seen here
    assert "不能重复初始化" in first.refused(
        "init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin",
        "--database", url, user=None)
    assert "已有本单位的数据" in second.refused("join", "--database", url, user=None)


def test_server_addresses_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch, pg_server: PgServer) -> None:
    cli = Cli(tmp_path / "home", capsys, monkeypatch)
    empty = pg_server.new_database(migrated=False)
    assert "还没有单位的数据" in cli.refused("join", "--database", empty, user=None)
    assert not (cli.home / "database.json").exists()
    with_password = empty.replace("sanlian@", "sanlian:secret@")
    assert "不要把数据库密码写在地址里" in cli.refused("join", "--database", with_password, user=None)
    assert "postgresql+psycopg://" in cli.refused("join", "--database", "mysql://u@h/db", user=None)
    missing = str(make_url(empty).set(database="no_such_db").render_as_string(hide_password=False))
    assert "连接数据库服务器失败" in cli.refused("join", "--database", missing, user=None)
    assert not (cli.home / "database.json").exists()


def test_the_password_comes_from_pgpassword(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch, pg_server: PgServer) -> None:
    url = pg_server.password_url(pg_server.new_database())
    monkeypatch.delenv("PGPASSWORD", raising=False)
    first = Cli(tmp_path / "first", capsys, monkeypatch)
    assert "连接数据库服务器失败" in first.refused(
        "init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin",
        "--database", url, user=None)  # no password anywhere, no terminal to ask on
    assert not (first.home / "database.json").exists()
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    first.ok("init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin",
             "--database", url, user=None)
    assert PASSWORD not in (first.home / "database.json").read_text("utf-8")
    assert any(u["username"] == "admin" for u in first.json("user", "list"))
    monkeypatch.setenv("PGPASSWORD", "wrong")
    assert "连接数据库服务器失败" in first.refused("user", "list")



def test_an_office_moves_onto_a_server(cli: Cli, tmp_path: Path, pg_server: PgServer) -> None:
    """The county's store goes from its file onto the server; everything comes along, the file is kept,
    and new rows continue after the copied ones."""
    add_batch(cli)
    decl_id = cli.ok("decl", "new", "--file", str(write_decl(tmp_path)), user="clerk").strip()
    minutes = tmp_path / "会议记录.pdf"
    minutes.write_bytes(b"%PDF-1.4 minutes of the residents' meeting " * 200)
    cli.ok("decl", "attach", decl_id, str(minutes), "--kind", "minutes", user="clerk")
    before = cli.json("decl", "show", decl_id)
    users_before = cli.json("user", "list")
    assert "不能迁移数据" in cli.refused("move", "--database", pg_server.new_database(), user="clerk")
    url = pg_server.new_database()
    moved = cli.json("move", "--database", url)
    assert moved["rows"]["region"] > 0 and moved["rows"]["declaration"] == 1
    assert moved["attachments"] == 1 and moved["missing_attachments"] == []
    # Another workstation joining the office opens the attachment from the server.
    second = tmp_path / "second-workstation"
    second.mkdir()
    (second / "database.json").write_bytes((cli.home / "database.json").read_bytes())
    sha = hashlib.sha256(minutes.read_bytes()).hexdigest()
    assert attachments.blob_path(AppPaths(second), sha).read_bytes() == minutes.read_bytes()
    assert not (cli.home / "sanlian.db").exists() and Path(moved["kept_file"]).is_file()
    assert cli.json("decl", "show", decl_id) == before
    cli.ok("user", "add", "clerk2", "--role", "clerk")  # a new id after the copied ones
    assert len(cli.json("user", "list")) == len(users_before) + 1
    assert "检查结果：正常" in cli.ok("check")
    assert "已经在数据库服务器上" in cli.refused("move", "--database", url)
    other = Cli(tmp_path / "other", cli.capsys, pytest.MonkeyPatch())
    other.ok("init", "--level", "county", "--region", "620103", "--name", "七里河区民政局", "--admin", "admin",
             user=None)
    assert "只能迁入空数据库" in other.refused("move", "--database", url)
    assert (other.home / "sanlian.db").exists() and not (other.home / "database.json").exists()


def test_backup_and_restore_of_an_office_on_a_server(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch, pg_server: PgServer) -> None:
    """The same commands as for one computer: backup (pg_dump), restore (the server's data replaced);
    a damaged file is refused in one line and changes nothing."""
    cli = Cli(tmp_path / "home", capsys, monkeypatch)
    cli.ok("init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin",
           "--database", pg_server.new_database(), user=None)
    cli.ok("user", "add", "clerk", "--role", "clerk")
    out = tmp_path / "城关区-备份.zip"
    taken = cli.json("backup", "--out", str(out))
    assert taken["path"] == str(out) and out.is_file()
    cli.ok("user", "add", "clerk2", "--role", "clerk")  # after the backup
    damaged = tmp_path / "damaged.zip"
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    assert "已损坏" in cli.refused("restore", str(damaged))
    assert "clerk2" in {u["username"] for u in cli.json("user", "list")}
    restored = cli.json("restore", str(out))
    assert restored["previous_backup"] and Path(restored["previous_backup"]).is_file()
    assert {u["username"] for u in cli.json("user", "list")} == {"admin", "clerk"}
    monkeypatch.setenv("SANLIAN_PG_BINDIR", str(tmp_path / "nowhere"))
    assert "postgresql-client" in cli.refused("backup", "--out", str(tmp_path / "again.zip"))


def test_an_office_moves_from_a_server_back_into_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch, pg_server: PgServer) -> None:
    """Everything comes back, attachments included (fetched from the server where this computer has
    none); the server's database is left as it was; a home on a file is not moved 'back' again."""
    url = pg_server.new_database()
    cli = Cli(tmp_path / "home", capsys, monkeypatch)
    cli.ok("init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin",
           "--database", url, user=None)
    cli.ok("user", "add", "clerk", "--role", "clerk")
    add_batch(cli)
    decl_id = cli.ok("decl", "new", "--file", str(write_decl(tmp_path)), user="clerk").strip()
    minutes = tmp_path / "会议记录.pdf"
    minutes.write_bytes(b"%PDF-1.4 minutes " * 300)
    cli.ok("decl", "attach", decl_id, str(minutes), "--kind", "minutes", user="clerk")
    sha = hashlib.sha256(minutes.read_bytes()).hexdigest()
    attachments.cache_path(AppPaths(cli.home), sha).unlink()  # as if attached on another workstation
    before = cli.json("decl", "show", decl_id)
    assert "不能迁移数据" in cli.refused("move", "--to-file", user="clerk")
    moved = cli.json("move", "--to-file")
    assert moved["rows"]["declaration"] == 1 and moved["attachments"] == 1 and moved["missing_attachments"] == []
    assert "attachment_content" not in moved["rows"]
    assert (cli.home / "sanlian.db").is_file() and not (cli.home / "database.json").exists()
    assert Path(moved["kept_settings"]).is_file()
    assert attachments.blob_path(AppPaths(cli.home), sha).read_bytes() == minutes.read_bytes()
    assert cli.json("decl", "show", decl_id) == before
    cli.ok("user", "add", "clerk2", "--role", "clerk")  # new ids continue after the copied ones
    assert "检查结果：正常" in cli.ok("check")
    assert "已经保存在本机" in cli.refused("move", "--to-file")
    # The server still holds the office: another workstation could move it down again.
    server = Store.connect(AppPaths(tmp_path / "elsewhere"), url)
    try:
        with server.read_session() as s:
            assert s.scalar(select(func.count()).select_from(Declaration)) == 1
    finally:
        server.close()


def test_store_move_names_the_same_moves(cli: Cli, tmp_path: Path, pg_server: PgServer) -> None:
    """``store move --to URL`` and ``store move --to file``: the two moves under the plan's name."""
    add_batch(cli)
    decl_id = cli.ok("decl", "new", "--file", str(write_decl(tmp_path)), user="clerk").strip()
    before = cli.json("decl", "show", decl_id)
    rc, _, err = cli.run("store", "move", "--to", "ftp://somewhere/sanlian")
    assert rc == 2 and "应以 postgresql+psycopg:// 开头" in err and "Traceback" not in err
    assert (cli.home / "sanlian.db").is_file() and not (cli.home / "database.json").exists()
    up = cli.json("store", "move", "--to", pg_server.new_database())
    assert up["rows"]["declaration"] == 1 and not (cli.home / "sanlian.db").exists()
    down = cli.json("store", "move", "--to", "file")
    assert down["rows"]["declaration"] == 1 and (cli.home / "sanlian.db").is_file()
    assert cli.json("decl", "show", decl_id) == before
