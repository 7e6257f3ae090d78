"""The single-instance lock: refused while held, in this process or another; released on close or death."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.store import instance

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time
from pathlib import Path
from sanlian_desktop.store import instance
from sanlian_desktop.kernel.paths import AppPaths
lock = instance.acquire(AppPaths(Path(sys.argv[1])))
print("held", flush=True)
time.sleep(60)
"""


def test_second_acquire_is_refused_and_release_frees_it(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "home")
    lock = instance.acquire(paths)
    with pytest.raises(UserError, match="已经打开了同一份数据") as caught:
        instance.acquire(paths)
    assert caught.value.en
    lock.release()
    lock.release()  # twice is harmless
    with instance.acquire(paths) as again:
        assert again.held
    assert not again.held
    instance.acquire(paths).release()


def test_other_homes_are_independent(tmp_path: Path) -> None:
    with instance.acquire(AppPaths(tmp_path / "a")), instance.acquire(AppPaths(tmp_path / "b")):
        pass


def test_a_lock_held_by_another_process_is_refused_until_it_dies(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(home)], stdout=subprocess.PIPE, text=True,
                             env=env, cwd=ROOT)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(UserError):
            instance.acquire(AppPaths(home))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    instance.acquire(AppPaths(home)).release()  # the OS dropped the dead process's lock


def test_local_socket_knock_reaches_the_running_program(tmp_path: Path, qapp: object) -> None:
    from PySide6.QtCore import QCoreApplication, QElapsedTimer

    paths = AppPaths(tmp_path / "home")
    received: list[list[str]] = []
    with instance.acquire(paths):
        server = instance.listen(paths, received.append)
        assert server is not None
        from PySide6.QtNetwork import QLocalSocket

        socket = QLocalSocket()
        socket.connectToServer(instance.server_name(paths))
        timer = QElapsedTimer()
        timer.start()
        while socket.state() != QLocalSocket.LocalSocketState.ConnectedState and timer.elapsed() < 3000:
            QCoreApplication.processEvents()
        socket.write(b"/media/usb/city.sanlian\n")
        socket.flush()
        while not received and timer.elapsed() < 5000:
            QCoreApplication.processEvents()
        socket.disconnectFromServer()
        server.close()
    assert received == [["/media/usb/city.sanlian"]]


def test_nobody_answers_when_no_program_runs(tmp_path: Path, qapp: object) -> None:
    assert instance.notify_running(AppPaths(tmp_path / "home"), ["x"], timeout_ms=200) is False
