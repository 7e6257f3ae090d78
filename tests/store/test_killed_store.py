"""A store whose writer is SIGKILLed mid-work: intact on reopen, with everything it reported committed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from sanlian_desktop.models import AuditEntry
from sanlian_desktop.store import audit
from sanlian_desktop.store.engine import Store
from tests.helpers import Office

ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import sys
from pathlib import Path
from sanlian_desktop.store import audit
from sanlian_desktop.store.engine import Store
store = Store.open(Path(sys.argv[1]))
n = 0
while True:
    n += 1
    with store.session() as s:
        audit.record(s, office="620102", user="writer", action="test.write", entity="test",
                     entity_id=str(n), details={"n": n, "pad": "x" * 2000})
    print(n, flush=True)  # only after the commit returned
"""


def test_sigkill_during_writes_loses_nothing_committed(county: Office) -> None:
    county.store.close()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(county.home)], stdout=subprocess.PIPE, text=True,
                             env=env, cwd=ROOT)
    reported: list[int] = []
    try:
        assert child.stdout is not None
        while len(reported) < 150:
            line = child.stdout.readline()
            assert line, "the writer stopped early"
            reported.append(int(line))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL

    db = county.home / "sanlian.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    store = Store.open(county.home)
    try:
        with store.read_session() as s:
            present = {int(n) for n in s.scalars(select(AuditEntry.entity_id).where(
                AuditEntry.action == "test.write"))}
            assert set(reported) <= present
            assert audit.verify(s).ok
    finally:
        store.close()
