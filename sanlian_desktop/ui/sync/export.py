"""导出同步包: choose the neighbour (or 全部) and a folder, write in the background, then show the folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.exchange.export import ExportResult
from sanlian_desktop.sync.exchange.neighbours import Neighbour
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobFailure, JobHandle
from sanlian_desktop.ui.qtfix import emit
from sanlian_desktop.ui.sync.folderpick import FolderChooser, open_folder
from sanlian_desktop.ui.sync.problem import ProblemBox
from sanlian_desktop.ui.sync.tasks import export_job


class ExportDialog(QDialog):
    """Writes packages to a folder; the service reads each file back before it reports success."""

    exported = Signal()

    def __init__(self, ctx: UiContext, neighbours: list[Neighbour], parent: QWidget | None = None, *,
                 to: str | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("导出同步包"))
        self.setMinimumWidth(620)
        self.ctx = ctx
        self.handle: JobHandle | None = None
        self.results: list[ExportResult] = []
        self.folder: Path | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("把本单位尚未送达对方的申报、审核意见和回执写成同步包文件。"
                               "请把文件拷到 U 盘带给对方，或作为电子邮件附件发送。"), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.recipient = QComboBox(self)
        self.recipient.addItem(self.tr("全部（每个有待发内容的单位各一个文件）"), None)
        for n in neighbours:
            label = self.tr("上级：{0}") if n.is_parent else self.tr("下级：{0}")
            self.recipient.addItem(label.format(n.name), n.code)
        if to is not None and self.recipient.findData(to) >= 0:
            self.recipient.setCurrentIndex(self.recipient.findData(to))
        self.destination = FolderChooser(ctx.settings, self)
        form.addRow(self.tr("发给："), self.recipient)
        form.addRow(self.tr("保存到："), self.destination)
        layout.addLayout(form)
        self.progress = QProgressBar(self)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.outcome = QLabel(self)
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome.hide()
        layout.addWidget(self.outcome)
        self.problem = ProblemBox(self)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        self.buttons = QDialogButtonBox(self)
        self.export_button = QPushButton(self.tr("导出"), self)
        self.open_button = QPushButton(self.tr("打开所在文件夹"), self)
        self.buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.open_button.hide()  # after addButton, which shows it
        layout.addWidget(self.buttons)
        self.export_button.clicked.connect(self.start_export)
        self.open_button.clicked.connect(self.open_destination)
        self.buttons.rejected.connect(self.reject)
        self.destination.changed.connect(self._update_buttons)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.handle is not None
        self.export_button.setEnabled(not running and self.destination.folder() is not None)
        self.recipient.setEnabled(not running)
        self.destination.setEnabled(not running)

    def start_export(self) -> JobHandle | None:
        """Write the package(s) in the background."""
        folder = self.destination.folder()
        if folder is None or self.handle is not None:
            return None
        self.folder = folder
        self.outcome.hide()
        self.problem.clear()
        self.open_button.hide()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.handle = self.ctx.jobs.submit(
            export_job(self.ctx.store, self.ctx.actor, self.recipient.currentData(), folder), parent=self,
            on_success=self._done, on_failure=self._failed, on_progress=self._progressed,
            on_finished=self._finished)
        self._update_buttons()
        return self.handle

    def _progressed(self, done: int, total: int, _text: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))

    def _done(self, results: list[ExportResult]) -> None:
        self.results = [r for r in results if r.path is not None]
        self.destination.remember()
        # Demo data no office would take stays here: said, not hidden (issue 14 §3).
        notes = [self.tr("给 {0}：{1}。").format(r.neighbour.name, r.left_out_note) for r in results if r.left_out]
        if not self.results:
            self.outcome.setText("\n".join([self.tr("没有需要发送的内容，没有生成文件。"), *notes]))
        else:
            lines = [self.tr("已导出 {0} 个同步包，每个文件写入后都已读回核对无误：").format(len(self.results))]
            lines += [self.tr("· 给 {0}：{1}（{2} 条记录、{3} 份回执）").format(
                r.neighbour.name, r.path.name if r.path else "", r.records, r.receipts) for r in self.results]
            lines += notes
            lines.append(self.tr("请把文件拷到 U 盘，或把它拖进电子邮件作为附件发给对方。"))
            self.outcome.setText("\n".join(lines))
            self.open_button.show()
        self.outcome.show()
        emit(self.exported)

    def _failed(self, failure: JobFailure) -> None:
        details = failure.error.line() if isinstance(failure.error, UserError) else failure.details
        self.problem.show_problem(failure.message(), self.tr("保存到：{0}\n{1}").format(self.folder, details))

    def _finished(self) -> None:
        self.handle = None
        self.progress.hide()
        self._update_buttons()

    def open_destination(self) -> None:
        if self.folder is not None:
            open_folder(self.folder)

    def reject(self) -> None:
        if self.handle is not None:
            return  # the package is being written; closing now would hide the outcome
        super().reject()
