"""The 同步 page: the channel to each neighbour office, export, import (drag a file here), conflicts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.sync.exchange.files import EXTENSION
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.empty import EmptyHint
from sanlian_desktop.ui.files import open_file
from sanlian_desktop.ui.jobs import JobFailure, JobHandle
from sanlian_desktop.ui.qtfix import emit
from sanlian_desktop.ui.sync.conflicts import ResolveDialog
from sanlian_desktop.ui.sync.drives import SYNC_KIND
from sanlian_desktop.ui.sync.export import ExportDialog
from sanlian_desktop.ui.sync.importer import ImportDialog
from sanlian_desktop.ui.sync.model import (
    COL_ACKED,
    COL_LAST_RECEIVED,
    COL_LAST_SENT,
    COL_MISSING,
    COL_OFFICE,
    COL_RECEIPTS,
    COL_SENT,
    COL_WAITING,
    ConflictTableModel,
    StatusTableModel,
    SyncTotals,
    totals,
)
from sanlian_desktop.ui.sync.tasks import SyncState, load_state, status_job


def package_paths(urls: list[str] | list[Path]) -> list[Path]:
    """The local ``.sanlian`` files among dropped paths."""
    return [Path(u) for u in urls if str(u).lower().endswith(EXTENSION) and Path(u).is_file()]


# Wide enough for the Chinese headers and for the content at the default font.
STATUS_WIDTHS = {COL_WAITING: 80, COL_SENT: 110, COL_ACKED: 80, COL_RECEIPTS: 80, COL_LAST_SENT: 150,
                 COL_LAST_RECEIVED: 150, COL_MISSING: 140}
CONFLICT_WIDTHS = {0: 60, 1: 100, 2: 170, 4: 170, 5: 150}


def _widths(view: QTableView, widths: dict[int, int], *, stretch: int) -> None:
    header = view.horizontalHeader()
    header.setMinimumSectionSize(60)
    for col, width in widths.items():
        header.resizeSection(col, width)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


def _table(parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(28)
    return view


class SyncPage(QWidget):
    """Everything about packages: what waits to go, what came back, and what to decide."""

    title = "同步"
    totals_changed = Signal(object)  # SyncTotals

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setAcceptDrops(True)
        self.dialog: QWidget | None = None
        self.loading: JobHandle | None = None
        self._reload_again = False
        self.state = SyncState([], [])

        intro = QLabel(self.tr("各级单位之间不联网：导出同步包，用 U 盘或电子邮件带给对方；收到对方的同步包后在这里导入。"
                               "也可以把 .sanlian 文件直接拖到本页。"), self)
        intro.setWordWrap(True)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.hide()
        self.status_model = StatusTableModel(self)
        self.status_view = _table(self)
        self.status_view.setModel(self.status_model)
        self.empty = EmptyHint(self.status_view, self.tr(
            "还没有可以收发数据包的单位。先在“设置 → 证书”中生成证书申请，交上级签发后安装；"
            "上级发来的数据包可以随时点击“打开同步包…”导入。"))
        _widths(self.status_view, STATUS_WIDTHS, stretch=COL_OFFICE)
        self.status_view.doubleClicked.connect(self._export_to_row)

        actions = QHBoxLayout()
        self.export_button = QPushButton(self.tr("导出同步包…"), self)
        self.import_button = QPushButton(self.tr("打开同步包…"), self)
        self.refresh_button = QPushButton(self.tr("刷新"), self)
        self.export_button.setEnabled(False)  # until the neighbours are known
        self.export_button.clicked.connect(lambda _checked=False: self.export_packages())
        self.import_button.clicked.connect(self.choose_package)
        self.refresh_button.clicked.connect(self.refresh)
        for button in (self.export_button, self.import_button, self.refresh_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.state_label = QLabel(self)
        actions.addWidget(self.state_label)

        self.conflicts_label = QLabel(self)
        self.conflict_model = ConflictTableModel(self)
        self.conflict_view = _table(self)
        self.conflict_view.setModel(self.conflict_model)
        _widths(self.conflict_view, CONFLICT_WIDTHS, stretch=3)
        self.conflict_view.doubleClicked.connect(lambda index: self.resolve_conflict(index.row()))
        conflict_row = QHBoxLayout()
        conflict_row.addWidget(self.conflicts_label, 1)
        self.resolve_button = QPushButton(self.tr("处理…"), self)
        self.resolve_button.setEnabled(False)
        self.resolve_button.clicked.connect(lambda _checked=False: self.resolve_conflict())
        conflict_row.addWidget(self.resolve_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.hint)
        layout.addWidget(self.status_view, 3)
        layout.addLayout(actions)
        layout.addSpacing(8)
        layout.addLayout(conflict_row)
        layout.addWidget(self.conflict_view, 2)
        self.refresh()

    # -- page contract ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the status of every channel and the open conflicts (off the GUI thread)."""
        if self.ctx.jobs is None:
            self._loaded(load_state(self.ctx.store))
            return
        if self.loading is not None:
            self._reload_again = True
            return
        self.state_label.setText(self.tr("正在读取…"))
        self.loading = self.ctx.jobs.submit(status_job(self.ctx.store), parent=self, on_success=self._loaded,
                                            on_failure=self._load_failed, on_finished=self._load_finished)

    def _loaded(self, state: SyncState) -> None:
        self.state = state
        self.status_model.set_rows(state.status)
        self.conflict_model.set_rows(state.conflicts)
        self.state_label.clear()
        if not state.status:
            self.hint.setText(self.tr("本单位还没有可交换数据的相邻单位。请先在“设置 → 证书”中安装上级单位签发的证书，"
                                      "或为下级单位签发证书。"))
        self.hint.setVisible(not state.status)
        self.export_button.setEnabled(bool(state.status))
        count = len(state.conflicts)
        self.conflicts_label.setText(self.tr("待处理的冲突：{0} 条").format(count) if count
                                     else self.tr("待处理的冲突：没有"))
        self.resolve_button.setEnabled(count > 0)
        emit(self.totals_changed, self.totals())

    def _load_failed(self, failure: JobFailure) -> None:
        self.state_label.setText(failure.message())

    def _load_finished(self) -> None:
        self.loading = None
        if self._reload_again:
            self._reload_again = False
            self.refresh()

    def totals(self) -> SyncTotals:
        """Packages waiting to be sent and items not yet acknowledged, from the last status read."""
        return totals(self.state.status)

    # -- export -----------------------------------------------------------------------------------

    def _export_to_row(self, index: QModelIndex) -> None:
        if index.isValid():
            self.export_packages(self.status_model.row_at(index.row()).neighbour.code)

    def export_packages(self, to: str | None = None) -> ExportDialog:
        """The export dialog, for one neighbour or all."""
        dialog = ExportDialog(self.ctx, [st.neighbour for st in self.status_model.rows()], self, to=to)
        dialog.exported.connect(self.refresh)
        self.dialog = dialog
        dialog.show()
        return dialog

    # -- import -----------------------------------------------------------------------------------

    def choose_package(self) -> ImportDialog | None:
        path = open_file(self, self.ctx.settings, self.tr("打开同步包"),
                         self.tr("同步包 (*{0});;所有文件 (*)").format(EXTENSION), kind=SYNC_KIND)
        if path is None:
            return None
        return self.open_package(path)

    def open_package(self, path: Path) -> ImportDialog:
        """Check ``path`` and show what importing it would change; import on 确认导入.

        The main window calls this for a file given on the command line (a double-clicked package).
        """
        dialog = ImportDialog(self.ctx, Path(path), self)
        dialog.imported.connect(self.refresh)
        self.dialog = dialog
        dialog.show()
        dialog.start_preview()
        return dialog

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if package_paths(urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = package_paths([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()])
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.drop_files(paths)

    def drop_files(self, paths: list[Path]) -> list[ImportDialog]:
        """Open each dropped package in its own preview."""
        return [self.open_package(p) for p in package_paths(paths)]

    # -- conflicts --------------------------------------------------------------------------------

    def resolve_conflict(self, row: int | None = None) -> ResolveDialog | None:
        """处理: the selected conflict (or ``row``)."""
        if row is None:
            rows = self.conflict_view.selectionModel().selectedRows()
            row = rows[0].row() if rows else (0 if self.conflict_model.rowCount() == 1 else None)
        if row is None or not 0 <= row < self.conflict_model.rowCount():
            self.conflicts_label.setText(self.tr("请先在列表中选择一条冲突。"))
            return None
        dialog = ResolveDialog(self.ctx.store, self.ctx.actor, self.conflict_model.row_at(row), self,
                              jobs=self.ctx.jobs)
        dialog.accepted.connect(self.refresh)
        self.dialog = dialog
        dialog.open()
        return dialog
