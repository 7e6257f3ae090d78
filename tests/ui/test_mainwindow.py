"""The main window: pages from the registry, who and where, remembered state, switching user."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from sanlian_desktop import app
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.mainwindow import LAST_PAGE_KEY, MainWindow
from sanlian_desktop.ui.pages import PageEntry, available_pages, shown_to
from tests.helpers import Office


class SearchPage(QWidget):
    title = "待办"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.refreshed = 0
        self.search = QLineEdit(self)
        QVBoxLayout(self).addWidget(self.search)

    def refresh(self) -> None:
        self.refreshed += 1

    def focus_search(self) -> None:
        self.search.setFocus()


class PlainPage(QWidget):
    title = "统计"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel(ctx.actor.display_name, self))


def _window(qtbot: QtBot, ctx: UiContext, pages: list[PageEntry] | None = None, **kwargs: object) -> MainWindow:
    window = MainWindow(ctx, pages=pages, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_title_and_status_bar_name_office_and_user(qtbot: QtBot, admin_ctx: UiContext) -> None:
    window = _window(qtbot, admin_ctx)
    assert window.windowTitle() == "城关区民政局"  # Qt adds the program's name once
    assert window.office_label.text() == "单位：城关区民政局"
    assert window.user_label.text() == "用户：admin"
    assert window.role_label.text() == "角色：管理员"


def test_navigation_comes_from_the_registry_skipping_missing_modules(qtbot: QtBot, admin_ctx: UiContext) -> None:
    window = _window(qtbot, admin_ctx)
    keys = [e.key for e in available_pages() if shown_to(e, admin_ctx.actor)]
    assert "settings" in keys
    assert window.page_keys() == keys
    assert "selection" in [e.key for e in available_pages()] and "selection" not in keys  # province only
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert "设置" in titles


def test_the_composition_root_lists_every_page_once_in_navigation_order() -> None:
    keys = [e.key for e in available_pages()]
    assert keys == ["inbox", "selection", "declarations", "implementation", "sync", "paper", "evaluation",
                    "stats", "registries", "settings"]
    assert all(e.title for e in available_pages())
    app.compose_gui()  # again: nothing is added twice
    assert [e.key for e in available_pages()] == keys
    assert [e.key for e in available_pages(level=Level.EVALUATOR)] == ["sync", "evaluation", "settings"]


def test_pages_are_built_once_and_refreshed_on_return(qtbot: QtBot, admin_ctx: UiContext) -> None:
    pages = [PageEntry("inbox", SearchPage), PageEntry("stats", PlainPage)]
    window = _window(qtbot, admin_ctx, pages)
    inbox = window.page("inbox")
    assert isinstance(inbox, SearchPage) and window.current_page() is inbox
    window.show_page("stats")
    assert admin_ctx.settings.value(LAST_PAGE_KEY) == "stats"
    window.show_page("inbox")
    assert window.page("inbox") is inbox and inbox.refreshed == 1


def test_last_page_and_geometry_are_remembered(qtbot: QtBot, admin_ctx: UiContext, settings: QSettings) -> None:
    pages = [PageEntry("inbox", SearchPage), PageEntry("stats", PlainPage)]
    window = _window(qtbot, admin_ctx, pages)
    window.show_page("stats")
    window.resize(700, 500)
    window.close()
    again = _window(qtbot, admin_ctx, pages)
    assert isinstance(again.current_page(), PlainPage)
    assert again.size().width() == 700


def test_switch_user_rebuilds_pages_for_the_new_actor(qtbot: QtBot, admin_ctx: UiContext, county: Office) -> None:
    pages = [PageEntry("stats", PlainPage)]
    window = _window(qtbot, admin_ctx, pages, sign_in_again=lambda _w: county.clerk)
    first = window.current_page()
    window.switch_action.trigger()
    assert window.ctx.actor.username == "clerk"
    assert window.user_label.text() == "用户：王经办"
    assert window.role_label.text() == "角色：经办人"
    assert window.current_page() is not first
    label = window.current_page().findChild(QLabel)  # type: ignore[union-attr]
    assert label is not None and label.text() == "王经办"


def test_about_names_the_office(qtbot: QtBot, admin_ctx: UiContext, modals: object) -> None:
    window = _window(qtbot, admin_ctx, [PageEntry("stats", PlainPage)])
    window.about()
    assert any("城关区民政局" in text and "兰州市 城关区" in text for text in modals.texts())  # type: ignore[attr-defined]


def test_ctrl_f_is_bound_to_the_page_search(qtbot: QtBot, admin_ctx: UiContext) -> None:
    window = _window(qtbot, admin_ctx, [PageEntry("inbox", SearchPage)])
    page = window.current_page()
    assert isinstance(page, SearchPage)
    assert window.find_shortcut.key().toString() == "Ctrl+F"
    window.nav.setFocus()
    window.find_shortcut.activated.emit()
    qtbot.waitUntil(page.search.hasFocus)
