"""A destination chooser: USB sticks first, the last folder used, and 其他位置… for any folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QWidget

from sanlian_desktop.ui.files import choose_folder
from sanlian_desktop.ui.qtfix import emit
from sanlian_desktop.ui.sync.drives import SYNC_KIND, destinations, last_folder, remember_folder


class FolderChooser(QWidget):
    """A list of likely folders and a button for any other; remembers the folder finally used."""

    changed = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox(self)
        self.combo.setMinimumContentsLength(30)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.other_button = QPushButton(self.tr("其他位置…"), self)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.other_button)
        self.other_button.clicked.connect(self.choose_other)
        self.combo.currentIndexChanged.connect(self.changed)
        self.reload()

    def reload(self) -> None:
        """Look for USB sticks again (one may have been plugged in)."""
        current = self.folder()
        self.combo.blockSignals(True)
        self.combo.clear()
        for dest in destinations(self.settings):
            self.combo.addItem(dest.label, str(dest.path))
            self.combo.setItemData(self.combo.count() - 1, str(dest.path), Qt.ItemDataRole.ToolTipRole)
        self.combo.blockSignals(False)
        if current is not None:
            self.set_folder(current)
        emit(self.changed)

    def folder(self) -> Path | None:
        data = self.combo.currentData()
        return Path(data) if data else None

    def set_folder(self, folder: Path) -> None:
        """Select ``folder``, adding it to the list when it is not there."""
        index = self.combo.findData(str(folder))
        if index < 0:
            self.combo.addItem(str(folder), str(folder))
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)

    def choose_other(self) -> None:
        chosen = choose_folder(self, self.settings, self.tr("选择保存位置"), kind=SYNC_KIND,
                               start=self.folder() or last_folder(self.settings))
        if chosen is not None:
            self.set_folder(chosen)

    def remember(self) -> None:
        """Offer the current folder first next time."""
        folder = self.folder()
        if folder is not None:
            remember_folder(self.settings, folder)


def open_folder(folder: Path) -> None:
    """Show ``folder`` in the file manager, so a file can be dragged into an e-mail."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
