"""One way to ask for a file or a folder: the platform's own dialog where there is one (Windows, and a
Linux desktop with a portal or GTK theme), Qt's dialog in Chinese where not, starting in the folder last
used for that kind of file, or in 文档 (Documents) the first time, never the bare home folder.

Every screen asks through these functions (``grep QFileDialog`` finds only this module)::

    path = open_file(self, self.ctx.settings, self.tr("选择评估报告"), self.tr("PDF 文件 (*.pdf)"), kind="pdf")
    target = save_file(self, settings, self.tr("导出公示"), "入选项目公示.pdf", self.tr("PDF 文件 (*.pdf)"),
                       kind="pdf", suffix=".pdf")
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QSettings, QStandardPaths, QTranslator
from PySide6.QtWidgets import QFileDialog, QWidget

KEY = "files/last_folder_{0}"


def documents_folder() -> Path:
    """文档 (Documents), else the home folder."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(found) if found else Path.home()
    return folder if folder.is_dir() else Path.home()


def last_folder(settings: QSettings, kind: str) -> Path:
    """The folder last used for ``kind`` files while it still exists, else Documents."""
    value = str(settings.value(KEY.format(kind), "") or "")
    folder = Path(value) if value else None
    return folder if folder is not None and folder.is_dir() else documents_folder()


def remember_folder(settings: QSettings, kind: str, folder: Path) -> None:
    settings.setValue(KEY.format(kind), str(folder))


def _settings(settings: QSettings | None) -> QSettings:
    return settings if settings is not None else QSettings()


def _options() -> QFileDialog.Option:
    """The platform's dialog (Qt's default); stated so that no screen turns it off by accident."""
    return QFileDialog.Option(0)


def open_file(parent: QWidget | None, settings: QSettings | None, title: str, filters: str = "", *, kind: str,
              start: Path | None = None) -> Path | None:
    """Ask for one existing file; None when cancelled. Its folder is remembered for ``kind``."""
    settings = _settings(settings)
    name, _ = QFileDialog.getOpenFileName(parent, title, str(start or last_folder(settings, kind)), filters,
                                          "", _options())
    if not name:
        return None
    path = Path(name)
    remember_folder(settings, kind, path.parent)
    return path


def open_files(parent: QWidget | None, settings: QSettings | None, title: str, filters: str = "", *, kind: str
               ) -> list[Path]:
    """Ask for one or more existing files; empty when cancelled."""
    settings = _settings(settings)
    names, _ = QFileDialog.getOpenFileNames(parent, title, str(last_folder(settings, kind)), filters, "",
                                            _options())
    paths = [Path(n) for n in names if n]
    if paths:
        remember_folder(settings, kind, paths[0].parent)
    return paths


def save_file(parent: QWidget | None, settings: QSettings | None, title: str, name: str, filters: str = "", *,
              kind: str, suffix: str = "", folder: Path | None = None) -> Path | None:
    """Ask where to save a file suggested as ``name`` (in ``folder``, else the last folder for ``kind``);
    ``suffix`` is added when the user typed a name without it. None when cancelled."""
    settings = _settings(settings)
    start = (folder or last_folder(settings, kind)) / name
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start), filters, "", _options())
    if not chosen:
        return None
    path = Path(chosen)
    if suffix and path.suffix.lower() != suffix.lower():
        path = path.with_name(path.name + suffix)
    remember_folder(settings, kind, path.parent)
    return path


def choose_folder(parent: QWidget | None, settings: QSettings | None, title: str, *, kind: str,
                  start: Path | None = None) -> Path | None:
    """Ask for a folder; None when cancelled."""
    settings = _settings(settings)
    chosen = QFileDialog.getExistingDirectory(parent, title, str(start or last_folder(settings, kind)),
                                              _options() | QFileDialog.Option.ShowDirsOnly)
    if not chosen:
        return None
    remember_folder(settings, kind, Path(chosen))
    return Path(chosen)


class QtCorrections(QTranslator):
    """A few words where Qt's own Chinese catalogue reads oddly in its file dialog (``Size`` as 体积);
    installed after it, so it is asked first, and silent about everything else."""

    WORDS: ClassVar[dict[tuple[str, str], str]] = {
        ("QFileSystemModel", "Size"): "大小",
    }

    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1
                  ) -> str | None:
        return self.WORDS.get((context, source))  # None: "not mine", so Qt asks its own catalogue

    def isEmpty(self) -> bool:
        return False
