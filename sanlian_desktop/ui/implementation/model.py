"""The approved-projects table: one row per project, its money and its warnings (icon + text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from sanlian_desktop.declarations.listing import region_names
from sanlian_desktop.declarations.workflow import local_today
from sanlian_desktop.implementation.service import approved_in_jurisdiction
from sanlian_desktop.implementation.warnings import (
    FACTS_CHUNK,
    ProjectWarning,
    facts_warnings,
    many_project_facts,
)
from sanlian_desktop.kernel.money import format_yuan, from_fen
from sanlian_desktop.models import utcnow
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.jobs import IsCancelled, JobCancelled, Progress

COL_NUMBER, COL_TITLE, COL_COMMUNITY, COL_GRANTED, COL_DISBURSED, COL_WARNINGS = range(6)
IdRole = Qt.ItemDataRole.UserRole + 1
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class ProjectRow:
    decl_id: str
    number: str
    title: str
    community: str
    granted_fen: int
    disbursed_fen: int
    warnings: tuple[ProjectWarning, ...]


def severity_icon(severity: str | None) -> QIcon:
    """The standard icon for a warning's severity (a tick-like "apply" icon for none)."""
    style = QApplication.style()
    pixmap = {
        "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
        "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
        "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
        None: QStyle.StandardPixmap.SP_DialogApplyButton,
    }[severity]
    return style.standardIcon(pixmap)


def _no_progress(_done: int, _total: int, _text: str = "") -> None:
    pass


def load_rows(store: Store, actor: Actor, today: date | None = None, *, progress: Progress = _no_progress,
              is_cancelled: IsCancelled = lambda: False) -> list[ProjectRow]:
    """Every approved project in the actor's jurisdiction, worst warning first within each project.

    Runs on a worker thread (its own session, no widgets): the projects' facts are read
    :data:`~sanlian_desktop.implementation.warnings.FACTS_CHUNK` at a time, reporting progress and stopping with
    :class:`JobCancelled` between chunks when asked to.
    """
    today = today or local_today(utcnow())
    with store.read_session() as s:
        decls = approved_in_jurisdiction(s, actor)
        names = region_names(s, {d.community_code for d in decls})
        rows: list[ProjectRow] = []
        progress(0, len(decls), "")
        for start in range(0, len(decls), FACTS_CHUNK):
            if is_cancelled():
                raise JobCancelled
            part = decls[start:start + FACTS_CHUNK]
            facts = many_project_facts(s, part)
            for d in part:
                f = facts[d.id]
                warnings = sorted(facts_warnings(f, today), key=lambda w: SEVERITY_ORDER[w.severity])
                rows.append(ProjectRow(d.id, d.number, d.title, names.get(d.community_code, d.community_code),
                                       f.granted_fen, f.disbursed_fen, tuple(warnings)))
            progress(start + len(part), len(decls), "")
        return rows


class ProjectTableModel(QAbstractTableModel):
    """Holds the rows :func:`load_rows` gave; ``only_warned`` hides projects without warnings."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[ProjectRow] = []
        self._rows: list[ProjectRow] = []
        self.only_warned = False
        self._headers = [self.tr("编号"), self.tr("项目名称"), self.tr("社区"), self.tr("批准补助(元)"),
                         self.tr("已拨付(元)"), self.tr("预警")]

    def set_rows(self, rows: list[ProjectRow]) -> None:
        self.beginResetModel()
        self._all = rows
        self._rows = [r for r in rows if r.warnings or not self.only_warned]
        self.endResetModel()

    def set_only_warned(self, only: bool) -> None:
        self.only_warned = only
        self.set_rows(self._all)

    def counts(self) -> tuple[int, int]:
        """(approved projects, projects with a warning other than a note)."""
        return len(self._all), sum(1 for r in self._all if any(w.severity != "info" for w in r.warnings))

    def row_at(self, row: int) -> ProjectRow:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, col = self._rows[index.row()], index.column()
        if role == IdRole:
            return r.decl_id
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_WARNINGS:
                if not r.warnings:
                    return self.tr("无")
                more = self.tr("（另有 {0} 条）").format(len(r.warnings) - 1) if len(r.warnings) > 1 else ""
                return r.warnings[0].text + more
            return [r.number, r.title, r.community, format_yuan(from_fen(r.granted_fen)),
                    format_yuan(from_fen(r.disbursed_fen)), ""][col]
        if role == Qt.ItemDataRole.DecorationRole and col == COL_WARNINGS:
            return severity_icon(r.warnings[0].severity if r.warnings else None)
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_WARNINGS and r.warnings:
            return "\n".join(w.text for w in r.warnings)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_GRANTED, COL_DISBURSED):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
