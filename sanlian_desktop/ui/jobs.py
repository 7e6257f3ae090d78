"""Background work: a job runs on a worker thread and its outcome comes back to the GUI thread by signal.

A job is any object with a ``title`` and ``run(progress, is_cancelled)``::

    class ExportJob:
        title = "导出申报"

        def run(self, progress: Progress, is_cancelled: IsCancelled) -> Path:
            for i, row in enumerate(rows):
                if is_cancelled():
                    raise JobCancelled
                progress(i, len(rows), "正在导出…")
            return target

    handle = ctx.jobs.submit(ExportJob(), parent=self, on_success=self._exported)

``run`` executes on a worker; it must open its own store sessions (never share one across threads)
and must not touch widgets. The handle's signals arrive on the GUI thread: ``progressed``, then
exactly one of ``succeeded`` / ``failed`` / ``cancelled``, then ``finished`` — always, even if a
callback raises. Without ``on_failure`` the runner shows the failure itself: a ``UserError`` as its
Chinese sentence, anything else as a generic sentence with details to copy.

Jobs run one at a time by default, so writes to the store from the GUI never compete for its lock.

Every write a screen makes goes through :meth:`JobRunner.write` (the shape of anki's ``CollectionOp``)::

    def submit(self) -> None:
        text = self.text.toPlainText()          # read the widgets here, on the GUI thread

        def write() -> None:                    # runs on the worker: its own session, no widgets
            with store.session() as s:
                workflow.review(s, actor, ..., text=text)

        self.ctx.jobs.write(self, self.tr("提交审核意见"), write, on_success=self._reviewed,
                            on_failure=lambda f: self.message.setText(f.message()), busy=[self.submit_button])

While it runs the window stays live, the ``busy`` widgets are disabled, and a second write from the
same ``parent`` is refused (``write`` returns None), so a second click never starts a second write.
The callbacks are dropped when ``parent`` has been destroyed meanwhile.
Every signal is emitted through ``ui.qtfix.emit`` (PySide6 6.12 leaks a reference to ``True`` per
Python ``emit()``; a long session would abort).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QDialog, QWidget

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.store import dialects
from sanlian_desktop.ui.qtfix import emit

log = logging.getLogger("sanlian.jobs")

Progress = Callable[[int, int, str], None]
"""``progress(done, total, text)``; ``total`` 0 means "unknown", ``text`` may be empty."""
IsCancelled = Callable[[], bool]
T = TypeVar("T")

# At most this often (seconds) does a progress report cross to the GUI thread.
PROGRESS_INTERVAL = 0.05


class JobCancelled(Exception):
    """Raised by a job that saw ``is_cancelled()`` and stopped; the handle reports ``cancelled``."""


class Job(Protocol):
    """Long work to run off the GUI thread."""

    title: str

    def run(self, progress: Progress, is_cancelled: IsCancelled) -> Any: ...


@dataclass
class FunctionJob:
    """A job made of a function ``fn(progress, is_cancelled)``."""

    title: str
    fn: Callable[[Progress, IsCancelled], Any]

    def run(self, progress: Progress, is_cancelled: IsCancelled) -> Any:
        return self.fn(progress, is_cancelled)


@dataclass(frozen=True)
class JobFailure:
    """Why a job failed: the exception and the formatted traceback to copy."""

    title: str
    error: BaseException
    details: str

    @property
    def is_user_error(self) -> bool:
        return isinstance(self.error, UserError)

    def message(self) -> str:
        """One sentence a clerk can read."""
        if isinstance(self.error, UserError):
            return self.error.zh
        return QCoreApplication.translate(
            "jobs", "“{0}”没有完成：程序内部出错。请点击“复制详情”，把内容发给技术支持。"
        ).format(self.title)


class _Relay(QObject):
    """Carries the worker's reports; it lives on the GUI thread, so its signals arrive queued there."""

    progress = Signal(int, int, str)
    done = Signal(str, object)


class _Worker(QRunnable):
    def __init__(self, job: Job, relay: _Relay, cancel_event: threading.Event) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._job = job
        self._relay = relay
        self._cancel = cancel_event
        self._last_report = 0.0

    def _progress(self, done: int, total: int, text: str = "") -> None:
        now = time.monotonic()
        if done >= total > 0 or now - self._last_report >= PROGRESS_INTERVAL:
            self._last_report = now
            emit(self._relay.progress, int(done), int(total), str(text))

    def run(self) -> None:
        outcome, payload = "failed", None
        try:
            if self._cancel.is_set():
                raise JobCancelled
            payload = self._job.run(self._progress, self._cancel.is_set)
            outcome = "succeeded"
        except JobCancelled:
            outcome, payload = "cancelled", None
        except BaseException as exc:
            details = traceback.format_exc()
            if not isinstance(exc, UserError):
                log.error("job %r failed\n%s", self._job.title, details)
            payload = JobFailure(self._job.title, exc, details)
        finally:
            emit(self._relay.done, outcome, payload)


class JobHandle(QObject):
    """One submitted job as the GUI sees it."""

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)  # JobFailure
    cancelled = Signal()
    finished = Signal()

    def __init__(self, job: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.result: Any = None
        self.failure: JobFailure | None = None
        self.outcome: str | None = None
        self._cancel = threading.Event()
        self._relay = _Relay(self)
        self._relay.progress.connect(self._on_progress)
        self._relay.done.connect(self._on_done)

    @property
    def is_running(self) -> bool:
        return self.outcome is None

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the job to stop; it stops where it checks ``is_cancelled()``."""
        self._cancel.set()

    def _worker(self) -> _Worker:
        return _Worker(self.job, self._relay, self._cancel)

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if self.outcome is None:
            emit(self.progressed, done, total, text)

    @Slot(str, object)
    def _on_done(self, outcome: str, payload: object) -> None:
        self.outcome = outcome
        try:
            if outcome == "succeeded":
                self.result = payload
                emit(self.succeeded, payload)
            elif outcome == "cancelled":
                emit(self.cancelled)
            else:
                assert isinstance(payload, JobFailure)
                self.failure = payload
                emit(self.failed, payload)
        finally:
            emit(self.finished)


class JobRunner(QObject):
    """Runs jobs on its own thread pool (one thread unless told otherwise)."""

    _ready = Signal()

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 1) -> None:
        super().__init__(parent)
        # The first emit() measures the binding's reference defect (see ui/qtfix.py): do it here, on
        # the GUI thread, rather than racing other threads from a worker.
        emit(self._ready)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._active: set[JobHandle] = set()
        self._writing: dict[int, JobHandle] = {}
        # Run on the worker before every write (the main window's: the signed-in account still active).
        self.guard: Callable[[], None] | None = None

    def submit(
        self,
        job: Job,
        *,
        parent: QWidget | None = None,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[JobFailure], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_finished: Callable[[], None] | None = None,
    ) -> JobHandle:
        """Start ``job``; the callbacks run on the GUI thread.

        Without ``on_failure`` a failure is shown in a dialog over ``parent``.
        """
        handle = JobHandle(job, self)
        if on_progress is not None:
            handle.progressed.connect(on_progress)
        if on_success is not None:
            handle.succeeded.connect(on_success)
        if on_cancelled is not None:
            handle.cancelled.connect(on_cancelled)
        if on_failure is not None:
            handle.failed.connect(on_failure)
        else:
            handle.failed.connect(lambda failure: show_failure(parent, failure))
        if on_finished is not None:
            handle.finished.connect(on_finished)
        handle.finished.connect(lambda: self._forget(handle))
        self._active.add(handle)
        self._pool.start(handle._worker())
        return handle

    def write(
        self,
        parent: QWidget,
        title: str,
        fn: Callable[[], T],
        *,
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[JobFailure], None] | None = None,
        busy: Iterable[QWidget] = (),
    ) -> JobHandle | None:
        """Run the write ``fn()`` on the worker; ``on_success(result)`` / ``on_failure`` on the GUI thread.

        ``fn`` opens its own session and touches no widget. It is one unit of work: when the database
        server undoes its transaction as a deadlock's victim or for a serialization failure, ``fn`` is
        run again (a bounded number of times, :func:`sanlian_desktop.store.dialects.retrying`). Refused (None) while a write started from
        the same ``parent`` is still running. Without ``on_failure`` a ``UserError`` is shown as its
        Chinese sentence over ``parent`` (anything else in the error dialog, never a traceback alone).
        A long write that reports progress (an import, a restore) is a :class:`Job` given to
        :meth:`submit` with :func:`ui.dialogs.progress_dialog`, on this same runner.
        """
        key = id(parent)
        if key in self._writing:
            return None
        widgets = [w for w in busy if w.isEnabled()]
        for widget in widgets:
            widget.setEnabled(False)

        def alive() -> bool:
            return shiboken6.isValid(parent)

        started: list[JobHandle] = []

        def release() -> None:  # before the callbacks, so they may disable a widget for good
            if started and self._writing.get(key) is started[0]:
                del self._writing[key]
            for widget in widgets:
                if shiboken6.isValid(widget):
                    widget.setEnabled(True)
            widgets.clear()

        def succeeded(result: Any) -> None:
            release()
            if on_success is not None and alive():
                on_success(result)

        def failed(failure: JobFailure) -> None:
            release()
            if not alive():
                show_failure(None, failure)
            elif on_failure is not None:
                on_failure(failure)
            else:
                show_failure(parent, failure)

        # On a server a write the server undid as a deadlock's victim is run again (dialects.retrying).
        guard = self.guard

        def work(_report: Any, _cancelled: Any) -> T:
            if guard is not None:
                guard()
            return dialects.retrying(fn)

        job = FunctionJob(title, work)
        handle = self.submit(job, parent=parent, on_success=succeeded, on_failure=failed, on_finished=release)
        self._writing[key] = handle
        started.append(handle)
        return handle

    def writing(self, parent: QWidget) -> bool:
        """Whether a write started from ``parent`` is still running."""
        return id(parent) in self._writing

    def _forget(self, handle: JobHandle) -> None:
        self._active.discard(handle)
        handle.deleteLater()

    @property
    def active(self) -> int:
        """How many submitted jobs have not finished yet."""
        return len(self._active)

    def cancel_all(self) -> None:
        """Ask every running or waiting job to stop."""
        for handle in list(self._active):
            handle.cancel()

    def wait(self, msecs: int = -1) -> bool:
        """Block until the workers are idle (for shutdown and tests); whether they are."""
        return bool(self._pool.waitForDone(msecs))


def show_failure(parent: QWidget | None, failure: JobFailure) -> None:
    """Show a job's failure: a warning with the sentence, or the error dialog with details."""
    from sanlian_desktop.ui.dialogs import show_details, warn

    if parent is not None and not shiboken6.isValid(parent):
        parent = None  # the page that started the job has gone; show the message on its own
    if failure.is_user_error:
        warn(parent, failure.message())
    else:
        show_details(parent, failure.message(), failure.details)


class WriteDialog(QDialog):
    """A dialog whose write runs on the job runner (``self.jobs``): closing waits while the write runs, so
    its outcome (a refusal, the result) is still shown in the dialog."""

    jobs: JobRunner

    def done(self, result: int) -> None:
        if self.jobs.writing(self):
            return
        super().done(result)
