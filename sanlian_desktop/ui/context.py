"""What every page is given: the store, the signed-in actor, settings and the background runner."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings

from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.jobs import JobRunner


@dataclass
class UiContext:
    """Services a page needs, built once in ``main()`` and passed in (no globals)."""

    store: Store
    actor: Actor
    settings: QSettings
    jobs: JobRunner

    @property
    def paths(self) -> AppPaths:
        """The store's folders (attachments, backups, logs)."""
        return self.store.paths
