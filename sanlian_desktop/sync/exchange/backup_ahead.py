"""The before-import backup, taken on a second thread while a package is applied."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from sanlian_desktop.store.engine import Store


class BackupAhead:
    """The before-import backup, taken on a second thread while the package is applied.

    The store runs in WAL mode and the import is one transaction: the backup's reader sees the store
    as it was before the import, whatever the import has written meanwhile, so the backup need only be
    complete before the import commits. The import waits for it there (and fails, changing nothing,
    as a backup that fails). If the package is refused, or was imported already, the backup is removed
    again and the older backups stay, as if none had been taken."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._path: Path | None = None
        self._error: BaseException | None = None
        self.kept = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin the backup (once the package is known to be whole and new: a refused one costs none)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._take, name="before-import-backup", daemon=True)
            self._thread.start()

    def _take(self) -> None:
        from sanlian_desktop.store import backup as backups

        try:
            self._path = backups.take(self._store, reason="before-import", prune_old=False)
        except BaseException as exc:  # handed to the importing thread by keep()
            self._error = exc

    def keep(self) -> None:
        """Wait for the backup, raise what it raised, and prune the older ones as a backup does."""
        from sanlian_desktop.store import backup as backups

        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        self.kept = True
        backups.prune(self._store.paths)

    def discard(self) -> None:
        """Wait for the backup and remove it: the import did not commit, so the older backups stand."""
        if self._thread is None:
            return
        self._thread.join()
        if self._path is not None:
            with contextlib.suppress(OSError):
                self._path.unlink()
