"""Help → 用户手册 (F1): the manual inside the program, with its chapters, tables and pictures, searchable,
opening at the chapter a caller names."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.help.manual import ManualViewer, manual_path
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.mainwindow import MainWindow
from tests.helpers import Office


def test_f1_opens_the_manual_and_finding_a_word_works(qtbot: QtBot, county: Office, settings: QSettings,
                                                      jobs: JobRunner) -> None:
    window = MainWindow(UiContext(county.store, county.clerk, settings, jobs))
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
    window.nav.setFocus()
    qtbot.keyClick(window.nav, Qt.Key.Key_F1)
    viewer = window.findChild(ManualViewer)
    assert viewer is not None and viewer.isVisible()
    # Rendered, not shown as markdown source: headings, a table and the pictures it refers to.
    doc = viewer.browser.document()
    assert "# 三社联动" not in doc.toPlainText()
    assert "6.2 导入" in viewer.chapter_titles()
    assert doc.toHtml().count("<table") >= 1
    assert "progress-report-preview.png" in doc.toHtml()
    # The pictures are found through the search path, so they show.
    folder = Path(viewer.browser.searchPaths()[0])
    assert (folder / "screenshots" / "progress-report-preview.png").is_file()

    # Typing in the find box selects the first match; 下一个 / 上一个 walk through the others.
    viewer.find_box.insert("回执")  # as an input method commits Chinese text
    first = viewer.browser.textCursor().selectionStart()
    assert viewer.browser.textCursor().selectedText() == "回执"
    qtbot.mouseClick(viewer.next_button, Qt.MouseButton.LeftButton)
    second = viewer.browser.textCursor().selectionStart()
    assert second > first and viewer.browser.textCursor().selectedText() == "回执"
    qtbot.mouseClick(viewer.previous_button, Qt.MouseButton.LeftButton)
    assert viewer.browser.textCursor().selectionStart() == first
    qtbot.keyClick(viewer.find_box, Qt.Key.Key_Return)  # Enter: the next one
    assert viewer.browser.textCursor().selectionStart() == second
    viewer.find_box.clear()
    viewer.find_box.insert("没有这个词语的说明")
    assert viewer.found.text() == "找不到“没有这个词语的说明”"

    # A second F1 brings the same viewer forward; a caller may ask for a chapter.
    shown = window.show_manual("6.2")
    assert shown is viewer
    QApplication.processEvents()
    assert viewer.chapters.currentItem().text().strip() == "6.2 导入"
    assert viewer.browser.textCursor().block().text() == "6.2 导入"
    assert viewer.open_at("备份与恢复")
    assert viewer.browser.textCursor().block().text() == "10. 备份与恢复"
    assert not viewer.open_at("99")


def test_a_missing_manual_is_said_in_the_viewer(qtbot: QtBot, tmp_path: Path, settings: QSettings) -> None:
    viewer = ManualViewer(settings, path=tmp_path / "none.md")
    qtbot.addWidget(viewer)
    assert "找不到用户手册文件" in viewer.browser.toPlainText()
    assert manual_path().is_file()
