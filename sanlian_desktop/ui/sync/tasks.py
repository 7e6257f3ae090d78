"""The 同步 page's background jobs: each calls the sync service, the same functions the CLI calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from sqlalchemy import select

from sanlian_desktop.kernel.chunks import chunks
from sanlian_desktop.models import Declaration, Office
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.screening.service import refresh_store
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.conflicts import conflicts
from sanlian_desktop.sync.exchange.export import ExportResult, export_all, export_package
from sanlian_desktop.sync.exchange.files import package_file_name
from sanlian_desktop.sync.exchange.importing import ImportResult, import_package
from sanlian_desktop.sync.exchange.status import NeighbourStatus, status
from sanlian_desktop.ui.jobs import FunctionJob, IsCancelled, Progress
from sanlian_desktop.ui.sync.model import ConflictRow


def _tr(text: str) -> str:
    return QCoreApplication.translate("SyncPage", text)


@dataclass
class SyncState:
    """What the page shows: the channel to each neighbour and the open conflicts."""

    status: list[NeighbourStatus]
    conflicts: list[ConflictRow]


def load_conflicts(store: Store) -> list[ConflictRow]:
    """Open conflicts with the declaration's number and the sending office's name."""
    with store.read_session() as s:
        found = list(conflicts(s))
        decl_ids = sorted({c.declaration_id for c in found if c.declaration_id})
        codes = sorted({c.from_office for c in found})
        numbers: dict[str, str] = {}
        for part in chunks(decl_ids):
            query = select(Declaration.id, Declaration.number).where(Declaration.id.in_(part))
            numbers.update((i, number) for i, number in s.execute(query))
        names: dict[str, str] = {}
        for part in chunks(codes):
            query = select(Office.region_code, Office.name).where(Office.region_code.in_(part))
            names.update((code, name) for code, name in s.execute(query))
        return [ConflictRow(c.id, c.kind, numbers.get(c.declaration_id or "", ""), c.reason,
                            names.get(c.from_office, c.from_office), c.at) for c in found]


def load_state(store: Store) -> SyncState:
    """Status and conflicts, read off the GUI thread."""
    return SyncState(status(store), load_conflicts(store))


def status_job(store: Store) -> FunctionJob:
    return FunctionJob(_tr("读取同步状态"), lambda _p, _c: load_state(store))


def _service_progress(progress: Progress, text: str) -> Callable[[int, int], None]:
    return lambda done, total: progress(done, total, text)


def export_job(store: Store, actor: Actor, to: str | None, folder: Path) -> FunctionJob:
    """One package to ``to`` (every neighbour with something waiting when None) into ``folder``."""

    def run(progress: Progress, _cancelled: IsCancelled) -> list[ExportResult]:
        report = _service_progress(progress, _tr("正在写入并读回核对…"))
        if to is None:
            return export_all(store, actor, folder, progress=report)
        with store.read_session() as s:
            name = package_file_name(s, to)
        return [export_package(store, actor, to, folder / name, progress=report)]

    return FunctionJob(_tr("导出同步包"), run)


def preview_job(store: Store, actor: Actor, path: Path) -> FunctionJob:
    """Verify the package and work out what it would change, changing nothing."""

    def run(_progress: Progress, _cancelled: IsCancelled) -> ImportResult:
        return import_package(store, actor, path, preview=True)

    return FunctionJob(_tr("检查同步包"), run)


def import_job(store: Store, actor: Actor, path: Path) -> FunctionJob:
    """Apply the package in one transaction."""

    def run(progress: Progress, _cancelled: IsCancelled) -> ImportResult:
        result = import_package(store, actor, path)
        progress(0, 0, _tr("正在查找相似申报…"))
        refresh_store(store)  # the declarations received are screened for near-duplicates
        return result

    return FunctionJob(_tr("导入同步包"), run)
