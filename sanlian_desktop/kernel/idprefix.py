"""Records named by the id a person typed: the whole id, or its first characters if only one record has them.

Ids are random hex strings (UUIDs); lists and messages show their first 8 characters, and that is what
people type back. Declarations, progress reports and the implementation records a correction replaces
are all looked up this way, and say the same when a prefix fits several records or none::

    report = by_id(session, ProgressReport, typed, "进展情况报告", "progress report", shortest=6)

A prefix shorter than ``shortest`` only matches a whole id, so that a slip of two characters does not
pick a record. Matching is exact (case included): ids are stored in lower case, as they are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import QueryableAttribute, Session

from sanlian_desktop.kernel.errors import NotFound, UserError

T = TypeVar("T")


Column = ColumnElement[str] | QueryableAttribute[str]


def starts_with(column: Column, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a range that the column's index serves."""
    return (column >= prefix) & (column < prefix + "\uffff")


def prefix_matches(session: Session, query: Select[tuple[T]], column: Column, key: str, *, shortest: int) -> list[T]:
    """At most two rows of ``query`` whose ``column`` starts with ``key`` (none if ``key`` is too short):
    enough to tell one from several."""
    if len(key) < shortest:
        return []
    return list(session.scalars(query.where(starts_with(column, key)).limit(2)))


def one(matches: Sequence[T], key: str, what: str, what_en: str, *, within: str = "",
        missing: tuple[str, str] | None = None) -> T:
    """The record ``key`` names among ``matches``; :class:`NotFound` when it names none, :class:`UserError`
    when it names several. ``what`` says what is looked for (进展情况报告), ``within`` where (本项目);
    ``missing`` replaces the words for none where the caller knows better."""
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UserError(f"编号 {key} 对应多个{what}，请写完整编号", f"{key} matches more than one {what_en}; use the full id")
    zh, en = missing or (f"{within}没有编号为 {key} 的{what}", f"no {what_en} {key}")
    raise NotFound(zh, en)


def by_id(session: Session, model: type[T], key: str, what: str, what_en: str, *, shortest: int) -> T:
    """The row of ``model`` whose id is ``key``, or the only one whose id starts with it (see :func:`one`)."""
    found = session.get(model, key)
    if found is not None:
        return found
    mapped: Any = model  # any mapped class with an ``id`` column
    matches: list[T] = prefix_matches(session, select(mapped), mapped.id, key, shortest=shortest)
    return one(matches, key, what, what_en)
