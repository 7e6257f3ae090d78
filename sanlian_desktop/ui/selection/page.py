"""The 遴选 page (province only): declarations awaiting the province in a batch, sortable by region, focus
area, amount and expert score; the three meters; scoring, shortlisting, approval and the 公示."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.declarations import batches, lookup
from sanlian_desktop.declarations.workflow import local_today
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.models import Batch, utcnow
from sanlian_desktop.screening import service as screening
from sanlian_desktop.selection import limits, notices, shortlist
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import confirm, show_error
from sanlian_desktop.ui.empty import EmptyHint
from sanlian_desktop.ui.files import save_file
from sanlian_desktop.ui.jobs import JobFailure, show_failure
from sanlian_desktop.ui.selection.dialogs import ChooseDialog, NoticeDialog, ScoreDialog
from sanlian_desktop.ui.selection.meters import MeterBar
from sanlian_desktop.ui.selection.model import (
    COL_AMOUNT,
    COL_AREA,
    COL_CITY,
    COL_COMMUNITY,
    COL_COUNTY,
    COL_NUMBER,
    COL_REQUESTED,
    COL_SCORE,
    COL_SCORERS,
    COL_SPREAD,
    COL_STATE,
    COL_TITLE,
    ID_ROLE,
    SORT_ROLE,
    SelectionTableModel,
)
from sanlian_desktop.ui.similar import BadgeDelegate
from sanlian_desktop.ui.widgets import StretchColumn

WIDTHS = {COL_NUMBER: 150, COL_CITY: 70, COL_COUNTY: 80, COL_COMMUNITY: 100, COL_AREA: 130, COL_REQUESTED: 100,
          COL_SCORE: 76, COL_SCORERS: 64, COL_SPREAD: 50, COL_STATE: 56, COL_AMOUNT: 100}
STATE_FILTERS = (("全部", None), ("待遴选", "pending"), ("已入围", "shortlisted"), ("已批准", "approved"))


class StateFilter(QSortFilterProxyModel):
    """Sorts by the model's sort keys and keeps the rows of one state (or all)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.state: str | None = None
        self.setSortRole(SORT_ROLE)

    def set_state(self, state: str | None) -> None:
        self.beginFilterChange()
        self.state = state
        if hasattr(self, "endFilterChange"):  # Qt 6.10+
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # Qt 6.9 (the glibc 2.28 Linux bundle)
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:  # type: ignore[override]
        model = self.sourceModel()
        assert isinstance(model, SelectionTableModel)
        return self.state is None or model.row_at(source_row).state == self.state


class SelectionPage(QWidget):
    """Selection at the province; the page is shown only at the province office."""

    title = "遴选"
    levels = (Level.PROVINCE,)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dialog: QWidget | None = None
        self.batch = QComboBox(self)
        self.batch.setMinimumWidth(280)
        self.state = QComboBox(self)
        for label, value in STATE_FILTERS:
            self.state.addItem(self.tr(label), value)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("申报批次"), self))
        top.addWidget(self.batch)
        top.addSpacing(16)
        top.addWidget(QLabel(self.tr("显示"), self))
        top.addWidget(self.state)
        top.addStretch(1)
        self.notice_label = QLabel(self)
        top.addWidget(self.notice_label)

        self.bars = [MeterBar(self) for _ in range(3)]
        meters_row = QHBoxLayout()
        for bar in self.bars:
            meters_row.addWidget(bar, 1)
        self.warning = QLabel(self)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #9a6700; font-weight: bold;")

        self.model = SelectionTableModel(self)
        self.proxy = StateFilter(self)
        self.proxy.setSourceModel(self.model)
        self.view = QTableView(self)
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(26)
        header = self.view.horizontalHeader()
        for col, width in WIDTHS.items():
            header.resizeSection(col, width)
        # The project's name fills the room left but stays readable; a narrow window scrolls sideways.
        self.title_column = StretchColumn(self.view, COL_TITLE, 240)
        self.badges = BadgeDelegate(self.view)  # "相似 92%" on the titles of near-duplicate declarations
        self.view.setItemDelegateForColumn(COL_TITLE, self.badges)
        self.empty = EmptyHint(self.view, self.tr(
            "这个批次还没有进入遴选的申报：各市（州）审核通过、上报省民政厅的申报会出现在这里。"
            "它们随数据包到达：请在“同步”页导入收到的数据包。没有批次时，先用命令行“sanlian batch add”设立。"))
        self.view.setSortingEnabled(True)
        header.setSortIndicator(COL_SCORE, Qt.SortOrder.DescendingOrder)

        self.count = QLabel(self)
        self.open_button = QPushButton(self.tr("查看申报…"), self)
        self.score_button = QPushButton(self.tr("专家评分…"), self)
        self.shortlist_button = QPushButton(self.tr("列入入围…"), self)
        self.unshortlist_button = QPushButton(self.tr("移出入围"), self)
        self.approve_button = QPushButton(self.tr("批准立项…"), self)
        self.notice_button = QPushButton(self.tr("发布公示…"), self)
        self.export_button = QPushButton(self.tr("导出现行公示…"), self)
        actions = QHBoxLayout()
        actions.addWidget(self.count, 1)
        for button in (self.open_button, self.score_button, self.shortlist_button, self.unshortlist_button,
                       self.approve_button, self.notice_button, self.export_button):
            actions.addWidget(button)
        page = QVBoxLayout(self)
        page.addLayout(top)
        page.addLayout(meters_row)
        page.addWidget(self.warning)
        page.addWidget(self.view, 1)
        page.addLayout(actions)

        self.batch.currentIndexChanged.connect(self.refresh)
        self.state.currentIndexChanged.connect(lambda _i: self._filter())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.view.doubleClicked.connect(lambda _i: self.open_current())
        self.open_button.clicked.connect(self.open_current)
        self.score_button.clicked.connect(self.score_current)
        self.shortlist_button.clicked.connect(lambda: self.choose_current(approve=False))
        self.approve_button.clicked.connect(lambda: self.choose_current(approve=True))
        self.unshortlist_button.clicked.connect(self.unshortlist_current)
        self.notice_button.clicked.connect(self.issue_notice)
        self.export_button.clicked.connect(self.export_notice)
        may_act = ctx.actor.role in (Role.REVIEWER, Role.ADMIN)
        for button in (self.score_button, self.shortlist_button, self.unshortlist_button, self.approve_button,
                       self.notice_button):
            button.setVisible(may_act)
        self._load_batches()

    # -- page interface ------------------------------------------------------------------------------

    def _load_batches(self) -> None:
        with self.ctx.store.read_session() as s:
            found = batches.list_batches(s)
        self.batch.blockSignals(True)
        self.batch.clear()
        for b in found:
            self.batch.addItem(f"{b.name}（{b.code}）", b.id)
        self.batch.blockSignals(False)
        self.refresh()

    def current_batch_id(self) -> str | None:
        value = self.batch.currentData()
        return str(value) if value else None

    def refresh(self) -> None:
        """Re-read the rows, the meters and the notice in force."""
        batch_id = self.current_batch_id()
        if batch_id is None:
            self.model.set_rows([])
            self.count.setText(self.tr("还没有申报批次（批次由省民政厅在命令行 batch add 设立）"))
            self._update_buttons()
            return
        selected = self.current_id()
        with self.ctx.store.read_session() as s:
            batch = s.get(Batch, batch_id)
            assert batch is not None
            rows = shortlist.rows(s, batch)
            similar = screening.best_scores(s, [r.id for r in rows])
            ms = limits.meters(s, batch)
            notice = notices.current_notice(s, batch)
            notice_text = "" if notice is None else self.tr("现行公示：第 {0} 号，{1} 至 {2}（{3}）").format(
                notice.seq, notice.starts.isoformat(), notice.ends.isoformat(),
                notices.in_force_label(notice, local_today(utcnow())))
        self.model.set_rows(rows, similar)
        for bar, meter in zip(self.bars, ms, strict=True):
            bar.set_meter(meter)
        warns = limits.warnings(ms)
        self.warning.setText("　".join(f"⚠ {w}" for w in warns))
        self.warning.setVisible(bool(warns))
        self.notice_label.setText(notice_text)
        self.export_button.setEnabled(notice is not None)
        self._filter()
        if selected:
            self.select(selected)

    def _filter(self) -> None:
        self.proxy.set_state(self.state.currentData())
        shown = self.proxy.rowCount()
        pending = sum(1 for r in self.model.rows if r.state == "pending")
        self.count.setText(self.tr("显示 {0} 份（待遴选 {1} 份）").format(shown, pending))
        self._update_buttons()

    # -- the current row -----------------------------------------------------------------------------

    def current_id(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        return str(rows[0].data(ID_ROLE)) if rows else None

    def current_row(self) -> shortlist.Row | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row())

    def select(self, decl_id: str) -> bool:
        """Select the row of ``decl_id`` (if shown)."""
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(ID_ROLE) == decl_id:
                self.view.selectRow(row)
                return True
        return False

    def _update_buttons(self) -> None:
        row = self.current_row()
        pending = row is not None and row.state != "approved"
        self.open_button.setEnabled(row is not None)
        self.score_button.setEnabled(row is not None)
        self.shortlist_button.setEnabled(pending)
        self.approve_button.setEnabled(pending)
        self.unshortlist_button.setEnabled(row is not None and row.state == "shortlisted")
        self.notice_button.setEnabled(any(r.state != "pending" for r in self.model.rows))

    # -- actions -------------------------------------------------------------------------------------

    def _show(self, dialog: QWidget) -> None:
        self.dialog = dialog
        dialog.show()

    def open_current(self) -> None:
        """The declaration in the review dialog (its decision panel approves, returns or rejects)."""
        decl_id = self.current_id()
        if decl_id is None:
            return
        from sanlian_desktop.ui.review.dialog import ReviewDialog

        dialog = ReviewDialog(self.ctx.store, self.ctx.actor, decl_id, self, jobs=self.ctx.jobs)
        dialog.reviewed.connect(lambda _d: self.refresh())
        self._show(dialog)

    def score_current(self) -> None:
        decl_id = self.current_id()
        if decl_id is None:
            return
        try:
            dialog = ScoreDialog(self.ctx.store, self.ctx.actor, decl_id, self, jobs=self.ctx.jobs)
        except UserError as exc:
            show_error(self, exc)
            return
        dialog.scored.connect(lambda _d: self.refresh())
        self._show(dialog)

    def choose_current(self, *, approve: bool) -> None:
        decl_id = self.current_id()
        if decl_id is None:
            return
        dialog = ChooseDialog(self.ctx.store, self.ctx.actor, decl_id, approve=approve, parent=self,
                              jobs=self.ctx.jobs)
        dialog.chosen.connect(lambda _d: self.refresh())
        self._show(dialog)

    def unshortlist_current(self) -> None:
        row = self.current_row()
        if row is None or not confirm(self, self.tr("将 {0} 移出入围名单？").format(row.number), self.tr("移出入围")):
            return
        store, actor, decl_id = self.ctx.store, self.ctx.actor, row.id

        def write() -> None:
            with store.session() as s:
                shortlist.unshortlist(s, actor, lookup.visible(s, actor, decl_id))

        # Refreshed either way: a refusal may mean someone else changed the list meanwhile.
        self.ctx.jobs.write(self, self.tr("移出入围"), write, on_success=lambda _r: self.refresh(),
                            on_failure=self._unshortlist_refused, busy=[self.unshortlist_button])

    def _unshortlist_refused(self, failure: JobFailure) -> None:
        show_failure(self, failure)
        self.refresh()

    def issue_notice(self) -> None:
        batch_id = self.current_batch_id()
        if batch_id is None:
            return
        dialog = NoticeDialog(self.ctx.store, self.ctx.actor, batch_id, self, jobs=self.ctx.jobs)
        dialog.issued.connect(lambda _n: self.refresh())
        self._show(dialog)

    def export_notice(self) -> None:
        """Write the notice in force as PDF or Excel (by the file name's suffix), on the job runner."""
        batch_id = self.current_batch_id()
        if batch_id is None:
            return
        chosen = save_file(self, self.ctx.settings, self.tr("导出公示"), self.tr("入选项目公示.pdf"),
                           self.tr("PDF 文件 (*.pdf);;Excel 文件 (*.xlsx)"), kind="notices")
        if chosen is None:
            return
        target, store = chosen, self.ctx.store

        def write() -> None:  # on the job runner: a USB stick can be slow
            with store.read_session() as s:
                batch = s.get(Batch, batch_id)
                assert batch is not None
                notice = notices.get_notice(s, batch)
                if target.suffix.lower() == ".xlsx":
                    notices.export_notice(s, notice, xlsx=target)
                else:
                    notices.export_notice(s, notice, pdf=target.with_suffix(".pdf"))

        self.ctx.jobs.write(self, self.tr("导出公示"), write, busy=[self.export_button])
