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

SIZE = (1366, 768)  # the main window's pictures: the office's 1366×768 screen
SMALL = (1024, 728)  # an old 4:3 screen less its taskbar: the form, the review dialog and the wizard must fit
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
        """Close ``widgets``, let background jobs end, close ``store``; 0, for ``main`` to return.

        Every window left is deleted here, while the application still exists: left to the interpreter's
        exit, a page with an open dialog crashed it (segmentation fault, exit status 139)."""
        from PySide6.QtCore import QCoreApplication, QEvent

        for widget in widgets:
            widget.close()
        self.jobs.wait(10_000)
        for widget in [*widgets, *self.app.topLevelWidgets()]:
            widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        self.app.processEvents()
        store.close()
        return 0

    def use_screen(self, size: tuple[int, int]) -> None:
        """Windows made from now on size themselves for a screen of ``size`` (its available area; the
        offscreen platform's own is 800×600)."""
        from PySide6.QtCore import QRect

        from sanlian_desktop.ui import geometry

        geometry.available_geometry = lambda _widget=None: QRect(0, 0, *size)  # type: ignore[assignment]

    def save_on_screen(self, widget: Any, name: str, screen: tuple[int, int] = SMALL, seconds: float = 0.4,
                       ready: Callable[[], bool] | None = None) -> Path:
        """Like :meth:`save` for a window at the size it gave itself (make it after :meth:`use_screen`), drawn
        in the middle of a desktop-grey picture of ``screen``, title bar and borders included, so that the
        picture shows whether it fits."""
        from PySide6.QtCore import QRect
        from PySide6.QtGui import QColor, QImage, QPainter

        from sanlian_desktop.ui.geometry import FRAME

        widget.show()
        self.settle(seconds, ready)
        shot = widget.grab().toImage()
        outer = QRect(0, 0, shot.width(), shot.height()).marginsAdded(FRAME)
        canvas = QImage(*screen, QImage.Format.Format_ARGB32)
        canvas.fill(QColor("#5a6b7b"))
        painter = QPainter(canvas)
        left = max(0, (screen[0] - outer.width()) // 2)
        top = max(0, (screen[1] - outer.height()) // 2)
        painter.fillRect(QRect(left, top, outer.width(), outer.height()), QColor("#dfe3e8"))
        painter.setPen(QColor("#333333"))
        painter.drawText(QRect(left + 10, top, outer.width() - 20, FRAME.top()), 0x0081,  # AlignLeft|AlignVCenter
                         widget.windowTitle())
        painter.drawImage(left + FRAME.left(), top + FRAME.top(), shot)
        painter.end()
        target = self.out / name
        canvas.save(str(target))
        print("wrote", target)
        return target

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
