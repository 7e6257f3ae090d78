"""Long key lists cut into pieces small enough for one SQL ``IN (...)`` each (SQLite binds a bounded number
of parameters per statement)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

IN_LIST = 500  # keys per ``IN (...)``: well under every SQLite build's parameter limit


def chunks(items: Sequence[T], size: int = IN_LIST) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``, in order."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
