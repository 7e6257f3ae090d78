"""UI fixtures: isolated settings, a job runner, contexts for the county office, no modal dialogs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobRunner
from tests.helpers import Office


@dataclass
class Modals:
    """What would have popped up: (kind, text) for message boxes, dialog classes for exec()."""

    boxes: list[tuple[str, str]] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)
    answer: QMessageBox.StandardButton = QMessageBox.StandardButton.No
    open_file: str = ""
    save_file: str = ""
    folder: str = ""

    def texts(self) -> list[str]:
        return [text for _kind, text in self.boxes]


@pytest.fixture(autouse=True)
def modals(monkeypatch: pytest.MonkeyPatch) -> Modals:
    """Turn every modal dialog into a record; tests never block on one."""
    record = Modals()

    def box(kind: str) -> Any:
        def show(_parent: Any, _title: str, text: str, *_args: Any, **_kwargs: Any) -> Any:
            record.boxes.append((kind, text))
            return record.answer if kind == "question" else QMessageBox.StandardButton.Ok
        return staticmethod(show)

    for kind in ("warning", "information", "critical", "question", "about"):
        monkeypatch.setattr(QMessageBox, kind, box(kind))

    def execute(self: QDialog) -> int:
        record.executed.append(type(self).__name__)
        return int(QDialog.DialogCode.Rejected.value)

    monkeypatch.setattr(QDialog, "exec", execute)
    monkeypatch.setattr(QMessageBox, "exec", execute)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *_a, **_k: (record.open_file, "")))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *_a, **_k: (record.save_file, "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *_a, **_k: record.folder))
    # The binding gives QPrintDialog its own exec(), so patching QDialog's does not reach it.
    monkeypatch.setattr(QPrintDialog, "exec", execute)
    return record


@pytest.fixture(autouse=True)
def _wheel_guard(qapp: Any) -> None:
    """As ``make_application`` does: the wheel changes a box only while it has the focus."""
    from sanlian_desktop.ui.widgets import install_wheel_guard

    install_wheel_guard(qapp)


@pytest.fixture(autouse=True)
def default_settings(tmp_path: Path) -> Iterator[None]:
    """``QSettings()`` (windows' remembered geometry where no settings are passed in) in the test's folder."""
    before = QSettings.defaultFormat()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "default-settings"))
    yield
    QSettings.setDefaultFormat(before)


@pytest.fixture(autouse=True)
def office_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows are sized for a 1366×768 office screen with a taskbar (1366×705 left), not for the
    offscreen platform's 800×600; tests of other screens replace this again."""
    from PySide6.QtCore import QRect

    from sanlian_desktop.ui import geometry

    monkeypatch.setattr(geometry, "available_geometry", lambda _widget=None: QRect(0, 0, 1366, 705))


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def jobs(qapp: Any) -> Iterator[JobRunner]:
    runner = JobRunner()
    yield runner
    runner.cancel_all()
    assert runner.wait(10_000)
    runner.deleteLater()


@pytest.fixture
def admin_ctx(county: Office, settings: QSettings, jobs: JobRunner) -> UiContext:
    return UiContext(store=county.store, actor=county.admin, settings=settings, jobs=jobs)


@pytest.fixture
def clerk_ctx(county: Office, settings: QSettings, jobs: JobRunner) -> UiContext:
    return UiContext(store=county.store, actor=county.clerk, settings=settings, jobs=jobs)
