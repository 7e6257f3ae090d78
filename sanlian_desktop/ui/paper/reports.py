"""进展情况报告 on the 打印与报表 page: issue this office's report for a period, and look at, print or
export the reports held here (this office's own and those carried up from below)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.reports import service as progress
from sanlian_desktop.reports.pdf import render_progress_report
from sanlian_desktop.reports.workbook import write_progress_report
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import progress_dialog
from sanlian_desktop.ui.geometry import place_window
from sanlian_desktop.ui.jobs import FunctionJob, IsCancelled, JobHandle, Progress
from sanlian_desktop.ui.paper.folders import EXCEL, choose_save, print_font
from sanlian_desktop.ui.paper.preview import PrintPreview
from sanlian_desktop.ui.paper.printjob import start_pdf_preview
from sanlian_desktop.ui.widgets import InlineError, date_edit


def _tr(text: str) -> str:
    return QCoreApplication.translate("reports", text)


def quarter_start(today: date) -> date:
    """The first day of ``today``'s quarter: the default start of a report period."""
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def _date(edit: QDateEdit) -> date:
    d = edit.date()
    return date(d.year(), d.month(), d.day())


def _report_file_name(report: dict[str, Any], suffix: str) -> str:
    return _tr("进展情况-{0}-{1}至{2}{3}").format(report["office_name"], report["period_start"],
                                                report["period_end"], suffix)


def _preview(ctx: UiContext, parent: QWidget, report_id: str) -> JobHandle:
    """Print one held report to a temporary PDF and open the preview (print or 另存为 from there)."""
    with ctx.store.read_session() as s:
        report = progress.as_dict(progress.get(s, report_id))

    def make(out: Path, _progress: Progress, _cancelled: IsCancelled) -> list[str]:
        from sanlian_desktop.documents.printing.fonts import find_cjk_font

        return render_progress_report(report, out, font=find_cjk_font(print_font(ctx.settings)))

    return start_pdf_preview(ctx, parent, title=_tr("{0} 进展情况").format(report["office_name"]),
                             file_name=_report_file_name(report, ".pdf"), job_title=_tr("生成进展情况报告"),
                             make=make)


class ReportsBox(QWidget):
    """Period, 出具 and 查看 buttons; what the last action did."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.preview: PrintPreview | None = None
        today = date.today()
        self.start = date_edit(self, quarter_start(today), latest=today)
        self.end = date_edit(self, today, latest=today)
        self.error = InlineError(self)
        self.issue_button = QPushButton(self.tr("出具报告…"), self)
        self.issue_button.setToolTip(self.tr("计算本单位辖区本期的进展情况，保存并预览；下次向上级导出数据包时签名报送"))
        self.list_button = QPushButton(self.tr("查看已有报告…"), self)
        may_issue = ctx.actor.role in (Role.REVIEWER, Role.ADMIN) and ctx.actor.office_level is not Level.COMMUNITY
        self.issue_button.setEnabled(may_issue)
        if not may_issue:
            self.issue_button.setToolTip(self.tr("由街道及以上各级的审核人或管理员出具"))
        grid = QGridLayout(self)
        grid.addWidget(QLabel(self.tr("报告期："), self), 0, 0)
        grid.addWidget(self.start, 0, 1)
        grid.addWidget(QLabel(self.tr("至"), self), 0, 2)
        grid.addWidget(self.end, 0, 3)
        grid.addWidget(self.error, 1, 0, 1, 4)
        grid.addWidget(self.list_button, 2, 0, 1, 2)
        grid.addWidget(self.issue_button, 2, 2, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.issue_button.clicked.connect(self.issue)
        self.list_button.clicked.connect(self.show_reports)

    def issue(self) -> JobHandle | None:
        """Issue the report for the chosen period in the background, then open its preview."""
        self.error.clear_message()
        start, end = _date(self.start), _date(self.end)
        try:
            progress.check_period(start, end, today=date.today())
        except UserError as exc:
            self.error.show_message(exc.zh)
            return None

        def run(_progress: Progress, _cancelled: IsCancelled) -> str:
            with self.ctx.store.session() as s:
                return progress.issue(s, self.ctx.actor, start, end).id

        handle = self.ctx.jobs.submit(FunctionJob(self.tr("出具进展情况报告"), run), parent=self,
                                      on_success=self._issued)
        progress_dialog(self, handle, self.tr("正在计算进展情况…"))
        return handle

    def _issued(self, report_id: str) -> None:
        _preview(self.ctx, self, report_id)

    def show_reports(self) -> ReportsDialog:
        dialog = ReportsDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog


class ReportsDialog(QDialog):
    """The reports held here, newest period first, with preview and Excel export."""

    COLUMNS = ("出具单位", "报告期", "出具时间", "出具人", "来源")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("进展情况报告"))
        place_window(self, "progress_reports", QSize(860, 460), ctx.settings)
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(self.COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.superseded = QCheckBox(self.tr("包括已被更正的报告"), self)
        self.empty = QLabel(self.tr("还没有进展情况报告。本单位出具的和下级报送上来的报告都列在这里。"), self)
        self.empty.setWordWrap(True)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(self)
        buttons.addButton(self.tr("关闭"), QDialogButtonBox.ButtonRole.RejectRole)
        self.preview_button = buttons.addButton(self.tr("预览和打印…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.excel_button = buttons.addButton(self.tr("导出 Excel…"), QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        layout.addWidget(self.superseded)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.superseded.toggled.connect(lambda _on: self.reload())
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.preview_selected())
        self.preview_button.clicked.connect(self.preview_selected)
        self.excel_button.clicked.connect(self.export_selected)
        self.ids: list[str] = []
        self.reload()

    def reload(self) -> None:
        with self.ctx.store.read_session() as s:
            rows = progress.listing(s, include_superseded=self.superseded.isChecked())
        self.ids = [r.id for r in rows]
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            source = self.tr("本单位") if r.received_from is None else self.tr("下级报送（经 {0}）").format(r.received_from)
            values = [f"{r.office_name}（{r.office_code}）" + (self.tr("〔已更正〕") if r.superseded else ""),
                      f"{r.period_start} 至 {r.period_end}",
                      r.issued_at.astimezone().strftime("%Y-%m-%d %H:%M"), r.issued_by, source]
            for column, value in enumerate(values):
                self.table.setItem(i, column, QTableWidgetItem(value))
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))
        if rows:
            self.table.selectRow(0)
        self._selection_changed()

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.ids[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        chosen = self.selected_id() is not None
        self.preview_button.setEnabled(chosen)
        self.excel_button.setEnabled(chosen)

    def preview_selected(self) -> JobHandle | None:
        report_id = self.selected_id()
        return None if report_id is None else _preview(self.ctx, self, report_id)

    def export_selected(self, target: Path | None = None) -> JobHandle | None:
        report_id = self.selected_id()
        if report_id is None:
            return None
        with self.ctx.store.read_session() as s:
            report = progress.as_dict(progress.get(s, report_id))
        target = target or choose_save(self, self.ctx.settings, EXCEL, self.tr("导出进展情况报告"),
                                       _report_file_name(report, ".xlsx"))
        if target is None:
            return None

        def run(_progress: Progress, _cancelled: IsCancelled) -> Path:
            write_progress_report(report, target)
            return target

        return self.ctx.jobs.submit(FunctionJob(self.tr("导出进展情况报告"), run), parent=self,
                                      on_success=lambda path: self.note.setText(self.tr("已导出：{0}").format(path)))
