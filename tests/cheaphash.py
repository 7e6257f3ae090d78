"""Cheap argon2 parameters for the test suite and development scripts, never for the shipped program.

Hashes and wrapped keys carry their parameters, so what is made cheaply here still verifies with the
program's defaults. Call :func:`install` before the first office is made (tests/conftest.py does; so do
child processes the tests start, and the screenshot scripts).
"""

from __future__ import annotations

from sanlian_desktop.offices import auth, custody
from sanlian_desktop.sync.trust.keys import Argon2Params


def install() -> None:
    auth.HASH_COST = (1, 1024, 1)
    custody.KEK_COST = Argon2Params(time_cost=1, memory_kib=1024, parallelism=1)
