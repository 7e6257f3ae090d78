"""The 待办 and 申报 pages: a filtered, sortable table of declarations that opens the form or the review."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.declarations import drafts, listing, lookup
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Role, Status
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import show_error
from sanlian_desktop.ui.inbox.filters import FilterBar
from sanlian_desktop.ui.inbox.model import (
    COL_COMMUNITY,
    COL_GRANTED,
    COL_NUMBER,
    COL_REQUESTED,
    COL_STAGE,
    COL_STATUS,
    COL_TITLE,
    COL_WAITING,
    DeclarationTableModel,
)
from sanlian_desktop.ui.jobs import JobHandle
from sanlian_desktop.ui.widgets import StretchColumn

# The project name takes what the other columns leave, but stays readable in a 1024 px window.
TITLE_MIN_WIDTH = 240
COLUMN_WIDTHS = {COL_NUMBER: 140, COL_COMMUNITY: 120, COL_STATUS: 64, COL_STAGE: 196, COL_REQUESTED: 104,
                 COL_GRANTED: 104, COL_WAITING: 76}


class DeclarationListPage(QWidget):
    """A filter bar over a declarations table; double-click opens the declaration."""

    title = "申报"
    scope = listing.SCOPE_ALL

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.preview: QWidget | None = None
        self.filters = FilterBar(ctx.store, ctx.actor, self)
        self.filters.set_scope(self.scope)
        self.model = DeclarationTableModel(ctx.store, ctx.actor, self)
        self.model.loaded.connect(self._loaded)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(26)
        header = self.view.horizontalHeader()
        for col, width in COLUMN_WIDTHS.items():
            header.resizeSection(col, width)
        self.title_column = StretchColumn(self.view, COL_TITLE, TITLE_MIN_WIDTH)
        self.view.setSortingEnabled(True)
        header.setSortIndicator(COL_WAITING, Qt.SortOrder.AscendingOrder)
        self.count = QLabel(self)
        self.action_row = QHBoxLayout()
        self.action_row.addWidget(self.count, 1)
        self.export_button = QPushButton(self.tr("导出台账…"), self)
        self.export_button.setToolTip(self.tr("把当前列表（按现在的筛选条件和排序）导出为 Excel 台账"))
        self.export_button.clicked.connect(self.export_view_as)
        self.print_button = QPushButton(self.tr("打印所选…"), self)
        self.print_button.setToolTip(self.tr("把选中的申报合成一个 PDF，预览后打印（可按住 Ctrl 或 Shift 多选）"))
        self.print_button.clicked.connect(self.print_selected)
        self.open_button = QPushButton(self.tr("打开"), self)
        self.open_button.clicked.connect(self.open_current)
        for button in (self.export_button, self.print_button, self.open_button):
            self.action_row.addWidget(button)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.filters)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addLayout(self.action_row)
        self.filters.changed.connect(self._filter_changed)
        self.view.doubleClicked.connect(self._open_index)
        self.refresh()
        # The first list is read at once; later filters and sorting query off the GUI thread.
        self.model.background = True

    # -- page interface ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the list (after changes made elsewhere)."""
        self.model.set_filter(self.filters.current())
        self._update_count()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.model.wait_idle()
        super().closeEvent(event)

    def focus_search(self) -> None:
        self.filters.search.setFocus()
        self.filters.search.selectAll()

    # -- list ----------------------------------------------------------------------------------------

    def _filter_changed(self, flt: listing.ListFilter) -> None:
        self.model.set_filter(flt)
        self._update_count()

    def _loaded(self, error: str) -> None:
        if error:
            self.count.setText(error)
        else:
            self._update_count()

    def _update_count(self) -> None:
        if self.model.loading:
            self.count.setText(self.tr("正在查询…"))
            return
        self.count.setText(self.tr("共 {0} 份").format(self.model.rowCount()))

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.id_at(r) for r in rows]

    def selected_numbers(self) -> list[str]:
        """The numbers of the selected declarations, in list order."""
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [row.number if (row := self.model.row_data(r)) is not None else self.model.id_at(r) for r in rows]

    def export_view_as(self) -> JobHandle | None:
        """Ask where, then export the list as shown."""
        from sanlian_desktop.ui.paper.folders import EXCEL, choose_save

        out = choose_save(self, self.ctx.settings, EXCEL, self.tr("导出台账"), self.tr("台账.xlsx"))
        return None if out is None else self.export_view(out)

    def export_view(self, out: Path) -> JobHandle:
        """Export the declarations this list shows now (its filter and order) as a ledger workbook."""
        from sanlian_desktop.ui.dialogs import inform
        from sanlian_desktop.ui.paper.excel import start_ledger_export

        return start_ledger_export(
            self.ctx, self, out, query=self.model.current_query(),
            on_done=lambda count: inform(self, self.tr("已导出台账（{0} 条）：{1}").format(count, out)))

    def print_selected(self) -> JobHandle | None:
        """Print the selected declarations into one PDF and open its preview."""
        from sanlian_desktop.ui.paper.printjob import PrintRequest, start_print

        numbers = self.selected_numbers()
        if not numbers:
            self.count.setText(self.tr("请先选中要打印的申报（可按住 Ctrl 或 Shift 多选）"))
            return None
        return start_print(self.ctx, self, PrintRequest(keys=tuple(numbers)), on_preview=self._preview_opened)

    def _preview_opened(self, preview: QWidget) -> None:
        self.preview = preview

    def open_current(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.open_declaration(ids[0])

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_declaration(self.model.id_at(index.row()))

    def open_declaration(self, decl_id: str | None) -> QWidget | None:
        """The review dialog when it awaits this office's reviewer, else the form (read-only unless ours)."""
        actor = self.ctx.actor
        dialog: QWidget
        try:
            if decl_id is not None:
                with self.ctx.store.read_session() as s:
                    decl = lookup.visible(s, actor, decl_id)
                    to_review = (decl.status == Status.UNDER_REVIEW and decl.awaiting_office == actor.office_code
                                 and actor.role is Role.REVIEWER)
            else:
                to_review = False
            if to_review:
                from sanlian_desktop.ui.review.dialog import ReviewDialog

                dialog = ReviewDialog(self.ctx.store, actor, decl_id or "", self, jobs=self.ctx.jobs)
                dialog.reviewed.connect(self._changed)
            else:
                from sanlian_desktop.ui.form.dialog import DeclarationDialog

                dialog = DeclarationDialog(self.ctx.store, actor, decl_id, parent=self, jobs=self.ctx.jobs)
                dialog.saved.connect(self._changed)
                dialog.submitted.connect(self._changed)
        except UserError as exc:
            show_error(self, exc)
            return None
        dialog.show()
        return dialog

    def _changed(self, _decl_id: str = "") -> None:
        self.refresh()


class DeclarationsPage(DeclarationListPage):
    """申报: every declaration in the jurisdiction; clerks start new ones here."""

    title = "申报"
    scope = listing.SCOPE_ALL

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        with ctx.store.read_session() as s:
            may_create = drafts.can_create(s, ctx.actor)
        self.new_button = QPushButton(self.tr("新建申报"), self)
        self.new_button.setVisible(may_create)
        self.new_button.clicked.connect(lambda: self.open_declaration(None))
        self.action_row.insertWidget(1, self.new_button)


class InboxPage(DeclarationListPage):
    """待办: what awaits this office, and what it returned or passed on."""

    title = "待办"
    scope = listing.SCOPE_INBOX
    SCOPES = (listing.SCOPE_INBOX, listing.SCOPE_RETURNED, listing.SCOPE_PASSED)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.tabs = QTabBar(self)
        for text in (self.tr("待我处理"), self.tr("本单位退回的"), self.tr("已转上级的")):
            self.tabs.addTab(text)
        self.tabs.setExpanding(False)
        self.tabs.currentChanged.connect(self._scope_changed)
        self.layout_.insertWidget(0, self.tabs)
        self.batch_button = QPushButton(self.tr("批量同意…"), self)
        self.batch_button.setToolTip(self.tr("选中多份待审核的申报，用同一意见逐份同意"))
        self.batch_button.setVisible(ctx.actor.role is Role.REVIEWER)
        self.batch_button.clicked.connect(self.approve_selected)
        self.action_row.insertWidget(1, self.batch_button)

    def _scope_changed(self, index: int) -> None:
        self.filters.set_scope(self.SCOPES[index])
        self.batch_button.setEnabled(index == 0)
        self.refresh()

    def approve_selected(self) -> QWidget | None:
        """Approve the selected declarations with one opinion (one transaction each)."""
        from sanlian_desktop.ui.review.batch import BatchApproveDialog

        ids = self.selected_ids()
        if not ids:
            self.count.setText(self.tr("请先选中要批量同意的申报（可按住 Ctrl 或 Shift 多选）"))
            return None
        dialog = BatchApproveDialog(self.ctx.store, self.ctx.actor, ids, self, jobs=self.ctx.jobs)
        dialog.finished_batch.connect(self._changed)
        dialog.show()
        return dialog
