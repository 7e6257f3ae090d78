"""Telling the user what happened: a service's refusal as its Chinese sentence, never a traceback."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from sanlian_desktop.errors import UserError


def show_error(parent: QWidget | None, exc: UserError, title: str = "") -> None:
    """A warning box with the error's ``.zh`` sentence."""
    QMessageBox.warning(parent, title or parent.tr("无法完成") if parent else "无法完成", exc.zh)


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """A yes/no question; True for 是."""
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
