"""The local store: a SQLite file (or another SQLAlchemy URL), its schema migrations and sessions."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration this version of the program knows. A store stamped with a revision not in
# KNOWN_REVISIONS was made by a newer program and is refused untouched.
HEAD_REVISION = "0012"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011", "0012")


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Larger pages make the store a third smaller and inserts faster; only a new file takes it.
    cursor.execute("PRAGMA page_size=8192")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, full sync and foreign keys on every connection."""
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Store:
    """One store: its folders, its engine and a factory of short-lived sessions."""

    def __init__(self, paths: AppPaths, url: str | None = None) -> None:
        self.paths = paths
        self.url = url or f"sqlite:///{paths.database}"
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, home: Path, *, create: bool = False, migrate: bool = True) -> Store:
        """Open the store in ``home``; refuses a missing store unless ``create``."""
        paths = AppPaths(Path(home))
        if not create and not paths.database.exists():
            raise UserError(
                f"在 {paths.home} 没有找到数据，请先运行 init 初始化本单位",
                f"no store in {paths.home}; run 'init' first",
            )
        if paths.database.exists():
            refuse_newer(peek_revision(paths.database))
        paths.ensure()
        store = cls(paths)
        if migrate:
            from sanlian_desktop.store import backup

            store.migrate(before_upgrade=lambda s: backup.take(s, reason="before-upgrade"))
        return store

    def close(self) -> None:
        """Release every connection (and with it the SQLite file)."""
        self.engine.dispose()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def read_session(self) -> Session:
        """A session for reading only; the caller closes it."""
        return self._sessions()

    # -- schema -----------------------------------------------------------------------------------

    def schema_revision(self) -> str | None:
        """The migration revision the store is at, or None for an empty store."""
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            return None if row is None else str(row[0])

    def needs_migration(self) -> bool:
        """True when the store is older than this program (or empty)."""
        return self.schema_revision() != HEAD_REVISION

    def migrate(self, before_upgrade: Callable[[Store], object] | None = None) -> None:
        """Bring the schema to this program's head; refuse a store made by a newer program.

        ``before_upgrade`` is called (with this store) before an existing store is changed, so that a
        backup can be taken first.
        """
        current = self.schema_revision()
        if current == HEAD_REVISION:
            return
        refuse_newer(current)
        if current is not None and before_upgrade is not None:
            before_upgrade(self)
        from alembic import command

        command.upgrade(alembic_config(self.engine), "head")


def refuse_newer(revision: str | None) -> None:
    """Refuse a store stamped by a program newer than this one."""
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise UserError(
            f"这份数据由更新版本的程序创建（数据版本 {revision}），请升级本程序后再打开；数据未作任何改动",
            f"the store was made by a newer version (schema {revision}); upgrade the program",
        )


def peek_revision(database: Path) -> str | None:
    """The schema revision of a SQLite file, read without changing a byte of it."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
    except sqlite3.DatabaseError as exc:
        if "no such table" in str(exc):
            return None
        raise UserError(
            f"{database} 不是本程序的数据文件，或文件已损坏", f"{database} is not a store or is damaged"
        ) from None
    finally:
        conn.close()


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration pointing at the packaged migrations and at ``engine``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.attributes["engine"] = engine
    return cfg
