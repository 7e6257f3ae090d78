"""Render the desktop program's screens offscreen with demo data: the main window on every page at the office
screen's 1366×768, the first-run wizard and the small dialogs on an old 1024×728 screen.

Usage: python scripts/screenshots.py [OUTPUT_DIR]   (docs/screenshots by default)

``make screenshots`` runs this and every ``scripts/screens_*.py``. Pages are discovered from the page
registry, so each feature's page appears here as soon as it is merged.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtGui import QColor, QFontDatabase, QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget, QWizard  # noqa: E402

from sanlian_desktop.ui.app import choose_ui_font, make_application  # noqa: E402

OUT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
SIZE = (1366, 768)  # the main window
SMALL = (1024, 728)  # an old 4:3 screen less its taskbar: the wizard and the dialogs
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def pump(seconds: float = 0.3) -> None:
    """Let queued work and painting happen."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def wait_for(condition: Callable[[], bool], timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("screen did not get ready")
        QApplication.processEvents()
        time.sleep(0.02)


def use_screen(size: tuple[int, int]) -> None:
    """Windows made from now on size themselves for a screen whose available area is ``size``."""
    from PySide6.QtCore import QRect

    from sanlian_desktop.ui import geometry

    geometry.available_geometry = lambda _widget=None: QRect(0, 0, *size)  # type: ignore[assignment]


def save(widget: QWidget, name: str, screen: tuple[int, int] = SIZE) -> Path:
    """Grab ``widget``; a window smaller than ``screen`` is centred on a desktop-grey picture of it."""
    pump()
    shot = widget.grab().toImage()
    if (shot.width(), shot.height()) != screen:
        canvas = QImage(*screen, QImage.Format.Format_ARGB32)
        canvas.fill(QColor("#5a6b7b"))
        painter = QPainter(canvas)
        painter.drawImage(max(0, (screen[0] - shot.width()) // 2), max(0, (screen[1] - shot.height()) // 2), shot)
        painter.end()
        shot = canvas
    path = OUT / f"{name}.png"
    shot.save(str(path))
    print(path)
    return path


def main() -> int:
    from sanlian_desktop import app as composition
    from sanlian_desktop.demo.office import DEMO_PASSWORD
    from sanlian_desktop.kernel.vocab import Level
    from sanlian_desktop.offices import auth
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard, PageId
    from sanlian_desktop.ui.jobs import JobRunner
    from sanlian_desktop.ui.mainwindow import MainWindow
    from sanlian_desktop.ui.pages import available_pages, shown_to
    from sanlian_desktop.ui.signin.dialog import SignInDialog

    composition.compose_gui()
    # Windows size themselves to the screen: the offscreen one is 800×600; the wizard and the dialogs are
    # shown on an old 1024×728 screen, the main window on the office's 1366×768 (1366×705 less the taskbar).
    use_screen(SMALL)
    app = make_application([])
    if WQY.exists() and "WenQuanYi Micro Hei" not in QFontDatabase.families():
        QFontDatabase.addApplicationFont(str(WQY))
    family = choose_ui_font(app)
    print(f"UI font: {family}")
    OUT.mkdir(parents=True, exist_ok=True)
    # A fixed folder (emptied first) and a steady text cursor keep the pictures the same run to run.
    work = Path(tempfile.gettempdir()) / "sanlian-screenshots"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    QApplication.setCursorFlashTime(0)
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    jobs = JobRunner(app)

    # -- first run: create a county office ---------------------------------------------------------
    wizard = FirstRunWizard(work / "office", settings, jobs)
    wizard.show()
    save(wizard, "01-firstrun-welcome", SMALL)
    wizard.next()
    wizard.level_page.set_level(Level.COUNTY)
    save(wizard, "02-firstrun-level", SMALL)
    wizard.next()
    wizard.region_page.search.setText("cgq")
    save(wizard, "03-firstrun-region-search", SMALL)
    wizard.next()
    wizard.office_page.name_edit.setText("王建国")
    wizard.office_page.passwords.set_passwords("screen-pass-1")
    save(wizard, "04-firstrun-office", SMALL)
    wizard.next()
    wait_for(lambda: not wizard.office_page.creating())  # created on the job runner, then the wizard moves on
    assert wizard.currentId() == PageId.DONE, wizard.office_page.error.text()
    save(wizard, "05-firstrun-done", SMALL)
    wizard.drop_result()
    wizard.close()

    # -- first run: the demo -----------------------------------------------------------------------
    wizard = FirstRunWizard(work / "data", settings, jobs)
    wizard.show()
    wizard.welcome_page.demo_choice.setChecked(True)
    wizard.next()
    wait_for(lambda: wizard.button(QWizard.WizardButton.FinishButton).isEnabled())
    save(wizard, "06-firstrun-demo", SMALL)
    store, reviewer = wizard.store, wizard.actor
    assert store is not None and reviewer is not None
    wizard.store = wizard.actor = None  # keep the demo store open for the next screens
    wizard.close()

    # -- sign-in -----------------------------------------------------------------------------------
    signin = SignInDialog(store, settings, jobs=jobs, username="reviewer")
    signin.show()
    signin.password_edit.setText("wrong-password")
    signin.try_sign_in()
    wait_for(lambda: jobs.active == 0)  # the password is checked on the job runner
    save(signin, "07-signin-wrong-password", SMALL)
    signin.close()

    # -- main window on every page -----------------------------------------------------------------
    use_screen((1366, 705))
    window = MainWindow(UiContext(store=store, actor=reviewer, settings=settings, jobs=jobs))
    window.resize(*SIZE)
    window.show()
    shown = [e for e in available_pages(level=reviewer.office_level) if shown_to(e, reviewer)]
    for number, entry in enumerate(shown, start=10):
        window.show_page(entry.key)
        pump(0.5)
        wait_for(lambda: jobs.active == 0)
        save(window, f"{number}-page-{entry.key}")
    window.close()

    # -- settings as the admin ---------------------------------------------------------------------
    with store.session() as session:
        admin = auth.sign_in(session, "admin", DEMO_PASSWORD)
    window = MainWindow(UiContext(store=store, actor=admin, settings=settings, jobs=jobs))
    window.resize(*SIZE)
    window.show()
    window.show_page("settings")
    from sanlian_desktop.ui.settings.page import SettingsPage

    page = window.current_page()
    if isinstance(page, SettingsPage):
        for index, name in enumerate(("users", "office", "font")):
            page.tabs.setCurrentIndex(index)
            save(window, f"3{index}-settings-{name}")
        page.tabs.setCurrentIndex(0)
        page.add_user()
        dialog = page.dialog
        assert dialog is not None
        pump()
        save(dialog, "33-settings-add-user", SMALL)
        dialog.close()
    window.close()

    # -- the error dialog a clerk sees for an unexpected fault --------------------------------------
    from sanlian_desktop.ui.crash import crash_message
    from sanlian_desktop.ui.dialogs import ErrorDialog

    error = ErrorDialog(crash_message(), 'Traceback (most recent call last):\n  File "example.py", line 1\n'
                        "ZeroDivisionError: division by zero")
    error.show()
    error.toggle_button.click()
    save(error, "40-error-dialog", SMALL)
    error.close()
    jobs.wait(10_000)
    store.close()
    app.processEvents()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
