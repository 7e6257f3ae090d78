"""Small widgets several screens share."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

ERROR_STYLE = "color: #b3261e;"


class InlineError(QLabel):
    """A red sentence under a form, empty and hidden until there is something to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.show_message("")


class PasswordPair(QObject):
    """A new password typed twice, as two rows of the caller's form (so the labels line up).

    The strength rule belongs to the service; this only compares the two.
    """

    changed = Signal()

    def __init__(self, form: QFormLayout, parent: QWidget) -> None:
        super().__init__(parent)
        self.first = QLineEdit(parent)
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.second = QLineEdit(parent)
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setPlaceholderText(self.tr("至少8位"))
        form.addRow(self.tr("密码："), self.first)
        form.addRow(self.tr("再输入一次："), self.second)
        self.first.textChanged.connect(self.changed)
        self.second.textChanged.connect(self.changed)

    def password(self) -> str:
        return self.first.text()

    def mismatch(self) -> str:
        """A sentence when the two differ, else an empty string."""
        return "" if self.first.text() == self.second.text() else self.tr("两次输入的密码不一致")

    def set_passwords(self, first: str, second: str | None = None) -> None:
        self.first.setText(first)
        self.second.setText(first if second is None else second)
