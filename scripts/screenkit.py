"""What every ``scripts/screens_*.py`` renderer starts with.

Importing it sets Qt to render offscreen (and sync hashing to the quick test setting) and puts the
repository on ``sys.path``; import it before anything from PySide6 or ``sanlian_desktop``::

    import screenkit

    def main() -> int:
        screens = screenkit.start()  # the application, as the program makes it, and the output folder
        ...
        screens.save(page, "inbox.png", screenkit.SIZE)

:func:`start` makes the application as the program does (Qt's Chinese catalogue, so standard buttons
read 确定/取消, and the CJK UI font, registering WenQuanYi Micro Hei from the system fonts if Qt has
not found it), keeps the text cursor steady so pictures are the same run to run, and takes the output
folder from the first command-line argument (``docs/screenshots`` of the repository by default).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.jobs import JobRunner
    from sanlian_desktop.ui.mainwindow import MainWindow
    from tests.helpers import Office

SIZE = (1280, 800)
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


class Screens:
    """The application, its job runner and the output folder of one rendering run."""

    def __init__(self, out: Path) -> None:
        from PySide6.QtGui import QFontDatabase
        from PySide6.QtWidgets import QApplication

        from sanlian_desktop import app as composition
        from sanlian_desktop.ui.app import choose_ui_font, make_application

        composition.compose_gui()
        from sanlian_desktop.ui.jobs import JobRunner

        self.out = out
        self.out.mkdir(parents=True, exist_ok=True)
        self.app: QApplication = make_application([])
        if WQY.exists() and "WenQuanYi Micro Hei" not in QFontDatabase.families():
            QFontDatabase.addApplicationFont(str(WQY))
        print(f"UI font: {choose_ui_font(self.app)}")
        QApplication.setCursorFlashTime(0)
        self.jobs: JobRunner = JobRunner(self.app)

    def office(self, level: str, code: str, name: str, *, declarations: int = 0, communities: int | None = None,
               prefix: str | None = None, **options: Any) -> Office:
        """An office (``tests.helpers.make_office`` with ``options``) in a new temporary folder named after
        ``prefix``, with ``declarations`` demo declarations (in about ``communities`` communities) added."""
        from sanlian_desktop.demo import generate as demo
        from tests.helpers import make_office

        office = make_office(Path(tempfile.mkdtemp(prefix=prefix)) / level, level, code, name, **options)
        if declarations:
            demo.generate(office.store, office.admin, count=declarations, seed=2016, communities_wanted=communities)
        return office

    def main_window(self, ctx: UiContext, page: str) -> MainWindow:
        """The main window at the screenshot size, shown on ``page``."""
        from sanlian_desktop.ui.mainwindow import MainWindow

        window = MainWindow(ctx)
        window.resize(*SIZE)
        window.show()
        window.show_page(page)
        return window

    def finish(self, store: Any, *widgets: Any) -> int:
        """Close ``widgets``, let background jobs end, close ``store``; 0, for ``main`` to return."""
        for widget in widgets:
            widget.close()
        self.jobs.wait(10_000)
        store.close()
        return 0

    def settings(self, folder: Path) -> QSettings:
        """Settings of the run, in an INI file in ``folder`` (never the user's own)."""
        from PySide6.QtCore import QSettings

        return QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)

    def settle(self, seconds: float = 0.4, ready: Callable[[], bool] | None = None) -> None:
        """Wait (a minute at the most) until no background job runs and ``ready`` holds, then let queued
        work and painting happen for ``seconds``."""
        end = time.monotonic() + 60
        while (self.jobs.active or (ready is not None and not ready())) and time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.02)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)

    def save(self, widget: Any, name: str, size: tuple[int, int] | None = None, seconds: float = 0.4,
             ready: Callable[[], bool] | None = None) -> Path:
        """Show ``widget`` (at ``size`` when given), let it settle (:meth:`settle`) and grab it into ``name``
        in the output folder."""
        if size is not None:
            widget.resize(*size)
        widget.show()
        self.settle(seconds, ready)
        target = self.out / name
        widget.grab().save(str(target))
        print("wrote", target)
        return target


def start() -> Screens:
    """Make the application and the output folder (the first command-line argument, if any)."""
    return Screens(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
