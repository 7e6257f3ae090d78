"""The binding work-around: None, True and False survive any number of Qt calls."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLineEdit

import sanlian_desktop.ui  # noqa: F401 - applies the work-around
from sanlian_desktop.ui.qtfix import protect_singletons


def test_singletons_survive_many_void_calls(qtbot: object) -> None:
    protect_singletons()  # idempotent
    edit = QLineEdit()
    before = sys.getrefcount(None)
    for _ in range(20_000):  # several times None's natural reference count
        edit.setText("x")
    assert sys.getrefcount(None) > 1 << 30 or sys.version_info >= (3, 12) or before - sys.getrefcount(None) < 100
