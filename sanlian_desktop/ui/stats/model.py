"""Models of the 统计 page: the region tree with each target, the regions missing a target, small tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from sanlian_desktop.indicators.service import SHORT_LABELS, TARGET_LABELS
from sanlian_desktop.indicators.views import (
    MET_COLOURS,
    TARGET_KEYS,
    MissingRow,
    ReportView,
    cell_text,
    describe,
    target_of,
)
from sanlian_desktop.kernel.vocab import Level

ModelIndex = QModelIndex | QPersistentModelIndex

COL_NAME, COL_COMMUNITIES = 0, 1
FIRST_TARGET_COL = 2
CODE_ROLE = Qt.ItemDataRole.UserRole + 1
MET_ROLE = Qt.ItemDataRole.UserRole + 2  # True / False / None for a target cell
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_FILLS = {met: QColor(fill) for met, (fill, _text) in MET_COLOURS.items()}
_TEXTS = {met: QColor(text) for met, (_fill, text) in MET_COLOURS.items()}


def target_key(column: int) -> str | None:
    """The target shown in ``column`` of the region tree, or None for the name and count columns."""
    i = column - FIRST_TARGET_COL
    return TARGET_KEYS[i] if 0 <= i < len(TARGET_KEYS) else None


class RegionTreeModel(QAbstractItemModel):
    """The report's regions as a tree under its root: a row per region, a column per target.

    A node's internal id is its position in ``report.regions``; children are found through the lists
    built once per report, so a province of 19,000 regions costs nothing until rows are expanded.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view: ReportView | None = None
        self._codes: list[str] = []
        self._pos: dict[str, int] = {}
        self._kids: list[list[int]] = []
        self._parent: list[int] = []
        self._row: list[int] = []
        self._root = -1

    def set_view(self, view: ReportView | None) -> None:
        self.beginResetModel()
        self.view = view
        regions = view.report.regions if view is not None else []
        self._codes = [r.code for r in regions]
        self._pos = {code: i for i, code in enumerate(self._codes)}
        self._kids = [[] for _ in regions]
        self._parent = [-1] * len(regions)
        self._row = [0] * len(regions)
        root = self._pos.get(view.report.root, -1) if view is not None else -1
        for i, r in enumerate(regions):
            if i == root:
                continue
            parent = self._pos.get(r.parent_code or "", -1)
            if parent >= 0:
                self._parent[i] = parent
                self._row[i] = len(self._kids[parent])
                self._kids[parent].append(i)
        self._root = root
        self.endResetModel()

    def index_of(self, code: str) -> QModelIndex:
        """The index (first column) of region ``code``, or an invalid one."""
        pos = self._pos.get(code)
        if pos is None:
            return QModelIndex()
        return self.createIndex(0 if pos == self._root else self._row[pos], 0, pos)

    def code_at(self, index: ModelIndex) -> str | None:
        return self._codes[index.internalId()] if index.isValid() else None

    # -- structure -------------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: ModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= self.columnCount() or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, self._root) if row == 0 and self._root >= 0 else QModelIndex()
        kids = self._kids[parent.internalId()]
        return self.createIndex(row, column, kids[row]) if row < len(kids) else QModelIndex()

    def parent(self, index: ModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        up = self._parent[index.internalId()]
        if up < 0:
            return QModelIndex()
        return self.createIndex(0 if up == self._root else self._row[up], 0, up)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return 1 if self._root >= 0 else 0
        if parent.column() != 0:
            return 0
        return len(self._kids[parent.internalId()])

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return FIRST_TARGET_COL + len(TARGET_KEYS)

    def hasChildren(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    # -- content ---------------------------------------------------------------------------------------

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        key = target_key(section)
        if role == Qt.ItemDataRole.DisplayRole:
            if key is not None:
                return SHORT_LABELS[key]
            return self.tr("区划") if section == COL_NAME else self.tr("社区数")
        if role == Qt.ItemDataRole.ToolTipRole and key is not None:
            return TARGET_LABELS[key]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.view is None:
            return None
        region = self.view.by_code[self._codes[index.internalId()]]
        col = index.column()
        if role == CODE_ROLE:
            return region.code
        if col == COL_NAME:
            if role == Qt.ItemDataRole.DisplayRole:
                return region.name
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.tr("{0}（{1}，代码 {2}）").format(region.name, Level(region.level).label, region.code)
            return None
        if col == COL_COMMUNITIES:
            if role == Qt.ItemDataRole.DisplayRole:
                return str(region.communities)
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _RIGHT
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.tr("社区 {0} 个：城市 {1}、农村 {2}；登记居民 {3} 人").format(
                    region.communities, region.urban, region.rural, region.residents)
            return None
        key = target_key(col)
        t = target_of(region, key) if key is not None else None
        if t is None:
            if role == Qt.ItemDataRole.ToolTipRole and key is not None:
                return self.tr("{0}：不适用").format(TARGET_LABELS[key])
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(t)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return describe(t)
        if role == MET_ROLE:
            return t.met
        if t.value is not None and role == Qt.ItemDataRole.BackgroundRole:
            return _FILLS[t.met]
        if t.value is not None and role == Qt.ItemDataRole.ForegroundRole:
            return _TEXTS[t.met]
        return None


class MissingModel(QAbstractTableModel):
    """The regions under the chosen one that miss the chosen target, then those not recorded."""

    HEADERS = ("名称", "区划代码", "街道(乡镇)", "县(市、区)", "情况", "本地数值", "标准")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[MissingRow] = []

    def set_rows(self, rows: Sequence[MissingRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.name, row.code, row.street, row.county, row.state, row.value, row.threshold)[col]
        if role == CODE_ROLE:
            return row.code
        if col == 4 and role == Qt.ItemDataRole.BackgroundRole:
            return _FILLS[False if row.recorded else None]
        if col == 4 and role == Qt.ItemDataRole.ForegroundRole:
            return _TEXTS[False if row.recorded else None]
        if col == 4 and role == Qt.ItemDataRole.ToolTipRole:
            return self.tr("未达到标准") if row.recorded else self.tr("情况尚未登记，无法判断")
        return None


class RowsModel(QAbstractTableModel):
    """A small read-only table of display strings (the pipeline's figures); numbers right-aligned."""

    def __init__(self, headers: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self.rows: list[list[str]] = []
        self.numeric_from = 1

    def set_rows(self, rows: Sequence[Sequence[object]]) -> None:
        self.beginResetModel()
        self.rows = [[str(cell) for cell in row] for row in rows]
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= self.numeric_from:
            return _RIGHT
        return None

