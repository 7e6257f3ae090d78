"""Every window fits a 1366×768 screen with a taskbar (1366×705 left for windows) and an old 4:3 one
(1024×728), title bar and borders included; the buttons that finish a window's work are on the screen;
a window opens at the size and place it had last time while that still fits the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, QSize
from PySide6.QtWidgets import QAbstractButton, QApplication, QStatusBar, QWidget
from pytestqt.qtbot import QtBot

from sanlian_desktop.ui import geometry
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard
from sanlian_desktop.ui.form.dialog import DeclarationDialog
from sanlian_desktop.ui.geometry import FRAME, place_window
from sanlian_desktop.ui.help.manual import ManualViewer
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.mainwindow import MainWindow
from sanlian_desktop.ui.review.dialog import ReviewDialog
from tests.helpers import Office, example_declaration
from tests.ui.helpers import submitted

SCREENS = [QRect(0, 0, 1366, 705), QRect(0, 0, 1024, 728)]


@pytest.fixture(params=SCREENS, ids=["1366x705", "1024x728"])
def screen(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> QRect:
    rect: QRect = request.param
    monkeypatch.setattr(geometry, "available_geometry", lambda _widget=None: QRect(rect))
    return rect


def assert_fits(window: QWidget, screen: QRect, *buttons: QWidget) -> None:
    """The window with its frame is no larger than the screen, and each of ``buttons`` is shown wholly
    inside it. (Where a dialog goes is Qt's: it centres it on its parent within the real screen, which
    the offscreen platform cannot be told.)"""
    window.show()
    QApplication.processEvents()
    outer = window.geometry().marginsAdded(FRAME)
    assert outer.width() <= screen.width() and outer.height() <= screen.height(), (
        type(window).__name__, outer, screen)
    assert window.minimumSizeHint().height() + FRAME.top() + FRAME.bottom() <= screen.height()
    assert buttons
    for button in buttons:
        assert button.isVisibleTo(window), button
        inside = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
        assert window.rect().contains(inside), (type(window).__name__, button, inside, window.rect())


def test_the_main_window_and_its_status_bar_fit(qtbot: QtBot, county: Office, jobs: JobRunner, tmp_path: Path,
                                                screen: QRect) -> None:
    for actor in (county.admin, county.clerk, county.reviewer):
        settings = QSettings(str(tmp_path / f"{actor.username}.ini"), QSettings.Format.IniFormat)
        window = MainWindow(UiContext(county.store, actor, settings, jobs))
        qtbot.addWidget(window)
        assert screen.contains(window.geometry().marginsAdded(FRAME))  # centred on the screen
        for key in window.page_keys():
            window.show_page(key)
            qtbot.waitUntil(lambda: jobs.active == 0, timeout=30_000)
            status = window.findChild(QStatusBar)
            assert status is not None
            assert_fits(window, screen, status)
        qtbot.waitUntil(lambda: jobs.active == 0, timeout=30_000)
        window.close()


def test_the_review_dialog_shows_its_submit_button(qtbot: QtBot, county: Office, jobs: JobRunner,
                                                   screen: QRect) -> None:
    decl_id = submitted(county, example_declaration())
    dialog = ReviewDialog(county.store, county.reviewer, decl_id, jobs=jobs)
    qtbot.addWidget(dialog)
    assert_fits(dialog, screen, dialog.submit_button)
    assert dialog.text.isVisibleTo(dialog)


def test_the_form_shows_save_submit_and_close(qtbot: QtBot, county: Office, jobs: JobRunner,
                                              screen: QRect) -> None:
    dialog = DeclarationDialog(county.store, county.clerk, jobs=jobs)
    qtbot.addWidget(dialog)
    close = next(b for b in dialog.findChildren(QAbstractButton) if b.text() == "关闭")
    assert_fits(dialog, screen, dialog.save_button, dialog.submit_button, close)
    # The long form scrolls inside the window instead of growing it.
    assert dialog.form.scroll_area.verticalScrollBar().maximum() > 0


def test_the_wizard_and_the_manual_fit(qtbot: QtBot, tmp_path: Path, settings: QSettings, jobs: JobRunner,
                                       screen: QRect) -> None:
    from PySide6.QtWidgets import QWizard

    wizard = FirstRunWizard(tmp_path / "office", settings, jobs)
    qtbot.addWidget(wizard)
    assert_fits(wizard, screen, wizard.button(QWizard.WizardButton.NextButton),
                wizard.button(QWizard.WizardButton.CancelButton))
    viewer = ManualViewer(settings)
    qtbot.addWidget(viewer)
    assert_fits(viewer, screen, viewer.find_box, viewer.close_button)


def test_a_window_reopens_where_it_was_while_that_fits(qtbot: QtBot, settings: QSettings,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    big = QRect(0, 0, 1920, 1040)
    monkeypatch.setattr(geometry, "available_geometry", lambda _widget=None: QRect(big))
    first = QWidget()
    qtbot.addWidget(first)
    assert not place_window(first, "sample", QSize(1280, 800), settings, centre=True)
    assert first.size() == QSize(1280, 800)
    first.setGeometry(QRect(300, 120, 1500, 860))
    first.show()
    first.close()

    again = QWidget()
    qtbot.addWidget(again)
    assert place_window(again, "sample", QSize(1280, 800), settings, centre=True)
    assert again.geometry() == QRect(300, 120, 1500, 860)

    # The same settings on a laptop: the remembered place would run off the screen, so the window opens
    # at its usual size made to fit, in the middle.
    small = QRect(0, 0, 1366, 705)
    monkeypatch.setattr(geometry, "available_geometry", lambda _widget=None: QRect(small))
    laptop = QWidget()
    qtbot.addWidget(laptop)
    assert not place_window(laptop, "sample", QSize(1280, 800), settings, centre=True)
    assert small.contains(laptop.geometry().marginsAdded(FRAME))
    assert laptop.width() == 1280
    assert laptop.height() == 705 - FRAME.top() - FRAME.bottom()
