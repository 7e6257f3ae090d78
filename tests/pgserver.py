"""A throw-away PostgreSQL server for the tests: its own cluster in a temporary folder, listening on a
unix socket only, stopped and removed when the test run ends.

The Debian ``postgresql`` package (installed by scripts/system-deps.sh) provides the binaries; where they
are missing the PostgreSQL tests are skipped with the reason. PostgreSQL refuses to run as root, so a
run as root starts the server as the ``postgres`` system user the package created.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

# The superuser of the test cluster; the unix socket trusts every local user, so no password is involved.
ROLE = "sanlian"
TEMPLATE = "sanlian_migrated"
PASSWORD_ROLE, PASSWORD = "clerk_pw", "pg-secret-1"


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: $SANLIAN_PG_BINDIR, Debian's newest version, or the PATH."""
    if os.environ.get("SANLIAN_PG_BINDIR"):
        return Path(os.environ["SANLIAN_PG_BINDIR"])
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(re.sub(r"\D", "", p.parent.parent.name) or 0))
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def unavailable_reason() -> str | None:
    """Why no test server can be started here, or None when one can."""
    bindir = find_bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        return "PostgreSQL is not installed (scripts/system-deps.sh installs Debian's postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' system user to run the server as"
    return None


class PgServer:
    """One running cluster; ``new_database`` hands out fresh databases copied from a migrated template."""

    def __init__(self) -> None:
        bindir = find_bindir()
        assert bindir is not None
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="sanlian-pg-"))
        self.data = self.folder / "data"
        self.socket = self.folder
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", ROLE, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        # One role signs in with a password (tests of PGPASSWORD and the prompt); everyone else is trusted.
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"local all {PASSWORD_ROLE} scram-sha-256\n" + hba.read_text("utf-8"), "utf-8")
        options = (f"-k {self.socket} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w",
                  "-o", options, "start")
        self._migrated = False
        self._password_role = False

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as, str(self.bindir / tool), *args], check=True, capture_output=True,
                       cwd=self.folder)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server, through its socket."""
        return f"postgresql+psycopg://{ROLE}@/{database}?host={self.socket}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.socket), user=ROLE, dbname="postgres", autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self, *, migrated: bool = True) -> str:
        """A new empty database (or one at the schema head, copied from the template); its URL."""
        name = "t_" + uuid.uuid4().hex[:16]
        if migrated:
            self._ensure_template()
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        else:
            self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def password_url(self, url: str) -> str:
        """``url`` signing in as the role that needs a password (made a superuser, created on first use)."""
        from sqlalchemy import make_url

        if not self._password_role:
            self._admin(f"CREATE ROLE {PASSWORD_ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
            self._password_role = True
        return make_url(url).set(username=PASSWORD_ROLE).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        from sqlalchemy import make_url

        name = make_url(url).database
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _ensure_template(self) -> None:
        if self._migrated:
            return
        from alembic import command

        from sanlian_desktop.store.engine import alembic_config, make_engine

        self._admin(f'CREATE DATABASE "{TEMPLATE}"')
        engine = make_engine(self.url(TEMPLATE))
        try:
            command.upgrade(alembic_config(engine), "head")
        finally:
            engine.dispose()
        self._migrated = True

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
