"""A write transaction the server undoes as a deadlock's victim (or for a serialization failure) is run
again by ``Store.write``, a bounded number of times; any other failure is not."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from sanlian_desktop.models import Meta
from sanlian_desktop.store import dialects
from sanlian_desktop.store.engine import Store


class _Orig(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _failure(sqlstate: str | None) -> OperationalError:
    return OperationalError("UPDATE meta …", {}, _Orig(sqlstate))


def test_only_deadlocks_and_serialization_failures_are_run_again() -> None:
    pauses: list[float] = []
    calls: list[int] = []

    def flaky(codes: list[str | None]) -> Callable[[], str]:
        def attempt() -> str:
            calls.append(1)
            if codes:
                raise _failure(codes.pop(0))
            return "done"
        return attempt

    assert dialects.retrying(flaky(["40P01", "40001"]), pause=pauses.append) == "done"
    assert len(calls) == 3 and len(pauses) == 2 and all(p > 0 for p in pauses)

    calls.clear()
    with pytest.raises(OperationalError):  # a lost connection is not run again
        dialects.retrying(flaky(["08006"]), pause=pauses.append)
    assert len(calls) == 1

    calls.clear()
    with pytest.raises(OperationalError):  # bounded: the last failure reaches the caller
        dialects.retrying(flaky(["40P01"] * 10), attempts=3, pause=pauses.append)
    assert len(calls) == 3
    assert not dialects.is_retryable(IntegrityError("INSERT …", {}, _Orig("23505")))
    assert not dialects.is_retryable(ValueError("40P01"))


@pytest.mark.engines
def test_write_commits_and_returns(tmp_path: Path, database: Callable[[], str | None]) -> None:
    store = Store.open(tmp_path / "home", create=True, database=database())
    try:
        def put(s: Session) -> str:
            s.add(Meta(key="retry.test", value="1"))
            return "ok"

        assert store.write(put) == "ok"
        with pytest.raises(IntegrityError):  # not retryable: raised at once, nothing written twice
            store.write(put)
        with store.read_session() as s:
            assert s.scalar(select(Meta.value).where(Meta.key == "retry.test")) == "1"
    finally:
        store.close()


# PostgreSQL only: SQLite has one writer at a time, and two writers never deadlock.
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_deadlock_victim_is_run_again_and_succeeds(tmp_path: Path, database: Callable[[], str | None]) -> None:
    store = Store.open(tmp_path / "home", create=True, database=database())
    other_has_x, we_have_y = threading.Event(), threading.Event()
    other_failed: list[BaseException] = []
    try:
        with store.session() as s:
            s.add_all([Meta(key="dl.x", value="0"), Meta(key="dl.y", value="0")])

        def other() -> None:  # a second workstation: takes x, then wants y
            try:
                with store.engine.connect() as conn:
                    # It waits long before looking for a deadlock, so that the store's write is the victim.
                    conn.execute(text("SET LOCAL deadlock_timeout = '20s'"))
                    conn.execute(text("UPDATE meta SET value = 'other' WHERE key = 'dl.x'"))
                    other_has_x.set()
                    we_have_y.wait(30)
                    conn.execute(text("UPDATE meta SET value = 'other' WHERE key = 'dl.y'"))
                    conn.commit()
            except BaseException as exc:
                other_failed.append(exc)

        attempts: list[int] = []

        def write(s: Session) -> int:  # takes y, then wants x: the opposite order
            attempts.append(1)
            s.execute(text("SET LOCAL deadlock_timeout = '100ms'"))
            s.execute(text("UPDATE meta SET value = 'write' WHERE key = 'dl.y'"))
            if len(attempts) == 1:
                we_have_y.set()
                assert other_has_x.wait(30)
                time.sleep(0.5)  # the other now waits for y, which this transaction holds
            s.execute(text("UPDATE meta SET value = 'write' WHERE key = 'dl.x'"))
            return len(attempts)

        thread = threading.Thread(target=other)
        thread.start()
        assert other_has_x.wait(30)
        assert store.write(write) == 2  # undone once as the deadlock's victim, then committed
        thread.join(60)
        assert not thread.is_alive() and other_failed == []
        with store.read_session() as s:
            assert dict(s.execute(select(Meta.key, Meta.value).where(Meta.key.like("dl.%"))).all()) == {
                "dl.x": "write", "dl.y": "write"}
    finally:
        store.close()
