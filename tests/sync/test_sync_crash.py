"""An import killed at any moment leaves the store whole: all of the package, or none of it."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.export import export_package
from tests.sync.helpers_service import fill_county, fingerprint, open_chain

ROOT = Path(__file__).resolve().parents[2]
KILLS = 14


def _state(home: Path) -> dict[str, Any]:
    with sqlite3.connect(home / "sanlian.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = Store.open(home)
    try:
        return fingerprint(store)
    finally:
        store.close()


def _child(home: Path, package: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "tests.sync.crash_child", str(home), str(package)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "go"
    return proc


def test_import_killed_anywhere_is_all_or_nothing(template: Path, tmp_path: Path) -> None:
    offices = open_chain(template, tmp_path / "chain")
    county = offices["620102"]
    fill_county(county, 200)
    package = tmp_path / "big.sanlian"
    export_package(county.store, county.admin, "620100", package)
    for office in offices.values():
        office.store.close()
    pristine = tmp_path / "chain" / "620100"
    before = _state(pristine)

    # One import to the end: the state it leaves, and how long it takes.
    done = tmp_path / "done"
    shutil.copytree(pristine, done)
    proc = _child(done, package)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    duration = float(out.strip())
    after = _state(done)
    assert len(after["declarations"]) == len(before["declarations"]) + 200

    rng = random.Random(7)
    outcomes = []
    for n in range(KILLS):
        home = tmp_path / f"kill-{n}"
        shutil.copytree(pristine, home)
        proc = _child(home, package)
        time.sleep(rng.uniform(0, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        state = _state(home)
        assert state in (before, after), n
        outcomes.append("all" if state == after else "none")
        if n < KILLS - 1:
            shutil.rmtree(home)
    # Most kills land mid-import; a clean import afterwards completes it.
    assert "none" in outcomes
    last = tmp_path / f"kill-{KILLS - 1}"
    proc = _child(last, package)
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert _state(last) == after
