"""Verifying the statements of a package's next window in a second process while the current one is applied.

An import verifies every version, opinion and registry statement it applies (:func:`verify_statement`:
a canonical parse, re-encoding and a signature check, some 200 µs each); on an office PC with two cores
the second one is otherwise idle. :class:`AheadVerifier` starts a worker process (``spawn``: the same
on Windows and in the frozen bundle, whose entry point calls ``multiprocessing.freeze_support``) with a
copy of the import's certificate pool as it stands once the package's certificates are checked. The
import hands it the statements of the first window, then of each window after the one it is applying
(:meth:`AheadVerifier.submit`), and when it applies a window takes the worker's result for each statement
(:meth:`AheadVerifier.take`). A statement whose result has not come back yet (the worker still starting,
or busier than the import on a loaded machine) the import verifies itself rather than wait, and the
worker skips the batches the import has passed so, going on ahead of it.

The worker only ever saves work, it never decides: it reports a statement it verified completely (its
kind, body, signer and signed time) and nothing for any other — a refusal, a certificate or a parent
office its copy of the pool does not hold (the store's), a statement of the first format. For those the
import verifies in its own process as before, so every refusal is the import's own, with its own
message, at the same record. What the worker does verify, the import would verify the same way: its
pool holds the same certificates, roots, revocations and retired suites, and answers for an office's
parent only what the import's pool had already answered (a parent it was not told is a statement left
to the import).

When no process can be started (or the worker dies), every statement is verified in the import's own
process. The worker ends with the import, also on an error: :meth:`AheadVerifier.close` (the context
manager's exit) stops it, terminating it if it does not end at once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sanlian_desktop.sync.trust.certs import Cert
from sanlian_desktop.sync.trust.chain import CertPool
from sanlian_desktop.sync.trust.statements import Statement, verify_statement

log = logging.getLogger(__name__)

# Fewer statements than this are verified in the import's own process: starting a process costs
# about a second of the other core.
MIN_STATEMENTS = 4000
# Statements sent to the worker in one message (its answers come back by batch).
BATCH = 250
# Whether the import waits for the worker's answer to a statement instead of verifying it itself (tests
# set it, so that what the worker verified is used whatever the timing).
WAIT_FOR_ANSWERS = False
# A worker that does not end this long after it was asked to is terminated.
_STOP_WAIT = 2.0

# What the receiving thread hands on when the worker's pipe closes.
_LOST = object()
# What the worker reports for a statement it verified: (kind, signer serial, signed time, facts). Not its
# body: the import reads that from the statement again when it applies it (a plain JSON parse, a tenth of
# verifying), so that the bodies of the window ahead are not held in memory.
_Verdict = tuple[str, str, datetime, Any]


@dataclass(frozen=True)
class _Setup:
    """What the worker's pool is made of (certificates as their canonical bytes)."""

    roots: list[bytes]
    certs: list[bytes]
    revoked: dict[str, datetime]
    retired: dict[str, datetime]
    parents: dict[str, str | None]
    # Run on each verified statement's kind and body; what it returns travels with the statement
    # (``Prechecked.facts``), an exception makes it None. A module-level function (or a partial of one).
    precheck: Callable[[str, dict[str, Any]], Any] | None = None


@dataclass(frozen=True)
class Prechecked(Statement):
    """A statement the worker verified, with what ``precheck`` found of its body (None: nothing)."""

    facts: Any = None


class _NotTold(Exception):
    """The worker was not told an office's parent: the statement is left to the import."""


def _pool_of(setup: _Setup) -> CertPool:
    parents = setup.parents

    def parent_of(code: str) -> str | None:
        if code not in parents:
            raise _NotTold(code)
        return parents[code]

    return CertPool([Cert.decode(r) for r in setup.roots], setup.revoked, parent_of,
                    certs=[Cert.decode(c) for c in setup.certs], retired=setup.retired)


def _verdict(pool: CertPool, data: bytes, precheck: Callable[[str, dict[str, Any]], Any] | None) -> _Verdict | None:
    try:
        statement = verify_statement(data, pool)
    except Exception:
        return None
    if pool.get(statement.signer.serial) is not statement.signer:
        return None  # a statement of the first format, verified by the chain it carries: left to the import
    facts = None
    if precheck is not None:
        try:
            facts = precheck(statement.kind, statement.body)
        except Exception:
            facts = None  # the import checks again itself, and refuses with its own message
    return statement.kind, statement.signer.serial, statement.signed_at, facts


def _peak_rss_mb(status: Path = Path("/proc/self/status")) -> float:
    """This process's peak memory (Linux; 0 elsewhere). Read as bytes: the file's Name line holds the
    executable's name, which in the built program is Chinese."""
    try:
        for line in status.read_bytes().splitlines():
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _serve(requests: Connection, results: Connection, passed: Any) -> None:
    """The worker: receive what its pool is made of, then verify each batch of statements it receives and
    answer with a verdict for each (and its peak memory so far); end on ``None`` (answering with its peak
    memory and CPU time) or when the import's end of the pipe closes. A batch the import has passed
    already (``passed``: the number of the last batch it verified itself) is answered with nothing."""
    # The 国密 suite, registered as the program does (without its library, its statements stay with the import).
    with contextlib.suppress(ImportError):
        import sanlian_desktop.sync.trust.gm  # noqa: F401
    verified = 0
    number = 0
    try:
        setup = requests.recv()
        pool = _pool_of(setup) if isinstance(setup, _Setup) else None
        while pool is not None:
            batch = requests.recv()
            if batch is None:
                break
            verdicts = []
            for data in batch:
                verdicts.append(None if number <= passed.value else _verdict(pool, data, setup.precheck))
            verified += sum(v is not None for v in verdicts)
            results.send(("verdicts", _peak_rss_mb(), verdicts))
            number += 1
        results.send(("done", verified, _peak_rss_mb(), time.process_time()))
    except (EOFError, OSError):
        return  # the import ended (or was killed): so does the worker


def _spawn() -> tuple[Any, Connection, Connection, Any]:
    """A worker process, started: (process, the pipe to send it requests, the pipe to receive its answers,
    the number of the last batch the import verified itself, shared with it)."""
    ctx = multiprocessing.get_context("spawn")
    requests_in, requests_out = ctx.Pipe(duplex=False)
    results_in, results_out = ctx.Pipe(duplex=False)
    passed = ctx.RawValue("q", -1)
    process = ctx.Process(target=_serve, args=(requests_in, results_out, passed), name="sanlian-verify", daemon=True)
    try:
        process.start()
    finally:
        requests_in.close()  # the worker's ends: its own copies travel with it
        results_out.close()
    return process, requests_out, results_in, passed


def probe(timeout: float = 60.0) -> float:
    """Start a worker as an import does, have it answer and end; the seconds that took. For the self-test of
    the built program, where the worker is the program's own executable started again: it must come up as
    the worker (``freeze_support`` in the entry point), not as a second program. Raises RuntimeError when
    it does not answer in ``timeout`` seconds."""
    began = time.monotonic()
    process, requests_out, results_in, _passed = _spawn()
    try:
        requests_out.send(None)  # no pool: the worker answers "done" at once
        if not results_in.poll(timeout):
            raise RuntimeError(f"the verifying worker did not answer within {timeout:.0f} s")
        reply = results_in.recv()
        if not (isinstance(reply, tuple) and reply and reply[0] == "done"):
            raise RuntimeError(f"the verifying worker answered {reply!r}")
        process.join(timeout)
        if process.exitcode != 0:
            raise RuntimeError(f"the verifying worker ended with exit code {process.exitcode}")
        return time.monotonic() - began
    finally:
        if process.is_alive():
            process.kill()
            process.join()
        requests_out.close()
        results_in.close()


class AheadVerifier:
    """A worker process verifying submitted statements ahead of the import (see the module docstring)."""

    def __init__(self, process: Any, requests: Connection, results: Connection, passed: Any) -> None:
        self._pool: CertPool | None = None
        self._passed = passed  # shared with the worker: the last batch the import verified itself
        self.worker_peak_mb = 0.0
        self._process = process
        self._requests = requests
        self._results = results
        self._outbox: queue.Queue[_Setup | list[bytes] | None] = queue.Queue()
        # Sending and receiving never hold the import up: a message is read whole by a thread of its own
        # (a busy machine may pause the worker half-way through writing one), sent by another.
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._sender = threading.Thread(target=self._send_all, name="statement-sender", daemon=True)
        self._sender.start()
        self._receiver = threading.Thread(target=self._receive_all, name="statement-receiver", daemon=True)
        self._receiver.start()
        self._batches: list[list[bytes]] = []  # each submitted batch's statements, by number
        self._windows: list[int] = []  # each batch's window (one per call of submit)
        self._received = 0  # how many batches' verdicts have come back
        self._where: dict[bytes, tuple[int, int]] = {}  # statement → the batch and window it was submitted in
        self._verdicts: dict[bytes, _Verdict] = {}
        self.alive = True
        self.taken = 0

    @classmethod
    def start(cls) -> AheadVerifier | None:
        """A worker process, started now (it imports what it needs meanwhile) and given its pool later by
        :meth:`configure`; None when no process can be started: the import then verifies every statement
        itself."""
        try:
            spawned = _spawn()
        except Exception as exc:
            log.info("statements verified in this process: no worker (%s)", exc)
            return None
        return cls(*spawned)

    def configure(self, pool: CertPool, parents: Mapping[str, str | None],
                  precheck: Callable[[str, dict[str, Any]], Any] | None = None) -> bool:
        """Give the worker a copy of ``pool`` (and the parents its chains were checked with, and what to
        ``precheck`` of each verified body); False when the pool cannot be copied (then close it)."""
        if not isinstance(pool.revoked, Mapping):
            return False  # a bare set of serials (tests' pools): nothing to gain, keep it simple
        self._pool = pool
        self._outbox.put(_Setup(roots=[r.encode() for r in pool.roots], certs=[c.encode() for c in pool.certificates()],
                                revoked=dict(pool.revoked), retired=dict(pool.retired), parents=dict(parents),
                                precheck=precheck))
        return True

    def _send_all(self) -> None:
        while True:
            batch = self._outbox.get()
            try:
                self._requests.send(batch)
            except (OSError, ValueError):
                return  # the worker is gone; what it did not answer is verified by the import
            if batch is None:
                return

    def _receive_all(self) -> None:
        while True:
            try:
                message = self._results.recv()
            except (EOFError, OSError, ValueError):
                self._inbox.put(_LOST)
                return
            self._inbox.put(message)
            if message[0] == "done":  # the worker's last word
                return

    def submit(self, statements: Iterable[bytes]) -> None:
        """Have the worker verify ``statements`` (those of a window before it is applied), in batches of
        :data:`BATCH`."""
        if not self.alive or self._pool is None:
            return
        statements = list(statements)
        batches = [statements[i:i + BATCH] for i in range(0, len(statements), BATCH)]
        window = self._windows[-1] + 1 if self._windows else 0
        for batch in batches:
            number = len(self._batches)
            self._batches.append(batch)
            self._windows.append(window)
            for data in batch:
                self._where[data] = (number, window)
            self._outbox.put(batch)

    def take(self, data: bytes, kind: str | None) -> Statement | None:
        """The statement ``data`` as the worker verified it, or None (not submitted, not answered yet, not
        verified there, of another kind than ``kind``): then the import verifies it itself."""
        where = self._where.get(data)
        if where is None:
            return None
        number = where[0]
        while self.alive and self._received <= number:
            try:
                message = self._inbox.get(block=WAIT_FOR_ANSWERS)
            except queue.Empty:
                # Not answered yet (the worker is starting, or busy): verified here, no waiting; the worker
                # skips what the import has passed and goes on ahead of it.
                self._passed.value = max(self._passed.value, number)
                break
            self._receive(message)
        self._where.pop(data, None)  # its answer, if it comes later, is not kept
        verdict = self._verdicts.pop(data, None)
        if verdict is None:
            return None
        found, serial, signed_at, facts = verdict
        signer = self._pool.get(serial) if self._pool is not None else None
        if (kind is not None and found != kind) or signer is None:
            return None
        # Verified there, so it parses as canonical JSON does (no repeated names, no floats): the same body.
        body = json.loads(data.decode("utf-8"))["statement"]["body"]
        self.taken += 1
        return Prechecked(found, body, signer, signed_at, facts)

    def _receive(self, message: Any) -> None:
        number = self._received
        if message is _LOST or message[0] != "verdicts":  # the worker ended (or died) before answering
            self._lost()
            return
        _, peak, verdicts = message
        self.worker_peak_mb = max(self.worker_peak_mb, peak)
        self._received += 1
        where, window = self._where, self._windows[number]
        for data, verdict in zip(self._batches[number], verdicts, strict=True):
            if verdict is not None and where.get(data) == (number, window):  # still wanted
                self._verdicts[data] = verdict
        self._batches[number] = []
        # What the windows before the one being applied left untaken (records this store held already).
        stale = [data for data, (_, w) in where.items() if w <= window - 2]
        for data in stale:
            del where[data]
            self._verdicts.pop(data, None)

    def _lost(self) -> None:
        log.warning("the verifying worker ended early: the import verifies the remaining statements itself")
        self.alive = False
        self._where.clear()
        self._verdicts.clear()

    def close(self, *, finished: bool = False) -> None:
        """Stop the worker: when the import has ``finished`` applying, once it has answered what it was
        given (and reported its figures); otherwise (an error, a cancel) at once. Terminated if it does
        not end in time."""
        process = self._process
        graceful = finished and self.alive
        self.alive = False
        try:
            if graceful:
                self._passed.value = len(self._batches)  # what is still queued is skipped
                self._outbox.put(None)
                while True:
                    reply = self._inbox.get(timeout=_STOP_WAIT)
                    if reply is _LOST:
                        break
                    if reply[0] == "done":
                        _, verified, peak, cpu = reply
                        self.worker_peak_mb = max(self.worker_peak_mb, peak)
                        log.info("verifying worker: %d statements verified, %d taken, peak %.1f MB, CPU %.1f s",
                                 verified, self.taken, peak, cpu,
                                 extra={"worker_peak_mb": peak, "worker_cpu_s": cpu, "worker_verified": verified})
                        break
                    self.worker_peak_mb = max(self.worker_peak_mb, reply[1])
                process.join(_STOP_WAIT)
        except queue.Empty:
            pass
        finally:
            if process.is_alive():
                process.terminate()
                process.join(_STOP_WAIT)
                if process.is_alive():
                    process.kill()
                    process.join()
            self._outbox.put(None)  # the sender thread ends (a send to the ended worker fails at once)
            self._sender.join(_STOP_WAIT)
            self._receiver.join(_STOP_WAIT)  # the worker has ended: its end of the pipe is closed
            self._requests.close()
            self._results.close()
            self._where.clear()
            self._verdicts.clear()
            self._batches.clear()


def start_for(statements: int) -> AheadVerifier | None:
    """A worker for an import of ``statements`` statements: None for a small one (or on one core, or when no
    process can be started)."""
    if statements < MIN_STATEMENTS or os.cpu_count() == 1:
        return None
    return AheadVerifier.start()
