"""The five tabs of a project: what is recorded, and a form where this office may record more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from sanlian_desktop.declarations.workflow import office_display_name
from sanlian_desktop.implementation import service as impl
from sanlian_desktop.kernel.money import parse_money
from sanlian_desktop.kernel.vocab import CERTIFICATE_LEVELS, Role
from sanlian_desktop.models import (
    Declaration,
    ProjectDisbursement,
    ProjectProgress,
    ProjectTender,
    ProjectUndertaking,
    ProjectWorker,
)
from sanlian_desktop.models.implementation import ProjectRecordMixin
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.implementation.corrections import (
    CorrectionDialog,
    DisbursementCorrection,
    ProgressCorrection,
    local_time,
)
from sanlian_desktop.ui.implementation.fields import ProgressFields
from sanlian_desktop.ui.jobs import JobFailure, show_failure
from sanlian_desktop.ui.widgets import InlineError, date_edit, day_of, set_day

Writer = Callable[[Session, Declaration], object]
"""A record's write: the form's values already read; it runs on the worker in its own session."""


def fill_table(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            table.setItem(r, c, item)


SUPERSEDED = "已更正"
CORRECTION = "更正记录"
SUPERSEDED_COLOR = QColor("#8a8a8a")


def record_state(entry: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    """The 状态 cell of a record and the tooltip that explains it: superseded (by whom and why), a
    correction (of what and why), or neither."""
    successor = entry.get("superseded_by")
    if successor:
        who = " ".join(filter(None, [names.get(successor["office"], successor["office"]), successor["entered_by"]]))
        return SUPERSEDED, (f"已被记录 {successor['id'][:8]} 更正（{who}，{local_time(successor['entered_at'])}）\n"
                            f"更正原因：{successor['reason']}")
    if entry.get("supersedes"):
        return CORRECTION, f"更正了记录 {entry['supersedes'][:8]}\n更正原因：{entry['reason']}"
    return "", ""


def fill_records(table: QTableWidget, rows: list[list[str]], entries: list[dict[str, Any]],
                 names: dict[str, str]) -> None:
    """Records with a last 状态 column: a superseded record is struck through and grey, and every cell of
    a superseded or correcting record says in its tooltip who corrected what and why."""
    fill_table(table, [[*values, record_state(entry, names)[0]] for values, entry in zip(rows, entries, strict=True)])
    for r, entry in enumerate(entries):
        state, why = record_state(entry, names)
        if not state:
            continue
        for c in range(table.columnCount()):
            item = table.item(r, c)
            if item is None:
                continue
            item.setToolTip(f"{item.text()}\n\n{why}" if c < table.columnCount() - 1 and item.text() else why)
            if state == SUPERSEDED:
                item.setForeground(QBrush(SUPERSEDED_COLOR))
                if c == table.columnCount() - 1:
                    continue  # the 已更正 mark itself stays legible
                font = item.font()
                font.setStrikeOut(True)
                item.setFont(font)


def make_table(parent: QWidget, headers: list[str], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


class RecordTab(QWidget):
    """A tab: the current records on top, this office's form below (or a note who records them)."""

    title = ""
    model: type[ProjectRecordMixin] = ProjectTender
    form_title = ""
    saved = Signal()

    def __init__(self, ctx: UiContext, decl_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.decl_id = decl_id
        with ctx.store.read_session() as s:
            decl = impl.approved_project(s, ctx.actor, decl_id)
            self.may_enter = (impl.can_enter(ctx.actor, self.model, decl)
                              and ctx.actor.role in (Role.CLERK, Role.ADMIN))
            who = "、".join(sorted(office_display_name(s, c) for c in impl.originators(self.model, decl)))
        self.layout_ = QVBoxLayout(self)
        self.box = QGroupBox(self.tr(self.form_title), self)
        self.form = QFormLayout(self.box)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.error = InlineError(self)
        self.submit_button = QPushButton(self.tr("登记"), self)
        self.submit_button.clicked.connect(self.submit)
        self.readonly_note = QLabel(self.tr("{0}由{1}登记，本单位只能查看。").format(self.title, who), self)
        self.readonly_note.setStyleSheet("color: #666;")
        self.readonly_note.setWordWrap(True)

    def finish_layout(self) -> None:
        """Put the form (or the read-only note) under what the subclass added on top."""
        if self.may_enter:
            buttons = QHBoxLayout()
            buttons.addWidget(self.error, 1)
            buttons.addWidget(self.submit_button, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            self.form.addRow(buttons)
            self.place_form()
            self.readonly_note.hide()
        else:
            self.box.hide()
            self.layout_.addWidget(self.readonly_note)

    def place_form(self) -> None:
        """Put the form box into the tab (below everything else here)."""
        self.layout_.addWidget(self.box)

    def show_record(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def writer(self) -> Writer:
        """The write of what the form holds, its fields read now (on the GUI thread)."""
        raise NotImplementedError

    def submit(self) -> bool:
        """Record what the form holds, on the job runner; True when the write was started. A refusal is shown
        in red under the form and nothing changes."""
        return self._run(self.writer())

    def _busy(self) -> list[QWidget]:
        return [self.submit_button]

    def _run(self, action: Writer) -> bool:
        store, actor, decl_id = self.ctx.store, self.ctx.actor, self.decl_id

        def write() -> None:
            with store.session() as s:
                action(s, impl.approved_project(s, actor, decl_id))

        return self.ctx.jobs.write(self, self.tr("登记{0}").format(self.title), write, on_success=self._written,
                                   on_failure=self._refused, busy=self._busy()) is not None

    def _written(self, _result: object) -> None:
        self.error.clear_message()
        self.clear_form()
        self.saved.emit()

    def _refused(self, failure: JobFailure) -> None:
        if failure.is_user_error:
            self.error.show_message(failure.message())
        else:
            show_failure(self, failure)

    def clear_form(self) -> None:
        """Empty the fields after a record was written (subclasses that keep nothing)."""


class TenderTab(RecordTab):
    title, model, form_title = "招标", ProjectTender, "登记社区招标"

    def __init__(self, ctx: UiContext, decl_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, decl_id, parent)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.layout_.addWidget(self.summary)
        self.layout_.addStretch(1)
        self.tendered_on = date_edit(self.box)
        self.bidders = QPlainTextEdit(self.box)
        self.bidders.setPlaceholderText(self.tr("每行一个投标单位"))
        self.bidders.setFixedHeight(90)
        self.winner = QLineEdit(self.box)
        self.reason = QLineEdit(self.box)
        self.reason.setPlaceholderText(self.tr("更正已登记的招标时必须填写"))
        self.form.addRow(self.tr("招标日期"), self.tendered_on)
        self.form.addRow(self.tr("投标单位"), self.bidders)
        self.form.addRow(self.tr("中标单位"), self.winner)
        self.form.addRow(self.tr("更正原因"), self.reason)
        self.current: str | None = None
        self.finish_layout()

    def show_record(self, record: dict[str, Any]) -> None:
        t = record["tender"]
        self.current = t["id"] if t else None
        if t is None:
            self.summary.setText(self.tr("尚未登记社区招标。"))
        else:
            self.summary.setText(self.tr("招标日期：{0}\n投标单位：{1}\n中标单位：{2}\n记录编号：{3}").format(
                t["tendered_on"], "、".join(t["bidders"]), t["winner"], t["id"][:8]))
            set_day(self.tendered_on, t["tendered_on"])
            self.bidders.setPlainText("\n".join(t["bidders"]))
            self.winner.setText(t["winner"])
        self.box.setTitle(self.tr("更正招标记录") if t else self.tr("登记社区招标"))
        self.submit_button.setText(self.tr("更正") if t else self.tr("登记"))
        self.form.setRowVisible(self.reason, t is not None)

    def writer(self) -> Writer:
        actor = self.ctx.actor
        bidders = [line.strip() for line in self.bidders.toPlainText().splitlines() if line.strip()]
        tendered_on, winner, supersedes, reason = day_of(self.tendered_on), self.winner.text(), self.current, \
            self.reason.text()
        return lambda s, decl: impl.record_tender(s, actor, decl, tendered_on=tendered_on, bidders=bidders,
                                                  winner=winner, supersedes=supersedes, reason=reason)

    def clear_form(self) -> None:
        self.reason.clear()


class UndertakingTab(RecordTab):
    title, model, form_title = "承接", ProjectUndertaking, "登记承接协议"

    def __init__(self, ctx: UiContext, decl_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, decl_id, parent)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.layout_.addWidget(self.summary)
        self.layout_.addStretch(1)
        self.org = QLineEdit(self.box)
        self.credit_code = QLineEdit(self.box)
        self.credit_code.setMaxLength(18)
        self.amount = QLineEdit(self.box)
        self.amount.setPlaceholderText(self.tr("元"))
        self.starts_on, self.ends_on = date_edit(self.box), date_edit(self.box)
        self.over_reason = QLineEdit(self.box)
        self.over_reason.setPlaceholderText(self.tr("承接金额超过批准补助时填写（如其他资金来源）"))
        self.reason = QLineEdit(self.box)
        self.reason.setPlaceholderText(self.tr("更正已登记的承接协议时必须填写"))
        period = QHBoxLayout()
        period.addWidget(self.starts_on)
        period.addWidget(QLabel(self.tr("至"), self.box))
        period.addWidget(self.ends_on)
        period.addStretch(1)
        self.form.addRow(self.tr("承接组织"), self.org)
        self.form.addRow(self.tr("统一社会信用代码"), self.credit_code)
        self.form.addRow(self.tr("承接金额"), self.amount)
        self.form.addRow(self.tr("起止日期"), period)
        self.form.addRow(self.tr("超出批准补助的理由"), self.over_reason)
        self.form.addRow(self.tr("更正原因"), self.reason)
        self.current: str | None = None
        self.finish_layout()

    def show_record(self, record: dict[str, Any]) -> None:
        u = record["undertaking"]
        self.current = u["id"] if u else None
        if u is None:
            self.summary.setText(self.tr("尚未登记承接协议。"))
            if record["tender"] and not self.org.text():
                self.org.setText(record["tender"]["winner"])
            set_day(self.starts_on, record["period_start"])
            set_day(self.ends_on, record["period_end"])
        else:
            over = self.tr("\n超出批准补助的理由：{0}").format(u["over_grant_reason"]) if u["over_grant_reason"] else ""
            self.summary.setText(self.tr("承接组织：{0}\n统一社会信用代码：{1}\n承接金额：{2} 元\n起止日期：{3} 至 {4}"
                                         "{5}\n记录编号：{6}").format(u["org_name"], u["credit_code"], u["amount"],
                                                                  u["starts_on"], u["ends_on"], over, u["id"][:8]))
            self.org.setText(u["org_name"])
            self.credit_code.setText(u["credit_code"])
            self.amount.setText(u["amount"])
            set_day(self.starts_on, u["starts_on"])
            set_day(self.ends_on, u["ends_on"])
            self.over_reason.setText(u["over_grant_reason"])
        self.box.setTitle(self.tr("更正承接协议") if u else self.tr("登记承接协议"))
        self.submit_button.setText(self.tr("更正") if u else self.tr("登记"))
        self.form.setRowVisible(self.reason, u is not None)

    def writer(self) -> Writer:
        actor = self.ctx.actor
        org_name, credit_code, amount = self.org.text(), self.credit_code.text(), self.amount.text()
        starts_on, ends_on, over_reason = day_of(self.starts_on), day_of(self.ends_on), self.over_reason.text()
        supersedes, reason = self.current, self.reason.text()
        return lambda s, decl: impl.record_undertaking(s, actor, decl, org_name=org_name, credit_code=credit_code,
                                                       amount=amount, starts_on=starts_on, ends_on=ends_on,
                                                       over_grant_reason=over_reason, supersedes=supersedes,
                                                       reason=reason)

    def clear_form(self) -> None:
        self.reason.clear()


class WorkersTab(RecordTab):
    title, model, form_title = "社工", ProjectWorker, "添加项目社工"

    def __init__(self, ctx: UiContext, decl_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, decl_id, parent)
        self.table = make_table(self, [self.tr("姓名"), self.tr("证书等级"), self.tr("记录编号")], 0)
        self.layout_.addWidget(self.table, 1)
        self.name = QLineEdit(self.box)
        self.certificate = QComboBox(self.box)
        self.certificate.addItems(CERTIFICATE_LEVELS)
        self.form.addRow(self.tr("姓名"), self.name)
        self.form.addRow(self.tr("证书等级"), self.certificate)
        self.submit_button.setText(self.tr("添加"))
        self.remove_reason = QLineEdit(self)
        self.remove_reason.setPlaceholderText(self.tr("撤下原因（如调离）"))
        self.remove_button = QPushButton(self.tr("撤下所选社工"), self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.ids: list[str] = []
        if self.may_enter:
            remove = QHBoxLayout()
            remove.addWidget(self.remove_reason, 1)
            remove.addWidget(self.remove_button)
            self.layout_.addLayout(remove)
        else:
            self.remove_reason.hide()
            self.remove_button.hide()
        self.finish_layout()

    def show_record(self, record: dict[str, Any]) -> None:
        self.ids = [w["id"] for w in record["workers"]]
        fill_table(self.table, [[w["name"], w["certificate_level"], w["id"][:8]] for w in record["workers"]])

    def writer(self) -> Writer:
        actor, name, level = self.ctx.actor, self.name.text(), self.certificate.currentText()
        return lambda s, decl: impl.add_worker(s, actor, decl, name=name, certificate_level=level)

    def _busy(self) -> list[QWidget]:
        return [self.submit_button, self.remove_button]

    def remove_selected(self) -> bool:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.error.show_message(self.tr("请先在上表中选择要撤下的社工"))
            return False
        actor, worker_id, reason = self.ctx.actor, self.ids[rows[0].row()], self.remove_reason.text()
        return self._run(lambda s, decl: impl.remove_worker(s, actor, decl, worker_id, reason=reason))

    def clear_form(self) -> None:
        self.name.clear()
        self.remove_reason.clear()


class CorrectableTab(RecordTab):
    """A tab whose records are listed with the corrected ones, and corrected one at a time in a dialog.

    The table (with the 更正 row) and the form share a vertical splitter: the table keeps room for
    ``MIN_ROWS`` records and takes what the window grows by; a form taller than what is left scrolls.
    """

    correction: type[CorrectionDialog] = CorrectionDialog
    history_key = ""
    table: QTableWidget  # made by the subclass before add_correction_row
    MIN_ROWS = 6

    def add_correction_row(self, button_text: str, hint: str) -> None:
        """The 更正 button under the table (only where this office enters the records); call it instead of
        adding the table to the tab's layout."""
        self.records = QWidget(self)
        records = QVBoxLayout(self.records)
        records.setContentsMargins(0, 0, 0, 0)
        records.addWidget(self.table, 1)
        rows = self.table.verticalHeader().defaultSectionSize() * self.MIN_ROWS
        self.table.setMinimumHeight(rows + self.table.horizontalHeader().sizeHint().height()
                                    + self.table.horizontalScrollBar().sizeHint().height()
                                    + 2 * self.table.frameWidth())
        self.entries: list[dict[str, Any]] = []
        self.correction_dialog: CorrectionDialog | None = None
        self.correct_button = QPushButton(button_text, self)
        self.correct_button.setEnabled(False)
        self.correct_hint = QLabel(hint, self)
        self.correct_hint.setWordWrap(True)
        self.correct_hint.setStyleSheet("color: #666;")
        self.correct_button.clicked.connect(self.correct_selected)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        if self.may_enter:
            row = QHBoxLayout()
            row.addWidget(self.correct_hint, 1)
            row.addWidget(self.correct_button, 0, Qt.AlignmentFlag.AlignTop)
            records.addLayout(row)
        else:
            self.correct_hint.hide()
            self.correct_button.hide()
        self.layout_.addWidget(self.records, 1)

    def place_form(self) -> None:
        """The records above, the form below, in a splitter (its state is not kept)."""
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.box)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setChildrenCollapsible(False)
        self.layout_.replaceWidget(self.records, self.splitter)
        self.splitter.addWidget(self.records)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.layout_.setStretchFactor(self.splitter, 1)

    def show_entries(self, record: dict[str, Any], rows: Callable[[dict[str, Any], dict[str, str]], list[str]]) -> None:
        """Every record of the kind, superseded ones struck through (the record's ``history``)."""
        self.entries = list(record["history"][self.history_key])
        offices = {e["office"] for e in self.entries} | {e["superseded_by"]["office"] for e in self.entries
                                                          if e["superseded_by"]}
        with self.ctx.store.read_session() as s:
            names = {code: office_display_name(s, code) for code in offices}
        fill_records(self.table, [rows(e, names) for e in self.entries], self.entries, names)
        self._selection_changed()

    def selected_entry(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows and rows[0].row() < len(self.entries) else None

    def _selection_changed(self) -> None:
        entry = self.selected_entry()
        superseded = entry is not None and entry["superseded_by"] is not None
        self.correct_button.setEnabled(self.may_enter and entry is not None and not superseded)
        self.correct_button.setToolTip(self.tr("这条记录已被更正，只能更正其最新的记录") if superseded else "")

    def correct_selected(self) -> CorrectionDialog | None:
        """Open the correction of the selected record (window-modal); its success reloads the project."""
        entry = self.selected_entry()
        if entry is None:
            self.error.show_message(self.tr("请先在上表中选择要更正的记录"))
            return None
        if entry["superseded_by"] is not None:
            self.error.show_message(self.tr("这条记录已被更正，只能更正其最新的记录"))
            return None
        self.error.clear_message()
        dialog = self.correction(self.ctx, self.decl_id, entry, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.corrected.connect(self._corrected)
        self.correction_dialog = dialog
        dialog.open()
        return dialog

    def _corrected(self) -> None:
        self.correction_dialog = None
        self.saved.emit()


class DisbursementTab(CorrectableTab):
    title, model, form_title = "拨付", ProjectDisbursement, "登记拨付"
    correction, history_key = DisbursementCorrection, "disbursements"

    def __init__(self, ctx: UiContext, decl_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, decl_id, parent)
        self.summary = QLabel(self)
        self.layout_.addWidget(self.summary)
        self.table = make_table(self, [self.tr("批次"), self.tr("拨付日期"), self.tr("金额(元)"), self.tr("登记单位"),
                                       self.tr("记录编号"), self.tr("状态")], 3)
        self.add_correction_row(self.tr("更正所选拨付…"),
                                self.tr("登记有误时，选中该条拨付记录后更正；原记录保留，以删除线标为“已更正”。"))
        self.paid_on = date_edit(self.box)
        self.amount = QLineEdit(self.box)
        self.amount.setPlaceholderText(self.tr("元"))
        self.tranche = QSpinBox(self.box)
        self.tranche.setRange(1, 99)
        self.form.addRow(self.tr("拨付日期"), self.paid_on)
        self.form.addRow(self.tr("拨付金额"), self.amount)
        self.form.addRow(self.tr("批次（第几批）"), self.tranche)
        self.finish_layout()

    def show_record(self, record: dict[str, Any]) -> None:
        remaining = parse_money(record["granted"]) - parse_money(record["disbursed"])
        self.summary.setText(self.tr("批准补助 {0} 元，已拨付 {1} 元，尚未拨付 {2} 元").format(
            record["granted"], record["disbursed"], remaining))
        self.show_entries(record, lambda d, names: [str(d["tranche"]), d["paid_on"], d["amount"],
                                                    names[d["office"]], d["id"][:8]])
        self.tranche.setValue(max((d["tranche"] for d in record["disbursements"]), default=0) + 1)

    def writer(self) -> Writer:
        actor, paid_on, amount, tranche = self.ctx.actor, day_of(self.paid_on), self.amount.text(), self.tranche.value()
        return lambda s, decl: impl.record_disbursement(s, actor, decl, paid_on=paid_on, amount=amount,
                                                        tranche=tranche)

    def clear_form(self) -> None:
        self.amount.clear()


class ProgressTab(ProgressFields, CorrectableTab):
    title, model, form_title = "进展报告", ProjectProgress, "报送进展报告"
    correction, history_key = ProgressCorrection, "progress"

    def __init__(self, ctx: UiContext, decl_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, decl_id, parent)
        self.summary = QLabel(self)
        self.layout_.addWidget(self.summary)
        self.table = make_table(self, [self.tr("报告期"), self.tr("开展的活动"), self.tr("受益人数"), self.tr("支出(元)"),
                                       self.tr("存在的问题"), self.tr("附件"), self.tr("状态")], 1)
        self.add_correction_row(self.tr("更正所选报告…"),
                                self.tr("报告有误时，选中该份报告后更正；原报告保留，以删除线标为“已更正”。"))
        self.build_progress_fields(self.box, self.form, no_files=self.tr("无附件"))
        self.submit_button.setText(self.tr("报送"))
        self.finish_layout()

    def show_record(self, record: dict[str, Any]) -> None:
        self.summary.setText(self.tr("累计服务 {0} 人（预计 {1} 人），补助资金支出 {2} 元").format(
            record["beneficiaries_served"], record["expected_beneficiaries"] or "—", record["spent"]))
        self.show_entries(record, lambda p, _names: [
            f"{p['period_start']} 至 {p['period_end']}" + (self.tr("（结项）") if p["final"] else ""), p["activities"],
            str(p["beneficiaries"]), p["spent"], p["problems"], "、".join(a["name"] for a in p["attachments"])])
        last = max((p["period_end"] for p in record["progress"]), default=None)
        if last is not None:
            self.period_start.setDate(QDate.fromString(last, "yyyy-MM-dd").addDays(1))

    def writer(self) -> Writer:
        return self.progress_writer()

    def clear_form(self) -> None:
        self.activities.clear()
        self.spent.clear()
        self.problems.clear()
        self.final.setChecked(False)
        self.beneficiaries.setValue(0)
        self.clear_files()
