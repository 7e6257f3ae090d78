"""One program per store: a lock on ``AppPaths.lock_file`` held for the life of the GUI process.

How the GUI uses it (in ``ui/app.py`` ``main()``, once the home folder is known, before opening the
store)::

    from sanlian_desktop.store import instance

    try:
        lock = instance.acquire(AppPaths(home))
    except UserError as exc:
        # Optional: ask the running window to come forward (and open a .sanlian file passed on the
        # command line); it is fine to skip this and only show the message.
        if not instance.notify_running(AppPaths(home), files):
            warn(None, exc.zh)
        return 2
    server = instance.listen(AppPaths(home), window.bring_forward_and_open)  # may be None
    ...
    lock.release()  # in ``finally``; the OS releases it anyway if the process dies

The lock is ``fcntl.flock`` on Linux and ``msvcrt.locking`` on Windows: the operating system drops it
when the process ends, even after a crash or a kill, so a stale lock file never blocks anyone. The
command line takes the same lock for ``restore`` (which replaces the store under a running program).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer


class InstanceLock:
    """A held lock; ``release()`` (or leaving a ``with`` block) gives it up."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        self.path = path
        self._handle: IO[bytes] | None = handle

    @property
    def held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        """Give the lock up; safe to call twice."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            _unlock(handle)
        handle.close()

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def acquire(paths: AppPaths) -> InstanceLock:
    """Take the store's lock, or raise ``UserError`` when another process holds it."""
    paths.home.mkdir(parents=True, exist_ok=True)
    handle = paths.lock_file.open("a+b")
    try:
        _lock(handle)
    except OSError:
        handle.close()
        raise UserError(
            f"本程序已经打开了同一份数据（{paths.home}），请切换到已打开的窗口；同一份数据同时只能由一个窗口使用",
            f"the program is already running on {paths.home}",
        ) from None
    with contextlib.suppress(OSError):
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
    return InstanceLock(paths.lock_file, handle)


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        # One byte far past any content: the pid written at the start stays readable.
        handle.seek(1 << 30)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(1 << 30)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        # flock belongs to the open file, so even a second acquire in the same process is refused.
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# -- optional: bring the running window forward ------------------------------------------------------


def server_name(paths: AppPaths) -> str:
    """A local-socket name unique to this store's folder (and short enough for every platform)."""
    digest = hashlib.sha256(str(paths.home.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"sanlian-{digest}"


def listen(paths: AppPaths, on_message: Callable[[list[str]], None]) -> QLocalServer | None:
    """A QLocalServer that calls ``on_message(arguments)`` when a second start knocks; None if it cannot.

    Call only while holding the lock. The GUI keeps the returned object alive.
    """
    from PySide6.QtNetwork import QLocalServer

    server = QLocalServer()
    name = server_name(paths)
    QLocalServer.removeServer(name)  # a name left behind by a crashed process
    if not server.listen(name):
        return None

    def accept() -> None:
        while server.hasPendingConnections():
            socket = server.nextPendingConnection()
            if socket is None:
                return
            if socket.bytesAvailable() == 0:
                socket.waitForReadyRead(1000)
            data = bytes(socket.readAll().data()).decode("utf-8", "replace")
            socket.disconnectFromServer()
            socket.deleteLater()
            on_message([line for line in data.split("\n") if line])

    server.newConnection.connect(accept)
    return server


def notify_running(paths: AppPaths, arguments: list[str], timeout_ms: int = 1000) -> bool:
    """Ask the running program to come forward (passing ``arguments``); False when nobody answers."""
    try:
        from PySide6.QtNetwork import QLocalSocket
    except ImportError:
        return False
    socket = QLocalSocket()
    socket.connectToServer(server_name(paths))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(("\n".join(arguments) + "\n").encode("utf-8"))
    ok = socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return bool(ok)
