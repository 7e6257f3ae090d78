"""The 项目实施 page: approved projects in this office's jurisdiction with their warnings.

The list is computed on the job runner (a province holds thousands of approved projects): the page says
正在计算… and keeps the last list on screen meanwhile; a newer refresh cancels an older one, whose result
is never shown.
"""

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

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import show_error
from sanlian_desktop.ui.empty import EmptyHint
from sanlian_desktop.ui.implementation.model import (
    COL_COMMUNITY,
    COL_DISBURSED,
    COL_GRANTED,
    COL_NUMBER,
    COL_TITLE,
    COL_WARNINGS,
    ProjectRow,
    ProjectTableModel,
    load_rows,
)
from sanlian_desktop.ui.jobs import FunctionJob, IsCancelled, JobFailure, JobHandle, Progress, show_failure
from sanlian_desktop.ui.widgets import ERROR_STYLE


class ImplementationPage(QWidget):
    """项目实施."""

    title = "项目实施"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        # The day warnings are judged on; None for today (a screenshot or test may fix it).
        self.today: date | None = None
        self.job: JobHandle | None = None
        self._generation = 0
        self.model = ProjectTableModel(self)
        self.summary = QLabel(self)
        self.only_warned = QCheckBox(self.tr("只看有预警的项目"), self)
        self.open_button = QPushButton(self.tr("查看实施情况…"), self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.empty = EmptyHint(self.table, self.tr(
            "还没有批准实施的项目。省民政厅批准立项的申报会出现在这里：批准结果随数据包下发，请在“同步”页导入。"))
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
        self.open_button.setEnabled(False)
        self.refresh()

    def refresh(self) -> JobHandle:
        """Compute the projects and their warnings as of ``today`` in the background; an older
        computation still running is cancelled and its result dropped."""
        if self.job is not None and self.job.is_running:
            self.job.cancel()
        self._generation += 1
        generation = self._generation
        store, actor, today = self.ctx.store, self.ctx.actor, self.today
        self.summary.setStyleSheet("")
        self.summary.setText(self.tr("正在计算…"))

        def run(progress: Progress, is_cancelled: IsCancelled) -> tuple[int, list[ProjectRow]]:
            return generation, load_rows(store, actor, today, progress=progress, is_cancelled=is_cancelled)

        self.job = self.ctx.jobs.submit(FunctionJob(self.tr("项目预警"), run), parent=self,
                                        on_success=self._loaded, on_failure=self._failed,
                                        on_progress=self._progressed)
        return self.job

    @property
    def computing(self) -> bool:
        """Whether a computation of the list is under way."""
        return self.job is not None and self.job.is_running

    def _progressed(self, done: int, total: int, _text: str) -> None:
        if total > 0 and self.computing:
            self.summary.setText(self.tr("正在计算…（{0}/{1} 个项目）").format(done, total))

    def _loaded(self, result: tuple[int, list[ProjectRow]]) -> None:
        generation, rows = result
        if generation != self._generation:
            return  # a newer refresh is on its way
        self.model.set_rows(rows)
        self._update_summary()

    def _failed(self, failure: JobFailure) -> None:
        if self.computing:
            return  # superseded by a newer refresh
        self.summary.setStyleSheet(ERROR_STYLE)
        self.summary.setText(self.tr("项目预警没有计算完成：{0}").format(failure.message()))
        if not failure.is_user_error:
            show_failure(self, failure)  # the details to copy for support

    def _update_summary(self) -> None:
        total, warned = self.model.counts()
        self.summary.setStyleSheet("")
        self.summary.setText(self.tr("本辖区已批准项目 {0} 个，其中 {1} 个有预警").format(total, warned))
        self.open_button.setEnabled(self.model.rowCount() > 0)

    def _only_warned(self, only: bool) -> None:
        self.model.set_only_warned(only)
        if not self.computing:
            self._update_summary()
        self.open_button.setEnabled(self.model.rowCount() > 0)

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
