"""Attachments of a declaration: a list with names and categories, a preview for images, adding by button or
drop with a category, removing what has not travelled yet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.store.attachments import KINDS, blob_path, cache_path
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.files import open_files

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
PathRole = Qt.ItemDataRole.UserRole + 1
ShaRole = Qt.ItemDataRole.UserRole + 3
RemoveRole = Qt.ItemDataRole.UserRole + 2  # the link id (int) or pending file (str) to remove; None: stays


class AttachmentPanel(QWidget):
    """Shows stored attachments and files waiting to be attached; emits ``files_added`` on drops (the files
    take the category chosen in :attr:`kind_combo`) and ``remove_requested`` with a link id or a pending path."""

    files_added = Signal(list)
    remove_requested = Signal(object)

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
        self.kind_label = QLabel(self.tr("类别"), self)
        self.kind_combo = QComboBox(self)
        for key, label in KINDS.items():
            self.kind_combo.addItem(label, key)
        self.kind_combo.setCurrentIndex(self.kind_combo.findData("other"))
        self.kind_combo.setToolTip(self.tr("新添加的附件归入此类别"))
        self.kind_label.setBuddy(self.kind_combo)
        self.add_button = QPushButton(self.tr("添加附件…"), self)
        self.remove_button = QPushButton(self.tr("删除附件"), self)
        self.remove_button.setEnabled(False)
        self.remove_button.setToolTip(self.tr("只能删除尚未随申报报送上级的附件"))
        self.hint = QLabel(self.tr("也可以把文件拖到这里"), self)
        self.hint.setStyleSheet("color: #777;")
        left = QVBoxLayout()
        left.addWidget(self.list)
        buttons = QHBoxLayout()
        buttons.addWidget(self.kind_label)
        buttons.addWidget(self.kind_combo)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.hint, 1)
        left.addLayout(buttons)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(left, 1)
        row.addWidget(self.preview)
        self.add_button.clicked.connect(self._choose)
        self.remove_button.clicked.connect(self._remove)
        self.list.currentItemChanged.connect(self._current_changed)
        self._read_only = False

    def kind(self) -> str:
        """The category new files are added under."""
        return str(self.kind_combo.currentData())

    def load(self, items: list[dict[str, Any]], pending: list[Path] | None = None,
             pending_kinds: dict[str, str] | None = None) -> None:
        """Stored attachments (as ``drafts.attachment_links`` or ``lookup.as_dict`` list them; only the
        former say which may be removed) and not-yet-saved files with their categories."""
        self.list.clear()
        for a in items:
            kind = KINDS.get(a.get("kind", "other"), "")
            removable = a["id"] if a.get("removable") else None
            # Where it will be; on a server it is fetched only when shown (store/attachments.py).
            self._add_item(f"{a['name']}（{kind}）", cache_path(self.store.paths, a["sha256"]), a["name"], removable,
                           sha=a["sha256"])
        for p in pending or []:
            kind = KINDS.get((pending_kinds or {}).get(str(p), "other"), "")
            self._add_item(self.tr("{0}（{1}，待保存）").format(p.name, kind), p, p.name, str(p))
        self._current_changed(self.list.currentItem(), None)

    def _add_item(self, text: str, path: Path, name: str, removable: int | str | None, *,
                  sha: str | None = None) -> None:
        self.list.addItem(text)
        item = self.list.item(self.list.count() - 1)
        item.setData(PathRole, str(path))
        item.setData(ShaRole, sha)
        item.setData(RemoveRole, removable)
        item.setToolTip(name if removable is not None else self.tr("{0}（已随申报报送，不能删除）").format(name))

    def _current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self._show(self._path_of(current) if current else None)
        self.remove_button.setEnabled(
            not self._read_only and current is not None and current.data(RemoveRole) is not None)

    def _path_of(self, item: QListWidgetItem) -> str:
        """The item's file; a stored one this computer does not have yet is fetched from the server."""
        path, sha = item.data(PathRole), item.data(ShaRole)
        if sha and not Path(path).exists():
            path = str(blob_path(self.store.paths, sha))
        return str(path)

    def _remove(self) -> None:
        item = self.list.currentItem()
        target = item.data(RemoveRole) if item is not None else None
        if target is not None and not self._read_only:
            self.remove_requested.emit(Path(target) if isinstance(target, str) else int(target))

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
        self._read_only = read_only
        for widget in (self.kind_label, self.kind_combo, self.add_button, self.remove_button, self.hint):
            widget.setVisible(not read_only)
        self.setAcceptDrops(not read_only)
        self._current_changed(self.list.currentItem(), None)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        files = [f for f in files if f.is_file()]
        if files:
            self.files_added.emit(files)
            event.acceptProposedAction()
