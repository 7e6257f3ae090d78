"""The 统计 page: the pilot's targets region by region with the communities that miss them, a ranking of the
regions one level down, the declaration pipeline with its charts, and exports to Excel and PDF.

The report is computed on the job runner (a province of 17,000 communities takes a second or two) and
kept while a newer one is computed, so the page never freezes and never goes blank.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.indicators import files as indicatorfiles
from sanlian_desktop.indicators import service as indicators
from sanlian_desktop.indicators.service import TARGET_LABELS
from sanlian_desktop.indicators.views import (
    LEGEND,
    MET_LABELS,
    TARGET_KEYS,
    ReportView,
    is_share,
    target_of,
    threshold_text,
    value_text,
)
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import progress_dialog
from sanlian_desktop.ui.jobs import FunctionJob, IsCancelled, JobFailure, JobHandle, Progress, show_failure
from sanlian_desktop.ui.paper.excel import open_folder
from sanlian_desktop.ui.paper.folders import EXCEL, PDF, choose_save, print_font
from sanlian_desktop.ui.stats.charts import RankingChart
from sanlian_desktop.ui.stats.model import (
    COL_COMMUNITIES,
    COL_NAME,
    FIRST_TARGET_COL,
    MissingModel,
    RegionTreeModel,
    target_key,
)
from sanlian_desktop.ui.stats.pipeline import GrantsPanel, PipelinePanel

MUTED_STYLE = "color: #666;"
GOOD_STYLE = "color: #1e5b1e;"


class StatsPage(QWidget):
    """统计."""

    title = "统计"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view: ReportView | None = None
        self.job: JobHandle | None = None
        self._again = False
        self._search_hits: list[str] = []
        self.last_file: Path | None = None

        self.heading = QLabel(ctx.actor.office_name, self)
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.state = QLabel(self)
        self.state.setStyleSheet(MUTED_STYLE)
        # A long state line is cut, never widening the window.
        self.state.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.target = QComboBox(self)
        for key in TARGET_KEYS:
            self.target.addItem(TARGET_LABELS[key], key)
        self.target.setToolTip(self.tr("选择一项目标：下方列出未达到的社区，“各地排名”按它排列"))
        self.target.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # the whole target reads
        self.refresh_button = QPushButton(self.tr("重新计算"), self)
        self.xlsx_button = QPushButton(self.tr("导出 Excel…"), self)
        self.pdf_button = QPushButton(self.tr("导出 PDF…"), self)
        self.xlsx_button.setToolTip(self.tr("全部数据：目标汇总、分区情况（到社区）、未达标社区、申报进度、补助和月度趋势，每部分一个工作表"))
        self.pdf_button.setToolTip(self.tr("可打印的报告：表格和图表，分区情况列到下两级"))
        # The office's name and the state on one line, the target and the actions on the next: the two
        # never make the page wider than a 1024 px screen allows.
        heading_row = QHBoxLayout()
        heading_row.addWidget(self.heading)
        heading_row.addSpacing(16)
        heading_row.addWidget(self.state, 1)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("目标："), self))
        top.addWidget(self.target)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.xlsx_button)
        top.addWidget(self.pdf_button)

        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.open_folder_button = QPushButton(self.tr("打开所在文件夹"), self)
        result_row = QHBoxLayout()
        result_row.addWidget(self.result, 1)
        result_row.addWidget(self.open_folder_button)
        self.result.hide()
        self.open_folder_button.hide()

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._targets_tab(), self.tr("试点目标"))
        self.tabs.addTab(self._ranking_tab(), self.tr("各地排名"))
        self.pipeline = PipelinePanel(self)
        self.tabs.addTab(self.pipeline, self.tr("申报进度"))
        self.grants = GrantsPanel(self)
        self.tabs.addTab(self.grants, self.tr("批准补助"))

        layout = QVBoxLayout(self)
        layout.addLayout(heading_row)
        layout.addLayout(top)
        layout.addLayout(result_row)
        layout.addWidget(self.tabs, 1)

        self.target.currentIndexChanged.connect(lambda _i: self._target_changed())
        self.refresh_button.clicked.connect(self.refresh)
        self.xlsx_button.clicked.connect(self.export_xlsx)
        self.pdf_button.clicked.connect(self.export_pdf)
        self.open_folder_button.clicked.connect(lambda: self.last_file and open_folder(self.last_file))
        self._set_ready(False)
        self.refresh()

    # -- construction ----------------------------------------------------------------------------------

    def _targets_tab(self) -> QWidget:
        tab = QWidget(self)
        self.search = QLineEdit(tab)
        self.search.setPlaceholderText(self.tr("查找区划：输入名称或代码后按回车（再按回车找下一个）"))
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.find_next)
        legend = QLabel(self.tr("图例：{0}。把鼠标停在格子上可看详情；点击某项目标的一格，下方列出该区划未达到这项目标的社区。")
                        .format(LEGEND), tab)
        legend.setStyleSheet(MUTED_STYLE)
        legend.setWordWrap(True)
        self.tree_model = RegionTreeModel(self)
        self.tree = QTreeView(tab)
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(False)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.resizeSection(COL_NAME, 200)
        header.resizeSection(COL_COMMUNITIES, 56)
        for col in range(FIRST_TARGET_COL, self.tree_model.columnCount()):
            header.resizeSection(col, 92 if target_key(col) == "orgs_per_10k" else 76)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Interactive)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)

        self.missing_title = QLabel(tab)
        self.missing_title.setWordWrap(True)
        self.missing_model = MissingModel(self)
        self.missing_proxy = QSortFilterProxyModel(self)
        self.missing_proxy.setSourceModel(self.missing_model)
        self.missing_view = QTableView(tab)
        self.missing_view.setModel(self.missing_proxy)
        self.missing_view.setSortingEnabled(True)
        self.missing_view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.missing_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.missing_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.missing_view.verticalHeader().hide()
        self.missing_view.verticalHeader().setDefaultSectionSize(24)
        self.missing_view.setWordWrap(False)
        mh = self.missing_view.horizontalHeader()
        for col, width in enumerate((180, 110, 140, 140, 70, 110, 90)):
            mh.resizeSection(col, width)
        mh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.missing_view.doubleClicked.connect(self._missing_activated)

        lower = QWidget(tab)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.missing_title)
        lower_layout.addWidget(self.missing_view, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical, tab)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        column = QVBoxLayout(tab)
        column.addWidget(self.search)
        column.addWidget(legend)
        column.addWidget(self.splitter, 1)
        return tab

    def _ranking_tab(self) -> QWidget:
        tab = QWidget(self)
        self.ranking_title = QLabel(tab)
        self.ranking_title.setWordWrap(True)
        self.ranking = RankingChart(tab)
        self.ranking_note = QLabel(tab)
        self.ranking_note.setStyleSheet(MUTED_STYLE)
        self.ranking_note.setWordWrap(True)
        scroll = QScrollArea(tab)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.ranking)
        column = QVBoxLayout(tab)
        column.addWidget(self.ranking_title)
        column.addWidget(scroll, 1)
        column.addWidget(self.ranking_note)
        return tab

    # -- page interface --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Compute the report again in the background; the last one stays on screen meanwhile."""
        if self.job is not None and self.job.is_running:
            self._again = True
            return
        self._again = False
        self.state.setText(self.tr("正在计算…"))
        self.refresh_button.setEnabled(False)
        store, root = self.ctx.store, self.ctx.actor.office_code

        def run(progress: Progress, _cancelled: IsCancelled) -> ReportView:
            progress(0, 0, "")
            with store.read_session() as s:
                return ReportView(indicators.compute(s, root))

        self.job = self.ctx.jobs.submit(FunctionJob(self.tr("统计"), run), parent=self, on_success=self._computed,
                                        on_failure=self._failed, on_finished=self._finished)

    def focus_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.search.setFocus()
        self.search.selectAll()

    # -- the report ------------------------------------------------------------------------------------

    def _computed(self, view: ReportView) -> None:
        current = self.current_code()
        self.view = view
        root = view.root
        self.heading.setText(root.name)
        self.state.setText(self.tr("{0} 个社区（城市 {1}、农村 {2}），统计于 {3:%H:%M}").format(
            root.communities, root.urban, root.rural, view.report.computed_at.astimezone()))
        self.tree_model.set_view(view)
        root_index = self.tree_model.index(0, 0)
        self.tree.expand(root_index)
        chosen = self.tree_model.index_of(current) if current else QModelIndex()
        if chosen.isValid():
            self._reveal(chosen)
        else:
            self.tree.setCurrentIndex(root_index)
        self.pipeline.set_view(view)
        self.grants.set_view(view)
        self._set_ready(True)
        self._target_changed()

    def _failed(self, failure: JobFailure) -> None:
        self.state.setText(self.tr("统计没有完成：{0}").format(failure.message()))
        show_failure(self, failure)

    def _finished(self) -> None:
        self.refresh_button.setEnabled(True)
        if self._again:
            self.refresh()

    def _set_ready(self, ready: bool) -> None:
        self.xlsx_button.setEnabled(ready)
        self.pdf_button.setEnabled(ready)

    def current_key(self) -> str:
        return str(self.target.currentData())

    def current_code(self) -> str | None:
        return self.tree_model.code_at(self.tree.currentIndex()) if self.view is not None else None

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        key = target_key(current.column())
        if key is not None and key != self.current_key():
            self.target.setCurrentIndex(TARGET_KEYS.index(key))  # updates the list through _target_changed
            return
        self._show_missing()

    def _target_changed(self) -> None:
        self._show_missing()
        self._show_ranking()

    def _show_missing(self) -> None:
        view, code, key = self.view, self.current_code(), self.current_key()
        if view is None or code is None:
            self.missing_model.set_rows([])
            self.missing_title.clear()
            return
        region = view.by_code[code]
        t = target_of(region, key)
        if t is None:
            self.missing_model.set_rows([])
            self.missing_title.setText(self.tr("{0}：“{1}”不适用于{2}一级。").format(
                region.name, TARGET_LABELS[key], Level(region.level).label))
            return
        rows = view.missing(code, key)
        self.missing_model.set_rows(rows)
        missed = sum(1 for r in rows if r.recorded)
        verdict = MET_LABELS[t.met]
        text = self.tr("{0}：{1} — {2}（标准 {3}），{4}。").format(
            region.name, TARGET_LABELS[key], value_text(t), threshold_text(t), verdict)
        if rows:
            text += self.tr("未达到 {0} 个，未登记 {1} 个：").format(missed, len(rows) - missed)
        else:
            text += self.tr("没有未达到或未登记的社区。")
        if t.note:
            text += f"（{t.note}）"
        self.missing_title.setText(text)

    def _show_ranking(self) -> None:
        view, key = self.view, self.current_key()
        if view is None or view.child_level is None:
            self.ranking.set_bars([], None, "", percent=True)
            self.ranking_title.setText(self.tr("没有下级区划可排名。") if view is not None else "")
            self.ranking_note.clear()
            return
        root_target = target_of(view.root, key)
        percent = root_target is None or is_share(root_target)
        threshold = view.ranking_threshold(key)
        label = self.tr("标准 {0}").format(threshold_text(root_target)) if root_target is not None else ""
        self.ranking.set_bars(view.ranking(key), threshold, label, percent=percent)
        self.ranking_title.setText(self.tr("各{0}：{1}（绿色达到、红色未达到、灰色无法判断；虚线为标准）").format(
            view.child_level.label, TARGET_LABELS[key]))
        left_out = view.not_ranked(key)
        self.ranking_note.setText(
            self.tr("另有 {0} 个{1}未列入：{2}。").format(len(left_out), view.child_level.label,
                                                   "、".join(f"{name}（{why}）" for name, why in left_out[:20])
                                                   + ("等" if len(left_out) > 20 else ""))
            if left_out else "")

    def _reveal(self, index: QModelIndex) -> None:
        parent = index.parent()
        while parent.isValid():
            self.tree.expand(parent)
            parent = parent.parent()
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def _missing_activated(self, index: QModelIndex) -> None:
        """Double-clicking a community in the list shows it in the tree."""
        code = self.missing_proxy.data(index.siblingAtColumn(1))
        found = self.tree_model.index_of(str(code))
        if found.isValid():
            self._reveal(found.siblingAtColumn(FIRST_TARGET_COL + TARGET_KEYS.index(self.current_key())))

    def find_next(self) -> str | None:
        """Select the next region whose name contains the search text (or whose code starts with it)."""
        text = self.search.text().strip()
        if self.view is None or not text:
            return None
        hits = [r.code for r in self.view.report.regions if text in r.name or r.code.startswith(text)]
        if not hits:
            self.state.setText(self.tr("没有找到“{0}”").format(text))
            return None
        current = self.current_code()
        following = hits[(hits.index(current) + 1) % len(hits)] if current in hits else hits[0]
        self._reveal(self.tree_model.index_of(following))
        return following

    # -- exports ---------------------------------------------------------------------------------------

    def _suggested(self, suffix: str) -> str:
        name = self.view.root.name if self.view is not None else self.ctx.actor.office_name
        return self.tr("{0}试点目标与申报统计{1}").format(name, suffix)

    def export_xlsx(self) -> JobHandle | None:
        out = choose_save(self, self.ctx.settings, EXCEL, self.tr("导出统计（Excel）"), self._suggested(".xlsx"))
        return None if out is None else self.export_to(out)

    def export_pdf(self) -> JobHandle | None:
        out = choose_save(self, self.ctx.settings, PDF, self.tr("导出统计（PDF）"), self._suggested(".pdf"))
        return None if out is None else self.export_to(out)

    def export_to(self, out: Path) -> JobHandle | None:
        """Write the report on screen to ``out`` (.xlsx or .pdf) in the background."""
        view = self.view
        if view is None:
            self.state.setText(self.tr("统计尚未完成，请稍候再导出"))
            return None
        as_pdf = out.suffix.lower() == ".pdf"
        font = print_font(self.ctx.settings)

        def run(progress: Progress, _cancelled: IsCancelled) -> list[str]:
            progress(0, 0, "")
            if as_pdf:
                return indicatorfiles.write_pdf(view.report, out, font_file=font)
            indicatorfiles.write_xlsx(view.report, out)
            return []

        handle = self.ctx.jobs.submit(FunctionJob(self.tr("导出统计"), run), parent=self,
                                      on_success=lambda warnings: self._exported(out, warnings))
        progress_dialog(self, handle, self.tr("正在导出 {0}…").format(out.name))
        return handle

    def _exported(self, out: Path, warnings: list[str]) -> None:
        self.last_file = out
        self.result.setText("\n".join([self.tr("已导出：{0}").format(out), *warnings]))
        self.result.setStyleSheet(GOOD_STYLE if not warnings else "")
        self.result.show()
        self.open_folder_button.show()
