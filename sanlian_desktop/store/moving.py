"""Moving an office's store from its SQLite file onto a PostgreSQL server (``sanlian move --database``),
so that several people of the office can work on it at once, and back into a file (``move --to-file``).

Every row is copied, table by table in the order the foreign keys need, in one transaction on the server;
the counts are compared before the home is pointed at the server. The attachments' files go into the
server's database in the same transaction (a server store keeps them there, store/attachments.py), each
checked against its hash. The SQLite file and the attachment folder are kept: nothing is deleted.
The audit chain is verified on the copy before it is committed.

Moving back builds a new SQLite file under a temporary name in the home folder the same way (the
attachments' content fetched from the server into the attachment folder, each checked by hash), verifies
it, and only then renames it into place and forgets the server's address; the server's database is left
as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import sha256_file
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.models import Attachment, AttachmentContent, Base, Office
from sanlian_desktop.store import attachments, audit, dialects
from sanlian_desktop.store.engine import Store, read_server_url, server_url, write_server_url

BATCH = 2000


@dataclass
class MoveResult:
    """What was moved: rows per table, and where the SQLite file was kept."""

    url: str
    kept_file: Path
    rows: dict[str, int] = field(default_factory=dict)
    attachments: int = 0  # files put into the server's database
    missing_attachments: list[str] = field(default_factory=list)  # recorded, but no intact file in the home


def _rows_in_order(conn: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    """The table's rows in batches; a table referring to itself (regions) gives parents first."""
    own = [fk for fk in table.foreign_keys if fk.column.table is table]
    if not own:
        result = conn.execute(select(table)).mappings()
        while batch := result.fetchmany(BATCH):
            yield [dict(r) for r in batch]
        return
    parent, key = own[0].parent.name, own[0].column.name
    pending = [dict(r) for r in conn.execute(select(table)).mappings()]
    done: set[Any] = set()
    while pending:
        ready = [r for r in pending if r[parent] is None or r[parent] in done]
        if not ready:  # a loop, or a parent missing: the database refuses it below
            ready = pending
        done.update(r[key] for r in ready)
        taken = {id(r) for r in ready}
        pending = [r for r in pending if id(r) not in taken]
        for i in range(0, len(ready), BATCH):
            yield ready[i:i + BATCH]


def _copy_tables(src: Connection, dst: Connection, result: MoveResult, *, skip: tuple[Table, ...] = ()) -> None:
    """Copy every table's rows from ``src`` into ``dst`` (in its transaction), counting them."""
    for table in Base.metadata.sorted_tables:
        if table in skip:
            continue
        for batch in _rows_in_order(src, table):
            dst.execute(table.insert(), batch)
        dialects.after_copy(dst, table)
        copied = dst.scalar(select(func.count()).select_from(table)) or 0
        expected = src.scalar(select(func.count()).select_from(table)) or 0
        if copied != expected:
            raise UserError(f"迁移 {table.name} 时行数不符（{copied}/{expected}），已撤销，数据未改动",
                            f"{table.name}: copied {copied} of {expected} rows; undone")
        result.rows[table.name] = copied


def _verify_audit(dst: Connection) -> None:
    """Refuse (undoing the copy) a copy whose audit chain does not verify."""
    with Session(bind=dst) as s:
        problems = audit.verify(s).problems
    if problems:
        raise UserError(f"迁移后的审计日志核对未通过（{problems[0]}），已撤销，数据未改动",
                        "the audit chain of the copy does not verify; undone")


def _upload_attachments(paths: AppPaths, src: Connection, dst: Connection, result: MoveResult) -> None:
    """Put every recorded attachment's file from the home folder into the server's database (``dst``'s
    transaction); one missing or damaged in the home is listed, not invented."""
    for sha in src.scalars(select(Attachment.sha256).order_by(Attachment.sha256)):
        path = attachments.cache_path(paths, sha)
        if not path.is_file() or sha256_file(path) != sha:
            result.missing_attachments.append(sha)
            continue
        attachments.keep_content(dst, sha, path)
        result.attachments += 1


def move_to_server(home: Path, database: str, *, user: str) -> MoveResult:
    """Copy the SQLite store in ``home`` into the empty PostgreSQL database ``database`` and point the home
    at it. Refused, changing nothing, when the home is on a server already or the database holds data."""
    paths = AppPaths(Path(home))
    url = server_url(database)
    if paths.server_settings.exists():
        raise UserError("本单位的数据已经在数据库服务器上", "the store is on a database server already")
    source = Store.open(paths.home)  # brings the file to this program's schema (with a backup first)
    target: Store | None = None
    try:
        target = Store.connect(paths, url)
        if target.schema_revision() is not None:
            with target.read_session() as s:
                if s.scalar(select(func.count()).select_from(Office)):
                    raise UserError("该数据库中已有单位的数据，只能迁入空数据库",
                                    "the database holds an office's data: move into an empty database")
        target.migrate()
        result = MoveResult(url, paths.home / f"sanlian.db.moved-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        with source.engine.connect() as src, target.engine.begin() as dst:
            _copy_tables(src, dst, result)
            _upload_attachments(paths, src, dst, result)
            _verify_audit(dst)
        with target.session() as s:
            me = s.scalars(select(Office).where(Office.is_self)).first()
            audit.record(s, office=me.region_code if me else "", user=user, action="store.move", entity="store",
                         entity_id="", details={"to": url, "rows": sum(result.rows.values()),
                                                  "attachments": result.attachments,
                                                  "missing_attachments": len(result.missing_attachments)})
    except BaseException:
        source.close()
        if target is not None:
            target.close()
        raise
    source.close()
    target.close()
    write_server_url(paths, url)
    for suffix in ("-wal", "-shm", ""):  # (closing the last connection normally leaves no -wal or -shm)
        old = Path(str(paths.database) + suffix)
        if old.exists():
            old.rename(str(result.kept_file) + suffix)
    return result


def move_to_file(home: Path, *, user: str) -> MoveResult:
    """Copy the store on the server that ``home`` records into a new SQLite file in ``home`` (attachments
    into its folder) and point the home at the file. Refused, changing nothing, when the home has no
    server or holds a data file already; the server's database is left as it was."""
    paths = AppPaths(Path(home))
    url = read_server_url(paths)
    if url is None:
        raise UserError("本单位的数据已经保存在本机", "the store is in a file already")
    if paths.database.exists():
        raise UserError(f"数据目录中已有数据文件 {paths.database}，请先移走", f"{paths.database} exists already")
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    building = paths.home / f"sanlian.db.moving-{stamp}"
    result = MoveResult(url, paths.home / f"database.json.moved-{stamp}")
    source = Store.open(paths.home)  # the server, at this program's schema
    target: Store | None = None
    try:
        target = Store(paths, f"sqlite:///{building}")
        target.migrate()
        with source.engine.connect() as src, target.engine.begin() as dst:
            _copy_tables(src, dst, result, skip=(AttachmentContent.__table__,))  # type: ignore[arg-type]
            _download_attachments(paths, src, result)
            _verify_audit(dst)
        with target.session() as s:
            me = s.scalars(select(Office).where(Office.is_self)).first()
            audit.record(s, office=me.region_code if me else "", user=user, action="store.move", entity="store",
                         entity_id="", details={"from": url, "to": "file", "rows": sum(result.rows.values()),
                                                "attachments": result.attachments,
                                                "missing_attachments": len(result.missing_attachments)})
    except BaseException:
        source.close()
        if target is not None:
            target.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(building) + suffix).unlink(missing_ok=True)
        raise
    source.close()
    target.close()
    for suffix in ("-wal", "-shm"):  # (closing the last connection normally leaves none)
        Path(str(building) + suffix).unlink(missing_ok=True)
    building.rename(paths.database)
    paths.server_settings.rename(result.kept_file)  # the address, kept for reference
    return result


def _download_attachments(paths: AppPaths, src: Connection, result: MoveResult) -> None:
    """Make sure every recorded attachment is in the home's folder, fetched from the server where this
    computer has no intact copy; one the server has no intact content for is listed."""
    for sha in src.scalars(select(Attachment.sha256).order_by(Attachment.sha256)).all():
        path = attachments.cache_path(paths, sha)
        if (path.is_file() and sha256_file(path) == sha) or attachments.fetch_into(src, sha, path):
            result.attachments += 1
        else:
            result.missing_attachments.append(sha)
