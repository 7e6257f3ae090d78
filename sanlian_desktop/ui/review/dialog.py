"""The review dialog: the form read-only, the opinions so far, what changed, and this office's decision."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.declarations import lookup, workflow
from sanlian_desktop.kernel.money import MoneyError, from_fen, parse_money, to_fen
from sanlian_desktop.kernel.vocab import Decision, Level, Status
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.selection import limits
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.dialogs import status_message
from sanlian_desktop.ui.form.fields import MoneyEdit
from sanlian_desktop.ui.form.form import DeclarationForm
from sanlian_desktop.ui.geometry import place_window
from sanlian_desktop.ui.jobs import JobFailure, JobRunner, show_failure
from sanlian_desktop.ui.review.widgets import ChangesTable, OpinionTimeline

PHRASES = {
    Decision.APPROVE: ["同意上报。", "同意。经审核，申报程序完整，材料齐全。", "同意。预算编制合理，配套资金已落实。",
                       "同意上报，建议加强项目过程管理。", "同意，建议纳入试点。"],
    Decision.RETURN: ["资金来源说明不清，请补充配套资金证明后重新申报。", "效果预估缺少可衡量指标，请修改后重报。",
                      "居民听证会记录缺失，请补充后重新上报。", "请补充承接组织资质材料。"],
    Decision.REJECT: ["项目与试点重点领域关联不紧密，不予支持。", "同类项目已在本社区实施，不予重复支持。"],
}


class ReviewDialog(QDialog):
    """Shows a declaration awaiting this office and records the decision (Ctrl+Enter submits)."""

    reviewed = Signal(str)

    def __init__(self, store: Store, actor: Actor, decl_id: str, parent: QWidget | None = None, *,
                 jobs: JobRunner) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.store, self.actor, self.decl_id, self.jobs = store, actor, decl_id, jobs
        with store.read_session() as s:
            decl = lookup.visible(s, actor, decl_id)
            data = lookup.as_dict(s, decl)
            base, changes = lookup.changes_for_reviewer(s, decl, actor.office_code)
            seen = lookup.last_seen_version(s, decl, actor.office_code)
            self.requested = data["requested"]
            self.requested_fen = decl.requested_fen
            planned = limits.planned_fen(s, decl)
            awaiting = decl.status == Status.UNDER_REVIEW and decl.awaiting_office == actor.office_code
        self.awaiting = awaiting
        # Approving a shortlisted declaration grants what the 遴选 page planned, as shortlist.approve does.
        self.preset_grant = self.requested if planned is None else str(from_fen(planned))
        self.setWindowTitle(self.tr("审核：{0} {1}").format(data["number"], data["title"]))
        self.label = f"{data['number']} {data['title']}"
        heading = QLabel(self.tr("{0}　{1}　（第 {2} 版，申请省级补助 {3} 元）").format(
            data["number"], data["title"], data["version"], data["requested"]), self)
        heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        heading.setWordWrap(True)

        self.form = DeclarationForm(store, actor, self, new=False)
        self.form.load(data["fields"])
        self.form.attachments.load(data["attachments"])
        self.form.set_read_only(True)
        self.timeline = OpinionTimeline(self)
        self.timeline.set_opinions(data["opinions"])
        self.changes = ChangesTable(self)
        self.changes.set_changes(changes)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.form, self.tr("申报表"))
        self.tabs.addTab(self.timeline, self.tr("审核意见（{0}）").format(len(data["opinions"])))
        if seen is not None and seen < data["version"]:
            what = self.tr("自本单位上次审核的第 {0} 版以来的修改（{1} 处）").format(seen, len(changes))
        elif changes:
            what = self.tr("与第 {0} 版相比的修改（{1} 处）").format(base, len(changes))
        else:
            what = self.tr("修改对比（首次申报，无修改）")
        self.changes_title = what
        self.tabs.addTab(self.changes, what)
        from sanlian_desktop.ui.evaluation.panel import EvaluationPanel, evaluation_tab_title

        self.evaluation_panel = EvaluationPanel(store, decl_id, self)
        if self.evaluation_panel.has_anything():
            self.tabs.addTab(self.evaluation_panel, evaluation_tab_title(self.evaluation_panel))
        else:
            self.evaluation_panel.hide()
        from sanlian_desktop.ui.similar import SimilarPanel, tab_title

        self.similar_panel = SimilarPanel(store, decl_id, self, actor=actor, jobs=jobs)
        self.tabs.addTab(self.similar_panel, tab_title(self.similar_panel))
        self.similar_panel.changed.connect(lambda: self.tabs.setTabText(
            self.tabs.indexOf(self.similar_panel), tab_title(self.similar_panel)))
        if self.similar_panel.best_score() is not None:
            self.tabs.tabBar().setTabTextColor(self.tabs.indexOf(self.similar_panel), Qt.GlobalColor.darkRed)
            heading.setText(heading.text() + self.tr("　⚠ 与 {0} 份申报文字高度相似（最高 {1}%）").format(
                len(self.similar_panel.similar), self.similar_panel.best_score()))
        if seen is not None and seen < data["version"]:
            self.tabs.setCurrentWidget(self.changes)

        decision_box = self._decision_panel(data["version"])
        decision_box.setEnabled(awaiting)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.tabs)
        splitter.addWidget(decision_box)
        splitter.setStretchFactor(0, 1)
        col = QVBoxLayout(self)
        col.addWidget(heading)
        col.addWidget(splitter, 1)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.submit_review)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.submit_review)
        place_window(self, "review", QSize(1100, 800))

    def _decision_panel(self, version: int) -> QGroupBox:
        box = QGroupBox(self.tr("本单位意见（{0}，针对第 {1} 版）").format(self.actor.office_name, version), self)
        form = self.decision_form = QFormLayout(box)
        radios = QHBoxLayout()
        self.decision_group = QButtonGroup(self)
        self.decision_buttons: dict[Decision, QRadioButton] = {}
        for d in (Decision.APPROVE, Decision.REJECT, Decision.RETURN):
            button = QRadioButton(d.label, box)
            self.decision_group.addButton(button)
            self.decision_buttons[d] = button
            radios.addWidget(button)
            button.toggled.connect(self._decision_changed)
        radios.addStretch(1)
        form.addRow(self.tr("审核结论"), radios)
        phrase_row = QHBoxLayout()
        self.phrases = QComboBox(box)
        self.phrases.setMinimumWidth(360)
        self.phrases.activated.connect(self._insert_phrase)
        phrase_row.addWidget(self.phrases)
        phrase_row.addStretch(1)
        form.addRow(self.tr("常用语"), phrase_row)
        self.text = QPlainTextEdit(box)
        self.text.setFixedHeight(80)
        self.text.setPlaceholderText(self.tr("填写审核意见"))
        form.addRow(self.tr("审核意见"), self.text)
        self.granted = MoneyEdit(box)
        self.granted.set_value(self.preset_grant)
        self.granted_label = QLabel(self.tr("批准补助金额"), box)
        form.addRow(self.granted_label, self.granted)
        self.at_province = self.actor.office_level is Level.PROVINCE
        self.granted.setVisible(self.at_province)
        self.granted_label.setVisible(self.at_province)
        # At the province, an approval past the batch's quotas or budget needs a reason (audit-logged).
        self.limits = QLabel(box)
        self.limits.setWordWrap(True)
        self.limits.setStyleSheet("color: #a05a00; font-weight: bold;")
        form.addRow(self.limits)
        self.reason_label = QLabel(self.tr("超出限额的理由"), box)
        self.reason = QLineEdit(box)
        self.reason.setMaxLength(limits.MAX_REASON)
        self.reason.setPlaceholderText(self.tr("必填：为何超出名额或预算（记入审计日志）"))
        form.addRow(self.reason_label, self.reason)
        self.passed: list[limits.Meter] = []
        self._show_limits([])
        self.granted.changed.connect(self._update_limits)
        self.message = QLabel(box)
        self.message.setStyleSheet("color: #c5221f;")
        self.submit_button = QPushButton(self.tr("提交审核意见 (Ctrl+Enter)"), box)
        self.submit_button.clicked.connect(self.submit_review)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.submit_button)
        form.addRow(bottom)
        self.decision_buttons[Decision.APPROVE].setChecked(True)
        return box

    def decision(self) -> Decision | None:
        return next((d for d, b in self.decision_buttons.items() if b.isChecked()), None)

    def _decision_changed(self) -> None:
        d = self.decision()
        self.phrases.clear()
        self.phrases.addItem(self.tr("插入常用语…"))
        for p in PHRASES.get(d, []) if d else []:
            self.phrases.addItem(p)
        approving = d is Decision.APPROVE
        self.granted.setEnabled(approving)
        self._update_limits()

    def _grant_fen(self) -> int:
        """The amount an approval would grant: as typed, else (empty or not an amount) as requested."""
        text = self.granted.value()
        try:
            return to_fen(parse_money(text)) if text else self.requested_fen
        except MoneyError:
            return self.requested_fen

    def _update_limits(self) -> None:
        """Show which quota or budget approving at the province would pass, and ask for the reason."""
        passed: list[limits.Meter] = []
        if self.at_province and self.awaiting and self.decision() is Decision.APPROVE:
            with self.store.read_session() as s:
                decl = lookup.visible(s, self.actor, self.decl_id)
                passed = limits.limits_passed(s, decl, self._grant_fen())
        self._show_limits(passed)

    def _show_limits(self, passed: list[limits.Meter]) -> None:
        self.passed = passed
        if passed:
            self.limits.setText(self.tr("批准后将超出本批次限额：{0}。如确需批准，请填写超出限额的理由。").format(
                limits.passed_text(passed)))
        self.decision_form.setRowVisible(self.limits, bool(passed))
        self.decision_form.setRowVisible(self.reason, bool(passed))

    def override_reason(self) -> str | None:
        """The typed reason for passing a limit; None when no limit is passed."""
        return (self.reason.text().strip() or None) if self.passed else None

    def _insert_phrase(self, index: int) -> None:
        if index <= 0:
            return
        self.text.insertPlainText(self.phrases.itemText(index))
        self.phrases.setCurrentIndex(0)
        self.text.setFocus()

    def submit_review(self) -> bool:
        """Record the decision with ``workflow.review`` on the job runner; the service's refusal is shown as
        its sentence. True when the write was started (``reviewed`` follows when it is done)."""
        decision = self.decision()
        if decision is None or not self.submit_button.isEnabled():
            return False
        granted = self.granted.value() if self.at_province and decision is Decision.APPROVE else None
        if decision is Decision.APPROVE:
            self._update_limits()
        reason = self.override_reason() if decision is Decision.APPROVE else None
        if self.passed and reason is None:
            self.message.setText(self.tr("请填写超出限额的理由"))
            self.reason.setFocus()
            return False
        store, actor, decl_id, text = self.store, self.actor, self.decl_id, self.text.toPlainText()

        def write() -> None:
            with store.session() as s:
                decl = lookup.visible(s, actor, decl_id)
                workflow.review(s, actor, decl, decision=decision, text=text, granted=granted,
                                override_reason=reason)

        return self.jobs.write(self, self.tr("提交审核意见"), write, on_success=self._reviewed,
                               on_failure=self._refused, busy=[self.submit_button]) is not None

    def _reviewed(self, _result: object) -> None:
        self.submit_button.setEnabled(False)
        decision = self.decision()
        self.confirmation = self.tr("已提交：{0}（{1}）").format(self.label, decision.label if decision else "")
        status_message(self.parentWidget(), self.confirmation)
        self.reviewed.emit(self.decl_id)
        self.accept()

    def _refused(self, failure: JobFailure) -> None:
        self.message.setText(failure.message())
        show_failure(self, failure)
