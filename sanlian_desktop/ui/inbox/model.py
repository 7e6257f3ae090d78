"""The declarations table model: ordered ids for the current filter, rows fetched in pages on demand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QColor
from sqlalchemy import Select

from sanlian_desktop.declarations import listing
from sanlian_desktop.kernel.money import format_yuan, from_fen
from sanlian_desktop.kernel.vocab import REVIEW_STAGE_LABELS, Level, Status
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.screening import service as screening
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.inbox.loader import IdsJob, IdsSignals
from sanlian_desktop.ui.similar import BadgeRole, badge_text

COL_NUMBER, COL_TITLE, COL_COMMUNITY, COL_STATUS, COL_STAGE, COL_REQUESTED, COL_GRANTED, COL_WAITING = range(8)
COLUMN_COUNT = 8
SORT_KEY = {
    COL_NUMBER: "number", COL_TITLE: "title", COL_COMMUNITY: "community", COL_STATUS: "status",
    COL_STAGE: "stage", COL_REQUESTED: "requested", COL_GRANTED: "granted", COL_WAITING: "waiting",
}
IdRole = Qt.ItemDataRole.UserRole + 1
RowRole = Qt.ItemDataRole.UserRole + 2
PAGE_SIZE = 200
WARN_DAYS = 7            # amber after a week of waiting, or in the batch's last week
DEFAULT_OVERDUE_DAYS = 14

_Index = QModelIndex | QPersistentModelIndex


class DeclarationTableModel(QAbstractTableModel):
    """Holds the ordered ids of one query; rows are read 200 at a time and cached until refreshed."""

    loaded = Signal(str)  # after new ids arrived; a non-empty text is a failure to show

    def __init__(self, store: Store, actor: Actor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Pages set ``background``: then filters and sorting query on a worker thread.
        self.background = False
        self.loading = False
        self._generation = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = IdsSignals(self)
        self._signals.finished.connect(self._ids_arrived)
        self._store = store
        self._actor = actor
        self._filter = listing.ListFilter()
        self._sort = "waiting"
        self._descending = False
        self._ids: list[str] = []
        self._loaded = False
        self._rows: dict[str, listing.Row] = {}
        self._names: dict[str, str] = {}
        self._similar: dict[str, int] = {}  # best near-duplicate score of the cached rows that have one
        self.overdue_days = DEFAULT_OVERDUE_DAYS
        self.now = datetime.now(UTC)
        self._headers = [self.tr("编号"), self.tr("项目名称"), self.tr("社区"), self.tr("状态"),
                         self.tr("当前环节"), self.tr("申请金额(元)"), self.tr("批准金额(元)"), self.tr("等待天数")]

    # -- what is listed ------------------------------------------------------------------------------

    def set_filter(self, flt: listing.ListFilter) -> None:
        """Show the declarations ``flt`` selects (one query for their ids)."""
        self._filter = flt
        self._requery()

    def _requery(self) -> None:
        if self.background:
            self.reload_in_background()
        else:
            self.reload()

    def reload_in_background(self) -> None:
        """Query the ids on a worker thread; the table keeps its rows until the answer arrives."""
        self._generation += 1
        self.loading = True
        self.now = datetime.now(UTC)
        job = IdsJob(self._generation, self._store, self._actor, self._filter, self._sort, self._descending,
                     self.now, self._signals)
        self._pool.start(job)

    def _ids_arrived(self, generation: int, ids: list[str] | None, error: str) -> None:
        if generation != self._generation:
            return  # an older request overtaken by a newer filter
        self.loading = False
        if ids is not None:
            self.beginResetModel()
            self._ids = ids
            self._rows.clear()
            self._loaded = True
            self.endResetModel()
        self.loaded.emit(error)

    def wait_idle(self, msecs: int = 10_000) -> None:
        """Let running queries finish (before the store closes)."""
        self._pool.waitForDone(msecs)

    def list_filter(self) -> listing.ListFilter:
        return self._filter

    def current_query(self) -> Select[Any]:
        """The query behind the rows shown (filter, order and the moment the ids were read)."""
        return listing.ids_query(self._actor, self._filter, self._sort, self._descending, self.now)

    def reload(self) -> None:
        """Re-read the ids and forget cached rows (after an edit, a review, a new filter)."""
        self._generation += 1  # answers of background queries still running are now stale
        self.loading = False
        self.beginResetModel()
        self.now = datetime.now(UTC)
        with self._store.read_session() as s:
            self._ids = listing.ordered_ids(s, self._actor, self._filter, self._sort, self._descending, self.now)
        self._rows.clear()
        self._loaded = True
        self.endResetModel()
        self.loaded.emit("")

    def mark_stale(self, ids: list[str]) -> None:
        """Forget the cached rows of ``ids`` so the next paint reads them again."""
        for decl_id in ids:
            self._rows.pop(decl_id, None)
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, COLUMN_COUNT - 1))

    def id_at(self, row: int) -> str:
        return self._ids[row]

    def ids(self) -> list[str]:
        return list(self._ids)

    def row_of(self, decl_id: str) -> int:
        try:
            return self._ids.index(decl_id)
        except ValueError:
            return -1

    # -- fetching rows -------------------------------------------------------------------------------

    def row_data(self, row: int) -> listing.Row | None:
        """The row at ``row``, fetching its page of 200 when it is not cached."""
        decl_id = self._ids[row]
        cached = self._rows.get(decl_id)
        if cached is not None:
            return cached
        start = row - row % PAGE_SIZE
        page = [i for i in self._ids[start:start + PAGE_SIZE] if i not in self._rows]
        with self._store.read_session() as s:
            self._rows.update(listing.rows_for(s, page))
            for fetched in page:
                self._similar.pop(fetched, None)
            self._similar.update(screening.best_scores(s, page))
            missing = {r.community_code for r in self._rows.values()} - self._names.keys()
            missing |= {r.awaiting_office for r in self._rows.values() if r.awaiting_office} - self._names.keys()
            self._names.update(listing.region_names(s, missing))
        return self._rows.get(decl_id)

    def waiting_days(self, r: listing.Row) -> int | None:
        if r.awaiting_since is None:
            return None
        since = r.awaiting_since if r.awaiting_since.tzinfo else r.awaiting_since.replace(tzinfo=UTC)
        return max(0, (self.now - since).days)

    def _stage_text(self, r: listing.Row) -> str:
        if r.awaiting_level is None:
            return ""
        if r.status == Status.RETURNED.value:
            return self.tr("退回修改中")
        office = self._names.get(r.awaiting_office or "", "")
        stage = REVIEW_STAGE_LABELS.get(Level(r.awaiting_level), "")
        return stage + (f"（{office}）" if office else "")

    def _waiting_color(self, r: listing.Row) -> QColor | None:
        days = self.waiting_days(r)
        if days is None:
            return None
        today = self.now.astimezone().date()
        left = (r.batch_closes - today).days if r.batch_closes else None
        if days > self.overdue_days or (left is not None and left < 0):
            return QColor("#f8d0cc")
        if days > WARN_DAYS or (left is not None and left <= WARN_DAYS):
            return QColor("#fbe7b5")
        return None

    # -- Qt model ------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMN_COUNT

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < COLUMN_COUNT:
            return self._headers[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        col = index.column()
        if role == IdRole:
            return self._ids[index.row()]
        if role == BadgeRole:
            if col != COL_TITLE or self.row_data(index.row()) is None:
                return None
            return badge_text(self._similar.get(self._ids[index.row()]))
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.BackgroundRole,
                        Qt.ItemDataRole.TextAlignmentRole, RowRole):
            return None
        r = self.row_data(index.row())
        if r is None:
            return None
        if role == RowRole:
            return r
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (COL_REQUESTED, COL_GRANTED, COL_WAITING):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._waiting_color(r) if col == COL_WAITING else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_TITLE:
                score = self._similar.get(r.id)
                return r.title if score is None else self.tr("{0}\n与其他申报文字相似 {1}%，打开后可对照查看").format(
                    r.title, score)
            if col == COL_WAITING and r.batch_closes:
                return self.tr("批次截止日期：{0}").format(r.batch_closes.isoformat())
            return None
        return self._display(r, col)

    def _display(self, r: listing.Row, col: int) -> str:
        if col == COL_NUMBER:
            return r.number
        if col == COL_TITLE:
            return r.title
        if col == COL_COMMUNITY:
            return self._names.get(r.community_code, r.community_code)
        if col == COL_STATUS:
            return Status(r.status).label
        if col == COL_STAGE:
            return self._stage_text(r)
        if col == COL_REQUESTED:
            return format_yuan(from_fen(r.requested_fen))
        if col == COL_GRANTED:
            return format_yuan(from_fen(r.granted_fen)) if r.granted_fen is not None else ""
        days = self.waiting_days(r)
        return "" if days is None else str(days)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Re-query the ids in the column's order (the database sorts, not Python)."""
        key = SORT_KEY.get(column)
        if key is None:
            return
        changed = (key, order == Qt.SortOrder.DescendingOrder) != (self._sort, self._descending)
        self._sort = key
        self._descending = order == Qt.SortOrder.DescendingOrder
        if not self._loaded or not changed:
            return  # the view announcing its indicator; the next reload orders by it
        self._requery()
