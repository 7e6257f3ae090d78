"""File dialogs: the platform's own dialog, Qt's in Chinese where there is none, one helper for every
screen, and save dialogs that start in the folder last used (or Documents), never the bare home folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication, QFileDialog

from sanlian_desktop.ui import files
from sanlian_desktop.ui.app import install_translations

PACKAGE = Path(__file__).resolve().parents[2] / "sanlian_desktop"


class Recorder:
    """Stands for the user in front of the dialog: notes where it opened and answers ``answer``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.answer = ""

    def static(self, kind: str) -> Any:
        def ask(_parent: Any, _title: str, start: str, *args: Any) -> Any:
            options = args[-1] if args else None
            self.calls.append((kind, start, options))
            if kind == "folder":
                return self.answer
            if kind == "open_many":
                return ([self.answer] if self.answer else [], "")
            return (self.answer, "")
        return staticmethod(ask)


@pytest.fixture
def user(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    record = Recorder()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", record.static("save"))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", record.static("open"))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", record.static("open_many"))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", record.static("folder"))
    return record


def test_save_starts_in_documents_then_in_the_last_folder(user: Recorder, settings: QSettings, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    documents = tmp_path / "文档"
    documents.mkdir()
    monkeypatch.setattr(QStandardPaths, "writableLocation", staticmethod(lambda _where: str(documents)))
    usb = tmp_path / "U盘"
    usb.mkdir()
    user.answer = str(usb / "公示")
    chosen = files.save_file(None, settings, "保存", "入选项目公示.pdf", "PDF 文件 (*.pdf)", kind="pdf", suffix=".pdf")
    assert chosen == usb / "公示.pdf"  # the suffix added to a name typed without it
    assert user.calls[-1][1] == str(documents / "入选项目公示.pdf")
    assert Path(user.calls[-1][1]).parent != Path.home()
    # The platform's own dialog: nothing asks for Qt's.
    assert not user.calls[-1][2] & QFileDialog.Option.DontUseNativeDialog

    user.answer = ""
    assert files.save_file(None, settings, "保存", "另一份.pdf", kind="pdf") is None
    assert user.calls[-1][1] == str(usb / "另一份.pdf")
    # Opening a file of another kind remembers its own folder.
    scans = tmp_path / "扫描件"
    scans.mkdir()
    user.answer = str(scans / "意见.jpg")
    assert files.open_file(None, settings, "选择扫描件", kind="attachments") == scans / "意见.jpg"
    assert files.last_folder(settings, "attachments") == scans
    assert files.last_folder(settings, "pdf") == usb
    # A remembered folder that is gone (the USB stick pulled out): Documents again.
    usb.rmdir()
    assert files.last_folder(settings, "pdf") == documents


def test_every_screen_asks_through_the_helper() -> None:
    users = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
             if "QFileDialog." in p.read_text(encoding="utf-8")]
    assert users == ["ui/files.py"]


def test_the_sync_page_opens_a_package_from_the_last_folder(user: Recorder, admin_ctx: Any, qtbot: Any,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sanlian_desktop.ui.sync.page import SyncPage

    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr(QStandardPaths, "writableLocation", staticmethod(lambda _where: str(documents)))
    page = SyncPage(admin_ctx)
    qtbot.addWidget(page)
    folder = tmp_path / "收件"
    folder.mkdir()
    user.answer = ""
    assert page.choose_package() is None
    assert user.calls[-1][1] == str(documents)
    files.remember_folder(admin_ctx.settings, "sync", folder)
    page.choose_package()
    assert user.calls[-1][1] == str(folder)


def test_qt_dialog_words_read_chinese(qapp: QApplication) -> None:
    translators = install_translations(qapp)
    try:
        tr = QCoreApplication.translate
        assert tr("QFileDialog", "Look in:") == "查找范围："
        assert tr("QFileDialog", "Files of type:") == "文件类型："
        assert tr("QFileSystemModel", "Size") == "大小"  # not Qt's 体积
        assert tr("QFileSystemModel", "Date Modified") == "修改日期"
    finally:
        for translator in translators:
            QCoreApplication.removeTranslator(translator)
