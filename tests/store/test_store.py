"""The store: pragmas, migrations, an older store opening, a newer store refused, the audit chain."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text

from sanlian_desktop.declarations import drafts, lookup
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models import AuditEntry, Declaration
from sanlian_desktop.store import audit
from sanlian_desktop.store.engine import HEAD_REVISION, Store
from tests.helpers import Office, example_declaration

DATA = Path(__file__).resolve().parents[1] / "data"


def test_pragmas(county: Office) -> None:
    with county.store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_missing_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="init"):
        Store.open(tmp_path / "nothing")


def test_first_released_store_opens_and_migrates(tmp_path: Path) -> None:
    """A store made by the first released schema (kept under tests/data) opens in this version."""
    home = tmp_path / "old"
    home.mkdir()
    shutil.copy(DATA / "store-0001.sqlite", home / "sanlian.db")
    backups: list[str] = []
    store = Store(Store.open(home, migrate=False).paths)
    store.migrate(before_upgrade=lambda s: backups.append("taken"))
    assert store.schema_revision() == HEAD_REVISION
    with store.session() as s:
        decl = s.scalars(select(Declaration)).first()
        assert decl is not None and decl.title
        assert lookup.as_dict(s, decl)["opinions"]
        assert audit.verify(s).ok
    store.close()


def test_newer_store_is_refused_untouched(tmp_path: Path) -> None:
    home = tmp_path / "new"
    home.mkdir()
    shutil.copy(DATA / "store-0001.sqlite", home / "sanlian.db")
    with sqlite3.connect(home / "sanlian.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = (home / "sanlian.db").read_bytes()
    with pytest.raises(UserError, match="更新版本"):
        Store.open(home)
    assert (home / "sanlian.db").read_bytes() == before


@pytest.mark.engines
def test_failed_unit_of_work_changes_nothing(county: Office) -> None:
    with pytest.raises(RuntimeError), county.session() as s:
        drafts.create(s, county.clerk, example_declaration())
        raise RuntimeError("power cut")
    with county.session() as s:
        assert s.scalars(select(Declaration)).first() is None


@pytest.mark.engines
@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("UPDATE audit_log SET username = 'mallory' WHERE seq = 2", "内容被改动"),
        ("DELETE FROM audit_log WHERE seq = 2", "缺失"),
        ("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)", "末尾"),
        ("UPDATE audit_log SET details = '{\"role\": \"admin\"}' WHERE seq = 3", "内容被改动"),
    ],
)
def test_audit_tampering_detected(county: Office, sql: str, words: str) -> None:
    with county.session() as s:
        assert audit.verify(s).ok
        assert s.scalar(select(AuditEntry).where(AuditEntry.seq == 3)) is not None
    with county.store.engine.begin() as conn:  # past the program, straight into the database
        conn.execute(text(sql))
    with county.store.session() as s:
        report = audit.verify(s)
    assert not report.ok
    assert any(words in p for p in report.problems), report.problems


@pytest.mark.engines
def test_migrations_match_the_models(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> None:
    """Running every migration gives exactly the schema the models describe, on either engine."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sanlian_desktop.models import Base
    from sanlian_desktop.store.engine import alembic_config, make_engine

    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
    else:
        url = request.getfixturevalue("pg_server").new_database(migrated=False)
    made = make_engine(url)
    command.upgrade(alembic_config(made), "head")
    with made.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    made.dispose()
