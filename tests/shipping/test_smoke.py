"""``--smoke`` from the checkout: passes with the main window, fails loudly (exit 1) without it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_runs_every_step_or_fails_loudly_without_the_main_window(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "launcher.py"), "--smoke"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=240, check=False)
    has_window = importlib.util.find_spec("sanlian_desktop.ui") is not None and (
        ROOT / "sanlian_desktop" / "ui" / "mainwindow.py").exists()
    if has_window:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        for step in ("store", "lock", "window", "pdf", "preview", "locale", "excel", "indicators", "similar", "backup",
                     "check", "ocr"):
            assert f"ok   {step}" in proc.stdout
        assert "smoke: passed" in proc.stdout
    else:
        assert proc.returncode == 1
        assert "FAIL window" in proc.stdout and "smoke: FAILED" in proc.stdout
        assert "sanlian_desktop.ui" in proc.stderr


def test_cli_mode_of_the_launcher(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "launcher.py"), "--cli", "--home",
                           str(tmp_path / "h"), "check"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "没有找到数据" in proc.stderr and "Traceback" not in proc.stderr
