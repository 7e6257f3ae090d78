"""The store: a SQLite file in the home folder or a PostgreSQL database, its schema migrations and sessions."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import URL, Engine, create_engine, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import atomic_write_bytes
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.store import dialects

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration this version of the program knows. A store stamped with a revision not in
# KNOWN_REVISIONS was made by a newer program and is refused untouched.
HEAD_REVISION = "0015"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011", "0012", "0013", "0014", "0015")


_T = TypeVar("_T")


class ServerUnreachable(UserError):
    """The database server did not let the store in (down, unknown, or the password is wrong or missing)."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``, its connections set up for the engine (see :mod:`.dialects`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() not in dialects.SUPPORTED:
        raise UserError(
            f"不支持的数据库：{parsed.get_backend_name()}（只支持 SQLite 和 PostgreSQL）",
            f"unsupported database {parsed.get_backend_name()}: use SQLite or PostgreSQL",
        )
    try:
        engine = create_engine(url, **dialects.engine_options(parsed.get_backend_name()))
    except (ImportError, NoSuchModuleError):
        raise UserError("本程序未包含 PostgreSQL 的驱动（psycopg），不能使用数据库服务器",
                        f"the driver for {parsed.drivername} is not installed") from None
    dialects.prepare(engine)
    return engine


def server_url(url: str) -> str:
    """A PostgreSQL URL checked and without its password (kept in PGPASSWORD or asked for, never stored).

    ``postgresql://`` is read as ``postgresql+psycopg://`` (psycopg 3 is the one driver shipped).
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(f"数据库地址格式不对：{url}", f"not a database URL: {url}") from None
    if parsed.get_backend_name() != dialects.POSTGRESQL:
        raise UserError(
            "数据库地址应以 postgresql+psycopg:// 开头，如 postgresql+psycopg://用户名@服务器/数据库名",
            "the database URL must start with postgresql+psycopg://",
        )
    if parsed.drivername == dialects.POSTGRESQL:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername != "postgresql+psycopg":
        raise UserError("PostgreSQL 只支持 psycopg 驱动（postgresql+psycopg://…）",
                        "only the psycopg driver is supported")
    if not parsed.database:
        raise UserError("数据库地址缺少数据库名（…/数据库名）", "the database URL names no database")
    bare = URL.create(parsed.drivername, username=parsed.username, host=parsed.host, port=parsed.port,
                      database=parsed.database, query=parsed.query)  # (URL.set cannot unset a password)
    return bare.render_as_string(hide_password=False)


def read_server_url(paths: AppPaths) -> str | None:
    """The server the store in ``paths`` lives on, or None for a store in the local SQLite file."""
    try:
        data = json.loads(paths.server_settings.read_text("utf-8"))
        return server_url(str(data["url"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{paths.server_settings} 已损坏（应记录数据库服务器地址）",
                        f"{paths.server_settings} is damaged") from None


def write_server_url(paths: AppPaths, url: str) -> None:
    """Record (written whole or not at all) that the store in ``paths`` lives on the server ``url``."""
    body = json.dumps({"url": server_url(url)}, ensure_ascii=False, indent=2) + "\n"
    atomic_write_bytes(paths.server_settings, body.encode("utf-8"))


class Store:
    """One store: its folders, its engine and a factory of short-lived sessions."""

    def __init__(self, paths: AppPaths, url: str | None = None) -> None:
        self.paths = paths
        self.url = url or f"sqlite:///{paths.database}"
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def on_server(self) -> bool:
        """True when the store lives on a PostgreSQL server (shared by several people of one office)."""
        return self.engine.dialect.name == dialects.POSTGRESQL

    @classmethod
    def open(cls, home: Path, *, create: bool = False, migrate: bool = True, database: str | None = None) -> Store:
        """Open the store in ``home``; refuses a missing store unless ``create``.

        The store is the SQLite file in ``home`` unless ``home`` records a PostgreSQL server (written
        when ``create`` is given a ``database`` URL); the server's password comes from PGPASSWORD.
        """
        paths = AppPaths(Path(home))
        url = read_server_url(paths)
        if database is not None:
            if not create:
                raise UserError("只有初始化时才能指定数据库服务器", "a database URL is given only at init")
            url = server_url(database)
        if url is None:
            return cls._open_file(paths, create=create, migrate=migrate)
        store = cls.connect(paths, url)
        paths.ensure()
        if database is not None:
            write_server_url(paths, url)
        if migrate:
            store.migrate()  # the server's own backups protect it; a file copy here would not
        return store

    @classmethod
    def connect(cls, paths: AppPaths, url: str) -> Store:
        """The store on the server at ``url`` for the home ``paths``, connected and not newer than this
        program (not migrated: :meth:`migrate`); nothing is written to the home."""
        store = cls(paths, url)
        try:
            refuse_newer(store.schema_revision())
        except OperationalError as exc:
            store.close()
            said = " ".join(str(exc.orig or exc).split())  # the driver's words, on one line
            raise ServerUnreachable(f"连接数据库服务器失败：{connection_failure(said, url)}",
                                    f"cannot connect to the database server: {said}") from None
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _open_file(cls, paths: AppPaths, *, create: bool, migrate: bool) -> Store:
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

    def write(self, work: Callable[[Session], _T]) -> _T:
        """Run ``work(session)`` as one write transaction (committed when it returns, rolled back if it
        raises) and return what it returns.

        On PostgreSQL a transaction the server undid as a deadlock's victim or for a serialization
        failure is run again, from a fresh session, a bounded number of times (:func:`dialects.retrying`):
        ``work`` must therefore do nothing outside the database it would not do twice.
        """
        def attempt() -> _T:
            with self.session() as session:
                return work(session)

        return dialects.retrying(attempt)

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
        if self.schema_revision() == HEAD_REVISION:
            return
        # Several computers sharing a server may start a new version at once: one migrates, the
        # others wait and then find the schema at the head.
        with dialects.exclusive(self.engine, "schema-migration"):
            current = self.schema_revision()
            if current == HEAD_REVISION:
                return
            refuse_newer(current)
            if current is not None and before_upgrade is not None:
                before_upgrade(self)
            from alembic import command

            command.upgrade(alembic_config(self.engine), "head")


def connection_failure(said: str, url: str) -> str:
    """What the driver's words ``said`` on failing to connect to ``url`` mean, as a sentence for the user.

    libpq's messages are English unless the server speaks another language; a failure not recognised is
    given with the driver's words."""
    parsed = make_url(url)
    user, database = parsed.username or "", parsed.database or ""
    where = parsed.host or str(parsed.query.get("host", "") or "")
    lower = said.lower()
    if "password authentication failed" in lower:
        return f"服务器拒绝了用户 {user} 的密码，请检查密码是否正确"
    if "no password supplied" in lower:
        return f"服务器要求用户 {user} 的密码，请填写密码"
    if "no pg_hba.conf entry" in lower:
        return ("服务器不允许这台电脑连接（服务器管理员需在 pg_hba.conf 中允许本单位局域网的地址，"
                "见用户手册“单位服务器”一节）")
    if "does not exist" in lower and "database" in lower:
        return f"服务器上没有名为 {database} 的数据库，请检查数据库名，或请服务器管理员先建立该数据库"
    if "does not exist" in lower and "role" in lower:
        return f"服务器上没有用户 {user}，请检查用户名，或请服务器管理员先建立该用户"
    if any(words in lower for words in ("connection refused", "could not translate host name", "timeout expired",
                                        "no route to host", "network is unreachable", "no such file or directory",
                                        "name or service not known", "timed out")):
        return (f"连接不上服务器 {where}：请检查服务器地址和端口，确认服务器已开机、PostgreSQL 正在运行，"
                "且防火墙允许这台电脑连接")
    if any(words in lower for words in ("invalid response to ssl negotiation", "expected authentication request",
                                        "server closed the connection unexpectedly")):
        return f"服务器 {where} 的端口 {parsed.port or 5432} 上回答的不是 PostgreSQL 数据库，请检查服务器地址和端口"
    return f"{said}（请检查服务器地址、用户名和密码）"


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
