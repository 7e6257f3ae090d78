"""Fixtures for the form, inbox and review tests: no modal dialog ever blocks, messages are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QMessageBox

from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobRunner
from tests.helpers import Office


class Modals:
    """What the code under test asked the user, and how the fake user answers."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.questions: list[str] = []
        self.answer_yes = True
        self.close_answer = QMessageBox.StandardButton.Discard
        self.paper_text = "同意上报。"
        self.paper_day = date.today()  # the 签署日期 typed from the paper form (the box starts empty)


@pytest.fixture(name="modals")
def modals_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Modals]:
    """QMessageBox and the submit dialog answer at once instead of waiting for a person."""
    from sanlian_desktop.ui.form.submit import SubmitDialog

    state = Modals()

    def warning(_parent: Any, _title: str, text: str, *args: Any, **kwargs: Any) -> Any:
        state.warnings.append(text)
        return QMessageBox.StandardButton.Ok

    def question(_parent: Any, _title: str, text: str, *args: Any, **kwargs: Any) -> Any:
        state.questions.append(text)
        if args and args[0] & QMessageBox.StandardButton.Discard:
            return state.close_answer
        return QMessageBox.StandardButton.Yes if state.answer_yes else QMessageBox.StandardButton.No

    def submit_exec(self: SubmitDialog) -> int:
        for box in self.boxes:
            box.text.setPlainText(state.paper_text)
            box.date.set_day(state.paper_day)
        self._accept()
        return int(self.result())

    monkeypatch.setattr(QMessageBox, "warning", warning)
    monkeypatch.setattr(QMessageBox, "critical", warning)
    monkeypatch.setattr(QMessageBox, "information", warning)
    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.setattr(SubmitDialog, "exec", submit_exec)
    monkeypatch.setattr(QDialog, "exec", lambda self: int(QDialog.DialogCode.Accepted))
    yield state


def ui_context(office: Office, actor: Actor, tmp_path: Any, jobs: JobRunner) -> UiContext:
    """A context on ``jobs`` (the ``jobs`` fixture: a runner owned by a page or dialog alone can be deleted
    under a running job)."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    return UiContext(store=office.store, actor=actor, settings=settings, jobs=jobs)


def writes_done(qtbot: Any, jobs: JobRunner, timeout: int = 10_000) -> None:
    """Wait until every write (and job) started on ``jobs`` has finished and its callbacks have run."""
    qtbot.waitUntil(lambda: jobs.active == 0, timeout=timeout)


def is_deleted(widget: Any) -> bool:
    import shiboken6

    return not shiboken6.isValid(widget)


def submitted(office: Office, raw: dict[str, Any]) -> str:
    """A declaration keyed in at the county (代录) and submitted with the street's paper opinion."""
    from datetime import date

    from sanlian_desktop.declarations import drafts
    from sanlian_desktop.kernel.vocab import Level

    with office.session() as s:
        decl = drafts.create(s, office.clerk, raw)
        paper = {Level.STREET: drafts.PaperOpinion("同意上报。", date.today())}
        drafts.submit(s, office.clerk, decl, office.store.paths, paper_opinions=paper)
        return decl.id


def settle(qtbot: Any, page: Any) -> None:
    """Wait for the page's list query running off the GUI thread."""
    qtbot.waitUntil(lambda: not page.model.loading, timeout=5000)


class Blocked:
    """A service function patched to wait on the worker until released; records the threads it ran on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
        import threading

        self.entered, self.release = threading.Event(), threading.Event()
        self.threads: list[str] = []
        real = getattr(owner, name)

        def slow(*args: Any, **kwargs: Any) -> Any:
            self.threads.append(threading.current_thread().name)
            self.entered.set()
            assert self.release.wait(10)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, slow)

    def ran_off_the_gui_thread(self) -> bool:
        import threading

        return len(self.threads) == 1 and self.threads[0] != threading.current_thread().name


def stays_live(qtbot: Any, blocked: Blocked, parent: Any) -> None:
    """While ``blocked`` waits on the worker, the GUI thread keeps running its timers."""
    from PySide6.QtCore import QTimer

    assert blocked.entered.wait(5)
    ticks: list[int] = []
    timer = QTimer(parent)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=3000)
    timer.stop()


def refusing(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, zh: str) -> None:
    """``owner.name`` raises a UserError with ``zh`` (on the worker, where the write runs)."""
    from sanlian_desktop.kernel.errors import UserError

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise UserError(zh, "refused")

    monkeypatch.setattr(owner, name, refuse)
