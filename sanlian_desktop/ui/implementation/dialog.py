"""One project's implementation: a header with its warnings and a tab per kind of record."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from sanlian_desktop.implementation import service as impl
from sanlian_desktop.implementation.warnings import project_record
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.geometry import place_window
from sanlian_desktop.ui.implementation.model import severity_icon
from sanlian_desktop.ui.implementation.tabs import (
    DisbursementTab,
    ProgressTab,
    RecordTab,
    TenderTab,
    UndertakingTab,
    WorkersTab,
)


class ProjectDialog(QDialog):
    """招标, 承接, 社工, 拨付, 进展报告 of one approved project; forms where this office enters records."""

    changed = Signal()

    def __init__(self, ctx: UiContext, decl_id: str, parent: QWidget | None = None, *,
                 today: date | None = None) -> None:
        super().__init__(parent)
        self.today = today
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ctx = ctx
        self.decl_id = decl_id
        with ctx.store.read_session() as s:
            decl = impl.approved_project(s, ctx.actor, decl_id)  # refuses what this office may not see
            self.setWindowTitle(self.tr("项目实施 — {0}").format(decl.number))
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.warning_box = QWidget(self)
        self.tabs = QTabWidget(self)
        self.tab_pages: list[RecordTab] = [
            TenderTab(ctx, decl_id, self), UndertakingTab(ctx, decl_id, self), WorkersTab(ctx, decl_id, self),
            DisbursementTab(ctx, decl_id, self), ProgressTab(ctx, decl_id, self),
        ]
        for tab in self.tab_pages:
            self.tabs.addTab(tab, tab.title)
            tab.saved.connect(self._saved)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = self.main_layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.warning_box)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        place_window(self, "project", QSize(900, 640), ctx.settings)
        self.reload()

    def reload(self) -> None:
        """Read the project's record again and show it in the header and every tab."""
        with self.ctx.store.read_session() as s:
            decl = impl.approved_project(s, self.ctx.actor, self.decl_id)
            record = project_record(s, decl, self.today, with_history=True)
        self.record: dict[str, Any] = record
        self.heading.setText(self.tr("{0}  {1}\n批准补助 {2} 元；实施周期 {3} 至 {4}；预计受益 {5} 人").format(
            record["number"], record["title"], record["granted"], record["period_start"], record["period_end"],
            record["expected_beneficiaries"] or "—"))
        box = QWidget(self)
        rows = QVBoxLayout(box)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(2)
        for w in record["warnings"] or [{"severity": None, "text": self.tr("没有预警")}]:
            row = QHBoxLayout()
            icon = QLabel(box)
            icon.setPixmap(severity_icon(w["severity"]).pixmap(16, 16))
            text = QLabel(w["text"], box)
            text.setWordWrap(True)
            row.addWidget(icon)
            row.addWidget(text, 1)
            rows.addLayout(row)
        self.main_layout.replaceWidget(self.warning_box, box)
        self.warning_box.deleteLater()
        self.warning_box = box
        for tab in self.tab_pages:
            tab.show_record(record)

    def _saved(self) -> None:
        self.reload()
        self.changed.emit()
