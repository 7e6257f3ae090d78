"""Correcting a disbursement (拨付) or a progress report (进展报告) from the desktop.

Both records are immutable: a correction is a new record that names the one it supersedes and says why
(:mod:`sanlian_desktop.implementation.service` checks it exactly as for the command line's ``--supersedes`` and
``--reason``). The dialog opens with the record's values; a refusal is shown in red and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from sanlian_desktop.implementation import service as impl
from sanlian_desktop.models import Declaration
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.implementation.fields import ProgressFields
from sanlian_desktop.ui.jobs import JobFailure, show_failure
from sanlian_desktop.ui.qtfix import emit
from sanlian_desktop.ui.widgets import InlineError, date_edit, day_of, set_day

MUTED_STYLE = "color: #666;"


def local_time(iso: str) -> str:
    """A stored UTC time as the local ``YYYY-MM-DD HH:MM``."""
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")


class CorrectionDialog(QDialog):
    """The corrected values of one record, a required reason, and 更正 / 取消."""

    corrected = Signal()
    kind = ""

    def __init__(self, ctx: UiContext, decl_id: str, entry: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.decl_id = decl_id
        self.entry = entry
        self.setWindowTitle(self.tr("更正{0}").format(self.kind))
        self.note = QLabel(self.tr("更正{0}（记录编号 {1}）：填写更正后的内容和更正原因。原记录保留，标为“已更正”。")
                           .format(self.describe(entry), entry["id"][:8]), self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(MUTED_STYLE)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.reason = QPlainTextEdit(self)
        self.reason.setPlaceholderText(self.tr("必填：为什么更正（如金额登记有误）"))
        self.reason.setFixedHeight(60)
        self.error = InlineError(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("更正"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def done(self, result: int) -> None:
        """Closing waits while the write runs (a moment), so its outcome is still shown here."""
        if self.ctx.jobs.writing(self):
            return
        super().done(result)

    def describe(self, entry: dict[str, Any]) -> str:
        """The record in a few words, for the dialog's first line."""
        return self.kind

    def finish_layout(self) -> None:
        """The reason under the subclass's fields, then the error line and the buttons."""
        self.form.addRow(self.tr("更正原因"), self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def writer(self) -> Callable[[Session, Declaration], object]:
        """The correction's write, its fields read now (on the GUI thread)."""
        raise NotImplementedError

    def submit(self) -> bool:
        """Write the correction on the job runner; True when the write was started. A refusal stays in the
        dialog (in red) and changes nothing."""
        action, store, actor, decl_id = self.writer(), self.ctx.store, self.ctx.actor, self.decl_id

        def write() -> None:
            with store.session() as s:
                action(s, impl.approved_project(s, actor, decl_id))

        return self.ctx.jobs.write(self, self.windowTitle(), write, on_success=self._corrected,
                                   on_failure=self._refused, busy=[self.buttons]) is not None

    def _corrected(self, _result: object) -> None:
        self.error.clear_message()
        emit(self.corrected)
        self.accept()

    def _refused(self, failure: JobFailure) -> None:
        if failure.is_user_error:
            self.error.show_message(failure.message())
        else:
            show_failure(self, failure)


class DisbursementCorrection(CorrectionDialog):
    """更正拨付: date, amount and tranche as they should have been."""

    kind = "拨付记录"

    def __init__(self, ctx: UiContext, decl_id: str, entry: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(ctx, decl_id, entry, parent)
        self.paid_on = date_edit(self)
        set_day(self.paid_on, entry["paid_on"])
        self.amount = QLineEdit(entry["amount"], self)
        self.amount.setPlaceholderText(self.tr("元"))
        self.tranche = QSpinBox(self)
        self.tranche.setRange(1, 99)
        self.tranche.setValue(int(entry["tranche"]))
        self.form.addRow(self.tr("拨付日期"), self.paid_on)
        self.form.addRow(self.tr("拨付金额（元）"), self.amount)
        self.form.addRow(self.tr("批次（第几批）"), self.tranche)
        self.finish_layout()

    def describe(self, entry: dict[str, Any]) -> str:
        return self.tr("第{0}批拨付（{1}，{2} 元）").format(entry["tranche"], entry["paid_on"], entry["amount"])

    def writer(self) -> Callable[[Session, Declaration], object]:
        actor = self.ctx.actor
        paid_on, amount, tranche = day_of(self.paid_on), self.amount.text(), self.tranche.value()
        supersedes, reason = self.entry["id"], self.reason.toPlainText()
        return lambda s, decl: impl.record_disbursement(s, actor, decl, paid_on=paid_on, amount=amount,
                                                        tranche=tranche, supersedes=supersedes, reason=reason)


class ProgressCorrection(ProgressFields, CorrectionDialog):
    """更正进展报告: every field of the report; its files are kept unless unticked, more may be added."""

    kind = "进展报告"

    def __init__(self, ctx: UiContext, decl_id: str, entry: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(ctx, decl_id, entry, parent)
        self.build_progress_fields(self, self.form, no_files=self.tr("没有新附件"), attachments=entry["attachments"])
        set_day(self.period_start, entry["period_start"])
        set_day(self.period_end, entry["period_end"])
        self.activities.setPlainText(entry["activities"])
        self.activities.setFixedHeight(70)
        self.beneficiaries.setValue(int(entry["beneficiaries"]))
        self.spent.setText(entry["spent"])
        self.problems.setText(entry["problems"])
        self.final.setChecked(bool(entry["final"]))
        self.finish_layout()

    def describe(self, entry: dict[str, Any]) -> str:
        return self.tr("{0} 至 {1} 的{2}").format(entry["period_start"], entry["period_end"],
                                                self.tr("结项报告") if entry["final"] else self.kind)

    def writer(self) -> Callable[[Session, Declaration], object]:
        return self.progress_writer(supersedes=self.entry["id"], reason=self.reason.toPlainText())
