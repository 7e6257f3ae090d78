"""处理冲突: close a conflict with a note, keeping this office's record (sync.exchange.conflicts.resolve_conflict)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.conflicts import resolve_conflict
from sanlian_desktop.ui.jobs import JobFailure, JobRunner, WriteDialog, show_failure
from sanlian_desktop.ui.sync.model import ConflictRow, kind_label
from sanlian_desktop.ui.widgets import InlineError


class ResolveDialog(WriteDialog):
    """The conflict, what 处理 means, and a note; the service's refusal stays in the dialog."""

    def __init__(self, store: Store, actor: Actor, conflict: ConflictRow, parent: QWidget | None = None, *,
                 jobs: JobRunner) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("处理同步冲突 #{0}").format(conflict.id))
        self.setMinimumWidth(520)
        self.store = store
        self.actor = actor
        self.jobs = jobs
        self.conflict = conflict
        self.resolved = False
        layout = QVBoxLayout(self)
        what = kind_label(conflict.kind)
        if conflict.declaration:
            what = self.tr("{0}（申报 {1}）").format(what, conflict.declaration)
        about = QLabel(self.tr("来自 {0} 的{1}与本单位的记录不一致：{2}").format(
            conflict.from_office, what, conflict.reason), self)
        about.setWordWrap(True)
        layout.addWidget(about)
        explain = QLabel(self.tr("处理后保留本单位的记录，收到的这条记录不再使用。"
                                 "请写明处理意见（例如已与对方电话核实的情况），意见记入审计日志。"), self)
        explain.setWordWrap(True)
        layout.addWidget(explain)
        self.note = QPlainTextEdit(self)
        self.note.setPlaceholderText(self.tr("处理意见"))
        self.note.setMaximumHeight(100)
        layout.addWidget(self.note)
        self.error = InlineError(self)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("保留本单位记录"))
        self.buttons.accepted.connect(self.resolve)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)


    def resolve(self) -> bool:
        """Close the conflict through the service on the job runner; True when the write was started.
        A refusal is shown in the dialog, which stays open."""
        store, actor, conflict_id, note = self.store, self.actor, self.conflict.id, self.note.toPlainText()

        def write() -> None:
            with store.session() as s:
                resolve_conflict(s, actor, conflict_id, note)

        self.error.clear_message()
        return self.jobs.write(self, self.windowTitle(), write, on_success=self._resolved, on_failure=self._refused,
                               busy=[self.buttons]) is not None

    def _resolved(self, _result: object) -> None:
        self.resolved = True
        self.accept()

    def _refused(self, failure: JobFailure) -> None:
        if failure.is_user_error:
            self.error.show_message(failure.message())
        else:
            show_failure(self, failure)
