"""The Windows build leaves the computing half of screening out for now (numpy does not load under the
Wine it is built and tested in): the program must start, save and list without it, computing nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import sys
sys.modules["numpy"] = None  # importing it fails, as where it is not installed
sys.modules["rapidfuzz"] = None
from sanlian_desktop import app
from sanlian_desktop.screening import available, service
from sanlian_desktop.kernel.errors import UserError
app.compose()
assert not available()
import sanlian_desktop.ui.similar, sanlian_desktop.ui.inbox.model, sanlian_desktop.ui.selection.page  # noqa
print("started")
"""


def test_the_program_composes_and_its_screens_import_without_numpy() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "started" in done.stdout
