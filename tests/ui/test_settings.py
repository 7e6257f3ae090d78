"""The settings page: admins manage users, others change their own password; office; print font."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from sanlian_desktop.kernel.vocab import Role
from sanlian_desktop.offices import auth
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.settings.page import PRINT_FONT_KEY, SettingsPage
from sanlian_desktop.ui.settings.userdialogs import AddUserDialog, PasswordDialog
from sanlian_desktop.ui.settings.usermodel import UserTableModel
from tests.helpers import PASSWORD, Office
from tests.ui.conftest import Modals
from tests.ui.helpers import Blocked, stays_live, writes_done

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _page(qtbot: QtBot, ctx: UiContext) -> SettingsPage:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    return page


def _ok(qtbot: QtBot, dialog: AddUserDialog | PasswordDialog) -> None:
    """Press OK and wait for the write it started on the job runner."""
    jobs = dialog.jobs
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    writes_done(qtbot, jobs)


def test_admin_adds_a_reviewer(qtbot: QtBot, admin_ctx: UiContext, county: Office) -> None:
    page = _page(qtbot, admin_ctx)
    assert page.users_model is not None and page.users_model.rowCount() == 3
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, AddUserDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.username, "zhaosh")
    dialog.display_name.setText("赵审核")
    dialog.role.setCurrentIndex(dialog.role.findData(Role.REVIEWER.value))
    qtbot.keyClicks(dialog.passwords.first, PASSWORD)
    qtbot.keyClicks(dialog.passwords.second, PASSWORD)
    _ok(qtbot, dialog)
    assert dialog.added == "zhaosh"
    assert page.users_model.rowCount() == 4
    with county.store.session() as session:
        actor = auth.sign_in(session, "zhaosh", PASSWORD)
    assert actor.role is Role.REVIEWER and actor.display_name == "赵审核"


def test_add_user_shows_the_services_refusal_inline(qtbot: QtBot, admin_ctx: UiContext) -> None:
    page = _page(qtbot, admin_ctx)
    page.add_user()
    dialog = page.dialog
    assert isinstance(dialog, AddUserDialog)
    qtbot.keyClicks(dialog.username, "clerk")
    dialog.passwords.set_passwords(PASSWORD)
    _ok(qtbot, dialog)
    assert dialog.error.text() == "用户“clerk”已存在"
    assert dialog.isVisible()
    dialog.username.clear()
    qtbot.keyClicks(dialog.username, "newone")
    dialog.passwords.set_passwords("short")
    _ok(qtbot, dialog)
    assert dialog.error.text() == "密码至少需要8位"


def test_clerk_sees_own_account_only_and_the_service_refuses_adding(qtbot: QtBot, clerk_ctx: UiContext,
                                                                    county: Office) -> None:
    page = _page(qtbot, clerk_ctx)
    assert page.users_model is None
    assert not hasattr(page, "add_button")
    # Even a forged dialog is refused by the service, not by the widget.
    dialog = AddUserDialog(county.store, county.clerk, jobs=clerk_ctx.jobs)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.username, "sneaky")
    dialog.passwords.set_passwords(PASSWORD)
    _ok(qtbot, dialog)
    assert dialog.error.text() == "经办人不能管理用户（需要管理员）"
    with county.store.read_session() as session:
        assert "sneaky" not in [u.username for u in auth.list_users(session)]


def test_clerk_changes_own_password_with_the_current_one(qtbot: QtBot, clerk_ctx: UiContext,
                                                         county: Office) -> None:
    page = _page(qtbot, clerk_ctx)
    qtbot.mouseClick(page.change_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, PasswordDialog) and dialog.own
    qtbot.keyClicks(dialog.current, "wrong-current")
    dialog.passwords.set_passwords("brand-new-pass")
    _ok(qtbot, dialog)
    assert dialog.error.text() == "当前密码不正确"
    dialog.current.clear()
    qtbot.keyClicks(dialog.current, PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):  # then the dialog deletes itself
        _ok(qtbot, dialog)
    with county.store.session() as session:
        assert auth.sign_in(session, "clerk", "brand-new-pass").username == "clerk"


def test_admin_resets_a_selected_users_password(qtbot: QtBot, admin_ctx: UiContext, county: Office,
                                                modals: Modals) -> None:
    page = _page(qtbot, admin_ctx)
    page.reset_password()
    assert modals.texts() == ["请先在列表中选择一位用户。"]
    page.users_view.selectRow(2)
    page.reset_password()
    dialog = page.dialog
    assert isinstance(dialog, PasswordDialog) and dialog.username == "reviewer" and not dialog.own
    dialog.passwords.set_passwords("reset-pass-99")
    _ok(qtbot, dialog)
    with county.store.session() as session:
        assert auth.sign_in(session, "reviewer", "reset-pass-99").username == "reviewer"


def test_office_tab_shows_name_level_path_and_code(qtbot: QtBot, admin_ctx: UiContext) -> None:
    page = _page(qtbot, admin_ctx)
    assert page.office_name.text() == "城关区民政局"
    assert page.office_level.text() == "县(市、区)"
    assert page.office_region.text() == "甘肃省 兰州市 城关区"
    assert page.office_code.text() == "620102"


def test_print_font_accepts_truetype_and_refuses_others(qtbot: QtBot, admin_ctx: UiContext, tmp_path: Path,
                                                        modals: Modals) -> None:
    page = _page(qtbot, admin_ctx)
    fake_otf = tmp_path / "NotoSansCJK-Regular.otf"
    fake_otf.write_bytes(b"OTTO")
    assert not page.set_font_path(fake_otf)
    assert "只能使用 .ttf 或 .ttc" in page.font_error.text()
    broken = tmp_path / "broken.ttc"
    broken.write_bytes(b"not a font")
    assert not page.set_font_path(broken)
    assert "不能嵌入" in page.font_error.text()
    assert admin_ctx.settings.value(PRINT_FONT_KEY) is None
    if WQY.exists():
        modals.open_file = str(WQY)
        page.choose_font()
        assert admin_ctx.settings.value(PRINT_FONT_KEY) == str(WQY)
        assert page.font_path.text() == str(WQY) and not page.font_error.isVisible()
    page.set_font_path(None)
    assert admin_ctx.settings.value(PRINT_FONT_KEY) is None


def test_user_table_model(qtmodeltester: object, county: Office) -> None:
    model = UserTableModel(county.store)
    model.reload()
    assert model.rowCount() == 3
    assert model.index(1, UserTableModel.COL_NAME).data() == "王经办"
    assert model.index(1, UserTableModel.COL_ROLE).data() == "经办人"
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_a_slow_password_hash_runs_off_the_gui_thread(qtbot: QtBot, admin_ctx: UiContext, county: Office,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = Blocked(monkeypatch, auth, "add_user")
    page = _page(qtbot, admin_ctx)
    page.add_user()
    dialog = page.dialog
    assert isinstance(dialog, AddUserDialog)
    qtbot.keyClicks(dialog.username, "zhaosh")
    dialog.passwords.set_passwords(PASSWORD)
    assert dialog.apply()
    stays_live(qtbot, blocked, page)
    assert admin_ctx.jobs.writing(dialog) and not dialog.buttons.isEnabled()
    assert not dialog.apply()  # a second OK starts no second write
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        blocked.release.set()
    writes_done(qtbot, admin_ctx.jobs)
    assert blocked.ran_off_the_gui_thread() and dialog.added == "zhaosh"
    assert page.users_model is not None and page.users_model.rowCount() == 4
