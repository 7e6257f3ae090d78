"""The background job runner: results, failures, cancelling, progress — always a finished signal."""

from __future__ import annotations

import threading
from typing import Any

from pytestqt.qtbot import QtBot

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.ui.jobs import FunctionJob, IsCancelled, JobCancelled, JobFailure, JobRunner, Progress
from tests.ui.conftest import Modals


def _collect(runner: JobRunner, job: Any, **kwargs: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {"progress": [], "finished": 0}
    handle = runner.submit(job, on_success=lambda r: seen.__setitem__("result", r),
                           on_cancelled=lambda: seen.__setitem__("cancelled", True),
                           on_progress=lambda d, t, s: seen["progress"].append((d, t, s)),
                           on_finished=lambda: seen.__setitem__("finished", seen["finished"] + 1), **kwargs)
    seen["handle"] = handle
    return seen


def test_success_comes_back_on_the_gui_thread(qtbot: QtBot, jobs: JobRunner) -> None:
    gui = threading.get_ident()
    worker: list[int] = []

    def work(progress: Progress, _cancelled: IsCancelled) -> int:
        worker.append(threading.get_ident())
        progress(1, 1, "一半")
        return 42

    seen = _collect(jobs, FunctionJob("计算", work))
    qtbot.waitUntil(lambda: seen["finished"] == 1)
    assert seen["result"] == 42
    assert worker and worker[0] != gui
    assert seen["progress"] == [(1, 1, "一半")]
    assert jobs.active == 0


def test_user_error_is_shown_as_its_sentence(qtbot: QtBot, jobs: JobRunner, modals: Modals) -> None:
    def work(_p: Progress, _c: IsCancelled) -> None:
        raise UserError("批次已截止", "closed")

    seen = _collect(jobs, FunctionJob("提交", work))
    qtbot.waitUntil(lambda: seen["finished"] == 1)
    assert "result" not in seen
    assert modals.boxes == [("warning", "批次已截止")]
    assert seen["handle"].failure.is_user_error


def test_unexpected_error_gives_a_generic_sentence_and_details(qtbot: QtBot, jobs: JobRunner,
                                                                modals: Modals) -> None:
    failures: list[JobFailure] = []

    def work(_p: Progress, _c: IsCancelled) -> None:
        raise ZeroDivisionError("boom")

    seen = _collect(jobs, FunctionJob("导出", work), on_failure=failures.append)
    qtbot.waitUntil(lambda: seen["finished"] == 1)
    (failure,) = failures
    assert "“导出”没有完成" in failure.message()
    assert "ZeroDivisionError: boom" in failure.details
    assert modals.boxes == []  # the caller handled it


def test_unexpected_error_without_handler_opens_the_error_dialog(qtbot: QtBot, jobs: JobRunner,
                                                                  modals: Modals) -> None:
    seen = _collect(jobs, FunctionJob("导出", lambda _p, _c: 1 / 0))
    qtbot.waitUntil(lambda: seen["finished"] == 1)
    assert modals.executed == ["ErrorDialog"]


def test_cancel_stops_a_job_that_checks(qtbot: QtBot, jobs: JobRunner) -> None:
    started = threading.Event()

    def work(_p: Progress, is_cancelled: IsCancelled) -> str:
        started.set()
        while not is_cancelled():
            threading.Event().wait(0.005)
        raise JobCancelled

    seen = _collect(jobs, FunctionJob("长任务", work))
    assert started.wait(5)
    seen["handle"].cancel()
    qtbot.waitUntil(lambda: seen["finished"] == 1)
    assert seen.get("cancelled") is True
    assert "result" not in seen


def test_a_job_cancelled_while_waiting_never_runs(qtbot: QtBot, jobs: JobRunner) -> None:
    gate = threading.Event()
    ran: list[str] = []
    first = _collect(jobs, FunctionJob("占位", lambda _p, _c: gate.wait(5)))
    second = _collect(jobs, FunctionJob("排队", lambda _p, _c: ran.append("ran")))
    second["handle"].cancel()
    gate.set()
    qtbot.waitUntil(lambda: first["finished"] == 1 and second["finished"] == 1)
    assert ran == [] and second.get("cancelled") is True


def test_finished_is_emitted_even_when_a_callback_raises(qtbot: QtBot, jobs: JobRunner) -> None:
    finished: list[bool] = []

    def bad_callback(_result: Any) -> None:
        raise RuntimeError("callback bug")

    with qtbot.captureExceptions() as exceptions:
        jobs.submit(FunctionJob("x", lambda _p, _c: 1), on_success=bad_callback,
                    on_finished=lambda: finished.append(True))
        qtbot.waitUntil(lambda: finished == [True])
    assert any("callback bug" in str(e[1]) for e in exceptions)


def test_progress_reports_are_throttled(qtbot: QtBot, jobs: JobRunner) -> None:
    def work(progress: Progress, _c: IsCancelled) -> None:
        for i in range(10_000):
            progress(i, 10_000, "")
        progress(10_000, 10_000, "完成")

    seen = _collect(jobs, FunctionJob("很多进度", work))
    qtbot.waitUntil(lambda: seen["finished"] == 1)
    assert len(seen["progress"]) < 200
    assert seen["progress"][-1] == (10_000, 10_000, "完成")


def test_progress_dialog_follows_and_cancels_the_job(qtbot: QtBot, jobs: JobRunner) -> None:
    from sanlian_desktop.ui.dialogs import progress_dialog

    halfway = threading.Event()

    def work(progress: Progress, is_cancelled: IsCancelled) -> None:
        progress(5, 10, "正在导出第5份")
        halfway.set()
        while not is_cancelled():
            threading.Event().wait(0.005)
        raise JobCancelled

    seen = _collect(jobs, FunctionJob("导出", work))
    dialog = progress_dialog(None, seen["handle"], "正在导出…")
    qtbot.waitUntil(lambda: dialog.value() == 5)
    assert dialog.maximum() == 10 and dialog.labelText() == "正在导出第5份"
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QPushButton

    cancel = dialog.findChild(QPushButton)
    assert cancel is not None and cancel.text() in ("取消", "Cancel")
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: seen["finished"] == 1)
    assert seen.get("cancelled") is True


def test_many_jobs_do_not_drain_references_to_true(qtbot: QtBot, jobs: JobRunner) -> None:
    """PySide6 6.12 loses a reference to True on each Python emit(); ui.qtfix keeps it far from zero."""
    import sys

    finished: list[bool] = []
    for _ in range(300):
        jobs.submit(FunctionJob("x", lambda p, _c: p(1, 1, "")), on_finished=lambda: finished.append(True))
    qtbot.waitUntil(lambda: len(finished) == 300, timeout=30_000)
    # 300 jobs make well over 1,000 emits; the protected singletons keep a margin of about 2**40.
    assert min(sys.getrefcount(True), sys.getrefcount(None)) > 2**39


def test_failure_after_the_page_is_gone_is_still_shown(qtbot: QtBot, jobs: JobRunner, modals: Modals) -> None:
    from PySide6.QtWidgets import QWidget

    gate = threading.Event()
    page = QWidget()

    def work(_p: Progress, _c: IsCancelled) -> None:
        gate.wait(5)
        raise UserError("文件已被占用", "busy")

    seen = _collect(jobs, FunctionJob("导出", work), parent=page)
    destroyed: list[bool] = []
    page.destroyed.connect(lambda *_: destroyed.append(True))
    page.deleteLater()
    qtbot.waitUntil(lambda: bool(destroyed))
    gate.set()
    qtbot.waitUntil(lambda: seen["finished"] == 1)
    assert modals.boxes == [("warning", "文件已被占用")]


def test_a_write_the_server_undid_as_a_deadlock_victim_is_run_again(qtbot: QtBot, jobs: JobRunner) -> None:
    from PySide6.QtWidgets import QWidget
    from sqlalchemy.exc import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    page = QWidget()
    calls: list[int] = []
    results: list[str] = []

    def write() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("UPDATE declaration …", {}, Deadlock())
        return "saved"

    jobs.write(page, "保存", write, on_success=results.append)
    qtbot.waitUntil(lambda: results == ["saved"])
    assert len(calls) == 2
