"""The filter bar above a declarations table: search box, status, batch, region, focus area, overdue."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QSpinBox, QWidget

from sanlian_desktop import batches, listing
from sanlian_desktop.auth import Actor
from sanlian_desktop.store import Store
from sanlian_desktop.ui.inbox.model import DEFAULT_OVERDUE_DAYS
from sanlian_desktop.vocab import FOCUS_AREAS, Status

SEARCH_DELAY_MS = 200


class FilterBar(QWidget):
    """Emits ``changed`` with the filter the user set (the scope is left to the page)."""

    changed = Signal(object)

    def __init__(self, store: Store, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("搜索：项目名称、编号、社区或拼音首字母"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
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
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.search, 2)
        for w in (self.status, self.batch, self.region, self.focus, self.overdue, self.days):
            row.addWidget(w)
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
