"""Attachments of a declaration: a list with names, a preview for images, adding by button or drop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

from sanlian_desktop.store.attachments import KINDS, blob_path
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.files import open_files

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
PathRole = Qt.ItemDataRole.UserRole + 1


class AttachmentPanel(QWidget):
    """Shows stored attachments and files waiting to be attached; emits ``files_added`` on drops."""

    files_added = Signal(list)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setAcceptDrops(True)
        self.list = QListWidget(self)
        self.list.setMinimumHeight(110)
        self.preview = QLabel(self.tr("选择图片可预览"), self)
        self.preview.setFixedSize(200, 150)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("border: 1px solid #ccc; color: #888;")
        self.add_button = QPushButton(self.tr("添加附件…"), self)
        self.hint = QLabel(self.tr("也可以把文件拖到这里"), self)
        self.hint.setStyleSheet("color: #777;")
        left = QVBoxLayout()
        left.addWidget(self.list)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.hint, 1)
        left.addLayout(buttons)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(left, 1)
        row.addWidget(self.preview)
        self.add_button.clicked.connect(self._choose)
        self.list.currentItemChanged.connect(lambda cur, _prev: self._show(cur.data(PathRole) if cur else None))

    def load(self, items: list[dict[str, Any]], pending: list[Path] | None = None) -> None:
        """Stored attachments (as ``declarations.as_dict`` lists them) and not-yet-saved files."""
        self.list.clear()
        for a in items:
            kind = KINDS.get(a.get("kind", "other"), "")
            self._add_item(f"{a['name']}（{kind}）", blob_path(self.store.paths, a["sha256"]), a["name"])
        for p in pending or []:
            self._add_item(self.tr("{0}（待保存）").format(p.name), p, p.name)

    def _add_item(self, text: str, path: Path, name: str) -> None:
        self.list.addItem(text)
        item = self.list.item(self.list.count() - 1)
        item.setData(PathRole, str(path))
        item.setToolTip(name)

    def _show(self, path: str | None) -> None:
        if path and Path(path).suffix.lower() in IMAGE_SUFFIXES | {""}:
            pix = QPixmap(path)
            if not pix.isNull():
                self.preview.setPixmap(pix.scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.SmoothTransformation))
                return
        self.preview.setPixmap(QPixmap())
        self.preview.setText(self.tr("无预览"))

    def _choose(self) -> None:
        files = open_files(self, None, self.tr("选择附件"),
                           self.tr("所有文件 (*);;图片 (*.png *.jpg *.jpeg);;PDF (*.pdf)"), kind="attachments")
        if files:
            self.files_added.emit(files)

    def set_read_only(self, read_only: bool) -> None:
        self.add_button.setVisible(not read_only)
        self.hint.setVisible(not read_only)
        self.setAcceptDrops(not read_only)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        files = [f for f in files if f.is_file()]
        if files:
            self.files_added.emit(files)
            event.acceptProposedAction()
