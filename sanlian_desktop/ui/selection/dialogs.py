"""Dialogs of the 遴选 page: expert scores, shortlisting or approving within the limits, issuing the 公示."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.declarations import lookup
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.money import MoneyError, format_yuan, from_fen, parse_money, to_fen
from sanlian_desktop.models import Batch, PublicNotice, Shortlisting
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.selection import limits, notices, scoring, shortlist
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.files import save_file
from sanlian_desktop.ui.form.fields import MoneyEdit
from sanlian_desktop.ui.geometry import place_window
from sanlian_desktop.ui.jobs import JobFailure, JobRunner, WriteDialog, show_failure
from sanlian_desktop.ui.selection.meters import MeterBar
from sanlian_desktop.ui.widgets import InlineError, date_edit


def _refused(dialog: QDialog, message: InlineError, failure: JobFailure, prefix: str = "") -> None:
    """A refusal raised on the worker under the form; anything unexpected in the error dialog."""
    if failure.is_user_error:
        message.show_message(prefix + failure.message())
    else:
        show_failure(dialog, failure)


def _heading(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet("font-size: 14px; font-weight: bold;")
    return label


class ScoreDialog(WriteDialog):
    """The experts' scores for one declaration, and a row to record one more (or correct one)."""

    scored = Signal(str)

    def __init__(self, store: Store, actor: Actor, decl_id: str, parent: QWidget | None = None, *,
                 jobs: JobRunner) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.store, self.actor, self.decl_id, self.jobs = store, actor, decl_id, jobs
        with store.read_session() as s:
            decl = lookup.visible(s, actor, decl_id)
            self.criteria = scoring.criteria(s, shortlist.batch_of(s, decl))
            title = f"{decl.number}　{decl.title}"
        self.setWindowTitle(self.tr("专家评分：{0}").format(title))
        self.table = QTableWidget(0, len(self.criteria) + 4, self)
        self.table.setHorizontalHeaderLabels(
            [self.tr("评审专家")] + [f"{c.name}（{c.max_points}）" for c in self.criteria]
            + [self.tr("加权合计"), self.tr("录入时间"), self.tr("录入人")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.summary = QLabel(self)
        self.summary.setStyleSheet("font-weight: bold;")

        entry = QFormLayout()
        entry.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.scorer = QLineEdit(self)
        self.scorer.setPlaceholderText(self.tr("专家姓名"))
        entry.addRow(self.tr("评审专家"), self.scorer)
        self.points: dict[str, QLineEdit] = {}
        for c in self.criteria:
            edit = QLineEdit(self)
            edit.setPlaceholderText(self.tr("0～{0} 分").format(c.max_points))
            edit.setMaximumWidth(120)
            edit.textChanged.connect(self._update_total)
            self.points[c.name] = edit
            entry.addRow(self.tr("{0}（权重 {1}）").format(c.name, c.weight), edit)
        self.total = QLabel(self)
        entry.addRow(self.tr("加权合计"), self.total)
        self.replace = QCheckBox(self.tr("更正这位专家此前的评分"), self)
        entry.addRow("", self.replace)
        self.message = InlineError(self)
        self.save_button = QPushButton(self.tr("保存评分"), self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        close = QPushButton(self.tr("关闭"), self)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        col = QVBoxLayout(self)
        col.addWidget(_heading(title, self))
        col.addWidget(self.table, 1)
        col.addWidget(self.summary)
        col.addLayout(entry)
        col.addLayout(buttons)
        place_window(self, "selection_score", QSize(900, 560))
        self.reload()


    def reload(self) -> None:
        """Re-read the declaration's scores and their summary."""
        with self.store.read_session() as s:
            decl = lookup.visible(s, self.actor, self.decl_id)
            rows = scoring.scores_for(s, decl)
        summary = scoring.summarise(self.criteria, rows)
        self.table.setRowCount(len(rows))
        for i, (row, total) in enumerate(zip(rows, summary.totals, strict=True)):
            cells = [row.scorer] + [str(row.points.get(c.name, "")) for c in self.criteria] + [
                str(total.total), row.scored_at.astimezone().strftime("%Y-%m-%d %H:%M"), row.entered_by]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if 0 < j <= len(self.criteria) + 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        if summary.count:
            self.summary.setText(self.tr("{0} 位专家　平均分 {1}　极差 {2}　标准差 {3}").format(
                summary.count, summary.average, summary.spread, summary.stdev))
        else:
            self.summary.setText(self.tr("尚无专家评分"))

    def _update_total(self) -> None:
        from decimal import Decimal, InvalidOperation

        try:
            values = {n: Decimal(e.text().strip()) for n, e in self.points.items()}
            self.total.setText(str(scoring.rounded(scoring.weighted_total(self.criteria, values))))
        except (InvalidOperation, ValueError):
            self.total.setText("")

    def save(self) -> bool:
        """Record the typed score on the job runner; True when the write was started. The service's refusal
        shows under the form."""
        given: dict[str, object] = {n: e.text() for n, e in self.points.items() if e.text().strip()}
        store, actor, decl_id = self.store, self.actor, self.decl_id
        scorer, replace = self.scorer.text(), self.replace.isChecked()

        def write() -> None:
            with store.session() as s:
                decl = lookup.visible(s, actor, decl_id)
                scoring.add_score(s, actor, decl, scorer=scorer, points=given, replace=replace)

        return self.jobs.write(self, self.tr("保存评分"), write, on_success=self._saved,
                               on_failure=lambda f: _refused(self, self.message, f),
                               busy=[self.save_button]) is not None

    def _saved(self, _result: object) -> None:
        self.message.clear_message()
        self.scorer.clear()
        for edit in self.points.values():
            edit.clear()
        self.replace.setChecked(False)
        self.reload()
        self.scored.emit(self.decl_id)


class ChooseDialog(WriteDialog):
    """Shortlist or approve one declaration: the amount, the meters as they would stand, and a reason
    when a limit would be passed."""

    chosen = Signal(str)

    def __init__(self, store: Store, actor: Actor, decl_id: str, *, approve: bool,
                 parent: QWidget | None = None, jobs: JobRunner) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.store, self.actor, self.decl_id, self.approving = store, actor, decl_id, approve
        self.jobs = jobs
        with store.read_session() as s:
            decl = lookup.visible(s, actor, decl_id)
            listed = s.get(Shortlisting, decl.id)
            preset = listed.planned_fen if listed is not None else decl.requested_fen
            self.requested_fen = decl.requested_fen
            title = f"{decl.number}　{decl.title}"
        self.setWindowTitle(self.tr("批准立项") if approve else self.tr("列入入围名单"))
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self.tr("申请金额"), QLabel(self.tr("{0} 元").format(format_yuan(from_fen(self.requested_fen))),
                                                self))
        self.amount = MoneyEdit(self)
        self.amount.set_value(from_fen(preset))
        self.amount.changed.connect(self._preview)
        form.addRow(self.tr("批准补助金额") if approve else self.tr("拟补助金额"), self.amount)
        self.opinion = QPlainTextEdit(self)
        self.opinion.setPlainText(self.tr("同意立项。"))
        self.opinion.setFixedHeight(60)
        self.opinion.setVisible(approve)
        if approve:
            form.addRow(self.tr("省民政厅意见"), self.opinion)
        self.bars = [MeterBar(self) for _ in range(3)]
        meters_row = QHBoxLayout()
        for bar in self.bars:
            meters_row.addWidget(bar)
        self.reason_label = QLabel(self.tr("超出上限的理由"), self)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(self.tr("必填：为何超出名额或预算（记入审计日志）"))
        form.addRow(self.reason_label, self.reason)
        self.message = InlineError(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            self.tr("批准") if approve else self.tr("列入入围"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addWidget(_heading(title, self))
        col.addLayout(form)
        col.addWidget(QLabel(self.tr("选定后的名额与预算："), self))
        col.addLayout(meters_row)
        col.addWidget(self.message)
        col.addStretch(1)
        col.addWidget(self.buttons)
        place_window(self, "selection_choose", QSize(960, 360))
        self._preview()


    def _amount_fen(self) -> int:
        text = self.amount.value()
        try:
            return to_fen(parse_money(text)) if text else self.requested_fen
        except MoneyError:
            return self.requested_fen

    def _preview(self) -> None:
        with self.store.read_session() as s:
            decl = lookup.visible(s, self.actor, self.decl_id)
            after = limits.meters_if_chosen(s, shortlist.batch_of(s, decl), decl, self._amount_fen())
        for bar, meter in zip(self.bars, after, strict=True):
            bar.set_meter(meter)
        over = [m for m in after if m.state == "over"]
        self.reason.setVisible(bool(over))
        self.reason_label.setVisible(bool(over))
        if self._amount_fen() > self.requested_fen:
            self.message.show_message(self.tr("补助金额不能超过申请金额 {0} 元").format(
                format_yuan(from_fen(self.requested_fen))))
        elif over:
            self.message.show_message("；".join(limits.warnings(over)) + self.tr("。如确需超出，请填写理由。"))
        else:
            self.message.clear_message()

    def submit(self) -> bool:
        """Shortlist or approve through the selection service, on the job runner; True when the write was
        started. A refusal stays in the dialog."""
        reason = self.reason.text() if self.reason.isVisible() else None
        store, actor, decl_id, approving = self.store, self.actor, self.decl_id, self.approving
        amount, opinion = self.amount.value(), self.opinion.toPlainText()

        def write() -> None:
            with store.session() as s:
                decl = lookup.visible(s, actor, decl_id)
                if approving:
                    shortlist.approve(s, actor, decl, granted=amount, text=opinion, override_reason=reason)
                else:
                    shortlist.shortlist(s, actor, decl, planned=amount, override_reason=reason)

        return self.jobs.write(self, self.windowTitle(), write, on_success=self._chosen,
                               on_failure=lambda f: _refused(self, self.message, f),
                               busy=[self.buttons]) is not None

    def _chosen(self, _result: object) -> None:
        self.chosen.emit(self.decl_id)
        self.accept()


class NoticeDialog(WriteDialog):
    """Issue a 公示 of the batch's chosen projects for a period, and write it as PDF and Excel."""

    issued = Signal(str)

    def __init__(self, store: Store, actor: Actor, batch_id: str, parent: QWidget | None = None, *,
                 jobs: JobRunner) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.store, self.actor, self.batch_id, self.jobs = store, actor, batch_id, jobs
        self.notice_id: str | None = None
        with store.read_session() as s:
            batch = s.get(Batch, batch_id)
            assert batch is not None
            picked = limits.chosen(s, batch)
            last = notices.current_notice(s, batch)
            default_title = f"{batch.name}入选项目公示"
        self.setWindowTitle(self.tr("发布公示"))
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.title = QLineEdit(default_title, self)
        form.addRow(self.tr("标题"), self.title)
        today = date.today()
        self.starts, self.ends = date_edit(self, today), date_edit(self, today + timedelta(days=6))
        period = QHBoxLayout()
        period.addWidget(self.starts)
        period.addWidget(QLabel(self.tr("至"), self))
        period.addWidget(self.ends)
        period.addStretch(1)
        form.addRow(self.tr("公示期"), period)
        total = sum(p.amount_fen for p in picked)
        form.addRow(self.tr("入选项目"), QLabel(self.tr("{0} 个（已批准 {1} 个），补助合计 {2} 元").format(
            len(picked), sum(1 for p in picked if p.approved), format_yuan(from_fen(total))), self))
        if last is not None:
            form.addRow("", QLabel(self.tr("将替代现行的第 {0} 号公示（原公示保留不变）").format(last.seq), self))
        self.pdf, self.xlsx = QLineEdit(self), QLineEdit(self)
        for edit, label, suffix in ((self.pdf, self.tr("PDF 文件"), "pdf"), (self.xlsx, self.tr("Excel 文件"), "xlsx")):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            browse = QPushButton(self.tr("选择…"), self)
            browse.clicked.connect(lambda _=False, e=edit, x=suffix: self._browse(e, x))
            row.addWidget(browse)
            form.addRow(label, row)
        self.message = InlineError(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("发布"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.issue)
        self.buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addLayout(form)
        col.addWidget(self.message)
        col.addWidget(self.buttons)
        place_window(self, "selection_notice", QSize(640, 300))


    def _browse(self, edit: QLineEdit, suffix: str) -> None:
        path = save_file(self, None, self.tr("保存公示"), f"{self.title.text()}.{suffix}",
                         f"{suffix.upper()} (*.{suffix})", kind="notices", suffix=f".{suffix}")
        if path is not None:
            edit.setText(str(path))

    def issue(self) -> bool:
        """Issue the notice, then write the files, on the job runner; True when the write was started.
        A file that cannot be written can be tried again without issuing a second notice."""
        starts, ends = self.starts.date().toPython(), self.ends.date().toPython()
        pdf = Path(self.pdf.text().strip()) if self.pdf.text().strip() else None
        xlsx = Path(self.xlsx.text().strip()) if self.xlsx.text().strip() else None
        store, actor, batch_id, title, known = self.store, self.actor, self.batch_id, self.title.text(), self.notice_id

        def write() -> tuple[str, str | None]:
            """The notice's id, and why its files could not be written (None when they were)."""
            notice_id = known
            if notice_id is None:
                with store.session() as s:
                    batch = s.get(Batch, batch_id)
                    assert batch is not None
                    notice_id = notices.issue_notice(s, actor, batch, starts=starts,  # type: ignore[arg-type]
                                                     ends=ends, title=title).id  # type: ignore[arg-type]
            if pdf is not None or xlsx is not None:
                try:
                    with store.read_session() as s:
                        issued = s.get(PublicNotice, notice_id)
                        assert issued is not None
                        notices.export_notice(s, issued, pdf=pdf, xlsx=xlsx)
                except UserError as exc:
                    return notice_id, exc.zh
            return notice_id, None

        return self.jobs.write(self, self.tr("发布公示"), write, on_success=self._issued,
                               on_failure=lambda f: _refused(self, self.message, f),
                               busy=[self.buttons]) is not None

    def _issued(self, result: tuple[str, str | None]) -> None:
        notice_id, unwritten = result
        if self.notice_id is None:
            self.notice_id = notice_id
            self.issued.emit(notice_id)
        if unwritten is not None:
            self.message.show_message(self.tr("公示已发布，但文件未能写入：{0}").format(unwritten))
            return
        self.accept()
