"""从扫描件读取: the clerk checks what OCR read from a paper form before it fills a new draft.

The scan is shown beside the fields; each field has the crop it was read from next to the value, and
fields read with low confidence (or breaking a rule of the form) are highlighted. Nothing is saved
here: accepting only fills the (unsaved) form.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.declarations.fields import label as field_label
from sanlian_desktop.paperread import FieldReading, Proposal

LOW_COLOUR = QColor("#ffe0b2")
CROP_HEIGHT = 36


def to_pixmap(image: Any) -> QPixmap:
    """A PIL RGB image as a QPixmap (copied: the buffer is not kept)."""
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    qimage = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimage.copy())


def _label(path: str) -> str:
    if path.startswith("funding_sources["):
        index = int(path.split("[", 1)[1].split("]", 1)[0])
        part = "来源" if path.endswith(".source") else "金额"
        return f"资金来源 {index + 1}（{part}）"
    return field_label(path)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "城市社区" if value else "农村社区"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


class ScanReviewDialog(QDialog):
    """The scan on the left, the fields read from it on the right; 填入申报表 fills the form."""

    def __init__(self, proposal: Proposal, file_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proposal = proposal
        self.setWindowTitle(self.tr("从扫描件读取：{0}").format(file_name))
        low = sum(1 for r in proposal.readings if r.low)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setText(self.tr(
            "共识别 {0} 项，其中 {1} 项可信度低或不符合填写要求（橙色标出），请对照扫描件逐项核对。"
            "点击“填入申报表”后内容填入新的申报表，保存前仍可修改；扫描件将作为附件（扫描件）保存。"
        ).format(len(proposal.readings), low))
        self.page_views: list[QLabel] = []
        pages = QWidget(self)
        pages_col = QVBoxLayout(pages)
        for image in proposal.pages:
            view = QLabel(pages)
            view.setPixmap(to_pixmap(image).scaledToWidth(560, Qt.TransformationMode.SmoothTransformation))
            pages_col.addWidget(view)
            self.page_views.append(view)
        scroll = QScrollArea(self)
        scroll.setWidget(pages)
        self.table = QTableWidget(len(proposal.readings), 4, self)
        self.table.setHorizontalHeaderLabels([self.tr("字段"), self.tr("扫描件"), self.tr("识别结果"),
                                              self.tr("可信度")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        for row, reading in enumerate(proposal.readings):
            self._fill_row(row, reading)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        split = QSplitter(self)
        split.addWidget(scroll)
        split.addWidget(self.table)
        split.setSizes([600, 700])
        buttons = QDialogButtonBox(self)
        self.fill_button = buttons.addButton(self.tr("填入申报表"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addWidget(self.summary)
        col.addWidget(split, 1)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(buttons)
        col.addLayout(bar)
        self.resize(1300, 800)

    def _fill_row(self, row: int, reading: FieldReading) -> None:
        items = [QTableWidgetItem(_label(reading.path)), QTableWidgetItem(),
                 QTableWidgetItem(_shown(reading.value)),
                 QTableWidgetItem(f"{reading.confidence:.0%}" + (f" · {reading.problem}" if reading.problem else ""))]
        if reading.box is not None and reading.page < len(self.proposal.pages):
            crop = self.proposal.pages[reading.page].crop(reading.box)
            pixmap = to_pixmap(crop)
            if pixmap.height() > CROP_HEIGHT:
                pixmap = pixmap.scaledToHeight(CROP_HEIGHT, Qt.TransformationMode.SmoothTransformation)
            cell = QLabel(self.table)
            cell.setPixmap(pixmap)
            cell.setToolTip(reading.text)
            self.table.setCellWidget(row, 1, cell)
        for column, item in enumerate(items):
            item.setToolTip(reading.problem or reading.text)
            if reading.low:
                item.setBackground(QBrush(LOW_COLOUR))
            self.table.setItem(row, column, item)

    def is_highlighted(self, path: str) -> bool:
        """Whether the row of ``path`` is marked as needing a look (for tests)."""
        for row, reading in enumerate(self.proposal.readings):
            if reading.path == path:
                item = self.table.item(row, 0)
                return item is not None and item.background().color() == LOW_COLOUR
        raise KeyError(path)
