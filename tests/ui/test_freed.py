"""Dialogs are freed when they close: no window piles up behind the main window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject, QSettings
from pytestqt.qtbot import QtBot

from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import ErrorDialog
from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.settings.page import SettingsPage
from sanlian_desktop.ui.settings.userdialogs import AddUserDialog
from sanlian_desktop.ui.signin.dialog import SignInDialog
from tests.helpers import Office


def check_freed_on_close(qtbot: QtBot, obj: QObject, close: Callable[[], object]) -> None:
    """Close ``obj`` as the program does and wait until Qt has deleted it."""
    destroyed: list[bool] = []
    obj.destroyed.connect(lambda *_: destroyed.append(True))
    close()
    qtbot.waitUntil(lambda: bool(destroyed))
    assert not shiboken6.isValid(obj)


def test_error_dialog_is_freed(qtbot: QtBot) -> None:
    dialog = ErrorDialog("出错了", "Traceback …")
    dialog.show()
    dialog.copy_details()
    check_freed_on_close(qtbot, dialog, dialog.close)


def test_add_user_dialog_is_freed_after_cancel(qtbot: QtBot, admin_ctx: UiContext) -> None:
    page = SettingsPage(admin_ctx)
    qtbot.addWidget(page)
    page.add_user()
    dialog = page.dialog
    assert isinstance(dialog, AddUserDialog)
    check_freed_on_close(qtbot, dialog, dialog.reject)


def test_sign_in_dialog_is_freed(qtbot: QtBot, county: Office, settings: QSettings, jobs: JobRunner,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from sanlian_desktop.ui.signin import dialog as module

    made: list[SignInDialog] = []

    class Recorded(SignInDialog):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(module, "SignInDialog", Recorded)
    assert module.sign_in(county.store, settings, jobs=jobs) is None  # exec() is patched to cancel
    check_freed_on_close(qtbot, made[0], lambda: None)


def test_wizard_is_freed_after_cancel(qtbot: QtBot, tmp_path: Path, settings: QSettings, jobs: JobRunner) -> None:
    wizard = FirstRunWizard(tmp_path / "home", settings, jobs)
    wizard.show()

    def cancel() -> None:
        wizard.reject()
        wizard.deleteLater()

    check_freed_on_close(qtbot, wizard, cancel)
    assert not (tmp_path / "home" / "sanlian.db").exists()
