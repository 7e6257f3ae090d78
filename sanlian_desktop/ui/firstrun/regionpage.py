"""The wizard's region page: the office's own region, from the shipped data.

The province, a city or a county is picked in the tree of the 105 shipped regions. A street or community
office searches the official tree (1,403 streets, 17,718 村/居 committees) by name, code or pinyin
initials and picks its own; one the data lacks is entered by code and name. The keyboard is enough:
type, arrow down to the right line, Enter (which presses 下一步).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.ui.firstrun.regionmodel import (
    CODE_ROLE,
    SEARCH_LIMIT,
    RegionFilterProxy,
    RegionSearchModel,
    build_region_model,
    search_official,
)
from sanlian_desktop.ui.firstrun.steps import WizardStep
from sanlian_desktop.ui.qtfix import emit

TREE, SEARCH, ENTRY = range(3)
# Keys typed into the search box that move through the answer instead.
_NAVIGATION_KEYS = (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp)


class RegionPage(WizardStep):
    """A searchable tree for the shipped levels; a search of the official streets and communities; a
    code and a name for a street or community the data lacks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("本单位的行政区划"))
        layout = QVBoxLayout(self)
        self.stack = QStackedWidget(self)
        layout.addWidget(self.stack)
        self.stack.addWidget(self._tree_box())
        self.stack.addWidget(self._search_box())
        self.stack.addWidget(self._entry_box())

    # -- the tree of cities and counties -----------------------------------------------------------

    def _tree_box(self) -> QWidget:
        box = QWidget(self.stack)
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(box)
        self.search.setPlaceholderText(self.tr("输入名称、区划代码或拼音首字母查找，如 cgq 查找城关区"))
        self.search.setClearButtonEnabled(True)
        self.model = build_region_model()
        self.model.setParent(self)
        self.proxy = RegionFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.tree = QTreeView(box)
        self.tree.setModel(self.proxy)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().resizeSection(1, 120)
        box_layout.addWidget(self.search)
        box_layout.addWidget(self.tree)
        self.search.textChanged.connect(self._search_tree)
        self.tree.selectionModel().selectionChanged.connect(self._selected)
        return box

    def _search_tree(self, text: str) -> None:
        self.proxy.set_query(text)
        self.tree.expandAll()
        first = self._first_selectable()
        if first is not None and text.strip():
            self.tree.setCurrentIndex(first)

    def _first_selectable(self) -> QModelIndex | None:
        stack = [self.proxy.index(r, 0) for r in range(self.proxy.rowCount())]
        while stack:
            index = stack.pop(0)
            if self.proxy.flags(index) & Qt.ItemFlag.ItemIsSelectable:
                return index
            stack[0:0] = [self.proxy.index(r, 0, index) for r in range(self.proxy.rowCount(index))]
        return None

    # -- the search of official streets and communities --------------------------------------------

    def _search_box(self) -> QWidget:
        box = QWidget(self.stack)
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        self.official_search = QLineEdit(box)
        self.official_search.setClearButtonEnabled(True)
        self.official_search.installEventFilter(self)
        self.results_model = RegionSearchModel(self)
        self.results = QTreeView(box)
        self.results.setModel(self.results_model)
        self.results.setRootIsDecorated(False)
        self.results.setUniformRowHeights(True)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.results.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(RegionSearchModel.NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(RegionSearchModel.PATH, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(RegionSearchModel.NAME, 230)
        header.resizeSection(RegionSearchModel.CODE, 120)
        self.results_note = QLabel(box)
        self.results_note.setStyleSheet("color: #555;")
        self.chosen = QLabel(box)
        self.chosen.setWordWrap(True)
        self.by_hand_button = QPushButton(self.tr("数据中没有本单位？按代码和名称填写…"), box)
        self.by_hand_button.setAutoDefault(False)
        self.by_hand_button.clicked.connect(lambda: self._show(ENTRY))
        row = QHBoxLayout()
        row.addWidget(self.results_note, 1)
        row.addWidget(self.by_hand_button)
        box_layout.addWidget(self.official_search)
        box_layout.addWidget(self.results, 1)
        box_layout.addWidget(self.chosen)
        box_layout.addLayout(row)
        self.official_search.textChanged.connect(self._search_official)
        self.results.selectionModel().selectionChanged.connect(self._result_selected)
        return box

    def _search_official(self, text: str) -> None:
        level = self.owner().level
        found, paths = search_official(text, level) if text.strip() else ([], {})
        self.results_model.set_rows(found, paths)
        if found:
            self.results.setCurrentIndex(self.results_model.index(0, 0))
        if not text.strip():
            self.results_note.setText("")
        elif not found:
            self.results_note.setText(self.tr("没有找到。换个写法，或按代码和名称填写。"))
        elif len(found) >= SEARCH_LIMIT:
            self.results_note.setText(self.tr("只列出前{0}个，请多输入几个字。").format(SEARCH_LIMIT))
        else:
            self.results_note.setText(self.tr("找到{0}个").format(len(found)))
        self._result_selected()

    def _result_selected(self, *_args: object) -> None:
        region = self.results_model.region_at(self.results.currentIndex().row()) if self._has_result() else None
        if region is None:
            self.chosen.setText("")
        else:
            path = self.results_model.data(self.results_model.index(self.results.currentIndex().row(),
                                                                    RegionSearchModel.PATH))
            self.chosen.setText(self.tr("已选：{0}（{1}，{2}）").format(region.short, path, region.code))
        emit(self.completeChanged)

    def _has_result(self) -> bool:
        return bool(self.results.selectionModel().selectedRows())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Arrow and page keys typed into the search box move through the answer."""
        if (watched is self.official_search and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in _NAVIGATION_KEYS
                and self.results_model.rowCount() > 0):
            forwarded = QKeyEvent(QEvent.Type.KeyPress, event.key(), event.modifiers())
            QApplication.sendEvent(self.results, forwarded)
            return True
        return super().eventFilter(watched, event)

    # -- entered by hand ---------------------------------------------------------------------------

    def _entry_box(self) -> QWidget:
        box = QWidget(self.stack)
        form = QFormLayout(box)
        self.code_edit = QLineEdit(box)
        self.code_edit.setValidator(QRegularExpressionValidator(r"\d{0,12}", self.code_edit))
        self.name_edit = QLineEdit(box)
        self.entry_hint = QLabel(box)
        self.entry_hint.setWordWrap(True)
        self.back_to_search = QPushButton(self.tr("返回查找"), box)
        self.back_to_search.setAutoDefault(False)
        self.back_to_search.clicked.connect(lambda: self._show(SEARCH))
        form.addRow(self.tr("统计用区划代码："), self.code_edit)
        form.addRow(self.tr("名称："), self.name_edit)
        form.addRow(self.entry_hint)
        form.addRow("", self.back_to_search)
        self.code_edit.textChanged.connect(self.completeChanged)
        self.name_edit.textChanged.connect(self.completeChanged)
        return box

    # -- the page ----------------------------------------------------------------------------------

    def _show(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        # Once the page is on screen: QWizard gives the focus to the page's first field when it shows it.
        QTimer.singleShot(0, self, (self.code_edit if index == ENTRY else self.official_search).setFocus)
        emit(self.completeChanged)

    def initializePage(self) -> None:
        level = self.owner().level
        if level in (Level.STREET, Level.COMMUNITY):
            self.setSubTitle(self.tr("请查找本单位所在的{0}：输入名称、区划代码或拼音首字母，用方向键选择，"
                                     "按回车确认。").format(level.label))
            example = self.tr("如 东岗街道、620102001 或 dgjd") if level is Level.STREET else \
                self.tr("如 畅家巷、620102002001 或 cjx")
            self.official_search.setPlaceholderText(example)
            digits = 9 if level is Level.STREET else 12
            sample = "620102001" if level is Level.STREET else "620102001001"
            self.entry_hint.setText(self.tr("{0}的代码为{1}位数字，例如 {2}。前6位是所在县(市、区)的代码。")
                                    .format(level.label, digits, sample))
            self.code_edit.setMaxLength(digits)
            self._search_official(self.official_search.text())  # the level may have changed
            self._show(SEARCH)
        else:
            self.setSubTitle(self.tr("请在下面选择本单位所在的{0}。").format(level.label))
            self.stack.setCurrentIndex(TREE)
            self.tree.clearSelection()
            self.proxy.set_level(level)
            self.tree.expandAll()
            self.search.setFocus()
            if level is Level.PROVINCE:
                self.tree.setCurrentIndex(self.proxy.index(0, 0))
        emit(self.completeChanged)

    def _selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        emit(self.completeChanged)

    def selected_region(self) -> tuple[str, str] | None:
        """(code, official name) of the region chosen in the tree or the search."""
        if self.stack.currentIndex() == SEARCH:
            region = self.results_model.region_at(self.results.currentIndex().row()) if self._has_result() else None
            return (region.code, region.name) if region is not None else None
        rows = self.tree.selectionModel().selectedRows(0)
        if not rows:
            return None
        return str(rows[0].data(CODE_ROLE)), str(rows[0].data(Qt.ItemDataRole.DisplayRole))

    def region(self) -> tuple[str, str] | None:
        """(code, name) as chosen or typed, None while incomplete."""
        if self.stack.currentIndex() == ENTRY:
            code, name = self.code_edit.text().strip(), self.name_edit.text().strip()
            return (code, name) if code and name else None
        return self.selected_region()

    def isComplete(self) -> bool:
        return self.region() is not None
