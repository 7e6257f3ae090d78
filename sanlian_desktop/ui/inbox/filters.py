"""The filter bar above a declarations table: search box, status, batch, region, focus area, overdue.

The filters flow onto a second row when the window is narrow (a 1024 px screen), so the bar never makes
the window wider than the screen."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QSizePolicy, QSpinBox, QWidget

from sanlian_desktop.declarations import batches, listing
from sanlian_desktop.kernel.vocab import FOCUS_AREAS, Status
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.inbox.model import DEFAULT_OVERDUE_DAYS
from sanlian_desktop.ui.widgets import FlowLayout

SEARCH_DELAY_MS = 200
# Batch and region names can be long; their boxes show this many characters, the list shows them whole.
NAME_CHARS = 10


def _bounded(combo: QComboBox, chars: int) -> None:
    """The box about ``chars`` characters wide whatever its items; its drop-down list as wide as they are."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    view = combo.view()
    view.setMinimumWidth(view.sizeHintForColumn(0) + 24)
    for i in range(combo.count()):
        combo.setItemData(i, combo.itemText(i), Qt.ItemDataRole.ToolTipRole)


class FilterBar(QWidget):
    """Emits ``changed`` with the filter the user set (the scope is left to the page)."""

    changed = Signal(object)

    def __init__(self, store: Store, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("搜索：项目名称、编号、社区或拼音首字母"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self.search.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.status = QComboBox(self)
        self.status.addItem(self.tr("全部状态"), None)
        for st in Status:
            self.status.addItem(st.label, st.value)
        self.batch = QComboBox(self)
        self.batch.addItem(self.tr("全部批次"), None)
        self.region = QComboBox(self)
        self.region.addItem(self.tr("全部地区"), None)
        with store.read_session() as s:
            for b in batches.list_batches(s):
                self.batch.addItem(b.name, b.id)
            for code, name in listing.filter_regions(s, actor):
                self.region.addItem(name, code)
        self.region.setVisible(self.region.count() > 1)
        _bounded(self.batch, NAME_CHARS)
        _bounded(self.region, NAME_CHARS)
        for combo in (self.batch, self.region):
            combo.setToolTip(combo.currentText())
            combo.currentTextChanged.connect(combo.setToolTip)
        self.focus = QComboBox(self)
        self.focus.addItem(self.tr("全部领域"), None)
        for area in FOCUS_AREAS:
            self.focus.addItem(area, area)
        self.overdue = QCheckBox(self.tr("超期：等待超过"), self)
        self.overdue.setToolTip(self.tr("等待超过所设天数，或批次已截止仍未完成的申报"))
        self.days = QSpinBox(self)
        self.days.setRange(1, 365)
        self.days.setValue(DEFAULT_OVERDUE_DAYS)
        self.days.setSuffix(self.tr(" 天"))
        overdue = QWidget(self)  # the check box and its days wrap together
        pair = QHBoxLayout(overdue)
        pair.setContentsMargins(0, 0, 0, 0)
        pair.addWidget(self.overdue)
        pair.addWidget(self.days)
        self.flow = FlowLayout(self)
        self.flow.setContentsMargins(0, 0, 0, 0)
        for w in (self.search, self.status, self.batch, self.region, self.focus, overdue):
            self.flow.addWidget(w)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._emit)
        self.search.textChanged.connect(self._timer.start)
        for combo in (self.status, self.batch, self.region, self.focus):
            combo.currentIndexChanged.connect(self._emit)
        self.overdue.toggled.connect(self._emit)
        self.days.valueChanged.connect(self._emit)
        self._base = listing.ListFilter()

    def set_scope(self, scope: str) -> None:
        self._base = replace(self._base, scope=scope)

    def current(self) -> listing.ListFilter:
        """The filter as the widgets show it."""
        return listing.ListFilter(
            scope=self._base.scope, status=self.status.currentData(), batch_id=self.batch.currentData(),
            region_code=self.region.currentData(), focus_area=self.focus.currentData(),
            overdue_days=self.days.value() if self.overdue.isChecked() else None, search=self.search.text(),
        )

    def _emit(self) -> None:
        self._timer.stop()
        self.changed.emit(self.current())
