"""Work-arounds for defects of the Qt binding that would otherwise crash a long session.

PySide6 6.12 returns the result of ``SignalInstance.emit()`` (``True``) without a reference of its own,
so every emit from Python takes one reference away from ``True``; after a few thousand emits the
interpreter aborts (``bool_dealloc``). :func:`emit` measures the defect once and gives the reference
back; on a fixed binding it does nothing extra. ``QObject.property()`` of an unset name has the same
defect with ``None``, so this package keeps widget marks in Python instead of reading properties.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

_lost: int | None = None


def _measure() -> int:
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    lost = (before - sys.getrefcount(True)) // 8
    for _ in range(8 * lost):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    probe.deleteLater()
    return max(0, lost)


def emit(signal: Any, *args: Any) -> None:
    """``signal.emit(*args)`` without the binding's reference leak on ``True``."""
    global _lost  # noqa: PLW0603 - measured once per process
    if _lost is None:
        _lost = _measure()
    result = signal.emit(*args)
    if _lost and result is True:
        for _ in range(_lost):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
