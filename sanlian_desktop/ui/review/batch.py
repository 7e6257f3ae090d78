"""Batch approval: one opinion for several declarations, each in its own transaction, with a report."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop import workflow
from sanlian_desktop.auth import Actor
from sanlian_desktop.store import Store
from sanlian_desktop.ui.review.dialog import PHRASES
from sanlian_desktop.vocab import Decision


class BatchApproveDialog(QDialog):
    """“同意” with one opinion for the selected declarations; shows which went through and which not."""

    finished_batch = Signal()

    def __init__(self, store: Store, actor: Actor, decl_ids: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.store, self.actor, self.decl_ids = store, actor, list(decl_ids)
        self.outcomes: list[workflow.BatchOutcome] = []
        self.setWindowTitle(self.tr("批量同意"))
        self.setMinimumWidth(560)
        intro = QLabel(self.tr("对选中的 {0} 份申报逐份签署“同意”意见：").format(len(self.decl_ids)), self)
        self.phrases = QComboBox(self)
        self.phrases.addItem(self.tr("插入常用语…"))
        self.phrases.addItems(PHRASES[Decision.APPROVE])
        self.phrases.activated.connect(self._insert)
        self.text = QPlainTextEdit(self)
        self.text.setFixedHeight(80)
        self.text.setPlaceholderText(self.tr("审核意见"))
        self.report = QTextBrowser(self)
        self.report.hide()
        self.run_button = QPushButton(self.tr("同意"), self)
        self.run_button.clicked.connect(self.run)
        close = QPushButton(self.tr("关闭"), self)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(close)
        col = QVBoxLayout(self)
        for w in (intro, self.phrases, self.text, self.report):
            col.addWidget(w)
        col.addLayout(buttons)

    def _insert(self, index: int) -> None:
        if index > 0:
            self.text.insertPlainText(self.phrases.itemText(index))
            self.phrases.setCurrentIndex(0)

    def run(self) -> list[workflow.BatchOutcome]:
        """Approve each selected declaration; refusals are listed with the service's message."""
        self.outcomes = workflow.review_each(self.store, self.actor, self.decl_ids, decision=Decision.APPROVE,
                                             text=self.text.toPlainText())
        done = [o for o in self.outcomes if o.ok]
        refused = [o for o in self.outcomes if not o.ok]
        lines = [f"<p><b>{self.tr('已同意 {0} 份，未能处理 {1} 份').format(len(done), len(refused))}</b></p>"]
        if done:
            lines.append("<p>" + "<br/>".join(f"✔ {o.number}" for o in done) + "</p>")
        if refused:
            lines.append("<p style='color:#b3261e'>"
                         + "<br/>".join(f"✘ {o.number}：{o.message}" for o in refused) + "</p>")
        self.report.setHtml("".join(lines))
        self.report.show()
        self.run_button.setEnabled(False)
        self.finished_batch.emit()
        return self.outcomes
