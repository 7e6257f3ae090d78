"""Choosing this office's region: the shipped tree of cities and counties with its search filter, and the
answer of a search over the official streets and communities (~19,000 names)."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.regiondata import OfficialRegion, official_tree

CODE_ROLE = Qt.ItemDataRole.UserRole + 1
LEVEL_ROLE = Qt.ItemDataRole.UserRole + 2
PINYIN_ROLE = Qt.ItemDataRole.UserRole + 3
SHORT_ROLE = Qt.ItemDataRole.UserRole + 4
# At most this many matches are listed; a longer query narrows them.
SEARCH_LIMIT = 200

AnyIndex = QModelIndex | QPersistentModelIndex


def build_region_model(infos: list[regions.RegionInfo] | None = None) -> QStandardItemModel:
    """A tree model of the regions (the shipped ones unless given): name, then code."""
    model = QStandardItemModel()
    model.setHorizontalHeaderLabels([
        model.tr("名称"), model.tr("区划代码"),
    ])
    items: dict[str, QStandardItem] = {}
    for info in infos if infos is not None else regions.shipped_regions():
        name_item = QStandardItem(info.name)
        code_text = "" if info.special else info.code
        code_item = QStandardItem(code_text)
        for item in (name_item, code_item):
            item.setEditable(False)
            item.setData(info.code, CODE_ROLE)
            item.setData(info.level.value, LEVEL_ROLE)
            item.setData(regions.pinyin_initials(info.name), PINYIN_ROLE)
        name_item.setToolTip(f"{info.name} {code_text}".strip())
        parent = items.get(info.parent_code or "")
        (parent if parent is not None else model.invisibleRootItem()).appendRow([name_item, code_item])
        items[info.code] = name_item
    return model


class RegionFilterProxy(QSortFilterProxyModel):
    """Filters the tree by name, code or pinyin initials (``cgq`` finds 城关区), keeping the path to
    each match; hides regions below the level being chosen and makes only that level selectable."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setRecursiveFilteringEnabled(True)
        self._query = ""
        self._level: Level | None = None

    def set_query(self, text: str) -> None:
        """Search for ``text``: part of a name, the start of a code or of the pinyin initials."""
        self.beginFilterChange()
        self._query = text.strip().lower()
        if hasattr(self, "endFilterChange"):  # Qt 6.10+
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # Qt 6.9 (the glibc 2.28 Linux bundle)
            self.invalidateRowsFilter()

    def set_level(self, level: Level | None) -> None:
        """Offer regions of ``level`` (and show those above it as the path)."""
        self.beginFilterChange()
        self._level = level
        if hasattr(self, "endFilterChange"):  # Qt 6.10+
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # Qt 6.9 (the glibc 2.28 Linux bundle)
            self.invalidateRowsFilter()

    def _fits_level(self, level_value: str) -> bool:
        return self._level is None or Level(level_value).rank <= self._level.rank

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        index = self.sourceModel().index(source_row, 0, source_parent)
        level_value = str(index.data(LEVEL_ROLE) or "")
        if not level_value or not self._fits_level(level_value):
            return False
        if not self._query:
            return True
        query = self._query
        code = str(index.data(CODE_ROLE) or "")
        return (query in str(index.data(Qt.ItemDataRole.DisplayRole) or "")
                or code.startswith(query)
                or str(index.data(PINYIN_ROLE) or "").startswith(query))

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if self._level is not None and index.isValid() and index.data(LEVEL_ROLE) != self._level.value:
            flags &= ~Qt.ItemFlag.ItemIsSelectable
        return flags


class RegionSearchModel(QAbstractTableModel):
    """The answer to one search of the official tree: a flat list of streets or communities with their
    official name, the path above them (市 / 县 / 街道) and their code."""

    NAME, PATH, CODE = range(3)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[OfficialRegion] = []
        self._paths: dict[str, str] = {}
        self._headers = [self.tr("名称"), self.tr("所在地"), self.tr("区划代码")]

    def set_rows(self, rows: list[OfficialRegion], paths: dict[str, str]) -> None:
        self.beginResetModel()
        self.rows, self._paths = rows, paths
        self.endResetModel()

    def region_at(self, row: int) -> OfficialRegion | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        region = self.rows[index.row()]
        path = self._paths.get(region.code, "")
        if role == Qt.ItemDataRole.DisplayRole:
            return (region.name, path, region.code)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{region.name}（{region.short}）\n{path}\n{region.code}"
        if role == CODE_ROLE:
            return region.code
        if role == SHORT_ROLE:
            return region.short
        return None


def search_official(query: str, level: Level) -> tuple[list[OfficialRegion], dict[str, str]]:
    """The streets or communities of ``level`` that ``query`` finds (name, code or pinyin initials), at most
    :data:`SEARCH_LIMIT`, with the path above each (``兰州市 / 城关区 / 酒泉路街道``)."""
    tree = official_tree()
    found = tree.search(query, level=level, limit=SEARCH_LIMIT)
    paths = {r.code: " / ".join(p.name for p in tree.path(r.code)[1:-1]) for r in found}
    return found, paths
