"""The algorithm suite the sync tests set their offices up in: one switch for every set-up helper.

``sl1`` (Ed25519, the default) unless ``pytest --suite=gm`` is given (``make test-gm``) or the
environment says ``SANLIAN_TEST_SUITE=gm``. Every helper that creates offices, keys or a province root
(tests/helpers.py, tests/sync/helpers*.py, tests/sync/conftest.py) asks :func:`suite_short` when it is
called, so the same tests run under either suite without being copied. A test that chooses its suite
itself (test vectors, interop, golden bytes, a suite a token cannot hold) is marked
``@pytest.mark.suite_specific`` and runs only in the default run.
"""

from __future__ import annotations

import os

from sanlian_desktop.sync.trust.suite import Suite, suite_by_short, suite_choices

ENV = "SANLIAN_TEST_SUITE"


def suite_short() -> str:
    """The short name (``sl1``, ``gm``) of the suite the tests' offices are made in."""
    value = os.environ.get(ENV, "").strip().lower() or "sl1"
    if value not in suite_choices():
        raise ValueError(f"{ENV}={value!r}: expected one of {suite_choices()}")
    return value


def chosen_suite() -> Suite:
    """The suite the tests' offices are made in."""
    return suite_by_short(suite_short())


def is_default() -> bool:
    """Whether the tests run in the default suite (so suite-specific tests run too)."""
    return suite_short() == "sl1"
