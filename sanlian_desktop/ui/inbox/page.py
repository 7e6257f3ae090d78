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

from sanlian_desktop.declarations import batches, drafts, listing, lookup
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level, Role, Status
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import show_error
from sanlian_desktop.ui.empty import EmptyHint
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
from sanlian_desktop.ui.similar import BadgeDelegate
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
        self.badges = BadgeDelegate(self.view)  # "相似 92%" on the titles of near-duplicate declarations
        self.view.setItemDelegateForColumn(COL_TITLE, self.badges)
        self.empty = EmptyHint(self.view, self.empty_text)
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
        self.empty.update_hint()

    # -- what an empty list says ----------------------------------------------------------------------

    def _has_batch(self) -> bool:
        with self.ctx.store.read_session() as s:
            return bool(batches.list_batches(s))

    def _no_batch_text(self) -> str:
        if self.ctx.actor.office_level is Level.PROVINCE:
            return self.tr("还没有申报批次。申报批次由省民政厅设立（技术人员用命令行“sanlian batch add”），"
                           "设立后随数据包下发各级。")
        return self.tr("还没有申报批次。申报批次由省民政厅设立，随上级的数据包下发：请在“同步”页导入上级发来的数据包。")

    def empty_text(self) -> str:
        """What to do first when the list is empty: loosen the filters, get a batch, or who enters one."""
        flt = self.filters.current()
        if flt.search or flt.status or flt.batch_id or flt.region_code or flt.focus_area or flt.overdue_days:
            return self.tr("没有符合筛选条件的申报。请清除搜索框或把筛选条件改回“全部”。")
        if not self._has_batch():
            return self._no_batch_text()
        return self.scope_empty_text(flt.scope)

    def scope_empty_text(self, scope: str) -> str:
        actor = self.ctx.actor
        if actor.role is Role.CLERK:
            return self.tr("还没有申报。点击右下方的“新建申报”录入第一份（社区没有电脑时，可在本单位代录纸质申报）。")
        return self.tr("还没有申报。新申报由经办人录入：请经办人登录（文件 → 切换用户），在“申报”页点击“新建申报”；"
                       "没有经办人账号时，管理员可在“设置 → 用户”中添加。下级单位上报的申报随数据包到达：请在“同步”页导入。")

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

    def scope_empty_text(self, scope: str) -> str:
        if scope == listing.SCOPE_RETURNED:
            return self.tr("本单位没有退回过申报。")
        if scope == listing.SCOPE_PASSED:
            return self.tr("本单位还没有审核通过并转报上级的申报。")
        if self.ctx.actor.role is Role.CLERK:
            return self.tr("没有需要您处理的申报：退回修改的申报会出现在这里。新申报请在“申报”页点击“新建申报”。")
        return self.tr("没有等待本单位审核的申报。下级单位上报的申报随数据包到达：请在“同步”页导入收到的数据包。")

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
