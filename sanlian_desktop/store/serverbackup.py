"""Backups of a store on a PostgreSQL server, made with PostgreSQL's own tools.

A server backup is the same zip as a file store's (:mod:`.backup`): ``manifest.json`` and one database
member, here ``sanlian.dump`` written by ``pg_dump -Fc`` (one consistent snapshot, taken while the
office works). The attachments are inside the dump (a server store keeps their content in the database,
:mod:`.attachments`), so the zip holds no attachment files. The manifest says ``"engine":
"postgresql"`` and ``format_version`` 2, which programs that know only file backups refuse as newer.

Restoring runs ``pg_restore`` into a SQL script and then ``psql --single-transaction``: the schema is
emptied and refilled in one transaction, so the office's other workstations see the old data or the
restored data and never a mixture, and a failure anywhere changes nothing. Before that the backup is
checked whole (every hash, the dump's table of contents and its schema revision) and the current data
are backed up.

The tools come from Debian's ``postgresql-client`` (or PostgreSQL's Windows installer); they are looked
for in ``$SANLIAN_PG_BINDIR``, Debian's newest ``/usr/lib/postgresql/<version>/bin``, then the PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import exists, func, make_url, select

from sanlian_desktop import __version__
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import READ_PIECE, atomic_write, sha256_file
from sanlian_desktop.models import Attachment, AttachmentContent, Office

if TYPE_CHECKING:
    from sanlian_desktop.store.backup import Sealing
    from sanlian_desktop.store.engine import Store

DUMP = "sanlian.dump"
ENGINE = "postgresql"
FORMAT_VERSION = 2
TOOLS_HINT = ("请在本机安装 PostgreSQL 客户端工具（Debian/Ubuntu/统信/麒麟：apt install postgresql-client；"
              "Windows：PostgreSQL 安装程序中的“Command Line Tools”），"
              "或用环境变量 SANLIAN_PG_BINDIR 指明 pg_dump 所在的文件夹")
_TABLES = ("alembic_version", "office", "attachment", "attachment_content")
# One statement before the restored script, in its transaction: the schema is emptied first, so that
# no table of a later schema stays beside a restored older one.
_PRELUDE = "DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"


class ToolMissing(UserError):
    """A PostgreSQL client program is not installed where it is looked for."""


def find_tool(name: str) -> Path:
    """The PostgreSQL client program ``name`` (``pg_dump``, ``pg_restore``, ``psql``), or a clear
    message saying what to install."""
    exe = name + (".exe" if os.name == "nt" else "")
    folder = os.environ.get("SANLIAN_PG_BINDIR")
    if folder:
        candidates = [Path(folder) / exe]
    else:
        versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{exe}"),
                          key=lambda p: int(re.sub(r"\D", "", p.parent.parent.name) or 0))
        candidates = versions[::-1]
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ToolMissing(f"找不到 PostgreSQL 的 {name} 程序，无法备份或恢复数据库服务器上的数据。{TOOLS_HINT}",
                    f"{name} not found: install the PostgreSQL client tools (Debian: postgresql-client) "
                    "or set SANLIAN_PG_BINDIR")


def libpq_address(url: str) -> str:
    """The store's SQLAlchemy URL as the address PostgreSQL's own tools take (no password: PGPASSWORD)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(tool: str, *args: str, what: str) -> subprocess.CompletedProcess[bytes]:
    program = find_tool(tool)
    try:
        done = subprocess.run([str(program), *args], capture_output=True, check=False, timeout=6 * 3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserError(f"{what}失败：无法运行 {program}（{exc}）", f"{what}: cannot run {program}: {exc}") from None
    if done.returncode != 0:
        said = " ".join(done.stderr.decode("utf-8", "replace").split())[-400:]
        raise UserError(f"{what}失败：{tool} 报告：{said}", f"{tool} failed: {said}")
    return done


# -- taking ------------------------------------------------------------------------------------------


def take_into(store: Store, work: Path, target: Path, now: datetime, reason: str,
              sealing: Sealing | None = None) -> None:
    """Dump ``store`` into the folder ``work`` and write the backup zip to ``target`` (through a temporary
    name, synced, renamed), encrypted by ``sealing`` when given."""
    from sanlian_desktop.store import backup
    from sanlian_desktop.store.attachments import share_cached

    if reason != "before-import":  # (that one runs beside the import's open transaction: it writes nothing)
        share_cached(store)  # what only this workstation holds goes into the backup too
    dump = work / DUMP
    _run("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}",
         f"--dbname={libpq_address(store.url)}", what="备份数据库服务器上的数据")
    with store.read_session() as s:
        revision = store.schema_revision() or ""
        office = s.execute(select(Office.region_code, Office.name).where(Office.is_self)).first()
        count = s.scalar(select(func.count()).select_from(Attachment)) or 0
        missing = list(s.scalars(select(Attachment.sha256).where(
            ~exists().where(AttachmentContent.sha256 == Attachment.sha256)).order_by(Attachment.sha256)))
    manifest: dict[str, Any] = {
        "format": backup.FORMAT, "format_version": FORMAT_VERSION, "engine": ENGINE, "app_version": __version__,
        "created_at": now.isoformat(timespec="seconds"), "reason": reason, "schema_revision": revision,
        "office": {"code": office[0] if office else "", "name": office[1] if office else ""},
        "members": [{"name": DUMP, "sha256": sha256_file(dump), "size": dump.stat().st_size}],
        # Inside the dump; those without content on the server (stored before it kept them) are listed.
        "attachments": count - len(missing), "missing_attachments": missing,
    }
    with atomic_write(target) as fh:
        if sealing is None:
            _write_zip(fh, manifest, dump)
        else:
            with sealing.writer(fh) as sealed:
                _write_zip(sealed, manifest, dump)


def _write_zip(fh: IO[bytes], manifest: dict[str, Any], dump: Path) -> None:
    # pg_dump's custom format is compressed already: stored, not deflated again.
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1), zipfile.ZIP_DEFLATED)
        with dump.open("rb") as src, zf.open(DUMP, "w", force_zip64=True) as dst:
            shutil.copyfileobj(src, dst, READ_PIECE)


# -- checking ----------------------------------------------------------------------------------------


def check_dump(backup_path: Path, dump: Path) -> str:
    """The schema revision a dump holds, after ``pg_restore`` has read its table of contents; a dump the
    tool cannot read is refused as damaged, one without the store's tables as foreign."""
    from sanlian_desktop.store import backup

    try:
        listing = _run("pg_restore", "--list", str(dump), what="检查备份").stdout.decode("utf-8", "replace")
    except ToolMissing:
        raise
    except UserError:
        raise backup.damaged(backup_path, "数据库转储无法读取", "pg_restore cannot read the dump") from None
    tables = set(re.findall(r"\bTABLE (?:DATA )?\S+ (\w+)\b", listing))
    if not set(_TABLES) <= tables:
        raise backup.foreign(backup_path)
    try:
        data = _run("pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(dump),
                    what="检查备份").stdout.decode("utf-8", "replace")
    except ToolMissing:
        raise
    except UserError:
        raise backup.damaged(backup_path, "数据库转储无法读取", "pg_restore cannot read the dump") from None
    found = re.search(r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n([^\n\\]*)\n", data, re.MULTILINE)
    return found.group(1).strip() if found else ""


# -- restoring ---------------------------------------------------------------------------------------


def load(store: Store, dump: Path, work: Path) -> None:
    """Replace everything in the server's database with the dump, in one transaction (all or nothing)."""
    script = work / "restore.sql"
    _run("pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(dump), what="恢复备份")
    prelude = work / "prelude.sql"
    prelude.write_text(_PRELUDE, "utf-8")
    store.engine.dispose()  # this program's own idle connections would only wait for the restore
    _run("psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
         f"--dbname={libpq_address(store.url)}", f"--file={prelude}", f"--file={script}",
         what="恢复备份（数据库服务器上的数据未改动）")
