"""Signing in: the right password, a wrong one, and remembering who signed in last."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from sanlian_desktop.ui.signin.dialog import LAST_USER_KEY, SignInDialog
from tests.helpers import PASSWORD, Office


def _dialog(qtbot: QtBot, county: Office, settings: QSettings) -> SignInDialog:
    dialog = SignInDialog(county.store, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _ok(qtbot: QtBot, dialog: SignInDialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def test_right_password_signs_in_and_is_remembered(qtbot: QtBot, county: Office, settings: QSettings) -> None:
    dialog = _dialog(qtbot, county, settings)
    assert [dialog.user_combo.itemData(i) for i in range(dialog.user_combo.count())] == \
        ["admin", "clerk", "reviewer"]
    dialog.user_combo.setCurrentIndex(dialog.user_combo.findData("reviewer"))
    assert "李审核" in dialog.user_combo.currentText()
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    _ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor is not None and dialog.actor.username == "reviewer"
    assert settings.value(LAST_USER_KEY) == "reviewer"
    again = _dialog(qtbot, county, settings)
    assert again.username() == "reviewer"


def test_wrong_password_says_so_inline(qtbot: QtBot, county: Office, settings: QSettings) -> None:
    dialog = _dialog(qtbot, county, settings)
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
