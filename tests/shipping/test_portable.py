"""Portable mode: a file named ``portable`` beside the bundled executable keeps all data beside it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sanlian_desktop.kernel.paths import AppPaths, default_home
from sanlian_desktop.store import backup
from tests.helpers import make_office


@pytest.fixture
def frozen_exe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pretend bundle folder (say, on a USB stick) with its executable; SANLIAN_HOME unset."""
    folder = tmp_path / "U盘" / "三社联动申报系统"
    folder.mkdir(parents=True)
    exe = folder / "三社联动申报系统.exe"
    exe.write_bytes(b"MZ")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    monkeypatch.delenv("SANLIAN_HOME", raising=False)
    return folder


def test_portable_file_keeps_every_folder_beside_the_executable(frozen_exe: Path) -> None:
    (frozen_exe / "portable").write_text("", "utf-8")
    home = default_home()
    assert home == frozen_exe.resolve() / "data"
    office = make_office(home, "county", "620102", "城关区民政局", with_batch=False)
    try:
        backup.take_daily(office.store)
        paths = AppPaths(home)
        for path in (paths.database, paths.attachments, paths.backups, paths.logs,
                     backup.automatic_backups(paths)[0][0]):
            assert path.exists() and frozen_exe.resolve() in path.resolve().parents
    finally:
        office.store.close()


def test_without_the_portable_file_data_go_to_the_user_folder(frozen_exe: Path) -> None:
    home = default_home()
    assert frozen_exe.resolve() not in home.resolve().parents


def test_portable_file_is_ignored_when_not_bundled(frozen_exe: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (frozen_exe / "portable").write_text("", "utf-8")
    monkeypatch.setattr(sys, "frozen", False)
    assert frozen_exe.resolve() not in default_home().resolve().parents


def test_sanlian_home_wins_over_portable(frozen_exe: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (frozen_exe / "portable").write_text("", "utf-8")
    monkeypatch.setenv("SANLIAN_HOME", str(tmp_path / "elsewhere"))
    assert default_home() == tmp_path / "elsewhere"
