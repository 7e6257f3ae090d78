"""Signing in: the right password, a wrong one, and remembering who signed in last."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.signin.dialog import LAST_USER_KEY, SignInDialog
from tests.helpers import PASSWORD, Office
from tests.ui.helpers import Blocked, stays_live, writes_done


def _dialog(qtbot: QtBot, county: Office, settings: QSettings, jobs: JobRunner) -> SignInDialog:
    dialog = SignInDialog(county.store, settings, jobs=jobs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _ok(qtbot: QtBot, dialog: SignInDialog) -> None:
    """Press 登录 and wait for the password check on the job runner."""
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    writes_done(qtbot, dialog.jobs)


def test_right_password_signs_in_and_is_remembered(qtbot: QtBot, county: Office, settings: QSettings, jobs: JobRunner) -> None:
    dialog = _dialog(qtbot, county, settings, jobs)
    assert [dialog.user_combo.itemData(i) for i in range(dialog.user_combo.count())] == \
        ["admin", "clerk", "reviewer"]
    dialog.user_combo.setCurrentIndex(dialog.user_combo.findData("reviewer"))
    assert "李审核" in dialog.user_combo.currentText()
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    _ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor is not None and dialog.actor.username == "reviewer"
    assert settings.value(LAST_USER_KEY) == "reviewer"
    again = _dialog(qtbot, county, settings, jobs)
    assert again.username() == "reviewer"


def test_wrong_password_says_so_inline(qtbot: QtBot, county: Office, settings: QSettings, jobs: JobRunner) -> None:
    dialog = _dialog(qtbot, county, settings, jobs)
    dialog.user_combo.setCurrentIndex(dialog.user_combo.findData("clerk"))
    qtbot.keyClicks(dialog.password_edit, "not-the-password")
    _ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.actor is None
    assert dialog.error.text() == "用户名或密码不正确"
    assert dialog.error.isVisible()
    assert dialog.password_edit.text() == ""
    assert settings.value(LAST_USER_KEY) is None
    qtbot.keyClicks(dialog.password_edit, "x")
    assert not dialog.error.isVisible()


def test_the_password_is_checked_off_the_gui_thread(qtbot: QtBot, county: Office, settings: QSettings,
                                                    jobs: JobRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from sanlian_desktop.offices import auth

    blocked = Blocked(monkeypatch, auth, "sign_in")
    dialog = _dialog(qtbot, county, settings, jobs)
    dialog.user_combo.setCurrentIndex(dialog.user_combo.findData("clerk"))
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    assert dialog.try_sign_in()
    stays_live(qtbot, blocked, dialog)
    assert jobs.writing(dialog) and not dialog.buttons.isEnabled() and not dialog.password_edit.isEnabled()
    assert not dialog.try_sign_in()  # Enter pressed again starts no second check
    dialog.reject()  # Esc waits for the check
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        blocked.release.set()
    writes_done(qtbot, jobs)
    assert blocked.ran_off_the_gui_thread()
    assert dialog.actor is not None and dialog.actor.username == "clerk"


def test_a_user_disabled_while_the_list_was_open_is_told_so(qtbot: QtBot, county: Office, settings: QSettings,
                                                             jobs: JobRunner) -> None:
    from sanlian_desktop.offices import auth

    dialog = _dialog(qtbot, county, settings, jobs)
    assert dialog.disabled_note is None
    dialog.user_combo.setCurrentIndex(dialog.user_combo.findData("clerk"))
    with county.store.session() as s:
        auth.set_active(s, county.admin, username="clerk", active=False)
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    _ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.actor is None
    assert dialog.error.text() == "账户“clerk”已停用，不能登录，请联系本单位管理员"
    # Opened again, the list leaves the disabled user out and says why.
    again = _dialog(qtbot, county, settings, jobs)
    assert again.user_combo.findData("clerk") == -1 and again.user_combo.count() == 2
    assert again.disabled_note is not None and again.disabled_note.isVisible()
    assert "已停用的用户不在列表中" in again.disabled_note.text()
