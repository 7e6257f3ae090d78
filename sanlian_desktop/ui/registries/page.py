"""The 台账 page: the four registries of the jurisdiction, filtered by community, with add, edit and
delete, the Excel template and import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.vocab import Role
from sanlian_desktop.registries import service as registries
from sanlian_desktop.registries import workbook as registryexcel
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import confirm, inform, progress_dialog
from sanlian_desktop.ui.empty import EmptyHint
from sanlian_desktop.ui.geometry import place_window
from sanlian_desktop.ui.jobs import FunctionJob, IsCancelled, JobFailure, JobHandle, Progress, show_failure
from sanlian_desktop.ui.paper.excel import open_folder
from sanlian_desktop.ui.paper.folders import EXCEL, choose_open, choose_save
from sanlian_desktop.ui.registries.dialogs import (
    AreaDialog,
    CommunityFactsDialog,
    OrganisationDialog,
    RecordDialog,
    WorkerDialog,
)
from sanlian_desktop.ui.registries.model import TABLES, RegistryTableModel, communities_in, load_rows


def _tr(text: str) -> str:
    return QCoreApplication.translate("registries", text)


class ImportProblemsDialog(QDialog):
    """Every bad row of a refused workbook: sheet, row, column, field and the reason."""

    def __init__(self, message: str, problems: list[Any], errors_file: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("台账导入：有错误，未导入"))
        place_window(self, "registry_problems", QSize(820, 420))
        summary = QLabel(self.tr("以下 {0} 处有误，整个文件未导入任何内容。请在 Excel 中改正后重新导入。").format(
            len(problems)), self)
        summary.setWordWrap(True)
        self.table = QTableWidget(len(problems), 5, self)
        self.table.setHorizontalHeaderLabels([self.tr("工作表"), self.tr("行"), self.tr("列"), self.tr("栏目"),
                                              self.tr("原因")])
        for r, p in enumerate(problems):
            for c, value in enumerate((p.sheet, str(p.row), p.column, p.header, p.message)):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for c in range(4):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().hide()
        close = QPushButton(self.tr("关闭"), self)
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.errors_file = errors_file
        if errors_file is not None:
            marked = QLabel(self.tr("错误已在副本中标出：{0}").format(errors_file.name), self)
            marked.setToolTip(str(errors_file))
            row.addWidget(marked)
            folder = QPushButton(self.tr("打开所在文件夹"), self)
            folder.clicked.connect(lambda: open_folder(errors_file))
            row.addWidget(folder)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.message = message


class RegistriesPage(QWidget):
    """台账."""

    title = "台账"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dialog: QDialog | None = None
        self.editor = ctx.actor.role in (Role.CLERK, Role.ADMIN)
        self.community = QComboBox(self)
        self.community.setEditable(True)
        self.community.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.community.setMinimumWidth(260)
        self.add_button = QPushButton(self.tr("新增…"), self)
        self.edit_button = QPushButton(self.tr("修改…"), self)
        self.delete_button = QPushButton(self.tr("删除"), self)
        self.template_button = QPushButton(self.tr("下载 Excel 模板…"), self)
        self.import_button = QPushButton(self.tr("导入 Excel…"), self)
        self.template_button.setToolTip(self.tr("每个台账一张表，已列出辖区内的社区和县级区划"))
        self.count = QLabel(self)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #666;")
        if not self.editor:
            self.note.setText(self.tr("审核人只能查看台账；登记和修改由经办人或管理员进行。"))

        self.tabs = QTabWidget(self)
        self.models: list[RegistryTableModel] = []
        self.views: list[QTableView] = []
        for table in TABLES:
            model = RegistryTableModel(table, self)
            view = QTableView(self)
            view.setModel(model)
            EmptyHint(view, self.tr("还没有登记。点击下方的“新增…”逐条登记，或“下载 Excel 模板…”填好后点击“导入 Excel…”。")
                      if self.editor else self.tr("还没有登记。台账由经办人或管理员登记。"))
            view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            view.verticalHeader().hide()
            # The name column takes the room left; the others fit their contents.
            view.horizontalHeader().setSectionResizeMode(table.stretch, QHeaderView.ResizeMode.Stretch)
            view.setAlternatingRowColors(True)
            # Fitting columns looks at the first rows only: a province lists tens of thousands.
            view.horizontalHeader().setResizeContentsPrecision(200)
            view.doubleClicked.connect(lambda _index: self.edit())
            view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
            self.models.append(model)
            self.views.append(view)
            self.tabs.addTab(view, self.tr(table.title))

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("社区："), self))
        top.addWidget(self.community)
        top.addSpacing(16)
        top.addWidget(self.add_button)
        top.addWidget(self.edit_button)
        top.addWidget(self.delete_button)
        top.addStretch(1)
        top.addWidget(self.template_button)
        top.addWidget(self.import_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count)
        bottom.addStretch(1)
        bottom.addWidget(self.note)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)

        self.tabs.currentChanged.connect(self._load)
        self.community.activated.connect(lambda _i: self.reload())
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.delete_button.clicked.connect(self.delete)
        self.template_button.clicked.connect(self.download_template)
        self.import_button.clicked.connect(self.import_excel)
        self.import_button.setEnabled(self.editor)
        self._communities: list[tuple[str, str]] = []
        self._stale: set[int] = set()
        self.refresh()

    # -- reading ---------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the communities and every registry again."""
        with self.ctx.store.read_session() as s:
            self._communities = communities_in(s, self.ctx.actor)
        current = self.community_filter()
        self.community.blockSignals(True)
        self.community.clear()
        self.community.addItem(self.tr("全部社区"), None)
        for code, name in self._communities:
            self.community.addItem(f"{name}（{code}）", code)
        self.community.setCurrentIndex(max(0, self.community.findData(current)))
        self.community.blockSignals(False)
        self.reload()

    def community_filter(self) -> str | None:
        """The community chosen in the filter, None for all."""
        data = self.community.currentData()
        return str(data) if data else None

    def set_community_filter(self, code: str | None) -> None:
        self.community.setCurrentIndex(max(0, self.community.findData(code)))
        self.reload()

    def reload(self) -> None:
        """Read the registries again: the table shown now, the others when they are shown (a province
        holds tens of thousands of rows); each table keeps its selected record selected."""
        self._stale = set(range(len(self.models)))
        self._load(self.tabs.currentIndex())

    def _load(self, index: int) -> None:
        if index not in self._stale:
            self._update_buttons()
            return
        self._stale.discard(index)
        model, view = self.models[index], self.views[index]
        rows = view.selectionModel().selectedRows()
        key = model.row_at(rows[0].row()).key if rows else None
        community = None if model.table.key == "areas" else self.community_filter()
        with self.ctx.store.read_session() as s:
            model.set_rows(load_rows(s, self.ctx.actor, model.table.key, community))
        view.resizeColumnsToContents()
        found = next((r for r in range(model.rowCount()) if model.row_at(r).key == key), None)
        if key is not None and found is not None:
            view.selectRow(found)
        self._update_buttons()

    def current_table(self) -> str:
        return TABLES[self.tabs.currentIndex()].key

    def selected_key(self) -> Any:
        view = self.views[self.tabs.currentIndex()]
        rows = view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.models[self.tabs.currentIndex()].row_at(rows[0].row()).key

    def _selected_community(self) -> str | None:
        view = self.views[self.tabs.currentIndex()]
        rows = view.selectionModel().selectedRows()
        return self.models[self.tabs.currentIndex()].row_at(rows[0].row()).community if rows else None

    def _update_buttons(self) -> None:
        table = self.current_table()
        key = self.selected_key()
        allowed = self.editor
        community = self._selected_community()
        if allowed and community:
            with self.ctx.store.read_session() as s:
                allowed = registries.can_edit(s, self.ctx.actor, community)
        self.add_button.setEnabled(self.editor and table in ("orgs", "workers"))
        self.edit_button.setEnabled(allowed and key is not None)
        self.delete_button.setEnabled(allowed and key is not None and table in ("orgs", "workers"))
        model = self.models[self.tabs.currentIndex()]
        self.count.setText(self.tr("共 {0} 条").format(model.rowCount()))

    # -- editing ---------------------------------------------------------------------------------------

    def _open(self, dialog: RecordDialog) -> RecordDialog:
        self.dialog = dialog
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    def add(self) -> RecordDialog | None:
        """The add dialog of the current registry (organisations and workers)."""
        args = (self.ctx.store, self.ctx.actor, self._communities)
        if self.current_table() == "orgs":
            return self._open(OrganisationDialog(*args, community=self.community_filter(), parent=self, jobs=self.ctx.jobs))
        if self.current_table() == "workers":
            return self._open(WorkerDialog(*args, community=self.community_filter(), parent=self, jobs=self.ctx.jobs))
        return None

    def edit(self) -> RecordDialog | None:
        """The edit dialog of the selected row."""
        key = self.selected_key()
        if key is None or not self.edit_button.isEnabled():
            return None
        table = self.current_table()
        args = (self.ctx.store, self.ctx.actor)
        if table == "orgs":
            return self._open(OrganisationDialog(*args, self._communities, org_id=key, parent=self, jobs=self.ctx.jobs))
        if table == "workers":
            return self._open(WorkerDialog(*args, self._communities, worker_id=key, parent=self, jobs=self.ctx.jobs))
        if table == "communities":
            return self._open(CommunityFactsDialog(*args, key, parent=self, jobs=self.ctx.jobs))
        return self._open(AreaDialog(*args, key, parent=self, jobs=self.ctx.jobs))

    def delete(self) -> bool:
        """Delete the selected organisation or worker after asking, on the job runner; True when started."""
        key = self.selected_key()
        table = self.current_table()
        if key is None or table not in ("orgs", "workers"):
            return False
        row = self.models[self.tabs.currentIndex()].row_at(self.views[self.tabs.currentIndex()]
                                                           .selectionModel().selectedRows()[0].row())
        what = self.tr("社区社会组织") if table == "orgs" else self.tr("社会工作者")
        if not confirm(self, self.tr("删除{0}“{1}”？删除会随同步包报送上级单位。").format(what, row.cells[1])):
            return False
        store, actor = self.ctx.store, self.ctx.actor

        def write() -> None:
            with store.session() as s:
                if table == "orgs":
                    registries.delete_organisation(s, actor, key)
                else:
                    registries.delete_worker(s, actor, key)

        return self.ctx.jobs.write(self, self.tr("删除{0}").format(what), write, on_success=lambda _r: self.reload(),
                                   busy=[self.delete_button, self.edit_button]) is not None

    # -- Excel -----------------------------------------------------------------------------------------

    def download_template(self) -> JobHandle | None:
        out = choose_save(self, self.ctx.settings, EXCEL, self.tr("下载台账模板"), self.tr("台账模板.xlsx"))
        return None if out is None else self.write_template_to(out)

    def write_template_to(self, out: Path) -> JobHandle:
        """Write the template for the jurisdiction in the background."""
        def run(progress: Progress, _cancelled: IsCancelled) -> Path:
            progress(0, 0, _tr("正在生成台账模板…"))
            with self.ctx.store.read_session() as s:
                return registryexcel.write_registry_template(s, self.ctx.actor, out)

        handle = self.ctx.jobs.submit(FunctionJob(self.tr("下载台账模板"), run), parent=self,
                                      on_success=lambda path: inform(self, self.tr("已生成台账模板：{0}").format(path)))
        progress_dialog(self, handle, self.tr("正在生成台账模板…"))
        return handle

    def import_excel(self) -> JobHandle | None:
        path = choose_open(self, self.ctx.settings, EXCEL, self.tr("导入台账 Excel"))
        return None if path is None else self.import_from(path)

    def import_from(self, path: Path) -> JobHandle:
        """Check and import ``path`` in the background: all of it, or nothing and a list of bad rows."""
        def run(progress: Progress, _cancelled: IsCancelled) -> registryexcel.RegistryImport:
            progress(0, 0, _tr("正在检查并导入 {0}…").format(path.name))
            return registryexcel.import_registry_workbook(self.ctx.store, self.ctx.actor, path)

        handle = self.ctx.jobs.submit(FunctionJob(self.tr("导入台账 Excel"), run), parent=self,
                                      on_success=self._imported, on_failure=self._import_failed)
        progress_dialog(self, handle, self.tr("正在导入 {0}…").format(path.name))
        return handle

    def _imported(self, result: registryexcel.RegistryImport) -> None:
        self.refresh()
        inform(self, result.lines()[0])

    def _import_failed(self, failure: JobFailure) -> None:
        if not isinstance(failure.error, registryexcel.RegistryRowsInvalid):
            show_failure(self, failure)
            return
        dialog = ImportProblemsDialog(failure.error.zh, failure.error.problems, failure.error.errors_file, self)
        self.dialog = dialog
        dialog.open()
