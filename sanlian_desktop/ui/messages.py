"""Telling the user what happened: a service's refusal as its Chinese sentence, never a traceback.

Shorthands over :mod:`sanlian_desktop.ui.dialogs`, where every kind of message box lives.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.ui import dialogs


def show_error(parent: QWidget | None, exc: UserError, title: str = "") -> None:
    """A warning box with the error's ``.zh`` sentence."""
    dialogs.warn(parent, exc.zh, title or (parent.tr("无法完成") if parent else "无法完成"))


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """A yes/no question; True for 是."""
    return dialogs.confirm(parent, text, title)
