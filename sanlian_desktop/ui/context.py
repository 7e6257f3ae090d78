"""What every page is given: the store, the signed-in actor, settings and the background runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings

from sanlian_desktop.auth import Actor
from sanlian_desktop.store import Store


@dataclass
class UiContext:
    """Services a page needs, built once in ``main()`` and passed in."""

    store: Store
    actor: Actor
    settings: QSettings
    jobs: Any
