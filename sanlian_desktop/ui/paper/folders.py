"""File choosers that start in the folder the user last used for that kind of file (kept in QSettings)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QWidget

from sanlian_desktop.ui import files

PDF, EXCEL = "pdf", "excel"
PRINT_FONT_KEY = "print/font_path"  # written by the 设置 page's 打印字体 tab


def last_folder(settings: QSettings, kind: str) -> Path:
    """The folder last used for ``kind`` files, or Documents."""
    return files.last_folder(settings, kind)


def print_font(settings: QSettings) -> str | None:
    """The font file set in 设置 → 打印字体, or None to let the service look for one."""
    value = str(settings.value(PRINT_FONT_KEY, "") or "")
    return value or None


def _filter(kind: str) -> str:
    tr = QCoreApplication.translate
    return tr("folders", "PDF 文件 (*.pdf)") if kind == PDF else tr("folders", "Excel 工作簿 (*.xlsx)")


def _suffix(kind: str) -> str:
    return ".pdf" if kind == PDF else ".xlsx"


def choose_save(parent: QWidget | None, settings: QSettings, kind: str, title: str, name: str) -> Path | None:
    """Ask where to save a ``kind`` file suggested as ``name``; None when cancelled."""
    return files.save_file(parent, settings, title, name, _filter(kind), kind=kind, suffix=_suffix(kind))


def choose_open(parent: QWidget | None, settings: QSettings, kind: str, title: str) -> Path | None:
    """Ask for an existing ``kind`` file; None when cancelled."""
    return files.open_file(parent, settings, title, _filter(kind), kind=kind)
