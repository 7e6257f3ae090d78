"""Reading a list's ids off the GUI thread: a QRunnable with a finished signal, newest request wins."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QObject, QRunnable, Signal

from sanlian_desktop.declarations import listing
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store


class IdsSignals(QObject):
    """Lives in the GUI thread; its signals reach the model queued."""

    finished = Signal(int, object, str)  # generation, ids (or None), error message


class IdsJob(QRunnable):
    """One query for the ordered ids, in its own session (sessions are never shared across threads)."""

    def __init__(self, generation: int, store: Store, actor: Actor, flt: listing.ListFilter, sort: str,
                 descending: bool, now: datetime, signals: IdsSignals) -> None:
        super().__init__()
        self.generation = generation
        self.store, self.actor, self.flt = store, actor, flt
        self.sort, self.descending, self.now = sort, descending, now
        self.signals = signals

    def run(self) -> None:
        ids: list[str] | None = None
        error = ""
        try:
            with self.store.read_session() as s:
                ids = listing.ordered_ids(s, self.actor, self.flt, self.sort, self.descending, self.now)
        except Exception as exc:
            error = getattr(exc, "zh", "") or "读取列表时出错"
        finally:
            self.signals.finished.emit(self.generation, ids, error)
