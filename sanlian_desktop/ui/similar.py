"""Near-duplicate declarations where decisions are made: the "相似 92%" badge of the lists and the
review dialog's panel listing similar declarations with a side-by-side view of the shared passages."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.declarations import lookup
from sanlian_desktop.kernel.vocab import Role
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.screening import service
from sanlian_desktop.screening.records import MARKING_LEVELS
from sanlian_desktop.screening.text import Passage
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.jobs import JobFailure, JobRunner

BadgeRole = Qt.ItemDataRole.UserRole + 40  # the badge text a title cell carries ("相似 92%"), or None
BADGE_COLOUR = QColor("#c5221f")
SHARED_COLOUR = "#fde2e1"


def badge_text(score: int | None) -> str | None:
    return None if score is None else f"相似 {score}%"


class BadgeDelegate(QStyledItemDelegate):
    """Paints the cell as usual and, when it carries a badge, a red rounded label at its right end."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        badge = index.data(BadgeRole)
        if not badge:
            super().paint(painter, option, index)
            return
        metrics = option.fontMetrics
        width = metrics.horizontalAdvance(badge) + 12
        rect = QRect(option.rect)
        text_option = QStyleOptionViewItem(option)
        text_option.rect = QRect(rect.left(), rect.top(), max(0, rect.width() - width - 6), rect.height())
        super().paint(painter, text_option, index)
        badge_rect = QRect(rect.right() - width - 3, rect.top() + 4, width, rect.height() - 8)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BADGE_COLOUR)
        painter.drawRoundedRect(badge_rect, 4, 4)
        painter.setPen(QColor("white"))
        painter.drawText(badge_rect, int(Qt.AlignmentFlag.AlignCenter), badge)
        painter.restore()


def _passages_html(passages: list[Passage], shared: set[int]) -> str:
    parts: list[str] = []
    section = None
    for i, p in enumerate(passages):
        if p.section != section:
            section = p.section
            parts.append(f"<p style='margin-top:8px'><b>{html.escape(p.section)}</b></p>")
        text = html.escape(p.original)
        parts.append(f"<span style='background:{SHARED_COLOUR}'>{text}</span>" if i in shared else text)
    return "".join(parts)


class SimilarPanel(QWidget):
    """The declarations whose texts are like this one's, and the two texts side by side with the passages
    they share highlighted; a reviewer may mark a pair "已核实，不是抄袭" with a reason."""

    changed = Signal()  # after a pair was cleared

    def __init__(self, store: Store, decl_id: str, parent: QWidget | None = None, *, actor: Actor | None = None,
                 jobs: JobRunner | None = None) -> None:
        super().__init__(parent)
        self.store, self.decl_id, self.actor, self.jobs = store, decl_id, actor, jobs
        self._load()
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self._summarise()
        self.table = QTableWidget(0, 7, self)
        self.table.setHorizontalHeaderLabels([self.tr("相似度"), self.tr("编号"), self.tr("社区"), self.tr("项目名称"),
                                              self.tr("状态"), self.tr("批次"), self.tr("核实")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self._fill()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.reason = QLineEdit(self)
        self.reason.setMaxLength(service.MAX_REASON)
        self.reason.setPlaceholderText(self.tr("核实的理由，例如：两个社区由同一街道统一撰写，服务内容不同（记入审计日志）"))
        self.clear_button = QPushButton(self.tr("已核实，不是抄袭"), self)
        self.clear_button.clicked.connect(self.clear_selected)
        self.message = QLabel(self)
        self.message.setStyleSheet("color: #c5221f;")
        clear_row = QHBoxLayout()
        clear_row.addWidget(self.reason, 1)
        clear_row.addWidget(self.clear_button)
        # A street office's reviewer does not mark: the mark travels up, and only a county, city or province signs it.
        may_clear = (actor is not None and actor.role is Role.REVIEWER and actor.office_level in MARKING_LEVELS
                     and jobs is not None)
        self.left = QTextBrowser(self)
        self.right = QTextBrowser(self)
        self.left_title = QLabel(self.tr("本申报"), self)
        self.right_title = QLabel(self)
        sides = QSplitter(Qt.Orientation.Horizontal, self)
        for title, browser in ((self.left_title, self.left), (self.right_title, self.right)):
            box = QWidget(sides)
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(title)
            column.addWidget(browser, 1)
            sides.addWidget(box)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(sides)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([110, 400])  # a few rows of the list; the texts get the room
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        self.clear_box = QWidget(self)
        self.clear_box.setLayout(clear_row)
        layout.addWidget(self.clear_box)
        layout.addWidget(self.message)
        self.clear_box.setVisible(may_clear and bool(self.similar))
        sides.setVisible(bool(self.similar))
        self.table.setVisible(bool(self.similar))
        self.table.itemSelectionChanged.connect(self._show_selected)
        if self.similar:
            self.table.selectRow(0)

    def _load(self) -> None:
        with self.store.read_session() as s:
            self.threshold = service.threshold(s)
            self.similar = service.similar_to(s, self.decl_id)

    def _summarise(self) -> None:
        if self.similar:
            self.summary.setText(self.tr(
                "以下 {0} 份申报的社区概况、需求分析、服务内容与实施计划、效果预估与本申报高度相似（相似度 ≥ {1}%，"
                "已忽略社区名称、数字和日期）。选中一份可对照查看，相同的段落以红底标出。").format(
                len(self.similar), self.threshold))
            self.summary.setStyleSheet("color: #a05a00; font-weight: bold;")
        else:
            self.summary.setText(self.tr("没有发现与本申报文字高度相似的申报（相似度 ≥ {0}%）。").format(self.threshold))

    def _fill(self) -> None:
        self.table.setRowCount(len(self.similar))
        for row, item in enumerate(self.similar):
            checked = self.tr("已核实，不是抄袭：{0}（{1}）").format(item.cleared, item.cleared_by) if item.cleared else ""
            for col, value in enumerate((f"{item.score}%", item.number, item.community, item.title,
                                         item.status_label, item.batch, checked)):
                cell = QTableWidgetItem(value)
                if col == 6 and item.cleared:
                    cell.setToolTip(self.tr("标记人：{0}\n理由：{1}").format(item.cleared_by, item.cleared))
                self.table.setItem(row, col, cell)
        self.table.resizeColumnsToContents()

    def best_score(self) -> int | None:
        """The highest score of a pair not yet cleared."""
        open_ = [s.score for s in self.similar if not s.cleared]
        return max(open_) if open_ else None

    def selected(self) -> service.Similar | None:
        rows = self.table.selectionModel().selectedRows()
        return self.similar[rows[0].row()] if rows else None

    def clear_selected(self) -> bool:
        """Mark the selected pair "已核实，不是抄袭" with the typed reason (on the job runner); True when the
        write was started."""
        other = self.selected()
        if other is None or other.cleared or self.actor is None or self.jobs is None:
            return False
        store, actor, decl_id, reason = self.store, self.actor, self.decl_id, self.reason.text()

        def write() -> None:
            with store.session() as s:
                service.clear(s, actor, lookup.visible(s, actor, decl_id),
                              lookup.visible(s, actor, other.declaration_id), reason)

        started = self.jobs.write(self, self.tr("核实相似申报"), write, on_success=self._cleared,
                                  on_failure=self._refused) is not None
        if started:
            self.clear_button.setEnabled(False)  # until the write is done (a second click starts nothing)
        return started

    def _refused(self, failure: JobFailure) -> None:
        self.message.setText(failure.message())
        self._show_selected()

    def _cleared(self, _result: object) -> None:
        self.message.clear()
        self.reason.clear()
        self._load()
        self._fill()
        self._summarise()
        if self.similar:
            self.table.selectRow(0)
        self.changed.emit()

    def _show_selected(self) -> None:
        other = self.selected()
        self.clear_button.setEnabled(other is not None and not other.cleared)
        if other is None:
            return
        with self.store.read_session() as s:
            view = service.side_by_side(s, self.decl_id, other.declaration_id)
        self.right_title.setText(self.tr("{0}　{1}　{2}（{3}）").format(other.number, other.community,
                                                                      other.status_label, f"相似 {other.score}%"))
        self.left.setHtml(_passages_html(view.left, view.shared_left))
        self.right.setHtml(_passages_html(view.right, view.shared_right))


def tab_title(panel: SimilarPanel) -> str:
    """The review dialog's tab: how many, the highest score not yet cleared."""
    best = panel.best_score()
    if not panel.similar:
        return panel.tr("相似申报")
    if best is None:
        return panel.tr("相似申报（{0} 份，均已核实）").format(len(panel.similar))
    return panel.tr("相似申报（{0} 份，最高 {1}%）").format(len(panel.similar), best)
