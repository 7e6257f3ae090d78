"""An empty list says what to do first and where, not only "共 0 份"; submitting a review says so."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.inbox.page import DeclarationsPage, InboxPage
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.mainwindow import MainWindow
from sanlian_desktop.ui.review.dialog import ReviewDialog
from tests.helpers import Office, example_declaration, make_office
from tests.ui.helpers import submitted


def _hint(page: DeclarationsPage) -> str:
    QApplication.processEvents()
    assert page.empty.isVisibleTo(page), "no hint over the empty list"
    return page.empty.text()


def test_no_batch_yet_says_where_batches_come_from(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                                   jobs: JobRunner) -> None:
    office = make_office(tmp_path / "new", "county", "620102", "城关区民政局", with_batch=False)
    try:
        page = DeclarationsPage(UiContext(office.store, office.clerk, settings, jobs))
        qtbot.addWidget(page)
        page.show()
        assert page.count.text() == "共 0 份"
        assert _hint(page) == ("还没有申报批次。申报批次由省民政厅设立，随上级的数据包下发："
                               "请在“同步”页导入上级发来的数据包。")
    finally:
        office.store.close()


def test_an_admin_is_told_who_enters_declarations(qtbot: QtBot, county: Office, settings: QSettings,
                                                   jobs: JobRunner) -> None:
    page = DeclarationsPage(UiContext(county.store, county.admin, settings, jobs))
    qtbot.addWidget(page)
    page.show()
    text = _hint(page)
    assert "新申报由经办人录入" in text and "“申报”页点击“新建申报”" in text and "设置 → 用户" in text
    clerk_page = DeclarationsPage(UiContext(county.store, county.clerk, settings, jobs))
    qtbot.addWidget(clerk_page)
    clerk_page.show()
    assert "点击右下方的“新建申报”" in _hint(clerk_page)
    assert clerk_page.new_button.isVisible()


def test_the_inbox_hint_and_a_filter_that_finds_nothing(qtbot: QtBot, county: Office, settings: QSettings,
                                                        jobs: JobRunner) -> None:
    page = InboxPage(UiContext(county.store, county.reviewer, settings, jobs))
    qtbot.addWidget(page)
    page.show()
    assert _hint(page) == "没有等待本单位审核的申报。下级单位上报的申报随数据包到达：请在“同步”页导入收到的数据包。"
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not page.model.loading)
    assert _hint(page) == "本单位没有退回过申报。"

    submitted(county, example_declaration())
    page.tabs.setCurrentIndex(0)
    page.model.background = False
    page.refresh()
    assert page.model.rowCount() == 1
    QApplication.processEvents()
    assert not page.empty.isVisibleTo(page)
    page.filters.search.setText("没有这样的项目")
    page.filters._timer.timeout.emit()
    qtbot.waitUntil(lambda: not page.model.loading and page.model.rowCount() == 0)
    assert _hint(page) == "没有符合筛选条件的申报。请清除搜索框或把筛选条件改回“全部”。"


def test_submitting_a_review_says_so_in_the_status_bar(qtbot: QtBot, county: Office, settings: QSettings,
                                                        jobs: JobRunner) -> None:
    decl_id = submitted(county, example_declaration())
    window = MainWindow(UiContext(county.store, county.reviewer, settings, jobs))
    qtbot.addWidget(window)
    window.show()
    window.show_page("inbox")
    page = window.current_page()
    assert isinstance(page, InboxPage)
    dialog = page.open_declaration(decl_id)
    assert isinstance(dialog, ReviewDialog)
    dialog.text.setPlainText("同意上报。")
    with qtbot.waitSignal(dialog.reviewed, timeout=10_000):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    message = window.statusBar().currentMessage()
    assert message.startswith("已提交：") and "（同意）" in message
    assert example_declaration()["title"] in message
    qtbot.waitUntil(lambda: jobs.active == 0, timeout=10_000)
    window.close()


def test_every_empty_list_of_a_new_office_says_what_to_do(qtbot: QtBot, tmp_path: Path, jobs: JobRunner) -> None:
    from sanlian_desktop.ui.empty import EmptyHint

    for level, code, name in (("county", "620102", "城关区民政局"), ("province", "620000", "甘肃省民政厅")):
        office = make_office(tmp_path / level, level, code, name)
        try:
            settings = QSettings(str(tmp_path / f"{level}.ini"), QSettings.Format.IniFormat)
            window = MainWindow(UiContext(office.store, office.admin, settings, jobs))
            qtbot.addWidget(window)
            window.show()
            hinted = set()
            for key in window.page_keys():
                window.show_page(key)
                qtbot.waitUntil(lambda: jobs.active == 0, timeout=30_000)
                QApplication.processEvents()
                page = window.current_page()
                assert page is not None
                for hint in page.findChildren(EmptyHint):
                    if hint.view.isVisibleTo(window) and hint.is_empty():
                        assert hint.isVisibleTo(window), (level, key)
                        assert "“" in hint.text() or "登记" in hint.text(), (level, key, hint.text())
                        hinted.add(key)
            expected = {"inbox", "declarations", "implementation", "sync"}
            if level == "province":
                expected |= {"selection", "evaluation"}
            assert expected <= hinted, (level, hinted)
            window.close()
        finally:
            office.store.close()
