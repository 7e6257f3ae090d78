"""The shipped region tree for choosing this office's region, and its search filter."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from sanlian_desktop import regions
from sanlian_desktop.vocab import Level

CODE_ROLE = Qt.ItemDataRole.UserRole + 1
LEVEL_ROLE = Qt.ItemDataRole.UserRole + 2
PINYIN_ROLE = Qt.ItemDataRole.UserRole + 3

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
