"""At the evaluator office: the follow-up visit (跟踪回访) and effect evaluation (成效评估) dialogs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.declarations import lookup
from sanlian_desktop.evaluation import service as evaluation
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.files import open_file
from sanlian_desktop.ui.geometry import place_window
from sanlian_desktop.ui.jobs import JobFailure, JobRunner, WriteDialog, show_failure
from sanlian_desktop.ui.widgets import date_edit, day_of


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setStyleSheet("color: #c5221f;")
    label.setWordWrap(True)
    return label


class _Base(WriteDialog):
    saved = Signal(str)

    def __init__(self, store: Store, actor: Actor, decl_id: str, parent: QWidget | None, *, jobs: JobRunner) -> None:
        super().__init__(parent)
        self.store, self.actor, self.decl_id, self.jobs = store, actor, decl_id, jobs
        with store.read_session() as s:
            decl = lookup.visible(s, actor, decl_id)
            self.number, self.project = decl.number, decl.title
        self.heading = QLabel(self.tr("{0}　{1}").format(self.number, self.project), self)
        self.heading.setStyleSheet("font-weight: bold;")
        self.heading.setWordWrap(True)
        self.error = _error_label(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("保存"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

    def save(self) -> bool:
        """Read the fields and run the write on the job runner; True when it was started.

        ``saved`` follows and the dialog closes when it is done; a refusal shows its sentence in the dialog."""
        try:
            write = self._writer()
        except UserError as exc:
            self.error.setText(exc.zh)
            return False
        self.error.clear()
        return self.jobs.write(self, self.windowTitle(), write, on_success=self._saved, on_failure=self._refused,
                               busy=[self.buttons]) is not None


    def _writer(self) -> Callable[[], None]:
        """The write, with the fields read now (on the GUI thread); raises UserError for a missing field."""
        raise NotImplementedError

    def _saved(self, _result: object) -> None:
        self.saved.emit(self.decl_id)
        self.accept()

    def _refused(self, failure: JobFailure) -> None:
        _refused(self, self.error, failure)


def _refused(dialog: QDialog, error: QLabel, failure: JobFailure) -> None:
    """A refusal in the dialog's own error line; anything unexpected in the error dialog."""
    if failure.is_user_error:
        error.setText(failure.message())
    else:
        show_failure(dialog, failure)


class VisitDialog(_Base):
    """跟踪回访: the date, who went, what they found."""

    def __init__(self, store: Store, actor: Actor, decl_id: str, parent: QWidget | None = None, *,
                 jobs: JobRunner) -> None:
        super().__init__(store, actor, decl_id, parent, jobs=jobs)
        self.setWindowTitle(self.tr("跟踪回访：{0}").format(self.number))
        self.visited_on = date_edit(self, latest=date.today())
        self.who = QLineEdit(self)
        self.who.setPlaceholderText(self.tr("参加回访的人员，如 李评估、王督导"))
        self.findings = QPlainTextEdit(self)
        self.findings.setPlaceholderText(self.tr("活动开展、服务对象反馈、发现的问题和建议"))
        form = QFormLayout()
        form.addRow(self.tr("回访日期"), self.visited_on)
        form.addRow(self.tr("回访人员"), self.who)
        form.addRow(self.tr("回访发现"), self.findings)
        col = QVBoxLayout(self)
        col.addWidget(self.heading)
        col.addLayout(form, 1)
        col.addWidget(self.error)
        col.addWidget(self.buttons)
        place_window(self, "evaluation_visit", QSize(560, 400))

    def _writer(self) -> Callable[[], None]:
        store, actor, decl_id = self.store, self.actor, self.decl_id
        visited_on, who, findings = day_of(self.visited_on), self.who.text(), self.findings.toPlainText()

        def write() -> None:
            with store.session() as s:
                decl = lookup.visible(s, actor, decl_id)
                evaluation.record_visit(s, actor, decl, visited_on=visited_on, who=who, findings=findings)

        return write


class ScoreDialog(_Base):
    """成效评估: points per criterion (the total and its grade shown as they change), grade, report PDF."""

    def __init__(self, store: Store, actor: Actor, decl_id: str, parent: QWidget | None = None, *,
                 jobs: JobRunner) -> None:
        super().__init__(store, actor, decl_id, parent, jobs=jobs)
        self.setWindowTitle(self.tr("成效评估：{0}").format(self.number))
        form = QFormLayout()
        self.points: dict[str, QSpinBox] = {}
        for c in evaluation.CRITERIA:
            box = QSpinBox(self)
            box.setRange(0, c.max_points)
            box.setSuffix(self.tr(" / {0} 分").format(c.max_points))
            box.setToolTip(c.asks)
            box.valueChanged.connect(self._update_total)
            self.points[c.name] = box
            hint = QLabel(c.asks, self)
            hint.setStyleSheet("color: #555;")
            hint.setWordWrap(True)
            row = QHBoxLayout()
            row.addWidget(box)
            row.addWidget(hint, 1)
            form.addRow(c.name, row)
        self.total = QLabel(self)
        self.total.setStyleSheet("font-weight: bold;")
        form.addRow(self.tr("总分"), self.total)
        self.grade = QComboBox(self)
        self.grade.currentIndexChanged.connect(self._grade_changed)
        form.addRow(self.tr("等级"), self.grade)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(self.tr("所选等级与按总分确定的不同时，写明理由"))
        form.addRow(self.tr("理由"), self.reason)
        self.report = QLineEdit(self)
        self.report.setReadOnly(True)
        self.report.setPlaceholderText(self.tr("选择评估报告（PDF）"))
        pick = QPushButton(self.tr("选择…"), self)
        pick.clicked.connect(self.pick_report)
        row = QHBoxLayout()
        row.addWidget(self.report, 1)
        row.addWidget(pick)
        form.addRow(self.tr("评估报告"), row)
        self.evaluated_on = date_edit(self, latest=date.today())
        form.addRow(self.tr("评估日期"), self.evaluated_on)
        rules = "，".join(f"{g} ≥{p}%" for g, p in evaluation.GRADES[:-1])
        legend = QLabel(self.tr("等级标准（占满分的比例）：{0}，其余为差。").format(rules), self)
        legend.setStyleSheet("color: #555;")
        col = QVBoxLayout(self)
        col.addWidget(self.heading)
        col.addLayout(form)
        col.addWidget(legend)
        col.addStretch(1)
        col.addWidget(self.error)
        col.addWidget(self.buttons)
        self._update_total()
        place_window(self, "evaluation_score", QSize(720, 560))

    def total_points(self) -> int:
        return sum(box.value() for box in self.points.values())

    def _update_total(self) -> None:
        total, top = self.total_points(), evaluation.max_total()
        by_rule = evaluation.grade_for(total, top)
        self.total.setText(self.tr("{0} / {1} 分（按标准为“{2}”）").format(total, top, by_rule))
        chosen = self.grade.currentData()
        self.grade.blockSignals(True)
        self.grade.clear()
        self.grade.addItem(self.tr("按总分确定（{0}）").format(by_rule), None)
        for g in evaluation.GRADE_NAMES:
            self.grade.addItem(g, g)
        if chosen is not None:
            self.grade.setCurrentIndex(self.grade.findData(chosen))
        self.grade.blockSignals(False)
        self._grade_changed()

    def _grade_changed(self) -> None:
        chosen = self.grade.currentData()
        by_rule = evaluation.grade_for(self.total_points(), evaluation.max_total())
        self.reason.setEnabled(chosen is not None and chosen != by_rule)

    def pick_report(self) -> None:
        path = open_file(self, None, self.tr("选择评估报告"), self.tr("PDF 文件 (*.pdf)"), kind="pdf")
        if path is not None:
            self.report.setText(str(path))

    def _writer(self) -> Callable[[], None]:
        if not self.report.text():
            raise UserError("请选择评估报告（PDF）", "choose the report")
        store, actor, decl_id = self.store, self.actor, self.decl_id
        points = {name: box.value() for name, box in self.points.items()}
        report, grade, reason = Path(self.report.text()), self.grade.currentData(), self.reason.text()
        evaluated_on = day_of(self.evaluated_on)

        def write() -> None:
            with store.session() as s:
                decl = lookup.visible(s, actor, decl_id)
                evaluation.record_evaluation(s, actor, store.paths, decl, points=points, report=report,
                                             grade=grade, grade_reason=reason, evaluated_on=evaluated_on)

        return write


class AssignDialog(WriteDialog):
    """At the province: give an approved project not yet assigned to a certified evaluator office."""

    saved = Signal(str)

    def __init__(self, store: Store, actor: Actor, parent: QWidget | None = None, *, jobs: JobRunner) -> None:
        super().__init__(parent)
        from sqlalchemy import select

        from sanlian_desktop.kernel.vocab import Status
        from sanlian_desktop.models import Declaration, EvaluationAssignment

        self.store, self.actor, self.jobs = store, actor, jobs
        self.setWindowTitle(self.tr("指派第三方评估机构"))
        self.project = QComboBox(self)
        self.evaluator = QComboBox(self)
        with store.read_session() as s:
            assigned = select(EvaluationAssignment.declaration_id)
            for d in s.scalars(select(Declaration).where(Declaration.status == Status.APPROVED.value,
                                                         Declaration.id.not_in(assigned))
                               .order_by(Declaration.number)):
                self.project.addItem(f"{d.number}　{d.title}", d.id)
            for e in evaluation.certified_evaluators(s, actor.office_code):
                self.evaluator.addItem(f"{e.name}（{e.code}）", e.code)
        self.note = QLineEdit(self)
        self.note.setPlaceholderText(self.tr("如：中期、结项各评估一次"))
        form = QFormLayout()
        form.addRow(self.tr("已批准的项目"), self.project)
        form.addRow(self.tr("评估机构"), self.evaluator)
        form.addRow(self.tr("备注"), self.note)
        self.error = _error_label(self)
        if not self.project.count():
            self.error.setText(self.tr("没有尚未指派的已批准项目。"))
        elif not self.evaluator.count():
            self.error.setText(self.tr("本厅还没有认证第三方评估机构（在“设置—证书”中为其签发证书）。"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("指派"))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(
            bool(self.project.count() and self.evaluator.count()))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.error)
        column.addStretch(1)
        column.addWidget(self.buttons)
        place_window(self, "evaluation_assign", QSize(640, 240))


    def save(self) -> bool:
        """Assign on the job runner; True when the write was started (``saved`` follows when it is done)."""
        decl_id, code = self.project.currentData(), self.evaluator.currentData()
        if decl_id is None or code is None:
            return False
        store, actor, note = self.store, self.actor, self.note.text()

        def write() -> None:
            with store.session() as s:
                decl = lookup.visible(s, actor, decl_id)
                evaluation.assign(s, actor, decl, code, note=note)

        def assigned(_result: object) -> None:
            self.saved.emit(decl_id)
            self.accept()

        self.error.clear()
        return self.jobs.write(self, self.tr("指派第三方评估机构"), write, on_success=assigned,
                               on_failure=lambda failure: _refused(self, self.error, failure),
                               busy=[self.buttons]) is not None


class WithdrawDialog(_Base):
    """At the province: withdraw a project's assignment (wrong evaluator, project cancelled), with a reason."""

    def __init__(self, store: Store, actor: Actor, decl_id: str, parent: QWidget | None = None, *,
                 jobs: JobRunner) -> None:
        super().__init__(store, actor, decl_id, parent, jobs=jobs)
        from sanlian_desktop.models import EvaluationAssignment

        self.setWindowTitle(self.tr("撤回评估指派：{0}").format(self.number))
        with store.read_session() as s:
            held = s.get(EvaluationAssignment, decl_id)
            if held is None:
                raise UserError(f"项目 {self.number} 没有指派第三方评估机构，无需撤回", "not assigned")
            who = self.tr("评估机构：{0}（{1}），{2} 指派").format(held.evaluator_name, held.evaluator_code,
                                                             held.assigned_on.isoformat())
        self.assigned = QLabel(who, self)
        self.reason = QPlainTextEdit(self)
        self.reason.setPlaceholderText(self.tr("如：指派的评估机构有误；项目已终止"))
        note = QLabel(self.tr("撤回后，评估机构在下次同步后不再看到这个项目的指派，之后报来的跟踪回访和成效评估"
                              "不予采用（另存为冲突）；已收到的回访记录保留。项目可以重新指派。"
                              "评估机构已报送成效评估的项目不能撤回。"), self)
        note.setStyleSheet("color: #555;")
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("撤回理由"), self.reason)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("撤回指派"))
        col = QVBoxLayout(self)
        col.addWidget(self.heading)
        col.addWidget(self.assigned)
        col.addLayout(form, 1)
        col.addWidget(note)
        col.addWidget(self.error)
        col.addWidget(self.buttons)
        place_window(self, "evaluation_withdraw", QSize(600, 360))

    def _writer(self) -> Callable[[], None]:
        store, actor, decl_id, reason = self.store, self.actor, self.decl_id, self.reason.toPlainText()

        def write() -> None:
            with store.session() as s:
                evaluation.withdraw(s, actor, lookup.visible(s, actor, decl_id), reason=reason)

        return write
