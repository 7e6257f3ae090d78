"""The county office set up through the command line, for the command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import Cli


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    c = Cli(tmp_path / "county", capsys, monkeypatch)
    c.ok("init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin", user=None)
    c.ok("user", "add", "clerk", "--role", "clerk")
    c.ok("user", "add", "rev", "--role", "reviewer")
    c.ok("region", "add", "--code", "620102001", "--name", "东岗街道")
    c.ok("region", "add", "--code", "620102001001", "--name", "东岗西路社区", "--population", "8640")
    return c
