"""Reaching an office's PostgreSQL server: the address as a form asks for it, the server's password, whether
the driver is part of this program, and what a database there holds (the wizard's 测试连接).

The password is kept as the command line keeps it: in ``PGPASSWORD`` of this process only (the driver
reads it there), never in the home folder or the settings. ``database.json`` in the home holds the
address without it (:func:`~sanlian_desktop.store.engine.write_server_url`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, inspect, make_url, text

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.store.engine import Store, server_url

DEFAULT_PORT = 5432
PASSWORD_VARIABLE = "PGPASSWORD"


def use_password(password: str) -> None:
    """Give the driver the server's password for the rest of this process (the command line's prompt, the
    desktop's sign-in to the server and the wizard all keep it here). An empty one means none: the
    server trusts this computer, or the user's pgpass file holds it."""
    os.environ[PASSWORD_VARIABLE] = password


def password_known() -> bool:
    """Whether this process has the server's password already."""
    return os.environ.get(PASSWORD_VARIABLE) is not None


def driver_problem() -> str | None:
    """Why this program cannot use a database server (its PostgreSQL driver or the driver's libpq is
    missing from this build), or None when it can."""
    try:
        import psycopg  # noqa: F401  (fails without a libpq: psycopg_binary brings its own)
        from sqlalchemy.dialects.postgresql import psycopg as _dialect  # noqa: F401
    except ImportError:
        return ("这一版本的程序未包含 PostgreSQL 数据库驱动（psycopg 和 libpq），不能使用单位服务器；"
                "请改用“创建本单位”把数据保存在这台电脑上，或安装包含驱动的版本")
    return None


@dataclass(frozen=True)
class ServerAddress:
    """Where the office's database is: a host name or IP address (on Linux also a socket folder, which
    starts with ``/``), the port, the database and the user signing in."""

    host: str
    port: int | None
    database: str
    user: str

    def url(self) -> str:
        """The ``postgresql+psycopg://`` address, without a password; refuses a form left incomplete."""
        host, database, user = self.host.strip(), self.database.strip(), self.user.strip()
        if not host:
            raise UserError("请填写数据库服务器的地址（计算机名或 IP 地址）", "no server host")
        if not database:
            raise UserError("请填写数据库名", "no database name")
        if not user:
            raise UserError("请填写连接数据库的用户名", "no database user")
        if self.port is not None and not 0 < self.port < 65536:
            raise UserError(f"端口 {self.port} 不对：应为 1 到 65535 之间的数", f"bad port {self.port}")
        if host.startswith("/"):  # a unix socket folder goes in the query
            url = URL.create("postgresql+psycopg", username=user, database=database,
                             query={"host": host, **({"port": str(self.port)} if self.port else {})})
        else:
            url = URL.create("postgresql+psycopg", username=user, host=host, port=self.port, database=database)
        return server_url(url.render_as_string(hide_password=False))

    @classmethod
    def from_url(cls, url: str) -> ServerAddress:
        parsed = make_url(server_url(url))
        host = parsed.host or str(parsed.query.get("host", "") or "")
        port = parsed.port or (int(str(parsed.query["port"])) if "port" in parsed.query else None)
        return cls(host=host, port=port, database=parsed.database or "", user=parsed.username or "")

    def label(self) -> str:
        """``host:port/database（用户 user）`` as the user reads it."""
        return f"{self.host}:{self.port or DEFAULT_PORT}/{self.database}（用户 {self.user}）"


@dataclass(frozen=True)
class Probe:
    """What the database at ``url`` holds: an office made by this program (its code and name), or
    nothing yet (``office`` None: an office can be created in it)."""

    url: str
    revision: str | None
    office: tuple[str, str] | None

    @property
    def empty(self) -> bool:
        return self.office is None


def probe(home: Path, url: str) -> Probe:
    """Connect to the database at ``url`` as ``home``'s workstation would, change nothing, and say what
    it holds. Refused with a clear sentence (:class:`~sanlian_desktop.store.engine.ServerUnreachable`
    when the server does not let this computer in; a store made by a newer program; another program's
    tables)."""
    url = server_url(url)
    store = Store.connect(AppPaths(Path(home)), url)
    try:
        revision = store.schema_revision()
        with store.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if revision is None:
                if tables:
                    raise UserError(
                        "该数据库中已有其他程序的数据表，不是本程序的数据库：请让管理员为本程序新建一个空数据库",
                        "the database holds another program's tables")
                return Probe(url, None, None)
            if "office" not in tables:
                raise UserError("该数据库不是本程序的数据库（缺少单位信息表）",
                                "the database is not a sanlian store")
            row = conn.execute(text("SELECT region_code, name FROM office WHERE is_self")).first()
    finally:
        store.close()
    return Probe(url, revision, None if row is None else (str(row[0]), str(row[1])))
