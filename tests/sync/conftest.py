"""Shared trust fixtures: a five-office chain certified down from the province, at a fixed time."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.trust.certs import Cert
from tests.sync.helpers import NAMES, Office, certify_child, make_province
from tests.sync.helpers_cli import Offices, certified_chain
from tests.sync.helpers_service import build_template


@pytest.fixture(scope="session")
def offices() -> dict[str, Office]:
    """620000 → 620100 → 620102 → 620102001 → 620102001001, all certified at T0."""
    province = make_province()
    result = {"620000": province}
    parent = province
    for code, level in [
        ("620100", Level.CITY),
        ("620102", Level.COUNTY),
        ("620102001", Level.STREET),
        ("620102001001", Level.COMMUNITY),
    ]:
        parent = certify_child(parent, code, level, NAMES[code])
        result[code] = parent
    return result


@pytest.fixture(scope="session")
def root(offices: dict[str, Office]) -> Cert:
    """The pinned provincial root."""
    return offices["620000"].cert


@pytest.fixture
def chain(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Offices:
    """Five offices in five homes, certified down through the CLI, with an open batch at the province."""
    return certified_chain(tmp_path, capsys, monkeypatch)


@pytest.fixture(params=["sl1", "gm"])
def suite_chain(
    request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Offices:
    """:func:`chain` under each algorithm suite the province can choose (``sl1``, ``gm`` for 国密)."""
    return certified_chain(tmp_path, capsys, monkeypatch, request.param)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five certified offices built through the services, the batch already at the community; copy
    it with :func:`tests.sync.helpers_service.open_chain`."""
    return build_template(tmp_path_factory.mktemp("chain-template"))
