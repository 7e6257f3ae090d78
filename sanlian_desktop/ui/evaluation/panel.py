"""A project's third-party evaluation, read-only: who evaluates it, the follow-up visits, the evaluations."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.evaluation import service as evaluation
from sanlian_desktop.models import Declaration
from sanlian_desktop.store.attachments import blob_path
from sanlian_desktop.store.engine import Store


def _table(parent: QWidget, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)
    table.resizeRowsToContents()


class EvaluationPanel(QWidget):
    """Shows :func:`evaluation.history` of one declaration; nothing here can be changed."""

    def __init__(self, store: Store, decl_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.decl_id = store, decl_id
        self.assignment = QLabel(self)
        self.assignment.setWordWrap(True)
        self.visits_title = QLabel(self)
        self.visits = _table(self, [self.tr("回访日期"), self.tr("回访人员"), self.tr("回访发现")])
        self.visits.setColumnWidth(0, 100)
        self.visits.setColumnWidth(1, 160)
        self.evaluations_title = QLabel(self)
        headers = [self.tr("评估日期"), self.tr("总分"), self.tr("等级"), self.tr("各指标得分"), self.tr("评估报告")]
        self.evaluations = _table(self, headers)
        for col, width in enumerate((100, 80, 50, 420)):
            self.evaluations.setColumnWidth(col, width)
        self.open_report = QPushButton(self.tr("打开评估报告"), self)
        self.open_report.clicked.connect(self.open_selected_report)
        self.note = QLabel(self.tr("以上记录由第三方评估机构签名报送，各级单位只能查看，不能修改。"), self)
        self.note.setStyleSheet("color: #555;")
        bar = QHBoxLayout()
        bar.addWidget(self.note, 1)
        bar.addWidget(self.open_report)
        column = QVBoxLayout(self)
        column.addWidget(self.assignment)
        column.addWidget(self.visits_title)
        column.addWidget(self.visits, 1)
        column.addWidget(self.evaluations_title)
        column.addWidget(self.evaluations, 1)
        column.addLayout(bar)
        self.data: dict[str, Any] = {}
        self.refresh()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.visits.resizeRowsToContents()  # the wrapped findings fit the columns as laid out
        self.evaluations.resizeRowsToContents()

    def refresh(self) -> None:
        with self.store.read_session() as s:
            decl = s.get(Declaration, self.decl_id)
            self.data = evaluation.history(s, decl) if decl is not None else {"assignment": None, "visits": [],
                                                                                 "evaluations": [], "withdrawals": []}
        a = self.data["assignment"]
        withdrawals = self.data.get("withdrawals", [])
        if a is None:
            lines = [self.tr("本项目目前没有指派第三方评估机构。") if withdrawals
                     else self.tr("本项目尚未指派第三方评估机构。")]
        else:
            note = self.tr("；{0}").format(a["note"]) if a["note"] else ""
            lines = [self.tr("评估机构：{0}（{1}），{2} 由省民政厅指派{3}").format(
                a["evaluator_name"], a["evaluator"], a["assigned_on"], note)]
        lines += [self.tr("已撤回：{0} 对 {1}（{2}）的指派，{3} 由省民政厅撤回，理由：{4}").format(
            w["assigned_on"], w["evaluator_name"], w["evaluator"], w["withdrawn_on"], w["reason"]) for w in withdrawals]
        self.assignment.setText("\n".join(lines))
        self.visits_title.setText(self.tr("跟踪回访（{0} 次）").format(len(self.data["visits"])))
        _fill(self.visits, [[v["date"], v["who"], v["findings"]] for v in self.data["visits"]])
        self.evaluations_title.setText(self.tr("成效评估（{0} 份）").format(len(self.data["evaluations"])))
        rows = []
        for e in self.data["evaluations"]:
            scores = "，".join(f"{x['name']} {x['points']}/{x['max']}" for x in e["scores"])
            grade = e["grade"] + (self.tr("（{0}）").format(e["grade_reason"]) if e["grade_reason"] else "")
            rows.append([e["date"], f"{e['total']}/{e['max_total']}", grade, scores, e["report"]["name"]])
        _fill(self.evaluations, rows)
        if rows:
            self.evaluations.selectRow(len(rows) - 1)
        self.open_report.setEnabled(bool(rows))

    def has_anything(self) -> bool:
        return bool(self.data["assignment"] or self.data["visits"] or self.data["evaluations"]
                    or self.data.get("withdrawals"))

    def open_selected_report(self) -> None:
        row = self.evaluations.currentRow()
        if not 0 <= row < len(self.data["evaluations"]):
            return
        sha = self.data["evaluations"][row]["report"]["sha256"]
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(blob_path(self.store.paths, sha))))


def evaluation_tab_title(panel: EvaluationPanel) -> str:
    n = len(panel.data["visits"]) + len(panel.data["evaluations"])
    return panel.tr("第三方评估（{0}）").format(n)

