"""The import's bulk insert (``apply.insert_rows``) stores exactly what SQLAlchemy's ``insert`` stores:
every value through its column type's bind processor, the Python-side defaults of the columns a row
leaves out, and the same refusal of a malformed row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
)
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from sanlian_desktop.models.base import UTCDateTime
from sanlian_desktop.sync.replication.apply import insert_rows

_FIXED = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def _table() -> Table:
    return Table(
        "t", MetaData(),
        Column("id", String, primary_key=True),
        Column("n", Integer, autoincrement=False),
        Column("fields", JSON),
        Column("flag", Boolean, default=False),
        Column("label", String, default="other"),
        Column("at", UTCDateTime, default=lambda: _FIXED),
        Column("when", UTCDateTime),
        Column("signature", LargeBinary),
        Column("plain", String),  # neither given nor defaulted: SQLite's NULL
    )


def _rows() -> list[dict[str, Any]]:
    east = timezone(timedelta(hours=8))
    return [
        {"id": "a", "n": 1, "fields": {"标题": "社区", "list": [1, "二"], "none": None}, "flag": True,
         "when": datetime(2026, 1, 2, 20, 0, tzinfo=east), "signature": b"\x00\xffsig"},
        {"id": "b", "n": None, "fields": {}, "flag": False, "when": None, "signature": None},
    ]


def _stored(write: Any) -> list[tuple[Any, ...]]:
    table = _table()
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    with Session(engine) as s:
        write(s, table)
        s.commit()
        raw = s.connection().exec_driver_sql(
            'SELECT id, n, fields, flag, label, at, "when", signature, plain, typeof(at), typeof(fields) '
            "FROM t ORDER BY id").fetchall()
    return [tuple(r) for r in raw]


def test_rows_are_stored_as_sqlalchemy_stores_them() -> None:
    ours = _stored(lambda s, t: insert_rows(s, t, _rows()))
    theirs = _stored(lambda s, t: s.execute(insert(t), _rows()))
    assert ours == theirs
    assert ours[0][5] == "2026-03-04 05:06:07.891011"  # the callable default, bound as SQLAlchemy binds it
    assert ours[0][6] == "2026-01-02 12:00:00.000000"  # a zone's time stored in UTC
    assert ours[1][4] == "other" and ours[1][8] is None


def test_a_row_naming_other_columns_is_refused() -> None:
    rows = _rows()
    del rows[1]["flag"]
    rows[1]["label"] = "x"
    with pytest.raises(KeyError):
        _stored(lambda s, t: insert_rows(s, t, rows))


def test_a_value_of_the_wrong_type_is_refused() -> None:
    rows = _rows()
    rows[0]["when"] = "2026-01-02"
    with pytest.raises((TypeError, AttributeError, StatementError)):
        _stored(lambda s, t: insert_rows(s, t, rows))
