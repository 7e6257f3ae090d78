"""File choosers that start in the folder the user last used for that kind of file (kept in QSettings)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

PDF, EXCEL = "pdf", "excel"
PRINT_FONT_KEY = "print/font_path"  # written by the 设置 page's 打印字体 tab


def _key(kind: str) -> str:
    return f"paper/last_folder_{kind}"


def last_folder(settings: QSettings, kind: str) -> Path:
    """The folder last used for ``kind`` files, or the home folder."""
    value = str(settings.value(_key(kind), "") or "")
    folder = Path(value) if value else Path.home()
    return folder if folder.is_dir() else Path.home()


def remember_folder(settings: QSettings, kind: str, chosen: Path) -> None:
    """Remember the folder of a file the user chose."""
    settings.setValue(_key(kind), str(chosen.parent))


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
    start = str(last_folder(settings, kind) / name)
    path, _ = QFileDialog.getSaveFileName(parent, title, start, _filter(kind))
    if not path:
        return None
    chosen = Path(path)
    if chosen.suffix.lower() != _suffix(kind):
        chosen = chosen.with_name(chosen.name + _suffix(kind))
    remember_folder(settings, kind, chosen)
    return chosen


def choose_open(parent: QWidget | None, settings: QSettings, kind: str, title: str) -> Path | None:
    """Ask for an existing ``kind`` file; None when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, str(last_folder(settings, kind)), _filter(kind))
    if not path:
        return None
    remember_folder(settings, kind, Path(path))
    return Path(path)
