"""A refusal shown inside a dialog: the service's Chinese sentence, with details to copy (never a traceback
for a refusal; only an unexpected fault carries one, folded away)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.transport.package import peek_header
from sanlian_desktop.ui.jobs import JobFailure
from sanlian_desktop.ui.widgets import ERROR_STYLE


def _tr(text: str) -> str:
    return QCoreApplication.translate("ProblemBox", text)


def package_details(path: Path, failure: JobFailure) -> str:
    """What to copy for support: the file, what its header claims, and the technical reason."""
    lines = [_tr("文件：{0}").format(path)]
    with contextlib.suppress(OSError):
        lines.append(_tr("大小：{0} 字节").format(path.stat().st_size))
    try:
        header = peek_header(path)
        lines += [_tr("发件单位（未核实）：{0}（{1}）").format(header.sender_name, header.sender_code),
                  _tr("收件单位（未核实）：{0}（{1}）").format(header.recipient_name, header.recipient_code),
                  _tr("数据包编号：{0}").format(header.package_id),
                  _tr("生成时间：{0}").format(header.created.isoformat())]
    except UserError as exc:
        lines.append(_tr("文件头无法读取：{0}").format(exc.en or exc.zh))
    except Exception as exc:  # the details must never fail to show
        lines.append(_tr("文件头无法读取：{0}").format(exc))
    if isinstance(failure.error, UserError):
        lines.append(_tr("原因：{0}").format(failure.error.line()))
    else:
        lines += ["", failure.details]
    return "\n".join(lines)


class ProblemBox(QWidget):
    """Hidden until :meth:`show_problem`; a red sentence, 复制详情 and 显示详情."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.message = QLabel(self)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.copy_button = QPushButton(self.tr("复制详情"), self)
        self.toggle_button = QPushButton(self.tr("显示详情"), self)
        row.addWidget(self.copy_button)
        row.addWidget(self.toggle_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setMinimumHeight(120)
        self.details.hide()
        layout.addWidget(self.details)
        self.copy_button.clicked.connect(self.copy_details)
        self.toggle_button.clicked.connect(self._toggle)
        self.hide()

    def show_problem(self, message: str, details: str) -> None:
        self.message.setText(message)
        self.details.setPlainText(details)
        self.copy_button.setText(self.tr("复制详情"))
        self.show()

    def clear(self) -> None:
        self.hide()
        self.message.clear()
        self.details.clear()

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(f"{self.message.text()}\n\n{self.details.toPlainText()}")
        self.copy_button.setText(self.tr("已复制"))

    def _toggle(self) -> None:
        shown = not self.details.isVisible()
        self.details.setVisible(shown)
        self.toggle_button.setText(self.tr("隐藏详情") if shown else self.tr("显示详情"))
