"""The 项目实施 page: approved projects in this office's jurisdiction with their warnings."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.errors import UserError
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.implementation.model import (
    COL_COMMUNITY,
    COL_DISBURSED,
    COL_GRANTED,
    COL_NUMBER,
    COL_TITLE,
    COL_WARNINGS,
    ProjectTableModel,
    load_rows,
)
from sanlian_desktop.ui.messages import show_error


class ImplementationPage(QWidget):
    """项目实施."""

    title = "项目实施"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        # The day warnings are judged on; None for today (a screenshot or test may fix it).
        self.today: date | None = None
        self.model = ProjectTableModel(self)
        self.summary = QLabel(self)
        self.only_warned = QCheckBox(self.tr("只看有预警的项目"), self)
        self.open_button = QPushButton(self.tr("查看实施情况…"), self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col in (COL_NUMBER, COL_COMMUNITY, COL_GRANTED, COL_DISBURSED):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_WARNINGS, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(COL_TITLE, 300)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.only_warned)
        top.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        note = QLabel(self.tr("进展报告按季度报送；受益人数低于按进度应达人数的一半、补助资金支出超过已拨付或批准金额、"
                              "实施周期结束而无结项报告时提示。双击项目查看招标、承接、社工、拨付和进展报告。"), self)
        note.setWordWrap(True)
        note.setStyleSheet("color: #666;")
        layout.addWidget(note)
        self.only_warned.toggled.connect(self._only_warned)
        self.open_button.clicked.connect(self.open_current)
        self.table.doubleClicked.connect(self._open_index)
        self.refresh()

    def refresh(self) -> None:
        """Reload the projects and their warnings as of today."""
        self.model.set_rows(load_rows(self.ctx.store, self.ctx.actor, self.today))
        self._update_summary()

    def _update_summary(self) -> None:
        total, warned = self.model.counts()
        self.summary.setText(self.tr("本辖区已批准项目 {0} 个，其中 {1} 个有预警").format(total, warned))
        self.open_button.setEnabled(self.model.rowCount() > 0)

    def _only_warned(self, only: bool) -> None:
        self.model.set_only_warned(only)
        self._update_summary()

    def open_current(self) -> QWidget | None:
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else (0 if self.model.rowCount() else -1)
        return self.open_project(self.model.row_at(row).decl_id) if row >= 0 else None

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_project(self.model.row_at(index.row()).decl_id)

    def open_project(self, decl_id: str) -> QWidget | None:
        """The project's dialog (forms for what this office enters, the rest read-only)."""
        from sanlian_desktop.ui.implementation.dialog import ProjectDialog

        try:
            dialog = ProjectDialog(self.ctx, decl_id, self, today=self.today)
        except UserError as exc:
            show_error(self, exc)
            return None
        dialog.changed.connect(self.refresh)
        dialog.show()
        return dialog
