"""What the bundles carry for an office whose store is on a PostgreSQL server: every bundle's requirements
name psycopg with its binary half (which brings libpq), and build.spec names the modules found only by
name at run time (SQLAlchemy's dialect, psycopg's C half). The bundles themselves are built by the lead."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from sanlian_desktop.store import server

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ["pyproject.toml", "packaging/linux/compat-requirements.txt", "packaging/windows/requirements.txt"]
FOUND_BY_NAME = ["psycopg", "psycopg_binary", "psycopg_binary.pq", "sqlalchemy.dialects.postgresql.psycopg"]


@pytest.mark.parametrize("path", REQUIREMENTS)
def test_every_bundle_requires_psycopg_with_its_libpq(path: str) -> None:
    text = (ROOT / path).read_text("utf-8")
    named = re.findall(r"""^\s*"?psycopg\[binary\]>=3\.\d+""", text, re.MULTILINE)
    assert len(named) == 1, f"{path} should name psycopg[binary] once"


def test_build_spec_names_the_modules_loaded_by_name() -> None:
    spec = (ROOT / "build.spec").read_text("utf-8")
    start = spec.index("hiddenimports = (")
    hidden = spec[start:spec.index("\n)\n", start)]
    for module in FOUND_BY_NAME:
        assert f'"{module}"' in hidden
        importlib.import_module("psycopg")  # psycopg_binary refuses to be imported first
        importlib.import_module(module)


def test_this_build_can_reach_a_server() -> None:
    assert server.driver_problem() is None
