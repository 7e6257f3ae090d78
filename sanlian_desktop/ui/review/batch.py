"""Batch approval: one opinion for several declarations, each in its own transaction, with a report."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from sanlian_desktop.declarations import workflow
from sanlian_desktop.kernel.chunks import chunks
from sanlian_desktop.kernel.vocab import Decision, Level, Status
from sanlian_desktop.models import Batch, Declaration
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.selection import limits
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.review.dialog import PHRASES


class BatchApproveDialog(QDialog):
    """“同意” with one opinion for the selected declarations; shows which went through and which not."""

    finished_batch = Signal()

    def __init__(self, store: Store, actor: Actor, decl_ids: list[str], parent: QWidget | None = None, *,
                 jobs: JobRunner) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.store, self.actor, self.decl_ids, self.jobs = store, actor, list(decl_ids), jobs
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
        # At the province, approving the whole selection past a batch's quotas or budget needs one reason,
        # audit-logged for each declaration that passes a limit (as in the single review dialog).
        self.limits = QLabel(self)
        self.limits.setWordWrap(True)
        self.limits.setStyleSheet("color: #a05a00; font-weight: bold;")
        self.reason = QLineEdit(self)
        self.reason.setMaxLength(limits.MAX_REASON)
        self.reason.setPlaceholderText(self.tr("必填：为何超出名额或预算（记入审计日志）"))
        self.reason_form = QFormLayout()
        self.reason_form.addRow(self.limits)
        self.reason_label = QLabel(self.tr("超出限额的理由"), self)
        self.reason_form.addRow(self.reason_label, self.reason)
        self.message = QLabel(self)
        self.message.setStyleSheet("color: #c5221f;")
        self.message.setWordWrap(True)
        self.report = QTextBrowser(self)
        self.report.hide()
        self.passed: list[tuple[Batch, list[limits.Meter]]] = []
        self.run_button = QPushButton(self.tr("同意"), self)
        self.run_button.clicked.connect(self.run)
        close = QPushButton(self.tr("关闭"), self)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(close)
        col = self.column = QVBoxLayout(self)
        for w in (intro, self.phrases, self.text):
            col.addWidget(w)
        col.addLayout(self.reason_form)
        col.addWidget(self.report)
        col.addLayout(buttons)
        self.update_limits()

    def _insert(self, index: int) -> None:
        if index > 0:
            self.text.insertPlainText(self.phrases.itemText(index))
            self.phrases.setCurrentIndex(0)

    def update_limits(self) -> None:
        """Show which quota or budget approving all the selected at the province would pass, and ask for
        the reason; only declarations this office can approve now count."""
        passed: list[tuple[Batch, list[limits.Meter]]] = []
        if self.actor.office_level is Level.PROVINCE:
            with self.store.read_session() as s:
                found: dict[str, Declaration] = {}
                for part in chunks(self.decl_ids):  # one query per few hundred, not one per declaration
                    found.update((d.id, d) for d in s.scalars(select(Declaration).where(
                        Declaration.id.in_(part), Declaration.status == Status.UNDER_REVIEW.value,
                        Declaration.awaiting_office == self.actor.office_code,
                        Declaration.awaiting_level == Level.PROVINCE.value)))
                decls = [found[i] for i in self.decl_ids if i in found]
                passed = limits.limits_passed_together(s, decls)
        self.passed = passed
        if passed:
            if len(passed) == 1:
                what = limits.passed_text(passed[0][1], by=True)
            else:
                what = "；".join(self.tr("“{0}”{1}").format(batch.name, limits.passed_text(ms, by=True))
                                for batch, ms in passed)
            self.limits.setText(self.tr("全部同意后将超出批次限额：{0}。如确需同意，请填写超出限额的理由，"
                                        "它将记入每份超出限额的申报的审计日志。").format(what))
        self.reason_form.setRowVisible(self.limits, bool(passed))
        self.reason_form.setRowVisible(self.reason, bool(passed))

    def override_reason(self) -> str | None:
        """The typed reason for passing a limit; None when no limit is passed."""
        return (self.reason.text().strip() or None) if self.passed else None

    def run(self) -> bool:
        """Approve each selected declaration on the job runner; refusals are listed with the service's
        message when it is done (``finished_batch``). True when the approvals were started.

        Past a limit without a reason nothing is approved: the dialog asks for the reason instead."""
        self.update_limits()
        reason = self.override_reason()
        if self.passed and reason is None:
            self.message.setText(self.tr("请填写超出限额的理由"))
            self.reason.setFocus()
            return False
        self.message.clear()
        store, actor, ids, text = self.store, self.actor, list(self.decl_ids), self.text.toPlainText()

        def write() -> list[workflow.BatchOutcome]:
            return workflow.review_each(store, actor, ids, decision=Decision.APPROVE, text=text,
                                        override_reason=reason)

        return self.jobs.write(self, self.tr("批量同意"), write, on_success=self._done,
                               busy=[self.run_button]) is not None

    def _done(self, outcomes: list[workflow.BatchOutcome]) -> None:
        self.outcomes = outcomes
        done = [o for o in self.outcomes if o.ok]
        refused = [o for o in self.outcomes if not o.ok]
        lines = [f"<p><b>{self.tr('已同意 {0} 份，未能处理 {1} 份').format(len(done), len(refused))}</b></p>"]
        if done:
            over = self.tr("超出限额（理由：{0}）")
            lines.append("<p>" + "<br/>".join(
                f"✔ {o.number}" + (f"　<b>{html.escape(over.format(o.over_limit))}</b>" if o.over_limit else "")
                for o in done) + "</p>")
        if refused:
            lines.append("<p style='color:#b3261e'>"
                         + "<br/>".join(f"✘ {o.number}：{o.message}" for o in refused) + "</p>")
        self.report.setHtml("".join(lines))
        self.report.show()
        self.run_button.setEnabled(False)
        self.reason.setEnabled(False)
        # Grow to make room for the report rather than squeezing the wrapped limits text above it.
        self.column.activate()
        self.resize(self.width(), max(self.height(), self.column.totalHeightForWidth(self.width())))
        self.finished_batch.emit()
