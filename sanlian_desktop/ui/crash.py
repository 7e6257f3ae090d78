"""Crash handling in layers: a rotating log, an exception hook with a readable dialog, faulthandler."""

from __future__ import annotations

import faulthandler
import logging
import sys
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import IO

from PySide6.QtCore import QCoreApplication

log = logging.getLogger("sanlian")

LOG_NAME = "sanlian-desktop.log"
FAULT_NAME = "faulthandler.log"


def setup_logging(logs: Path) -> Path:
    """Log to a rotating file in ``logs`` (5 × 1 MB); returns the file."""
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / LOG_NAME
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("sanlian")
    root.setLevel(logging.INFO)
    if not any(isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == path for h in root.handlers):
        root.addHandler(handler)
    else:
        handler.close()
    return path


class FaultLog:
    """faulthandler writes a hard crash (segfault, abort) here; the next start reads and reports it."""

    def __init__(self, logs: Path) -> None:
        self.path = logs / FAULT_NAME
        self._file: IO[str] | None = None

    def previous_crash(self) -> str:
        """What the last run left (empty when it ended normally); the file is set aside."""
        try:
            text = self.path.read_text("utf-8", errors="replace").strip()
        except OSError:
            return ""
        if text:
            self.path.replace(self.path.with_suffix(".previous.log"))
        return text

    def enable(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")
        faulthandler.enable(self._file, all_threads=True)

    def disable(self) -> None:
        """A clean exit: stop and leave an empty file, so the next start has nothing to report."""
        if self._file is None:
            return
        faulthandler.disable()
        self._file.close()
        self._file = None
        self.path.write_text("", "utf-8")


def crash_message() -> str:
    return QCoreApplication.translate(
        "crash", "程序出现了意外错误。刚才的操作可能没有完成，已保存的数据不受影响。"
                 "如果问题反复出现，请点击“复制详情”，把内容发给技术支持。")


def install_excepthook() -> None:
    """Log uncaught exceptions and show them in a dialog instead of letting Qt abort."""
    showing = False

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        nonlocal showing
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        details = "".join(traceback.format_exception(kind, exc, tb))
        log.error("uncaught exception\n%s", details)
        if showing or QCoreApplication.instance() is None:
            return
        from sanlian_desktop.kernel.errors import UserError
        from sanlian_desktop.ui.dialogs import show_details, warn

        showing = True
        try:
            if isinstance(exc, UserError):
                warn(None, exc.zh)
            else:
                show_details(None, crash_message(), details)
        finally:
            showing = False

    sys.excepthook = hook
