"""Five offices in five temporary homes, driven through the command line as people would."""

from __future__ import annotations

import atexit
import functools
import itertools
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sanlian_desktop.cli import main
from tests.helpers import PASSWORD
from tests.suites import suite_short

CHAIN = [
    ("province", "620000", "甘肃省民政厅"),
    ("city", "620100", "兰州市民政局"),
    ("county", "620102", "城关区民政局"),
    ("street", "620102001", "东岗街道办事处"),
    ("community", "620102001001", "东岗西路社区居委会"),
]


class Offices:
    """The chain of offices; ``run`` calls the CLI in-process and returns (code, stdout, stderr)."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str], suite: str | None = None) -> None:
        self.root = root
        self.suite = suite or suite_short()  # what ``init --suite`` is given at every office
        self.capsys = capsys
        self.homes = {code: root / level for level, code, _ in CHAIN}
        self.files = root / "usb"
        self.files.mkdir(parents=True, exist_ok=True)
        self.counter = 0

    def run(self, code: str, *args: str, user: str | None = "admin") -> tuple[int, str, str]:
        argv = ["--home", str(self.homes[code])] + (["--user", user] if user else []) + list(args)
        rc = main(argv)
        out, err = self.capsys.readouterr()
        return rc, out, err

    def ok(self, code: str, *args: str, user: str | None = "admin") -> str:
        rc, out, err = self.run(code, *args, user=user)
        assert rc == 0, (args, err)
        return out

    def json(self, code: str, *args: str, user: str | None = "admin") -> Any:
        return json.loads(self.ok(code, "--json", *args, user=user))

    def setup(self) -> None:
        for level, code, name in CHAIN:
            region_name = ["--region-name", "东岗街道"] if level == "street" else (
                ["--region-name", "东岗西路社区"] if level == "community" else [])
            self.ok(code, "init", "--level", level, "--region", code, "--name", name, "--admin", "admin",
                    "--suite", self.suite, *region_name, user=None)
            self.ok(code, "user", "add", "clerk", "--role", "clerk")
            self.ok(code, "user", "add", "rev", "--role", "reviewer")
        for (_, parent, _), (_, child, _) in itertools.pairwise(CHAIN):
            req, cert = self.files / f"{child}.req", self.files / f"{child}.cert"
            self.ok(child, "office", "request", "--out", str(req))
            self.ok(parent, "office", "certify", str(req), "--out", str(cert))
            self.ok(child, "office", "install", str(cert))

    def carry(self, sender: str, recipient: str) -> dict[str, Any]:
        """Export from sender to recipient, carry the file, import it; returns the import report."""
        self.counter += 1
        path = self.files / f"{self.counter:03d}-{sender}-{recipient}.sanlian"
        self.ok(sender, "sync", "export", "--to", recipient, "--out", str(path))
        return dict(self.json(recipient, "sync", "import", str(path)))

    def down(self, codes: list[str]) -> None:
        for sender, recipient in itertools.pairwise(codes):
            self.carry(sender, recipient)


def certified_chain(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, suite: str | None = None
) -> Offices:
    """Five certified offices with an open 2016 batch at the province (not yet carried down), every key
    and certificate in ``suite`` (``sl1`` or ``gm``; by default the tests' suite, tests/suites.py).

    Built through the CLI once per test process and suite and copied for each test: the offices'
    homes hold nothing that names where they lie."""
    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
    monkeypatch.setenv("SANLIAN_NEW_PASSWORD", PASSWORD)
    suite = suite or suite_short()
    built = _built_chain(capsys, suite)
    shutil.copytree(built, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".built"))
    return Offices(root, capsys, suite)


@functools.cache
def _chain_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="sanlian-chain-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _built_chain(capsys: pytest.CaptureFixture[str], suite: str) -> Path:
    from datetime import date, timedelta

    built = _chain_folder() / ("chain" if suite == "sl1" else f"chain-{suite}")
    if not (built / ".built").exists():
        shutil.rmtree(built, ignore_errors=True)
        o = Offices(built, capsys, suite)
        o.setup()
        today = date.today()
        o.ok("620000", "batch", "add", "--name", "2016年试点项目申报", "--code", "2016", "--opens",
             (today - timedelta(days=30)).isoformat(), "--closes", (today + timedelta(days=30)).isoformat(),
             "--budget", "10000000", "--quota", "200", "--quota-communities", "100")
        (built / ".built").write_text("built\n")
    return built


def prepared_chain(name: str, root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                   build: Callable[[Offices, Path], str]) -> tuple[Offices, str]:
    """The certified chain after ``build`` (more offices, a project carried about…), built once per test
    process under ``name`` (and the tests' suite) and copied for each test; ``build`` returns a text the
    tests need (an id)."""
    prepared = _chain_folder() / f"{name}-{suite_short()}"
    if not (prepared / ".built").exists():
        shutil.rmtree(prepared, ignore_errors=True)
        o = certified_chain(prepared, capsys, monkeypatch)
        value = build(o, prepared / "work")
        (prepared / ".built").write_text(json.dumps({
            "value": value, "homes": {code: str(home.relative_to(prepared)) for code, home in o.homes.items()},
            "counter": o.counter}))
    else:
        monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
        monkeypatch.setenv("SANLIAN_NEW_PASSWORD", PASSWORD)
    built = json.loads((prepared / ".built").read_text())
    shutil.copytree(prepared, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".built"))
    o = Offices(root, capsys)
    o.homes = {code: root / home for code, home in built["homes"].items()}
    o.counter = built["counter"]
    return o, str(built["value"])
