"""打开同步包: a preview of what the package would change (a dry run), then the import on 确认导入."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.vocab import status_text
from sanlian_desktop.sync.exchange.importing import ImportResult
from sanlian_desktop.sync.transport.package import peek_header
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobFailure, JobHandle
from sanlian_desktop.ui.qtfix import emit
from sanlian_desktop.ui.sync.problem import ProblemBox, package_details
from sanlian_desktop.ui.sync.tasks import import_job, preview_job


def status_label(value: str) -> str:
    """The Chinese name of a declaration status; ``new`` is a declaration this office did not have."""
    return status_text(value, new=QCoreApplication.translate("ImportDialog", "（本单位尚无）"))


# The preview's table of declarations whose state the package changes.
CHANGE_COLUMNS = (QT_TRANSLATE_NOOP("ImportDialog", "申报编号"), QT_TRANSLATE_NOOP("ImportDialog", "项目名称"),
                  QT_TRANSLATE_NOOP("ImportDialog", "社区"), QT_TRANSLATE_NOOP("ImportDialog", "原状态"),
                  QT_TRANSLATE_NOOP("ImportDialog", "导入后"))
COL_NUMBER, COL_TITLE, COL_COMMUNITY, COL_BEFORE, COL_AFTER = range(len(CHANGE_COLUMNS))


class ImportDialog(QDialog):
    """Checks the file at once (nothing changes), shows the preview, imports only on 确认导入."""

    imported = Signal()

    def __init__(self, ctx: UiContext, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("导入同步包"))
        self.setMinimumSize(760, 420)
        self.ctx = ctx
        self.path = Path(path)
        self.handle: JobHandle | None = None
        self.preview: ImportResult | None = None
        self.import_result: ImportResult | None = None
        layout = QVBoxLayout(self)
        self.file_label = QLabel(self.tr("文件：{0}").format(self.path.name), self)
        self.file_label.setToolTip(str(self.path))
        layout.addWidget(self.file_label)
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.changes = QTableWidget(0, len(CHANGE_COLUMNS), self)
        self.changes.setHorizontalHeaderLabels([self.tr(str(c)) for c in CHANGE_COLUMNS])
        self.changes.verticalHeader().hide()
        self.changes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.changes.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        self.changes.hide()
        layout.addWidget(self.changes, 1)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        layout.addWidget(self.progress)
        self.problem = ProblemBox(self)
        layout.addWidget(self.problem)
        layout.addStretch(0)
        self.buttons = QDialogButtonBox(self)
        self.confirm_button = QPushButton(self.tr("确认导入"), self)
        self.confirm_button.setEnabled(False)
        self.buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout.addWidget(self.buttons)
        self.confirm_button.clicked.connect(self.confirm_import)
        self.buttons.rejected.connect(self.reject)
        self._show_claimed_sender()

    def _show_claimed_sender(self) -> None:
        try:
            header = peek_header(self.path)
        except Exception:  # the preview job reports what is wrong with the file
            self.heading.setText(self.tr("正在检查数据包…"))
            return
        self.heading.setText(self.tr("正在检查来自 {0} 的数据包（签名、完整性、收件单位）…").format(header.sender_name))

    # -- preview ----------------------------------------------------------------------------------

    def start_preview(self) -> JobHandle:
        """Verify the package and compute its effect in a transaction that is rolled back."""
        self.handle = self.ctx.jobs.submit(
            preview_job(self.ctx.store, self.ctx.actor, self.path), parent=self,
            on_success=self._previewed, on_failure=self._failed, on_finished=self._finished)
        return self.handle

    def _previewed(self, result: ImportResult) -> None:
        self.preview = result
        self._show(result, preview=True)
        self.confirm_button.setEnabled(not result.already_imported)
        if result.already_imported:
            self.confirm_button.hide()
            self.close_button.setText(self.tr("关闭"))

    # -- import -----------------------------------------------------------------------------------

    def confirm_import(self) -> JobHandle | None:
        """Apply the package (a backup of the store is taken first when the build has backups)."""
        if self.preview is None or self.handle is not None:
            return None
        self.confirm_button.setEnabled(False)
        self.heading.setText(self.tr("正在导入…"))
        self.progress.show()
        self.handle = self.ctx.jobs.submit(
            import_job(self.ctx.store, self.ctx.actor, self.path), parent=self,
            on_success=self._imported, on_failure=self._failed, on_finished=self._finished)
        return self.handle

    def _imported(self, result: ImportResult) -> None:
        self.import_result = result
        self._show(result, preview=False)
        self.confirm_button.hide()
        self.close_button.setText(self.tr("关闭"))
        emit(self.imported)

    # -- shared -----------------------------------------------------------------------------------

    def _show(self, result: ImportResult, *, preview: bool) -> None:
        sender = f"{result.sender_name}（{result.sender_code}）"
        if result.already_imported:
            self.heading.setText(self.tr("这个数据包（来自 {0} 的第 {1} 号）已经导入过，不会再有任何改动。")
                                 .format(sender, result.channel_seq))
            self.summary.clear()
            return
        if preview:
            self.heading.setText(self.tr("数据包完好，签名有效。来自 {0} 的第 {1} 号数据包，导入后将：")
                                 .format(sender, result.channel_seq))
        else:
            self.heading.setText(self.tr("已导入来自 {0} 的第 {1} 号数据包：").format(sender, result.channel_seq))
        r = result.report
        lines = [self.tr("新记录 {0} 条（其中新申报 {1} 份），本单位已有 {2} 条，有冲突 {3} 条；回执 {4} 份，"
                         "确认送达 {5} 条。").format(r.applied, r.new_declarations, r.already, r.conflicts,
                                               result.receipts, result.acknowledged)]
        if result.revocations:
            lines.append(self.tr("证书吊销记录 {0} 条。").format(result.revocations))
        if result.missing_seqs:
            lines.append(self.tr("注意：尚未收到该单位的第 {0} 号数据包，请对方补发（本包可以照常导入）。")
                         .format("、".join(map(str, result.missing_seqs))))
        if r.conflicts:
            lines.append(self.tr("有冲突的记录不会覆盖本单位的数据，将列在“同步”页的冲突中，由管理员或审核人处理。"))
        lines.append(self.tr("此数据包的回执将随下一次发给该单位的同步包带回。") if not preview else
                     self.tr("预览没有改动任何数据。点击“确认导入”才会导入。"))
        if r.state_changes:
            lines.append(self.tr("状态有变化的申报 {0} 份：").format(len(r.state_changes)))
        elif not preview:
            lines.append(self.tr("没有申报的状态发生变化。"))
        self.summary.setText("\n".join(lines))
        self.changes.setRowCount(len(r.state_changes))
        for row, (number, before, after) in enumerate(r.state_changes):
            title, community = r.titles.get(number, ("", ""))
            for col, text in enumerate((number, title, community, status_label(before), status_label(after))):
                item = QTableWidgetItem(text)
                if col == COL_TITLE:
                    item.setToolTip(text)  # a long title is cut at the column's edge
                self.changes.setItem(row, col, item)
        self.changes.setVisible(bool(r.state_changes))

    def _failed(self, failure: JobFailure) -> None:
        self.heading.setText(self.tr("不能导入这个文件。"))
        self.summary.clear()
        self.changes.hide()
        self.problem.show_problem(failure.message(), package_details(self.path, failure))
        self.confirm_button.hide()
        self.close_button.setText(self.tr("关闭"))

    def _finished(self) -> None:
        self.handle = None
        self.progress.hide()

    def reject(self) -> None:
        if self.handle is not None and self.preview is not None:
            return  # the import is running; its outcome must be seen
        if self.handle is not None:
            self.handle.cancel()
        super().reject()
