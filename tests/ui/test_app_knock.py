"""A second start hands its package file to the running copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sanlian_desktop.ui import app


class FakeWindow:
    def __init__(self) -> None:
        self.opened: list[Path] = []
        self.raised = False

    def isMinimized(self) -> bool:
        return False

    def raise_(self) -> None:
        self.raised = True

    def activateWindow(self) -> None:
        pass

    def open_package(self, path: Path) -> None:
        self.opened.append(path)


def test_knock_with_a_package_opens_its_preview() -> None:
    window: Any = FakeWindow()
    app.on_knock(window, ["/media/usb/620102-至-620100-0003.sanlian"])
    assert window.raised and window.opened == [Path("/media/usb/620102-至-620100-0003.sanlian")]
    app.on_knock(window, [""])
    assert len(window.opened) == 1


def test_second_start_with_a_package_forwards_it(monkeypatch: Any, tmp_path: Path) -> None:
    from sanlian_desktop.kernel.errors import UserError
    from sanlian_desktop.kernel.paths import AppPaths
    from sanlian_desktop.store import instance

    sent: list[list[str]] = []
    warned: list[str] = []
    monkeypatch.setattr(instance, "acquire", lambda paths: (_ for _ in ()).throw(UserError("已在运行", "running")))
    monkeypatch.setattr(instance, "notify_running", lambda paths, args: sent.append(args) or True)
    monkeypatch.setattr("sanlian_desktop.ui.dialogs.warn", lambda parent, text: warned.append(text))
    package = tmp_path / "p.sanlian"
    assert app.claim_store(AppPaths(tmp_path), package) is None
    assert sent == [[str(package.resolve())]] and warned == []
