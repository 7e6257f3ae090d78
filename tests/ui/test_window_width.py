"""Every page of every kind of office fits a 1024 px wide screen (office PCs: 1366×768, 1280×1024 and
some 1024×768): the main window's minimum width, with the window's borders, is at most 1024 px, and at
that width no label or button is cut. The 待办 filter bar wraps onto a second row rather than widening
the window, and every filter still works there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from sanlian_desktop.demo import generate as demo
from sanlian_desktop.ui.app import choose_ui_font
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.inbox.model import COL_TITLE
from sanlian_desktop.ui.inbox.page import TITLE_MIN_WIDTH, InboxPage
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.mainwindow import MainWindow
from tests.helpers import Office, make_office

SCREEN = 1024
FRAME = 16  # a window's borders (Windows 10: 8 px a side), outside the size Qt lays out
LEVELS = [("community", "620102001001", "东岗西路社区居委会"), ("street", "620102001", "东岗街道办事处"),
          ("county", "620102", "城关区民政局"), ("city", "620100", "兰州市民政局"),
          ("province", "620000", "甘肃省民政厅"), ("evaluator", "620000E001", "甘肃省社会工作评估中心")]


@pytest.fixture
def ui_font(qapp: QApplication) -> Iterator[None]:
    """The CJK font the program itself chooses, so that text is measured as users see it."""
    before = qapp.font()
    choose_ui_font(qapp)
    yield
    qapp.setFont(before)


def _office(tmp_path: Path, level: str, code: str, name: str) -> Office:
    office = make_office(tmp_path / level, level, code, name, with_regions=level != "evaluator",
                         with_batch=level != "evaluator")
    if level in ("county", "province"):  # real names in the lists, combo boxes and tables
        demo.generate(office.store, office.admin, count=30, seed=5)
    return office


def _cut(page: QWidget, window: QWidget) -> list[tuple[str, str, int, int]]:
    """Labels and buttons shown narrower than their text needs."""
    widgets: list[Any] = [*page.findChildren(QLabel), *page.findChildren(QAbstractButton)]
    return [(type(w).__name__, w.text(), w.width(), w.minimumSizeHint().width()) for w in widgets
            if w.isVisibleTo(window) and w.width() < w.minimumSizeHint().width()]


@pytest.mark.parametrize(("level", "code", "name"), LEVELS, ids=[lvl for lvl, _, _ in LEVELS])
def test_every_page_fits_a_1024_px_screen(qtbot: QtBot, tmp_path: Path, jobs: JobRunner, ui_font: None,
                                          level: str, code: str, name: str) -> None:
    office = _office(tmp_path, level, code, name)
    try:
        for actor in (office.admin, office.clerk, office.reviewer):
            settings = QSettings(str(tmp_path / f"{actor.username}.ini"), QSettings.Format.IniFormat)
            window = MainWindow(UiContext(office.store, actor, settings, jobs))
            qtbot.addWidget(window)
            window.resize(SCREEN - FRAME, 700)
            window.show()
            assert window.page_keys()
            for key in window.page_keys():
                window.show_page(key)
                qtbot.waitUntil(lambda: jobs.active == 0, timeout=30_000)
                QApplication.processEvents()
                width = window.minimumSizeHint().width()
                assert width + FRAME <= SCREEN, (level, actor.role.value, key, width)
                assert window.width() == SCREEN - FRAME
                page = window.current_page()
                assert page is not None
                assert _cut(page, window) == [], (level, actor.role.value, key)
            window.close()
    finally:
        office.store.close()


def _province_inbox(qtbot: QtBot, tmp_path: Path, width: int) -> tuple[MainWindow, InboxPage, Office]:
    office = _office(tmp_path, "province", "620000", "甘肃省民政厅")
    settings = QSettings(str(tmp_path / "inbox.ini"), QSettings.Format.IniFormat)
    window = MainWindow(UiContext(office.store, office.reviewer, settings, None))
    qtbot.addWidget(window)
    window.resize(width, 768)
    window.show()
    window.show_page("inbox")
    page = window.current_page()
    assert isinstance(page, InboxPage)
    QApplication.processEvents()
    return window, page, office


def test_the_filter_bar_wraps_at_1024_and_every_filter_works(qtbot: QtBot, tmp_path: Path, ui_font: None) -> None:
    window, page, office = _province_inbox(qtbot, tmp_path, SCREEN - FRAME)
    try:
        bar = page.filters
        assert len(bar.flow.rows(bar.width())) == 2
        shown = [bar.search, bar.status, bar.batch, bar.region, bar.focus, bar.overdue, bar.days]
        for widget in shown:
            assert widget.isVisibleTo(window)
            assert widget.width() >= widget.minimumSizeHint().width()
            assert bar.rect().contains(widget.geometry()) or bar.rect().contains(
                widget.parentWidget().geometry())
        boxes = [w.geometry() if w.parentWidget() is bar else w.parentWidget().geometry() for w in shown]
        assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a != b)
        # The project name stays readable; the table scrolls sideways instead.
        assert page.view.horizontalHeader().sectionSize(COL_TITLE) == TITLE_MIN_WIDTH
        # Each filter still filters.
        bar.region.setCurrentIndex(1)
        bar.focus.setCurrentIndex(bar.focus.findData("扶老救孤"))
        bar.status.setCurrentIndex(bar.status.findData("under_review"))
        bar.batch.setCurrentIndex(1)
        bar.overdue.setChecked(True)
        bar.days.setValue(30)
        flt = bar.current()
        assert (flt.region_code, flt.focus_area, flt.status, flt.batch_id, flt.overdue_days) == (
            bar.region.itemData(1), "扶老救孤", "under_review", bar.batch.itemData(1), 30)
        assert bar.batch.toolTip() == bar.batch.currentText()  # the whole name, cut in the box
    finally:
        window.close()
        office.store.close()


def test_the_filter_bar_keeps_one_row_at_1366(qtbot: QtBot, tmp_path: Path, ui_font: None) -> None:
    window, page, office = _province_inbox(qtbot, tmp_path, 1366 - FRAME)
    try:
        bar = page.filters
        assert len(bar.flow.rows(bar.width())) == 1
        tops = {w.mapTo(bar, w.rect().topLeft()).y() // 10 for w in (bar.search, bar.status, bar.focus, bar.days)}
        assert len(tops) == 1
        header = page.view.horizontalHeader()
        others = sum(header.sectionSize(c) for c in range(header.count()) if c != COL_TITLE)
        # A wide window: the name takes all the room the other columns leave.
        assert header.sectionSize(COL_TITLE) == page.view.viewport().width() - others > TITLE_MIN_WIDTH
    finally:
        window.close()
        office.store.close()
