"""Shared fixtures: offscreen Qt, a fresh temporary home per test, and offices ready to use."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SANLIAN_FAST_HASH", "1")

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Office, make_office

DATA = Path(__file__).parent / "data"
EXAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "declaration.example.json"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever touches the real per-user data folder."""
    monkeypatch.setenv("SANLIAN_HOME", str(tmp_path / "default-home"))
    monkeypatch.delenv("SANLIAN_USER", raising=False)
    monkeypatch.delenv("SANLIAN_PASSWORD", raising=False)
    monkeypatch.delenv("SANLIAN_NEW_PASSWORD", raising=False)


@pytest.fixture
def county(tmp_path: Path) -> Iterator[Office]:
    """城关区民政局 (620102) with a street, a community, a clerk, a reviewer and an open batch."""
    office = make_office(tmp_path / "county", "county", "620102", "城关区民政局")
    yield office
    office.store.close()


@pytest.fixture
def example() -> dict[str, Any]:
    """The example declaration, with its batch and dates fitting an open batch of today."""
    from tests.helpers import example_declaration

    return example_declaration()


@pytest.fixture
def today() -> date:
    return date.today()


@pytest.fixture
def yesterday() -> date:
    return date.today() - timedelta(days=1)
