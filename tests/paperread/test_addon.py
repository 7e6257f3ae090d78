"""The OCR add-on folder of the built program: found beside the executable and put on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sanlian_desktop.paperread import OCR_HELP, addon


def test_the_folder_beside_the_executable_goes_on_sys_path_once(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    exe = tmp_path / "三社联动申报系统"
    exe.write_bytes(b"")
    (tmp_path / "ocr").mkdir()
    assert addon.activate(str(exe)) == tmp_path / "ocr"
    assert addon.activate(str(exe)) == tmp_path / "ocr"
    assert sys.path.count(str(tmp_path / "ocr")) == 1
    assert sys.path[-1] == str(tmp_path / "ocr")  # after the bundle's own numpy and Pillow


def test_without_the_folder_nothing_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = list(sys.path)
    assert addon.activate(str(tmp_path / "三社联动申报系统")) is None
    assert sys.path == before


def test_run_from_source_the_installed_extra_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = list(sys.path)
    assert addon.activate() is None
    assert sys.path == before


def test_the_message_without_ocr_names_the_package_the_component_and_the_extra() -> None:
    assert "sanlian-desktop-ocr" in OCR_HELP and "/opt/sanlian/ocr" in OCR_HELP
    assert "扫描件识别（OCR）组件" in OCR_HELP and 'pip install "sanlian-desktop[ocr]"' in OCR_HELP
