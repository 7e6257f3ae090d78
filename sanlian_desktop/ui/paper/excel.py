"""Excel on the 打印与报表 page: the ledger (台账), the fill-in template and importing filled-in templates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Select

from sanlian_desktop.declarations import workbooks as sheets
from sanlian_desktop.kernel.vocab import Status
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import progress_dialog
from sanlian_desktop.ui.jobs import FunctionJob, IsCancelled, JobFailure, JobHandle, Progress, show_failure
from sanlian_desktop.ui.paper.folders import EXCEL, choose_open, choose_save
from sanlian_desktop.ui.paper.verify import BAD_STYLE, GOOD_STYLE


def _tr(text: str) -> str:
    return QCoreApplication.translate("excel", text)


def start_ledger_export(ctx: UiContext, parent: QWidget, out: Path, *, status: Status | None = None,
                        query: Select[Any] | None = None,
                        on_done: Callable[[int], None] | None = None) -> JobHandle:
    """Write the ledger in the background (``query``: the declarations a list shows; else by status)."""
    def run(progress: Progress, _cancelled: IsCancelled) -> int:
        progress(0, 0, _tr("正在导出台账…"))
        with ctx.store.read_session() as s:
            return sheets.export_ledger(s, ctx.actor, out, status=status, query=query)

    handle = ctx.jobs.submit(FunctionJob(_tr("导出台账"), run), parent=parent, on_success=on_done)
    progress_dialog(parent, handle, _tr("正在导出台账…"))
    return handle


def open_folder(path: Path) -> None:
    """Show the folder holding ``path`` in the system's file manager."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


class ExcelSection(QWidget):
    """Buttons for the three Excel tasks and what the last one did."""

    imported = Signal(list)  # the numbers of the drafts just created

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.ledger_status = QComboBox(self)
        self.ledger_status.addItem(self.tr("全部状态"), None)
        for st in Status:
            self.ledger_status.addItem(st.label, st.value)
        self.ledger_button = QPushButton(self.tr("导出台账…"), self)
        self.template_button = QPushButton(self.tr("导出填报模板…"), self)
        self.import_button = QPushButton(self.tr("导入 Excel 申报…"), self)
        self.template_button.setToolTip(self.tr("供没有安装本程序的社区填写，填好后用“导入 Excel 申报”导入"))
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.messages = QPlainTextEdit(self)
        self.messages.setReadOnly(True)
        self.messages.setMaximumHeight(140)
        self.messages.hide()
        self.error_file = QLabel(self)
        self.error_file.setWordWrap(True)
        self.open_folder_button = QPushButton(self.tr("打开所在文件夹"), self)
        self.accept_valid_button = QPushButton(self.tr("只导入正确的行"), self)
        self.accept_valid_button.setToolTip(self.tr("正确的行导入为草稿，有误的行留在错误标注文件中，改正后再导入"))
        self.last_file: Path | None = None
        self.rejected_workbook: Path | None = None
        self._pending: Path | None = None

        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(self.tr("台账范围："), self))
        buttons.addWidget(self.ledger_status)
        buttons.addWidget(self.ledger_button)
        buttons.addSpacing(24)
        buttons.addWidget(self.template_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        file_row = QHBoxLayout()
        file_row.addWidget(self.error_file, 1)
        file_row.addWidget(self.open_folder_button)
        file_row.addWidget(self.accept_valid_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.messages)
        layout.addLayout(file_row)
        self._show_result("", "", None)

        self.ledger_button.clicked.connect(self.export_ledger)
        self.template_button.clicked.connect(self.export_template)
        self.import_button.clicked.connect(self.import_excel)
        self.open_folder_button.clicked.connect(lambda: self.last_file and open_folder(self.last_file))
        self.accept_valid_button.clicked.connect(self.import_valid_rows)

    # -- ledger and template ---------------------------------------------------------------------------

    def export_ledger(self) -> JobHandle | None:
        out = choose_save(self, self.ctx.settings, EXCEL, self.tr("导出台账"), self.tr("台账.xlsx"))
        return None if out is None else self.export_ledger_to(out)

    def export_ledger_to(self, out: Path) -> JobHandle:
        """Write the ledger of the jurisdiction (of the chosen status) to ``out``."""
        value = self.ledger_status.currentData()
        return start_ledger_export(
            self.ctx, self, out, status=Status(value) if value else None,
            on_done=lambda count: self._show_result(self.tr("已导出台账（{0} 条）：{1}").format(count, out),
                                                    GOOD_STYLE, out))

    def export_template(self) -> JobHandle | None:
        out = choose_save(self, self.ctx.settings, EXCEL, self.tr("导出填报模板"), self.tr("申报填报模板.xlsx"))
        return None if out is None else self.export_template_to(out)

    def export_template_to(self, out: Path) -> JobHandle:
        """Write the fill-in template to ``out``."""
        def run(_progress: Progress, _cancelled: IsCancelled) -> None:
            sheets.write_template(out)

        return self.ctx.jobs.submit(
            FunctionJob(self.tr("导出填报模板"), run), parent=self,
            on_success=lambda _r: self._show_result(self.tr("已生成填报模板：{0}").format(out), GOOD_STYLE, out))

    # -- import -------------------------------------------------------------------------------------------

    def import_excel(self) -> JobHandle | None:
        path = choose_open(self, self.ctx.settings, EXCEL, self.tr("导入 Excel 申报"))
        return None if path is None else self.import_from(path)

    def import_valid_rows(self) -> JobHandle | None:
        """Import the workbook refused last time, taking only its correct rows."""
        if self.rejected_workbook is None:
            return None
        return self.import_from(self.rejected_workbook, accept_valid=True)

    def import_from(self, path: Path, *, accept_valid: bool = False) -> JobHandle:
        """Check and import ``path`` in the background; errors come back as a marked copy beside it."""
        def run(progress: Progress, _cancelled: IsCancelled) -> sheets.ExcelIntake:
            progress(0, 0, self.tr("正在检查并导入 {0}…").format(path.name))
            with self.ctx.store.session() as s:
                return sheets.import_excel(s, self.ctx.actor, path, accept_valid=accept_valid)

        self.accept_valid_button.hide()
        handle = self.ctx.jobs.submit(FunctionJob(self.tr("导入 Excel 申报"), run), parent=self,
                                      on_success=self._imported, on_failure=self._import_failed)
        progress_dialog(self, handle, self.tr("正在导入 {0}…").format(path.name))
        self.rejected_workbook = None
        self._pending = path
        return handle

    def _imported(self, intake: sheets.ExcelIntake) -> None:
        if intake.created:
            text = self.tr("已导入 {0} 份申报草稿：{1}").format(len(intake.created), "、".join(intake.created))
        else:
            text = self.tr("没有导入申报：文件中没有填写任何申报")
        if intake.errors_file is not None:
            text += self.tr("\n另有 {0} 行有误，未导入。").format(len(intake.invalid_rows))
        self._show_result(text, GOOD_STYLE if intake.created else BAD_STYLE, intake.errors_file,
                          intake.messages if intake.errors_file else [])
        self.imported.emit(list(intake.created))

    def _import_failed(self, failure: JobFailure) -> None:
        if not isinstance(failure.error, sheets.ExcelRowsInvalid):
            self._show_result(failure.message(), BAD_STYLE, None)
            show_failure(self, failure)
            return
        intake = failure.error.intake
        self.rejected_workbook = self._pending
        self._show_result(failure.error.zh, BAD_STYLE, intake.errors_file, intake.messages)
        self.accept_valid_button.setVisible(intake.valid > 0)
        self.accept_valid_button.setText(self.tr("只导入正确的 {0} 行").format(intake.valid))

    def _show_result(self, text: str, style: str, file: Path | None, messages: list[str] | None = None) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet(style)
        self.summary.setVisible(bool(text))
        self.messages.setPlainText("\n".join(messages or []))
        self.messages.setVisible(bool(messages))
        self.last_file = file
        is_error_copy = bool(messages)
        self.error_file.setText(self.tr("错误已标注在：{0}").format(file) if file and is_error_copy
                                else self.tr("文件：{0}").format(file) if file else "")
        self.error_file.setVisible(file is not None)
        self.open_folder_button.setVisible(file is not None)
        if not is_error_copy:
            self.accept_valid_button.hide()
