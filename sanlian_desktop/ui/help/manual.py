"""The user manual inside the program: docs/用户手册.md rendered with its headings, tables and pictures,
a list of chapters beside it and a find box (Ctrl+F, Enter/F3 for the next match, Shift+Enter/Shift+F3 for
the previous one).

One viewer per main window: :func:`show_manual` opens it (at a chapter, when the caller names one) or
brings it forward. In the bundle the manual sits at ``_internal/docs/`` with the pictures it shows
(build.spec's datas).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.ui.geometry import place_window

MANUAL = Path(__file__).resolve().parents[3] / "docs" / "用户手册.md"
BLOCK_ROLE = Qt.ItemDataRole.UserRole


def manual_path() -> Path:
    return MANUAL


class ManualViewer(QDialog):
    """The manual, its chapters and a find bar; not modal, so the user can follow it while working."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None, *, path: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("用户手册"))
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)
        self.path = path or manual_path()
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(self.path.parent)])
        self.chapters = QListWidget(self)
        self.chapters.setMinimumWidth(160)
        self.find_box = QLineEdit(self)
        self.find_box.setPlaceholderText(self.tr("查找（Ctrl+F）"))
        self.find_box.setClearButtonEnabled(True)
        self.previous_button = QPushButton(self.tr("上一个"), self)
        self.next_button = QPushButton(self.tr("下一个"), self)
        self.found = QLabel(self)
        self.close_button = QPushButton(self.tr("关闭"), self)

        for button in (self.previous_button, self.next_button, self.close_button):
            button.setAutoDefault(False)  # Enter in the find box finds; it does not press a button
        bar = QHBoxLayout()
        bar.addWidget(self.find_box, 1)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.found)
        bar.addStretch(0)
        bar.addWidget(self.close_button)
        splitter = QSplitter(self)
        splitter.addWidget(self.chapters)
        splitter.addWidget(self.browser)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 700])
        splitter.setChildrenCollapsible(False)
        col = QVBoxLayout(self)
        col.addLayout(bar)
        col.addWidget(splitter, 1)

        self.find_box.returnPressed.connect(self.find_next)
        self.find_box.textChanged.connect(self._search_from_top)
        self.next_button.clicked.connect(self.find_next)
        self.previous_button.clicked.connect(self.find_previous)
        self.close_button.clicked.connect(self.close)
        self.chapters.currentItemChanged.connect(self._chapter_chosen)
        QShortcut(QKeySequence.StandardKey.Find, self, self._focus_find)
        QShortcut(QKeySequence.StandardKey.FindNext, self, self.find_next)
        QShortcut(QKeySequence.StandardKey.FindPrevious, self, self.find_previous)
        QShortcut(QKeySequence("Shift+Return"), self.find_box, self.find_previous)
        place_window(self, "manual", QSize(1000, 700), settings)
        self.load()

    # -- content --------------------------------------------------------------------------------------

    def load(self) -> None:
        """Read and render the manual; list its chapters (headings of level 2 and 3)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            text = self.tr("# 用户手册\n\n找不到用户手册文件（{0}）。请重新安装程序。").format(self.path)
        self.browser.setMarkdown(text)
        self.chapters.clear()
        block = self.browser.document().begin()
        while block.isValid():
            level = block.blockFormat().headingLevel()
            if level in (2, 3) and block.text().strip():
                item = QListWidgetItem(("　" if level == 3 else "") + block.text().strip(), self.chapters)
                item.setData(BLOCK_ROLE, block.position())
            block = block.next()

    def chapter_titles(self) -> list[str]:
        return [self.chapters.item(i).text().strip() for i in range(self.chapters.count())]

    def open_at(self, chapter: str) -> bool:
        """Show the chapter whose heading starts with ``chapter`` (``"6"``, ``"6.2"`` or ``"导入"``
        anywhere in it); False, leaving the view as it is, when there is none."""
        wanted = chapter.strip()
        for i in range(self.chapters.count()):
            title = self.chapters.item(i).text().strip()
            number = title.split(" ", 1)[0].rstrip(".")
            if number == wanted.rstrip(".") or (not wanted[:1].isdigit() and wanted and wanted in title):
                self.chapters.setCurrentRow(i)
                self._scroll_to(int(self.chapters.item(i).data(BLOCK_ROLE)))
                return True
        return False

    def current_heading(self) -> str:
        """The heading of the part shown at the top of the view (for tests and the title)."""
        cursor = self.browser.cursorForPosition(self.browser.viewport().rect().topLeft())
        block = cursor.block()
        while block.isValid() and block.blockFormat().headingLevel() == 0:
            block = block.previous()
        return block.text() if block.isValid() else ""

    def _chapter_chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self._scroll_to(int(item.data(BLOCK_ROLE)))

    def _scroll_to(self, position: int) -> None:
        cursor = QTextCursor(self.browser.document())
        cursor.setPosition(position)
        self.browser.setTextCursor(cursor)
        bar = self.browser.verticalScrollBar()
        bar.setValue(bar.maximum())  # then back, so that the heading ends at the top, not the bottom
        self.browser.ensureCursorVisible()

    # -- finding --------------------------------------------------------------------------------------

    def _focus_find(self) -> None:
        self.find_box.setFocus()
        self.find_box.selectAll()

    def _search_from_top(self) -> None:
        self.browser.moveCursor(QTextCursor.MoveOperation.Start)
        self.find_next()

    def find_next(self) -> bool:
        return self._find(QTextDocument.FindFlag(0))

    def find_previous(self) -> bool:
        return self._find(QTextDocument.FindFlag.FindBackward)

    def _find(self, flags: QTextDocument.FindFlag) -> bool:
        """Select the next (or previous) match of the find box, going round at the end."""
        word = self.find_box.text()
        if not word:
            self.found.clear()
            return False
        if self.browser.find(word, flags):
            self.found.clear()
            return True
        backward = bool(flags & QTextDocument.FindFlag.FindBackward)
        self.browser.moveCursor(QTextCursor.MoveOperation.End if backward else QTextCursor.MoveOperation.Start)
        if self.browser.find(word, flags):
            self.found.setText(self.tr("已从头查找") if not backward else self.tr("已从末尾查找"))
            return True
        self.found.setText(self.tr("找不到“{0}”").format(word))
        return False


def show_manual(parent: QWidget, settings: QSettings, chapter: str = "") -> ManualViewer:
    """Open the manual beside ``parent``'s window (one viewer per window), at ``chapter`` if given."""
    window = parent.window()
    viewer = getattr(window, "_manual_viewer", None)
    if not isinstance(viewer, ManualViewer):
        viewer = ManualViewer(settings, window)
        window._manual_viewer = viewer  # type: ignore[attr-defined]
    if chapter:
        viewer.open_at(chapter)
    viewer.show()
    viewer.raise_()
    viewer.activateWindow()
    return viewer
