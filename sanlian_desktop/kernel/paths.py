"""Where the program keeps its data: one place decides, with overrides for portable use and tests."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

APP_DIR_NAME = "sanlian"


def _portable_root() -> Path | None:
    """The folder beside a bundled executable when a file named ``portable`` is there."""
    if not getattr(sys, "frozen", False):
        return None
    exe_dir = Path(sys.executable).resolve().parent
    return exe_dir / "data" if (exe_dir / "portable").exists() else None


def default_home() -> Path:
    """The data folder: ``SANLIAN_HOME``, else portable mode, else the per-user data folder."""
    env = os.environ.get("SANLIAN_HOME")
    if env:
        return Path(env).expanduser()
    portable = _portable_root()
    if portable is not None:
        return portable
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False, roaming=False))


@dataclass(frozen=True)
class AppPaths:
    """Every folder and file of one store's home."""

    home: Path

    @property
    def database(self) -> Path:
        return self.home / "sanlian.db"

    @property
    def server_settings(self) -> Path:
        """Present when the store lives on a database server: the server's address (never a password)."""
        return self.home / "database.json"

    @property
    def attachments(self) -> Path:
        return self.home / "attachments"

    @property
    def backups(self) -> Path:
        return self.home / "backups"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def lock_file(self) -> Path:
        return self.home / "sanlian.lock"

    def ensure(self) -> None:
        """Create the home and its folders."""
        for folder in (self.home, self.attachments, self.backups, self.logs):
            folder.mkdir(parents=True, exist_ok=True)


def package_data(name: str) -> Path:
    """A data file shipped inside the package (works from a checkout, an install and a bundle)."""
    return Path(__file__).resolve().parent.parent / "data" / name
