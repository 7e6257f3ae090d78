"""The few kinds of message the program shows, in one place (tests replace them).

A service's refusal is shown with :func:`show_error` as its Chinese sentence; an unexpected error with
:func:`show_details`; a question with :func:`confirm` (``parent, text, title``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop import APP_NAME
from sanlian_desktop.kernel.errors import UserError


def _tr(text: str) -> str:
    return QCoreApplication.translate("dialogs", text)


def warn(parent: QWidget | None, text: str, title: str = APP_NAME) -> None:
    """A refused action or a problem the user can fix, in one sentence."""
    QMessageBox.warning(parent, title, text)


def inform(parent: QWidget | None, text: str) -> None:
    """Something done, worth telling."""
    QMessageBox.information(parent, APP_NAME, text)


def status_message(widget: QWidget | None, text: str, ms: int = 15_000) -> bool:
    """Say in the main window's status bar that something was done (``已提交：…``); False without one."""
    window = widget.window() if widget is not None else None
    if not isinstance(window, QMainWindow):
        return False
    window.statusBar().showMessage(text, ms)
    return True


def confirm(parent: QWidget | None, text: str, title: str = APP_NAME, *, default_yes: bool = False) -> bool:
    """Ask yes or no; True for yes. 否 is the default button unless ``default_yes`` (a safe offer, such as
    restoring autosaved typing)."""
    default = QMessageBox.StandardButton.Yes if default_yes else QMessageBox.StandardButton.No
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, default)
    return answer == QMessageBox.StandardButton.Yes


class ErrorDialog(QDialog):
    """An error a clerk can read, with the technical details folded away and a button to copy them."""

    def __init__(self, message: str, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("出错了"))
        self.setMinimumWidth(520)
        self.details_text = details
        layout = QVBoxLayout(self)
        self.message_label = QLabel(message, self)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message_label)
        self.details = QPlainTextEdit(details, self)
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        self.details.setMinimumHeight(200)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(self)
        self.copy_button = QPushButton(self.tr("复制详情"), self)
        self.toggle_button = QPushButton(self.tr("显示详情"), self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.toggle_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy_details)
        self.toggle_button.clicked.connect(self._toggle)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        """Put the message and the details on the clipboard."""
        QGuiApplication.clipboard().setText(f"{self.message_label.text()}\n\n{self.details_text}")
        self.copy_button.setText(self.tr("已复制"))

    def _toggle(self) -> None:
        shown = not self.details.isVisible()
        self.details.setVisible(shown)
        self.toggle_button.setText(self.tr("隐藏详情") if shown else self.tr("显示详情"))
        self.adjustSize()


def show_error(parent: QWidget | None, exc: UserError, title: str = "") -> None:
    """A service's refusal: a warning box with the error's Chinese sentence (``.zh``), never a traceback."""
    warn(parent, exc.zh, title or _tr("无法完成"))


def show_details(parent: QWidget | None, message: str, details: str) -> None:
    """Show an unexpected error (modal): the sentence, with the technical details folded away to copy."""
    ErrorDialog(message, details, parent).exec()


def progress_dialog(parent: QWidget | None, handle: Any, label: str) -> QProgressDialog:
    """A progress dialog bound to a job handle: it follows progress, cancels the job, closes at the end."""
    dialog = QProgressDialog(label, _tr("取消"), 0, 0, parent)
    dialog.setWindowTitle(APP_NAME)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)

    def follow(done: int, total: int, text: str) -> None:
        dialog.setMaximum(max(total, 0))
        dialog.setValue(min(done, total) if total > 0 else 0)
        if text:
            dialog.setLabelText(text)

    handle.progressed.connect(follow)
    dialog.canceled.connect(handle.cancel)
    handle.finished.connect(dialog.deleteLater)
    return dialog
