"""Pieces of the review dialog: the opinions timeline and the table of changes between versions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QWidget,
)

from sanlian_desktop.declarations.fields import FieldChange
from sanlian_desktop.kernel.vocab import Decision, Level

DECISION_COLORS = {"approve": "#1e7e34", "reject": "#b3261e", "return": "#a05a00"}


class OpinionTimeline(QTextBrowser):
    """The opinions so far, oldest first: level, office, reviewer, date, decision, text, version."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)

    def set_opinions(self, opinions: list[dict[str, Any]]) -> None:
        if not opinions:
            self.setHtml(f"<p style='color:#777'>{self.tr('尚无审核意见')}</p>")
            return
        parts = []
        for o in opinions:
            color = DECISION_COLORS.get(o["decision"], "#333")
            paper = f" <span style='background:#eee;color:#555'>&nbsp;{self.tr('纸质代录')}&nbsp;</span>" \
                if o["from_paper"] else ""
            granted = self.tr("　批准补助 {0} 元").format(o["granted"]) if o.get("granted") else ""
            parts.append(
                "<div style='margin-bottom:10px'>"
                f"<b>{Level(o['level']).label}</b>　{_esc(o['office'])}　{_esc(o['reviewer'])}　{o['date']}"
                f"　<b style='color:{color}'>{Decision(o['decision']).label}</b>{paper}"
                f"　<span style='color:#777'>{self.tr('第 {0} 版').format(o['version'])}</span>{granted}"
                f"<br/>{_esc(o['opinion'])}</div>"
            )
        self.setHtml("".join(parts))


def _esc(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


class ChangesTable(QTableWidget):
    """Field, before and after, with the changed text highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels([self.tr("字段"), self.tr("修改前"), self.tr("修改后")])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.verticalHeader().hide()
        # Rows follow their wrapped text as the columns take their final widths.
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

    def set_changes(self, changes: list[FieldChange]) -> None:
        self.setRowCount(len(changes))
        before_bg, after_bg = QBrush(QColor("#fdecea")), QBrush(QColor("#e6f4ea"))
        for row, c in enumerate(changes):
            self.setItem(row, 0, QTableWidgetItem(c.label))
            old = QTableWidgetItem(c.before or self.tr("（空）"))
            old.setBackground(before_bg)
            new = QTableWidgetItem(c.after or self.tr("（空）"))
            new.setBackground(after_bg)
            self.setItem(row, 1, old)
            self.setItem(row, 2, new)
