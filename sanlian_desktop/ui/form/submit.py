"""The confirmation before submitting; for a paper declaration (代录) it records the lower levels' opinions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.declarations.drafts import PaperOpinion
from sanlian_desktop.kernel.vocab import OPINION_BOX_LABELS, Level
from sanlian_desktop.ui.files import open_file
from sanlian_desktop.ui.widgets import date_edit


class PaperOpinionBox(QGroupBox):
    """Text, date and an optional scan of one level's opinion written on paper."""

    def __init__(self, level: Level, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("{0}（纸质意见代录）").format(OPINION_BOX_LABELS[level]), parent)
        self.level = level
        form = QFormLayout(self)
        self.text = QPlainTextEdit(self)
        self.text.setFixedHeight(70)
        self.text.setPlaceholderText(self.tr("照录纸质申报表上的意见，如：同意上报。"))
        # Empty until typed: the day signed on paper, never silently today.
        self.date = date_edit(self, latest=date.today(), optional=True)
        scan_row = QHBoxLayout()
        self.scan = QLineEdit(self)
        self.scan.setPlaceholderText(self.tr("可选：盖章页扫描件"))
        browse = QPushButton(self.tr("选择…"), self)
        browse.clicked.connect(self._choose)
        scan_row.addWidget(self.scan, 1)
        scan_row.addWidget(browse)
        form.addRow(self.tr("意见内容"), self.text)
        form.addRow(self.tr("签署日期"), self.date)
        form.addRow(self.tr("扫描件"), scan_row)

    def _choose(self) -> None:
        path = open_file(self, None, self.tr("选择扫描件"),
                         self.tr("图片或PDF (*.png *.jpg *.jpeg *.pdf);;所有文件 (*)"), kind="attachments")
        if path is not None:
            self.scan.setText(str(path))

    def opinion(self) -> PaperOpinion:
        scan = self.scan.text().strip()
        return PaperOpinion(text=self.text.toPlainText().strip(), decided_on=self.date.day(),
                            scan=Path(scan) if scan else None)

    def missing(self) -> str:
        """What is still to fill in, as a sentence; empty when the opinion is complete."""
        label = self.title()
        if not self.text.toPlainText().strip():
            return self.tr("请填写{0}的内容").format(label)
        if not self.date.typed_is_day():
            return self.tr("{0}的签署日期“{1}”不是有效日期（不能晚于今天）").format(label, self.date.typed_text())
        if self.date.day() is None:
            return self.tr("请填写{0}的签署日期").format(label)
        return ""


class SubmitDialog(QDialog):
    """“确定提交？” with the paper opinions a 代录 needs."""

    def __init__(self, number: str, title: str, paper_levels: list[Level], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("提交申报"))
        self.setMinimumWidth(520)
        col = QVBoxLayout(self)
        intro = QLabel(self.tr("提交后申报表将锁定，送上级审核。确定提交“{0}”（{1}）吗？").format(title, number), self)
        intro.setWordWrap(True)
        col.addWidget(intro)
        self.boxes = [PaperOpinionBox(level, self) for level in paper_levels]
        if self.boxes:
            note = QLabel(self.tr("这是代录的纸质申报，请照录下级在纸质申报表上签署的意见。"), self)
            note.setWordWrap(True)
            col.addWidget(note)
        for box in self.boxes:
            col.addWidget(box)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c5221f;")
        self.error.hide()
        col.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        self.ok = buttons.addButton(self.tr("提交"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)

    def _accept(self) -> None:
        missing = [m for m in (b.missing() for b in self.boxes) if m]
        if missing:
            self.error.setText(missing[0])
            self.error.show()
            return
        self.accept()

    def paper_opinions(self) -> dict[Level, PaperOpinion]:
        return {b.level: b.opinion() for b in self.boxes}
