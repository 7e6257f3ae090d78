"""The 评估 page: projects under third-party evaluation, with the visit and evaluation dialogs at the evaluator."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import listing
from sanlian_desktop.evaluation import service as evaluation
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import (
    Declaration,
    EffectEvaluation,
    EvaluationAssignment,
    EvaluationWithdrawal,
    FollowUpVisit,
    Region,
)
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import show_error
from sanlian_desktop.ui.empty import EmptyHint
from sanlian_desktop.ui.geometry import place_window

HEADERS = ["编号", "项目名称", "社区", "指派日期", "评估机构", "回访", "最近评估"]


class EvaluationPage(QWidget):
    """At an evaluator: the projects assigned to it; elsewhere: the evaluated projects in the jurisdiction."""

    title = "评估"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.at_evaluator = ctx.actor.office_level is Level.EVALUATOR
        self.ids: list[str] = []
        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.hint = QLabel(self)
        self.hint.setStyleSheet("color: #555;")
        self.hint.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels([self.tr(h) for h in HEADERS])
        if self.at_evaluator:
            empty = self.tr("还没有指派给本机构的项目。省民政厅的指派随数据包到达：请在“同步”页导入收到的数据包。")
        elif ctx.actor.office_level is Level.PROVINCE:
            empty = self.tr("还没有第三方评估。选中已批准实施的项目后点击“指派评估机构…”；"
                            "评估机构先要在“设置 → 证书”中取得本厅签发的证书。")
        else:
            empty = self.tr("本辖区还没有第三方评估。评估由省民政厅指派，回访和评估结果随数据包下发：请在“同步”页导入。")
        self.empty = EmptyHint(self.table, empty)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 150), (2, 200), (3, 100), (4, 200), (5, 60), (6, 110)):
            self.table.setColumnWidth(col, width)
        self.table.doubleClicked.connect(lambda _i: self.show_details())
        self.details_button = QPushButton(self.tr("查看评估记录"), self)
        self.details_button.clicked.connect(self.show_details)
        self.visit_button = QPushButton(self.tr("跟踪回访…"), self)
        self.visit_button.clicked.connect(self.add_visit)
        self.score_button = QPushButton(self.tr("成效评估…"), self)
        self.score_button.clicked.connect(self.add_evaluation)
        for b in (self.visit_button, self.score_button):
            b.setVisible(self.at_evaluator)
        self.assign_button = QPushButton(self.tr("指派评估机构…"), self)
        self.assign_button.clicked.connect(self.assign)
        self.assign_button.setVisible(ctx.actor.office_level is Level.PROVINCE)
        self.withdraw_button = QPushButton(self.tr("撤回指派…"), self)
        self.withdraw_button.setToolTip(self.tr("指派有误或项目终止时撤回；评估机构已报送成效评估的不能撤回"))
        self.withdraw_button.clicked.connect(self.withdraw)
        self.withdraw_button.setVisible(ctx.actor.office_level is Level.PROVINCE)
        bar = QHBoxLayout()
        bar.addWidget(self.hint, 1)
        for b in (self.assign_button, self.withdraw_button, self.details_button, self.visit_button,
                  self.score_button):
            bar.addWidget(b)
        column = QVBoxLayout(self)
        column.addWidget(self.heading)
        column.addLayout(bar)
        column.addWidget(self.table, 1)
        self.dialog: QDialog | None = None
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.refresh()

    def refresh(self) -> None:
        actor = self.ctx.actor
        rows: list[list[str]] = []
        self.ids = []
        with self.ctx.store.read_session() as s:
            for d, a, community, visits, last in _assigned_rows(s, evaluation.assigned_query(actor)):
                self.ids.append(d.id)
                rows.append([d.number, d.title, community,
                             a.assigned_on.isoformat(), a.evaluator_name,
                             str(visits), f"{last.total} 分 {last.grade}" if last else self.tr("未评估")])
            withdrawn = self._withdrawn(s) if self.at_evaluator else ""
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        if self.at_evaluator:
            self.heading.setText(self.tr("指派给本机构的项目（{0} 个）").format(len(rows)))
            hint = self.tr("项目由省民政厅指派并随同步包送达，本机构只能查看申报内容；"
                           "跟踪回访和成效评估在下次同步时报送省民政厅。")
            self.hint.setText(f"{hint}\n{withdrawn}" if withdrawn else hint)
        else:
            self.heading.setText(self.tr("第三方评估的项目（{0} 个）").format(len(rows)))
            self.hint.setText(self.tr("评估记录由第三方评估机构报送省民政厅后逐级下发，只能查看。"))
        if rows and not self.table.selectedItems():
            self.table.selectRow(0)
        self._selection_changed()

    def _withdrawn(self, s: Session) -> str:
        """At the evaluator: the projects whose assignment to it the province withdrew (and did not give
        it again), latest first, as ``N 个项目的指派：编号（理由）；…``; empty when there are none."""
        me = self.ctx.actor.office_code
        rows = s.execute(select(EvaluationWithdrawal, Declaration.number).outerjoin(
            Declaration, Declaration.id == EvaluationWithdrawal.declaration_id).where(
            EvaluationWithdrawal.evaluator_code == me,
            EvaluationWithdrawal.declaration_id.not_in(select(EvaluationAssignment.declaration_id).where(
                EvaluationAssignment.evaluator_code == me)))
            .order_by(EvaluationWithdrawal.at.desc())).all()
        latest: dict[str, str] = {}
        for w, number in rows:
            latest.setdefault(w.declaration_id, self.tr("{0}（{1}）").format(number or w.declaration_id[:8], w.reason))
        if not latest:
            return ""
        shown = list(latest.values())[:3]
        more = self.tr("等") if len(latest) > 3 else ""
        return self.tr("省民政厅已撤回 {0} 个项目的指派：{1}{2}").format(len(latest), "；".join(shown), more)

    def selected_id(self) -> str | None:
        row = self.table.currentRow()
        return self.ids[row] if 0 <= row < len(self.ids) and self.table.selectedItems() else None

    def _selection_changed(self) -> None:
        chosen = self.selected_id() is not None
        for b in (self.details_button, self.visit_button, self.score_button, self.withdraw_button):
            b.setEnabled(chosen)

    def _open(self, dialog: QDialog) -> QDialog:
        self.dialog = dialog
        saved = getattr(dialog, "saved", None)
        if saved is not None:
            saved.connect(lambda _id: self.refresh())
        dialog.show()
        return dialog

    def show_details(self) -> QDialog | None:
        decl_id = self.selected_id()
        if decl_id is None:
            return None
        from sanlian_desktop.ui.evaluation.panel import EvaluationPanel

        dialog = QDialog(self)
        dialog.setWindowTitle(self.tr("第三方评估记录"))
        layout = QVBoxLayout(dialog)
        layout.addWidget(EvaluationPanel(self.ctx.store, decl_id, dialog))
        place_window(dialog, "evaluation_panel", QSize(900, 600), self.ctx.settings)
        return self._open(dialog)

    def add_visit(self) -> QDialog | None:
        from sanlian_desktop.ui.evaluation.dialogs import VisitDialog

        return self._open_editor(VisitDialog)

    def add_evaluation(self) -> QDialog | None:
        from sanlian_desktop.ui.evaluation.dialogs import ScoreDialog

        return self._open_editor(ScoreDialog)

    def assign(self) -> QDialog:
        from sanlian_desktop.ui.evaluation.dialogs import AssignDialog

        return self._open(AssignDialog(self.ctx.store, self.ctx.actor, self, jobs=self.ctx.jobs))

    def withdraw(self) -> QDialog | None:
        from sanlian_desktop.ui.evaluation.dialogs import WithdrawDialog

        return self._open_editor(WithdrawDialog)

    def _open_editor(self, kind: type) -> QDialog | None:
        decl_id = self.selected_id()
        if decl_id is None:
            return None
        try:
            dialog = kind(self.ctx.store, self.ctx.actor, decl_id, self, jobs=self.ctx.jobs)
        except UserError as exc:
            show_error(self, exc)
            return None
        return self._open(dialog)


def _assigned_rows(s: Session, assigned: Select[Any]) -> list[
        tuple[Declaration, EvaluationAssignment, str, int, EffectEvaluation | None]]:
    """Each assigned project with its assignment, its community's label, its number of visits and its
    latest evaluation, in a constant few queries however many rows there are (the regions are loaded
    first and held, so ``listing.community_label`` finds them in the session without a query)."""
    visits = (select(func.count()).where(FollowUpVisit.declaration_id == Declaration.id)
              .correlate(Declaration).scalar_subquery())
    rows = s.execute(assigned.add_columns(EvaluationAssignment, visits)).all()
    ids = assigned.with_only_columns(Declaration.id).order_by(None)
    latest: dict[str, EffectEvaluation] = {}
    for e in s.scalars(select(EffectEvaluation).where(EffectEvaluation.declaration_id.in_(ids))
                       .order_by(EffectEvaluation.evaluated_on.desc(), EffectEvaluation.at.desc())):
        latest.setdefault(e.declaration_id, e)
    communities = list(s.scalars(select(Region).where(
        Region.code.in_(assigned.with_only_columns(Declaration.community_code).order_by(None)))))
    parents = {c.parent_code for c in communities if c.parent_code}
    streets = list(s.scalars(select(Region).where(Region.code.in_(parents)))) if parents else []
    labels = {code: listing.community_label(s, code) for code in {d.community_code for d, _a, _n in rows}}
    del communities, streets  # held until the labels are made
    return [(d, a, labels[d.community_code], int(n or 0), latest.get(d.id)) for d, a, n in rows]
