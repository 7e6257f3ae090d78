"""A real SoftHSM2 token in a temporary folder, for the key-custody tests.

SoftHSM2 (Debian ``softhsm2``, installed by scripts/system-deps.sh) keeps its tokens in the folder its
configuration file names; ``SOFTHSM2_CONF`` points the module at a fresh one per test. Tests that need
it skip, with the reason, only when SoftHSM2 or python-pkcs11 is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from sanlian_desktop.sync.trust import tokens

LABEL = "sanlian-test"
PIN = "246810"
SO_PIN = "13579135"


@dataclass(frozen=True)
class SoftToken:
    """A SoftHSM2 token ready to use: its module, label and user PIN, and its configuration file."""

    module: str
    label: str
    pin: str
    conf: Path

    def vault(self, pin: str | None = None, label: str | None = None) -> tokens.TokenVault:
        return tokens.TokenVault(self.module, label or self.label, pin or self.pin)


def softhsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *labels: str) -> SoftToken:
    """Initialise SoftHSM2 tokens (``LABEL`` by default) in ``tmp_path`` and point the module at them."""
    module = next((m for m in tokens.KNOWN_MODULES if Path(m).is_file()), None)
    util = shutil.which("softhsm2-util")
    if module is None or util is None:
        pytest.skip("SoftHSM2 is not installed (Debian package softhsm2; make system-deps installs it)")
    pytest.importorskip("pkcs11", reason="python-pkcs11 is not installed (pip install -e '.[dev]')")
    folder = tmp_path / "softhsm"
    (folder / "tokens").mkdir(parents=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    monkeypatch.delenv(tokens.PIN_ENV, raising=False)
    monkeypatch.delenv(tokens.MODULE_ENV, raising=False)
    for label in labels or (LABEL,):
        subprocess.run([util, "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SO_PIN],
                       check=True, capture_output=True, env={"SOFTHSM2_CONF": str(conf), "PATH": "/usr/bin:/bin"})
    tokens.rescan(module)
    return SoftToken(module, (labels or (LABEL,))[0], PIN, conf)


def pull_out(token: SoftToken, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The token is no longer there: the module now sees an empty token folder."""
    empty = tmp_path / "no-token"
    (empty / "tokens").mkdir(parents=True)
    conf = empty / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {empty / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    tokens.rescan(token.module)


def plug_in(token: SoftToken, monkeypatch: pytest.MonkeyPatch) -> None:
    """The token is back."""
    monkeypatch.setenv("SOFTHSM2_CONF", str(token.conf))
    tokens.rescan(token.module)
