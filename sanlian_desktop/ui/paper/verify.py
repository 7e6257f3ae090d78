"""核对纸质件: a QR code's text typed or scanned (scanners type it and press Enter) → does the paper match?"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from sanlian_desktop.declarations import paper
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.ui.context import UiContext

GOOD_STYLE = "color: #1e7b34; font-weight: bold;"
OLDER_STYLE = "color: #8a5a00; font-weight: bold;"
BAD_STYLE = "color: #b3261e; font-weight: bold;"


class VerifyBox(QWidget):
    """The code field, the verdict in colour and the fields changed since the printed version."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._rows: list[tuple[str, str, str]] = []
        self.code = QLineEdit(self)
        self.code.setPlaceholderText(self.tr("把光标放在这里，用扫码枪扫描纸质件右上角的二维码，或手工输入后按回车"))
        self.code.setClearButtonEnabled(True)
        self.check_button = QPushButton(self.tr("核对"), self)
        self.verdict = QLabel(self)
        self.verdict.setWordWrap(True)
        # Rich text rather than a table: the changed texts are long and must wrap.
        self.changes = QTextBrowser(self)
        self.changes.setOpenLinks(False)
        self.changes.hide()
        row = QHBoxLayout()
        row.addWidget(self.code, 1)
        row.addWidget(self.check_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.verdict)
        layout.addWidget(self.changes, 1)
        self.code.returnPressed.connect(self.verify)
        self.check_button.clicked.connect(self.verify)

    def verify(self) -> None:
        """Check the code in the field (one quick read); the text stays selected for the next scan."""
        text = self.code.text().strip()
        if not text:
            return
        try:
            with self.ctx.store.read_session() as s:
                check = paper.verify_print(s, self.ctx.actor, text)
        except UserError as exc:
            self._show(exc.zh, BAD_STYLE, [])
        else:
            style = GOOD_STYLE if check.is_current else OLDER_STYLE if check.matches_record else BAD_STYLE
            self._show(check.sentence(), style, [(c.label, str(c.before), str(c.after)) for c in check.changes])
        self.code.selectAll()
        self.code.setFocus()

    def _show(self, sentence: str, style: str, changes: list[tuple[str, str, str]]) -> None:
        self.verdict.setText(sentence)
        self.verdict.setStyleSheet(style)
        self._rows = changes
        head = "".join(f"<th align='left'>{escape(h)}</th>"
                       for h in (self.tr("改动的项目"), self.tr("纸质件上"), self.tr("当前记录")))
        body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>" for cells in changes)
        self.changes.setHtml(f"<table width='100%' border='1' cellspacing='0' cellpadding='4'"
                             f" style='border-color:#bbb'><tr style='background:#eee'>{head}</tr>{body}</table>")
        self.changes.setVisible(bool(changes))

    def change_rows(self) -> list[tuple[str, str, str]]:
        """The changes as shown (label, on paper, now)."""
        return list(self._rows)
