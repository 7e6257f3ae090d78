"""Autosave of the form's raw state, so that a crash loses at most a few seconds of typing."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sanlian_desktop.kernel.fileio import atomic_write_bytes


class Autosave:
    """``home/autosave/<declaration id or 'new'>.json``: written atomically, removed after a save."""

    def __init__(self, home: Path, decl_id: str | None) -> None:
        self.folder = Path(home) / "autosave"
        self.path = self.folder / f"{decl_id or 'new'}.json"

    def rename(self, decl_id: str) -> None:
        """After the first save of a new declaration its autosave follows its id."""
        self.discard()
        self.path = self.folder / f"{decl_id}.json"

    def write(self, raw: dict[str, Any], pending: list[Path] | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {"saved_at": datetime.now(UTC).isoformat(), "raw": raw,
                "pending": [str(p) for p in pending or []]}
        atomic_write_bytes(self.path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))

    def read(self) -> dict[str, Any] | None:
        """The autosaved state, or None when there is none (or it cannot be read)."""
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("raw"), dict) else None

    def newer_than(self, stored_at: datetime | None) -> dict[str, Any] | None:
        """The autosaved state if it was written after ``stored_at`` (always, for a new declaration)."""
        data = self.read()
        if data is None:
            return None
        if stored_at is None:
            return data
        try:
            saved = datetime.fromisoformat(data["saved_at"])
        except (KeyError, TypeError, ValueError):
            return None
        stored = stored_at if stored_at.tzinfo else stored_at.replace(tzinfo=UTC)
        return data if saved > stored else None

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
