"""Above the form: the latest opinion of each level, and the list of problems whose lines lead to the field."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QTextDocumentFragment
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from sanlian_desktop.kernel.errors import FieldError
from sanlian_desktop.kernel.vocab import Decision, Level
from sanlian_desktop.ui.widgets import local_time

DECISION_COLORS = {"approve": "#1e7e34", "reject": "#b3261e", "return": "#a05a00"}
SUMMARY_LINES = 12


def latest_by_level(opinions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest opinion of each level (``lookup.as_dict``'s ``opinions``), lowest level first."""
    latest: dict[str, dict[str, Any]] = {}
    for o in sorted(opinions, key=lambda o: str(o.get("at") or "")):
        latest[o["level"]] = o
    return sorted(latest.values(), key=lambda o: -Level(o["level"]).rank)


class OpinionsHeader(QFrame):
    """Who decided what and when, one line per level (street, county, city, province): a returned
    declaration shows why, above the fields and outside their scroll area, so it stays in view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("opinions")
        self.setStyleSheet("QFrame#opinions { background: #fff8e1; border: 1px solid #f0d48a; }")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 6, 8, 6)
        col.addWidget(self.label)
        self.shown: list[dict[str, Any]] = []
        self.hide()

    def set_opinions(self, opinions: list[dict[str, Any]]) -> None:
        """Show the latest opinion of each level; hidden when there is none."""
        self.shown = latest_by_level(opinions)
        lines = [self._line(o) for o in self.shown]
        title = self.tr("各级审核意见（最新）")
        self.label.setText(f"<b>{title}</b><br/>" + "<br/>".join(lines))
        self.setVisible(bool(lines))

    def _line(self, o: dict[str, Any]) -> str:
        decision = Decision(o["decision"])
        color = DECISION_COLORS.get(decision.value, "#333")
        if o.get("from_paper"):
            when = self.tr("签署于 {0}").format(o["date"])  # the reviewer's name says 纸质意见代录
        else:
            when = local_time(o["at"]) if o.get("at") else o["date"]
        who = "　".join(escape(str(x)) for x in (o.get("office"), o.get("reviewer")) if x)
        text = escape(str(o.get("opinion") or "")).replace("\n", "<br/>")
        return (f"<b>{Level(o['level']).label}</b>　{who}　{escape(when)}　"
                f"<b style='color:{color}'>{decision.label}</b>"
                + (f"：{text}" if text else "")
                + "　<span style='color:#777'>" + self.tr("（第 {0} 版）").format(o["version"]) + "</span>")

    def text(self) -> str:
        """The text shown, without markup (empty when there is no opinion)."""
        return QTextDocumentFragment.fromHtml(self.label.text()).toPlainText() if self.shown else ""


class ProblemLine(QLabel):
    """One problem of the banner; a click (or Enter/Space once focused) leads to its field."""

    activated = Signal(str)  # the FieldError's path

    def __init__(self, error: FieldError, parent: QWidget | None = None) -> None:
        super().__init__(f"· {error.line()}", parent)
        self.path = error.field
        self.setWordWrap(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setToolTip(self.tr("点击转到该项"))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.activated.emit(self.path)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.path)
            return
        super().keyPressEvent(event)


class ProblemBanner(QFrame):
    """“请先修改以下 N 处问题”: a line per problem (the first twelve), each leading to its field."""

    field_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summary")
        self.heading = QLabel(self)
        self.heading.setObjectName("summaryHeading")
        self.more = QLabel(self)
        self._col = QVBoxLayout(self)
        self._col.setContentsMargins(6, 6, 6, 6)
        self._col.setSpacing(2)
        self._col.addWidget(self.heading)
        self._col.addWidget(self.more)
        self.lines: list[ProblemLine] = []
        self.errors: list[FieldError] = []
        self.hide()

    def set_errors(self, errors: list[FieldError]) -> None:
        """Show ``errors`` (hidden when there are none)."""
        self.errors = list(errors)
        for line in self.lines:
            line.setParent(None)
            line.deleteLater()
        self.lines = []
        heading = self.tr("请先修改以下 {0} 处问题（点击一项转到该处）：")
        self.heading.setText(heading.format(len(errors)))
        for n, e in enumerate(errors[:SUMMARY_LINES]):
            line = ProblemLine(e, self)
            line.activated.connect(self.field_chosen)
            self._col.insertWidget(1 + n, line)
            self.lines.append(line)
        extra = len(errors) - SUMMARY_LINES
        self.more.setText(self.tr("……另有 {0} 处").format(extra) if extra > 0 else "")
        self.more.setVisible(extra > 0)
        self.setVisible(bool(errors))

    def text(self) -> str:
        """The banner as plain lines (empty while hidden)."""
        if not self.errors:
            return ""
        parts = [self.heading.text()] + [line.text() for line in self.lines]
        return "\n".join(parts + ([self.more.text()] if self.more.text() else []))
