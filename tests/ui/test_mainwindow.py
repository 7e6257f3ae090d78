"""The main window: pages from the registry, who and where, remembered state, switching user."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from sanlian_desktop import app
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Declaration
from sanlian_desktop.offices import auth
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.form.dialog import DeclarationDialog
from sanlian_desktop.ui.mainwindow import LAST_PAGE_KEY, MainWindow
from sanlian_desktop.ui.pages import PageEntry, available_pages, shown_to
from tests.helpers import Office
from tests.ui.conftest import Modals
from tests.ui.helpers import writes_done


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


def test_a_disabled_account_cannot_write_while_still_signed_in(qtbot: QtBot, clerk_ctx: UiContext, county: Office,
                                                                modals: Modals, example: dict[str, Any]) -> None:
    """On an office server an admin disables a clerk from another PC while the clerk's PC stays signed in:
    the clerk's next save is refused with what happened and what to do, and nothing is written; signed
    in again once the account is enabled, saving works."""
    window = _window(qtbot, clerk_ctx, [PageEntry("stats", PlainPage)], sign_in_again=lambda _w: county.clerk)
    with county.session() as s:  # the admin, elsewhere
        auth.set_active(s, county.admin, username="clerk", active=False)
    dialog = DeclarationDialog(county.store, clerk_ctx.actor, None, jobs=clerk_ctx.jobs)
    qtbot.addWidget(dialog)
    dialog.form.load(example)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, clerk_ctx.jobs)
    shown = " ".join([*modals.texts(), dialog.form.summary.text()])
    assert "已被本单位管理员停用" in shown and "切换用户" in shown
    assert dialog.decl_id is None
    with county.store.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Declaration)) == 0

    with county.session() as s:
        auth.set_active(s, county.admin, username="clerk", active=True)
    window.switch_action.trigger()  # the clerk signs in again
    dialog = DeclarationDialog(county.store, window.ctx.actor, None, jobs=window.ctx.jobs)
    qtbot.addWidget(dialog)
    dialog.form.load(example)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, window.ctx.jobs)
    assert dialog.decl_id is not None
