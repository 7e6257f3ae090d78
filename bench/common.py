"""What every benchmark shares: results with goals, medians, temporary offices and CLI timing."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sanlian_desktop import app

app.compose()  # every benchmark uses the services as the program composes them

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "_work"
PASSWORD = "bench-password-1"


@dataclass
class Result:
    """One figure: its value, unit and goal; ``floor`` is a baseline measured in the same run."""

    name: str
    value: float
    unit: str
    goal: str
    met: bool | None = None
    floor: float | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v != ""}


def median_time(fn: Callable[[], Any], runs: int = 5) -> float:
    """Median wall time of ``fn`` in seconds over ``runs`` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli(home: Path, *args: str, user: str | None = "admin", check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the ``sanlian`` command line in a child process."""
    env = dict(os.environ, SANLIAN_PASSWORD=PASSWORD, SANLIAN_NEW_PASSWORD=PASSWORD)
    argv = [sys.executable, "-m", "sanlian_desktop", "--home", str(home)] + (["--user", user] if user else [])
    proc = subprocess.run(argv + list(args), capture_output=True, text=True, env=env, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{args}: {proc.stderr}")
    return proc


def fresh_home(name: str) -> Path:
    """An empty folder under bench/_work."""
    import shutil

    home = WORK / name
    shutil.rmtree(home, ignore_errors=True)
    home.parent.mkdir(parents=True, exist_ok=True)
    return home


def demo_store(name: str, count: int, level: str = "province", region: str = "620000",
               office: str = "甘肃省民政厅") -> Path:
    """A store with ``count`` demo declarations under bench/_work, built once and reused."""
    home = WORK / name
    if (home / "sanlian.db").exists() and (home / f".demo-{count}").exists():
        return home
    home = fresh_home(name)
    cli(home, "init", "--level", level, "--region", region, "--name", office, "--admin", "admin", user=None)
    cli(home, "user", "add", "rev", "--role", "reviewer")
    cli(home, "demo", "--count", str(count), "--no-screening")
    (home / f".demo-{count}").write_text("built\n")
    return home


def peak_rss_mb() -> float:
    """This process's own peak resident memory in MB.

    ``ru_maxrss`` is inherited from the parent across fork and exec on Linux, so a child started by a
    large benchmark process would report the parent's peak; /proc's VmHWM belongs to this process alone.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
