"""Table models of the 同步 page: the channel to each neighbour office, and the conflicts kept aside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from sanlian_desktop.sync.exchange.status import NeighbourStatus

ModelIndex = QModelIndex | QPersistentModelIndex

COL_OFFICE, COL_WAITING, COL_SENT, COL_ACKED, COL_RECEIPTS, COL_LAST_SENT, COL_LAST_RECEIVED, COL_MISSING = range(8)
STATUS_HEADERS = (
    QT_TRANSLATE_NOOP("SyncPage", "单位"), QT_TRANSLATE_NOOP("SyncPage", "待发送"),
    QT_TRANSLATE_NOOP("SyncPage", "已发送未确认"), QT_TRANSLATE_NOOP("SyncPage", "已确认"),
    QT_TRANSLATE_NOOP("SyncPage", "待回执"), QT_TRANSLATE_NOOP("SyncPage", "最近发送"),
    QT_TRANSLATE_NOOP("SyncPage", "最近收到"), QT_TRANSLATE_NOOP("SyncPage", "缺少的数据包"),
)
CODE_ROLE = Qt.ItemDataRole.UserRole + 1

KIND_LABELS = {
    "region": QT_TRANSLATE_NOOP("SyncPage", "区划"),
    "batch": QT_TRANSLATE_NOOP("SyncPage", "申报批次"),
    "attachment": QT_TRANSLATE_NOOP("SyncPage", "附件"),
    "declaration": QT_TRANSLATE_NOOP("SyncPage", "申报"),
    "version": QT_TRANSLATE_NOOP("SyncPage", "申报版本"),
    "opinion": QT_TRANSLATE_NOOP("SyncPage", "审核意见"),
    "attachment_link": QT_TRANSLATE_NOOP("SyncPage", "附件关联"),
    "revocation": QT_TRANSLATE_NOOP("SyncPage", "证书吊销"),
    "receipt": QT_TRANSLATE_NOOP("SyncPage", "回执"),
    "registry": QT_TRANSLATE_NOOP("SyncPage", "台账"),
}


def translated(text: str) -> str:
    """A label marked with ``QT_TRANSLATE_NOOP("SyncPage", …)``, translated now."""
    return QCoreApplication.translate("SyncPage", text)


def kind_label(kind: str) -> str:
    """申报, 审核意见 … for a record kind; the kind itself when unknown."""
    return translated(str(KIND_LABELS[kind])) if kind in KIND_LABELS else kind


def local_time(moment: datetime | None) -> str:
    """``2026-11-25 14:03`` in local time, or a dash."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment is not None else "—"


@dataclass(frozen=True)
class SyncTotals:
    """What the status bar shows: packages waiting to go and items sent but not acknowledged."""

    neighbours: int
    packages_waiting: int
    items_waiting: int
    unacknowledged: int


def totals(rows: list[NeighbourStatus]) -> SyncTotals:
    """Sum the per-neighbour status: a neighbour with anything waiting is one package to send."""
    return SyncTotals(
        neighbours=len(rows),
        packages_waiting=sum(1 for r in rows if r.waiting or r.receipts_waiting),
        items_waiting=sum(r.waiting for r in rows),
        unacknowledged=sum(r.sent_unacknowledged for r in rows),
    )


class StatusTableModel(QAbstractTableModel):
    """One row per neighbour office, the parent first, as :func:`sync.exchange.status.status` reports them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[NeighbourStatus] = []

    def set_rows(self, rows: list[NeighbourStatus]) -> None:
        self.beginResetModel()
        self._rows = sorted(rows, key=lambda r: (not r.neighbour.is_parent, r.neighbour.code))
        self.endResetModel()

    def row_at(self, row: int) -> NeighbourStatus:
        return self._rows[row]

    def rows(self) -> list[NeighbourStatus]:
        return list(self._rows)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(STATUS_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(STATUS_HEADERS):
            return translated(str(STATUS_HEADERS[section]))
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        st = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(st, col)
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_OFFICE:
            return self.tr("区划代码 {0}").format(st.neighbour.code)
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_MISSING and st.missing_seqs:
            return self.tr("请对方重新发送这些编号的数据包")
        if role == Qt.ItemDataRole.TextAlignmentRole and COL_WAITING <= col <= COL_RECEIPTS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == CODE_ROLE:
            return st.neighbour.code
        return None

    def _text(self, st: NeighbourStatus, col: int) -> str:
        n = st.neighbour
        if col == COL_OFFICE:
            return (self.tr("上级：{0}") if n.is_parent else self.tr("下级：{0}")).format(n.name)
        counts = {COL_WAITING: st.waiting, COL_SENT: st.sent_unacknowledged, COL_ACKED: st.acknowledged,
                  COL_RECEIPTS: st.receipts_waiting}
        if col in counts:
            return str(counts[col])
        if col == COL_LAST_SENT:
            return local_time(st.last_sent)
        if col == COL_LAST_RECEIVED:
            return local_time(st.last_received)
        if col == COL_MISSING:
            return self.tr("第 {0} 号").format("、".join(map(str, st.missing_seqs))) if st.missing_seqs else "—"
        return ""


@dataclass(frozen=True)
class ConflictRow:
    """A conflict as the list shows it (read in one session, so the rows outlive it)."""

    id: int
    kind: str
    declaration: str
    reason: str
    from_office: str
    at: datetime


CONFLICT_HEADERS = (
    QT_TRANSLATE_NOOP("SyncPage", "编号"), QT_TRANSLATE_NOOP("SyncPage", "类型"),
    QT_TRANSLATE_NOOP("SyncPage", "申报"), QT_TRANSLATE_NOOP("SyncPage", "原因"),
    QT_TRANSLATE_NOOP("SyncPage", "来自"), QT_TRANSLATE_NOOP("SyncPage", "收到时间"),
)


class ConflictTableModel(QAbstractTableModel):
    """Open conflicts, oldest first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ConflictRow] = []

    def set_rows(self, rows: list[ConflictRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> ConflictRow:
        return self._rows[row]

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(CONFLICT_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(CONFLICT_HEADERS):
            return translated(str(CONFLICT_HEADERS[section]))
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        c = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (f"#{c.id}", kind_label(c.kind), c.declaration or "—", c.reason,
                    c.from_office, local_time(c.at))[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return c.reason
        return None
