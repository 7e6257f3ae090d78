"""A work-around for a defect of the Qt binding that would otherwise crash the program within minutes.

PySide6 6.12 on CPython 3.11 takes a reference away from ``None`` on every call of a method returning
nothing (``setText``, ``setVisible``, ``QTimer.stop`` …), from ``True`` on every Python
``SignalInstance.emit()``, and from ``None`` when ``QObject.property()`` reads an unset name. It
behaves as if those objects were immortal, which they are only from CPython 3.12 on. ``None`` starts
with a few thousand references, so after a few thousand such calls the interpreter aborts
(``Fatal Python error: none_dealloc``).

:func:`protect_singletons` gives ``None``, ``True`` and ``False`` 2**40 extra references once, at
start-up, which is what CPython 3.12 does for them anyway. It does nothing on 3.12 and later.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

_EXTRA = 1 << 40
_done = False


def protect_singletons() -> None:
    """Make ``None``, ``True`` and ``False`` practically immortal (idempotent; call before Qt is used)."""
    global _done  # noqa: PLW0603 - once per process
    if _done or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        _done = True
        return
    for obj in (None, True, False):
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(obj)).value += _EXTRA
    _done = True


def emit(signal: Any, *args: Any) -> None:
    """``signal.emit(*args)``; with :func:`protect_singletons` in place the binding's leak is harmless."""
    protect_singletons()
    signal.emit(*args)
