"""Everything that differs between the two database engines the store runs on, in one place.

SQLite (the default: one file, one program at a time) and PostgreSQL 13+ (one server, several people of
one office at once) share the models and the migrations; what they do differently is here, one version
per engine:

* connection set-up: SQLite's pragmas (WAL, full sync, foreign keys); nothing on PostgreSQL;
* serialising a named resource (the audit chain's head, a numbering sequence) for the rest of the
  transaction: a transaction-scoped advisory lock on PostgreSQL; on SQLite the database's one write lock,
  taken up front (SQLite has one writer at a time anyway);
* locking a row that is read to be decided on: ``SELECT … FOR NO KEY UPDATE`` on PostgreSQL (it keeps
  other writers of the row waiting, but not a transaction that only inserts a row referring to it, such
  as a near-duplicate pair: those two would otherwise deadlock); nothing on SQLite, whose writer is alone;
* upserts (``INSERT … ON CONFLICT``), running one statement for many rows straight through the driver,
  and loading many new rows at once (``COPY … FROM STDIN`` on PostgreSQL, where an ``INSERT`` a row costs
  the server a statement each; one ``executemany`` on SQLite, which runs in-process);
* which failures of a write transaction are worth running it again (PostgreSQL's deadlock and
  serialization failures; SQLite's one writer never deadlocks);
* where attachment content lives: in the database on PostgreSQL (every workstation reads it), in the
  home folder's files for SQLite.

Callers name the engine by the session or connection they hold, never by a string of their own.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Engine, Integer, Table, event, text
from sqlalchemy import insert as core_insert
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite as sq
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
SUPPORTED = (SQLITE, POSTGRESQL)

# Seconds to wait for a database server to answer a new connection.
CONNECT_TIMEOUT = 10

# How many rows one driver call carries when many rows go through one statement.
BULK_ROWS = 2000

_SelectT = TypeVar("_SelectT", bound=Select[Any])
_T = TypeVar("_T")

# A write transaction the server chose as a deadlock's victim, or that could not be serialised, is run
# again this many times in all (after short, growing pauses) before the failure reaches the caller.
WRITE_ATTEMPTS = 5
# SQLSTATE of serialization_failure and deadlock_detected: the transaction was rolled back whole and
# may simply be run again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})

log = logging.getLogger(__name__)


def name_of(bind: Session | Connection | Engine) -> str:
    """The engine's name (``sqlite`` or ``postgresql``) behind a session, connection or engine."""
    if isinstance(bind, Session):
        bind = bind.get_bind()
    return bind.dialect.name


# -- connection set-up ------------------------------------------------------------------------------


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Larger pages make the store a third smaller and inserts faster; only a new file takes it.
    cursor.execute("PRAGMA page_size=8192")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def engine_options(url_dialect: str) -> dict[str, Any]:
    """Extra ``create_engine`` options for an engine: a server gets pre-ping (a restarted server's
    stale connections are replaced instead of failing the next unit of work) and gives up connecting
    after ``CONNECT_TIMEOUT`` seconds (a server switched off on the LAN would otherwise keep the program
    waiting for minutes)."""
    if url_dialect == POSTGRESQL:
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": CONNECT_TIMEOUT}}
    return {}


def prepare(engine: Engine) -> None:
    """Set up every new connection of ``engine`` as the store needs it."""
    if engine.dialect.name == SQLITE:
        event.listen(engine, "connect", _sqlite_pragmas)


def integrity_problems(conn: Connection) -> list[str]:
    """What the engine's own check finds wrong with the database (empty when nothing).

    SQLite: ``PRAGMA integrity_check`` over the whole file. PostgreSQL guards its own pages (and the
    server's administrator its backups): the check is that the server answers.
    """
    if conn.dialect.name == POSTGRESQL:
        conn.execute(text("SELECT 1"))
        return []
    rows = [str(r[0]) for r in conn.execute(text("PRAGMA integrity_check"))]
    return [] if rows == ["ok"] else rows


# -- serialising and locking ------------------------------------------------------------------------


def _lock_key(resource: str) -> int:
    """A stable signed 64-bit key for an advisory lock on ``resource``."""
    return int.from_bytes(hashlib.sha256(resource.encode("utf-8")).digest()[:8], "big", signed=True)


def serialise(session: Session, resource: str) -> None:
    """Make the rest of this transaction the only writer of ``resource`` until it ends.

    PostgreSQL: ``pg_advisory_xact_lock`` on a key derived from the name; a second transaction asking
    for the same resource waits until the first commits or rolls back, and (read committed) then sees
    what the first wrote. SQLite: the database's write lock, taken now rather than at the first write
    (a later upgrade from a read could fail once another writer has committed).
    """
    if name_of(session) == POSTGRESQL:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(resource)})
    else:
        # A write that changes nothing still begins SQLite's write transaction.
        session.execute(text("UPDATE meta SET key = key WHERE 0 = 1"))


@contextlib.contextmanager
def exclusive(engine: Engine, resource: str) -> Iterator[None]:
    """Be the only one, across every computer on the same PostgreSQL store, doing ``resource`` (such as
    migrating the schema) while the block runs: a session-level advisory lock held on a connection of
    its own. SQLite's store is opened by one program at a time (the instance lock): nothing to do."""
    if engine.dialect.name != POSTGRESQL:
        yield
        return
    key = {"key": _lock_key(resource)}
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), key)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), key)
            conn.commit()


def for_update(session: Session, stmt: _SelectT) -> _SelectT:
    """``stmt`` locking the rows it reads until the transaction ends (PostgreSQL, ``FOR NO KEY UPDATE``);
    as is on SQLite."""
    if name_of(session) == POSTGRESQL:
        return stmt.with_for_update(key_share=True)
    return stmt


def lock_row(session: Session, obj: object) -> None:
    """Lock ``obj``'s row until the transaction ends and reload it, so that a decision taken on it
    sees what any other writer committed before.

    PostgreSQL: ``SELECT … FOR NO KEY UPDATE`` (a second writer of the row waits for the first to end).
    SQLite: the database's write lock, then a reload (no other writer can come between).
    Changes to ``obj`` not yet flushed are flushed first, never dropped.
    """
    session.flush()
    if name_of(session) == POSTGRESQL:
        session.refresh(obj, with_for_update={"key_share": True})
    else:
        serialise(session, "row")
        session.refresh(obj)


# -- running a write transaction again ------------------------------------------------------------


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` is PostgreSQL undoing a whole transaction that can simply be run again: a deadlock's
    victim (40P01) or a serialization failure (40001). Never true on SQLite."""
    if not isinstance(exc, DBAPIError) or exc.orig is None:
        return False
    return getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def retrying(attempt: Callable[[], _T], *, attempts: int = WRITE_ATTEMPTS,
             pause: Callable[[float], None] = time.sleep) -> _T:
    """``attempt()`` (one whole write transaction, begun and ended inside it), run again when the server
    undid it for a deadlock or a serialization failure (:func:`is_retryable`), at most ``attempts`` times
    in all; any other failure, and the last retryable one, reaches the caller unchanged."""
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except DBAPIError as exc:
            if number == attempts or not is_retryable(exc):
                raise
            log.info("write transaction undone by the server (%s), attempt %d of %d",
                     getattr(exc.orig, "sqlstate", "?"), number, attempts)
            # Short pauses that grow, so two victims of one deadlock do not meet again at once.
            pause(0.01 * number * (1 + random.random()))
    raise AssertionError("unreachable")  # the loop returns or raises


# -- where attachment content lives -----------------------------------------------------------------


def keeps_attachment_content(bind: Session | Connection | Engine) -> bool:
    """Whether attachments' content is kept in the database (PostgreSQL: every workstation of the office
    reads it from the server) rather than only as files in the home folder (SQLite: one computer)."""
    return name_of(bind) == POSTGRESQL


# -- upserts and bulk statements --------------------------------------------------------------------


def insert(session_or_dialect: Session | str, table: Table) -> sq.Insert | pg.Insert:
    """An ``INSERT`` on ``table`` that knows ``ON CONFLICT`` (``on_conflict_do_update`` / ``…_nothing``),
    for the engine behind the session (or named)."""
    name = session_or_dialect if isinstance(session_or_dialect, str) else name_of(session_or_dialect)
    return pg.insert(table) if name == POSTGRESQL else sq.insert(table)


def execute_many(conn: Connection, stmt: Any, columns: tuple[str, ...],
                 rows: Iterable[tuple[object, ...]]) -> int:
    """Run ``stmt`` once per row of values (in ``columns`` order, bound already) straight through the
    driver, many rows a call; returns the rows inserted or changed.

    SQLite's driver takes positional rows; psycopg's takes rows by name. Either way SQLAlchemy's per-row
    parameter handling, which costs more than the database for tens of thousands of rows, is skipped.
    """
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(columns))
    sql = str(compiled)
    positional = compiled.positiontup is not None
    if positional and tuple(compiled.positiontup) != columns:
        raise RuntimeError("unexpected parameter order")
    if not positional and set(compiled.params) != set(columns):
        raise RuntimeError("unexpected parameters")
    count = 0
    batch: list[Any] = []

    def flush() -> int:
        return conn.exec_driver_sql(sql, batch).rowcount

    for row in rows:
        batch.append(row if positional else dict(zip(columns, row, strict=True)))
        if len(batch) >= BULK_ROWS:
            count += flush()
            batch = []
    if batch:
        count += flush()
    return count


def _constant(value: object) -> Callable[[], object]:
    return lambda: value


def _called(fn: Callable[[Any], object]) -> Callable[[], object]:
    return lambda: fn(None)


def load_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts keyed by ``table``'s column keys, every row the same keys) as new rows of
    ``table`` in the connection's transaction, as ``conn.execute(insert(table), rows)`` would: columns
    left out get their Python-side default (a value or a function of nothing) or the server's.

    SQLite: that one ``executemany``. PostgreSQL: ``COPY … FROM STDIN`` through psycopg, every value
    converted by its column's type as an ``INSERT`` would bind it; the rows travel as one stream, the
    server parses no statement a row (loading demo data, about ten times quicker than the ``INSERT``s).
    """
    if not rows:
        return
    if conn.dialect.name != POSTGRESQL:
        conn.execute(core_insert(table), list(rows))
        return
    keys = list(rows[0])
    given = [table.c[k] for k in keys]
    defaulted: list[tuple[Column[Any], Callable[[], object]]] = []
    for column in table.c:
        default = column.default
        if column.key in keys or default is None:
            continue
        if getattr(default, "is_scalar", False):
            defaulted.append((column, _constant(getattr(default, "arg", None))))
        elif getattr(default, "is_callable", False):
            # SQLAlchemy wraps a default of no arguments into one taking the execution context.
            defaulted.append((column, _called(default.arg)))  # type: ignore[attr-defined]
        else:
            raise ValueError(f"{table.name}.{column.name}: a default COPY cannot apply")
    columns = given + [c for c, _ in defaulted]
    makers = [m for _, m in defaulted]
    dialect = conn.dialect
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    sql = f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
    converted = [(i, p) for i, p in enumerate(processors) if p is not None]
    key_set = set(keys)
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            if row.keys() != key_set:
                raise ValueError(f"{table.name}: rows with different columns")
            values = [row[k] for k in keys]
            values += [make() for make in makers]
            for i, process in converted:
                values[i] = process(values[i])
            copy.write_row(values)


def after_copy(conn: Connection, table: Table) -> None:
    """After rows were copied into ``table`` with their own ids: PostgreSQL's sequence behind an integer
    id continues after the largest copied id (SQLite takes the next id from the rows themselves)."""
    if conn.dialect.name != POSTGRESQL:
        return
    for column in table.primary_key.columns:
        single = len(table.primary_key.columns) == 1
        if column.autoincrement is True or (column.autoincrement == "auto" and single
                                            and isinstance(column.type, Integer)):
            sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                   {"t": table.name, "c": column.name})
            if sequence is not None:
                conn.execute(text(f"SELECT setval(:s, coalesce((SELECT max({column.name}) FROM {table.name}), 0) + 1, false)"),
                             {"s": sequence})
