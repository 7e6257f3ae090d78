"""Fields shared by the project tabs and the correction dialogs: dates, and a progress report's form."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
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
from sqlalchemy.orm import Session

from sanlian_desktop.implementation import service as impl
from sanlian_desktop.models import Declaration
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.files import open_file
from sanlian_desktop.ui.widgets import date_edit, day_of


class ProgressFields:
    """The fields of a progress report (进展报告) and its writing, for the tab that reports one and the
    dialog that corrects one. A correction's existing files are listed as ticked 保留 boxes (``kept``)."""

    ctx: UiContext

    def build_progress_fields(self, parent: QWidget, form: QFormLayout, *, no_files: str,
                              attachments: Sequence[dict[str, Any]] = ()) -> None:
        """Make the fields with ``parent`` and add their rows to ``form``; ``no_files`` labels no new file."""
        self._files_parent, self._no_files = parent, no_files
        self.period_start, self.period_end = date_edit(parent), date_edit(parent)
        self.activities = QPlainTextEdit(parent)
        self.activities.setFixedHeight(60)
        self.beneficiaries = QSpinBox(parent)
        self.beneficiaries.setRange(0, 1_000_000)
        self.spent = QLineEdit(parent)
        self.spent.setPlaceholderText(parent.tr("本期使用的补助资金，元"))
        self.problems = QLineEdit(parent)
        self.final = QCheckBox(parent.tr("结项报告（项目最后一期）"), parent)
        period = QHBoxLayout()
        period.addWidget(self.period_start)
        period.addWidget(QLabel(parent.tr("至"), parent))
        period.addWidget(self.period_end)
        period.addStretch(1)
        files = QVBoxLayout()
        self.kept: list[tuple[QCheckBox, str]] = []
        for att in attachments:
            box = QCheckBox(parent.tr("保留 {0}").format(att["name"]), parent)
            box.setChecked(True)
            self.kept.append((box, att["sha256"]))
            files.addWidget(box)
        self.files: list[Path] = []
        self.files_label = QLabel(no_files, parent)
        self.files_label.setWordWrap(True)
        self.add_file_button = QPushButton(parent.tr("添加附件…"), parent)
        self.add_file_button.clicked.connect(self.add_file)
        new_files = QHBoxLayout()
        new_files.addWidget(self.files_label, 1)
        new_files.addWidget(self.add_file_button)
        files.addLayout(new_files)
        form.addRow(parent.tr("报告期"), period)
        form.addRow(parent.tr("开展的活动"), self.activities)
        amounts = QHBoxLayout()  # two short fields on one row, to keep the form low
        amounts.addWidget(self.beneficiaries)
        amounts.addSpacing(16)
        amounts.addWidget(QLabel(parent.tr("本期补助资金支出"), parent))
        amounts.addWidget(self.spent, 1)
        new_files.addSpacing(16)
        new_files.addWidget(self.final)
        form.addRow(parent.tr("本期受益人数"), amounts)
        form.addRow(parent.tr("存在的问题"), self.problems)
        form.addRow(parent.tr("附件"), files)

    def add_file(self) -> None:
        path = open_file(self._files_parent, None, self._files_parent.tr("选择附件"), kind="attachments")
        if path is not None:
            self.files.append(path)
            self.files_label.setText("、".join(f.name for f in self.files))

    def clear_files(self) -> None:
        self.files = []
        self.files_label.setText(self._no_files)

    def progress_writer(self, **correction: Any) -> Callable[[Session, Declaration], object]:
        """The write of the report as the fields hold it now (``correction``: ``supersedes`` and ``reason``);
        the fields are read here, on the GUI thread, and the returned function runs on the worker."""
        actor, paths = self.ctx.actor, self.ctx.paths
        values: dict[str, Any] = dict(
            period_start=day_of(self.period_start), period_end=day_of(self.period_end),
            activities=self.activities.toPlainText(), beneficiaries=self.beneficiaries.value(),
            spent=self.spent.text(), problems=self.problems.text(), final=self.final.isChecked(),
            files=list(self.files), keep_attachments=[sha for box, sha in self.kept if box.isChecked()],
            **correction)
        return lambda s, decl: impl.record_progress(s, actor, decl, paths, **values)
