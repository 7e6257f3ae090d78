"""The declaration pipeline on the 统计 page: counts by status, waiting per level, the funnel, the monthly
trend, and the sums granted by city and by focus area."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.indicators.views import (
    ReportView,
    funnel_bars,
    rate_text,
    status_rows,
    trend_series,
    waiting_rows,
)
from sanlian_desktop.kernel.money import from_fen
from sanlian_desktop.ui.stats.charts import FunnelChart, TrendChart
from sanlian_desktop.ui.stats.model import RowsModel


def small_table(model: RowsModel, parent: QWidget) -> QTableView:
    """A compact read-only table that shows all its rows (no inner scrolling for a handful of lines)."""
    view = QTableView(parent)
    view.setModel(model)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(24)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return view


def _fit_rows(view: QTableView) -> None:
    rows = view.model().rowCount()
    height = view.horizontalHeader().sizeHint().height() + 24 * max(rows, 1) + 2 * view.frameWidth() + 2
    view.setFixedHeight(height)


def _box(title: str, widget: QWidget, parent: QWidget) -> QGroupBox:
    box = QGroupBox(title, parent)
    QVBoxLayout(box).addWidget(widget)
    return box


class PipelinePanel(QWidget):
    """申报进度: where the declarations of the jurisdiction stand."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.status_model = RowsModel([self.tr("状态"), self.tr("份数")], self)
        self.waiting_model = RowsModel([self.tr("正在等待的环节"), self.tr("份数"), self.tr("中位等待(天)")], self)
        self.status_view = small_table(self.status_model, self)
        self.waiting_view = small_table(self.waiting_model, self)
        self.funnel = FunnelChart(self)
        self.trend = TrendChart(self)
        left = QVBoxLayout()
        left.addWidget(self.summary)
        left.addWidget(_box(self.tr("各状态的申报"), self.status_view, self))
        left.addWidget(_box(self.tr("正在等待处理"), self.waiting_view, self))
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(_box(self.tr("审核漏斗（已通过各级审核、此后未被退回的申报）"), self.funnel, self))
        right.addWidget(_box(self.tr("月度趋势（提交按首次提交月份，批准和不同意按作出决定的月份）"), self.trend, self), 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)

    def set_view(self, view: ReportView | None) -> None:
        if view is None:
            self.summary.clear()
            self.status_model.set_rows([])
            self.waiting_model.set_rows([])
            self.funnel.set_bars([])
            self.trend.set_series([], [])
            return
        report = view.report
        p = report.pipeline
        self.summary.setText(self.tr("共 {0} 份申报。批准率 {1}（已批准 / 已作出决定），退回率 {2}（曾被退回修改 / 已提交）。")
                             .format(p.total, rate_text(p.approval_rate), rate_text(p.return_rate)))
        self.status_model.set_rows([*status_rows(report), (self.tr("合计"), p.total)])
        waits = waiting_rows(report)
        self.waiting_model.set_rows([(label, n, "—" if days is None else f"{days:.1f}") for label, n, days in waits]
                                    or [(self.tr("（没有等待处理的申报）"), "", "")])
        _fit_rows(self.status_view)
        _fit_rows(self.waiting_view)
        self.funnel.set_bars(funnel_bars(report))
        months, series = trend_series(report)
        self.trend.set_series(months, series)


class GrantsPanel(QWidget):
    """批准补助: sums granted by city and by focus area."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.city_model = RowsModel([self.tr("市(州)"), self.tr("批准项目"), self.tr("批准补助(元)")], self)
        self.focus_model = RowsModel([self.tr("重点领域"), self.tr("批准项目"), self.tr("批准补助(元)")], self)
        self.city_view = small_table(self.city_model, self)
        self.focus_view = small_table(self.focus_model, self)
        self.city_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        note = QLabel(self.tr("一个项目填报了多个重点领域时，在每个领域下各计一次（项目数和金额均计入），故按重点领域不列合计。"), self)
        note.setWordWrap(True)
        note.setStyleSheet("color: #666;")
        grid = QGridLayout(self)
        grid.addWidget(_box(self.tr("按市(州)"), self.city_view, self), 0, 0)
        focus = QWidget(self)
        column = QVBoxLayout(focus)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.focus_view)
        column.addWidget(note)
        grid.addWidget(_box(self.tr("按重点领域"), focus, self), 0, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

    def set_view(self, view: ReportView | None) -> None:
        p = view.report.pipeline if view is not None else None
        cities = p.granted_by_city if p is not None else []
        rows: list[tuple[object, ...]] = [(r["name"], r["projects"], f"{from_fen(r['granted_fen']):,}") for r in cities]
        if cities:
            rows.append((self.tr("合计"), sum(r["projects"] for r in cities),
                         f"{from_fen(sum(r['granted_fen'] for r in cities)):,}"))
        self.city_model.set_rows(rows)
        self.focus_model.set_rows([(r["focus_area"], r["projects"], f"{from_fen(r['granted_fen']):,}")
                                   for r in (p.granted_by_focus_area if p is not None else [])])
