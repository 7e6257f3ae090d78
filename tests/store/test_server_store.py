"""PostgreSQL only: a store on a database server, as its home folder records it (the address, never a
password), refused when newer, and backed up with pg_dump."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.store import backup
from sanlian_desktop.store.engine import HEAD_REVISION, Store, read_server_url, server_url
from tests.helpers import Office
from tests.pgserver import PgServer


def test_server_url_is_kept_without_password() -> None:
    assert server_url("postgresql://clerk:secret@db.example/sanlian") == "postgresql+psycopg://clerk@db.example/sanlian"
    for bad, words in (("sqlite:///x.db", "应以 postgresql"), ("postgresql+psycopg://u@h", "数据库名"),
                       ("postgresql+asyncpg://u@h/db", "psycopg"), ("not a url", "格式不对")):
        with pytest.raises(UserError, match=words):
            server_url(bad)


def test_a_home_on_a_server(tmp_path: Path, pg_server: PgServer) -> None:
    url = pg_server.new_database()
    store = Store.open(tmp_path / "home", create=True, database=url)
    try:
        assert store.on_server and not store.paths.database.exists()
        assert read_server_url(store.paths) is not None
        assert backup.take_daily(store) is not None  # pg_dump (tests/store/test_server_backup.py)
        assert not store.paths.database.exists()
    finally:
        store.close()
    again = Store.open(tmp_path / "home")  # the home says where the store is
    try:
        assert again.on_server and again.schema_revision() == HEAD_REVISION
        with again.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        again.close()
    with pytest.raises(UserError, match="更新版本"):
        Store.open(tmp_path / "home")
    (tmp_path / "home" / "database.json").write_text(json.dumps({"address": url}), "utf-8")
    with pytest.raises(UserError, match="已损坏"):
        Store.open(tmp_path / "home")


def test_a_missing_driver_is_one_clear_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from sanlian_desktop.store.engine import make_engine

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as in a build without the driver
    monkeypatch.delitem(sys.modules, "sqlalchemy.dialects.postgresql.psycopg", raising=False)
    with pytest.raises(UserError, match="未包含 PostgreSQL 的驱动"):
        make_engine("postgresql+psycopg://u@localhost/db")


@pytest.mark.engines
def test_a_store_knows_its_engine(county: Office, engine: str) -> None:
    assert county.store.on_server is (engine == "postgresql")
    assert county.store.paths.database.exists() is (engine == "sqlite")


def test_two_computers_upgrading_at_once_migrate_once(tmp_path: Path, pg_server: PgServer) -> None:
    url = pg_server.new_database(migrated=False)
    made = Store.open(tmp_path / "first", create=True, database=url, migrate=False)
    made.close()
    barrier = threading.Barrier(2, timeout=30)
    results: list[object] = [None, None]

    def open_home(i: int) -> None:
        home = tmp_path / ("first" if i == 0 else "second")
        if i == 1:
            (home).mkdir()
            (home / "database.json").write_bytes((tmp_path / "first" / "database.json").read_bytes())
        try:
            barrier.wait()
            store = Store.open(home)  # both find an empty schema and migrate it
            results[i] = store.schema_revision()
            store.close()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=open_home, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert results == [HEAD_REVISION, HEAD_REVISION]
