"""The settings page: admins manage users, others change their own password; office; print font."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Role
from sanlian_desktop.models import AuditEntry
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


def _select(qtbot: QtBot, page: SettingsPage, username: str) -> None:
    """Click the user's row in the table, as a person would."""
    model = page.users_model
    assert model is not None
    row = next(r for r in range(model.rowCount()) if model.row_at(r).username == username)
    rect = page.users_view.visualRect(model.index(row, UserTableModel.COL_NAME))
    qtbot.mouseClick(page.users_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.selected_username() == username


def _state(page: SettingsPage, username: str) -> str:
    model = page.users_model
    assert model is not None
    row = next(r for r in range(model.rowCount()) if model.row_at(r).username == username)
    return str(model.index(row, UserTableModel.COL_STATE).data())


def test_admin_disables_and_enables_a_user(qtbot: QtBot, admin_ctx: UiContext, county: Office,
                                           modals: Modals) -> None:
    page = _page(qtbot, admin_ctx)
    assert not page.active_button.isEnabled()  # nobody selected
    _select(qtbot, page, "clerk")
    assert page.active_button.isEnabled() and page.active_button.text() == "停用"
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)  # asked; the answer is 否
    assert modals.texts()[-1].startswith("停用用户 王经办（clerk）？停用后该用户不能再登录")
    assert _state(page, "clerk") == "启用"
    modals.answer = QMessageBox.StandardButton.Yes
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, admin_ctx.jobs)
    assert _state(page, "clerk") == "停用"
    assert page.selected_username() == "clerk" and page.active_button.text() == "启用"
    with county.store.session() as s, pytest.raises(UserError, match="已停用"):
        auth.sign_in(s, "clerk", PASSWORD)
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)  # enabling asks nothing
    writes_done(qtbot, admin_ctx.jobs)
    assert _state(page, "clerk") == "启用" and page.active_button.text() == "停用"
    with county.store.session() as s:
        assert auth.sign_in(s, "clerk", PASSWORD).username == "clerk"
        assert [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.entity_id == "clerk"))][-2:] == \
            ["user.disable", "user.enable"]


def test_admin_cannot_disable_himself_nor_the_last_admin(qtbot: QtBot, admin_ctx: UiContext, county: Office,
                                                         modals: Modals) -> None:
    modals.answer = QMessageBox.StandardButton.Yes
    page = _page(qtbot, admin_ctx)
    _select(qtbot, page, "admin")
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, admin_ctx.jobs)
    assert page.users_error.text() == "不能停用自己的账户" and page.users_error.isVisible()
    assert _state(page, "admin") == "启用"
    # Another admin disables this one; this admin's window still lists the other as the only active admin.
    with county.store.session() as s:
        auth.add_user(s, county.admin, username="admin2", role=Role.ADMIN, password=PASSWORD)
    with county.store.session() as s:
        auth.set_active(s, auth.sign_in(s, "admin2", PASSWORD), username="admin", active=False)
    page.refresh()
    _select(qtbot, page, "admin2")
    assert not page.users_error.isVisible()  # a new selection clears the old refusal
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, admin_ctx.jobs)
    assert page.users_error.text() == "不能停用本单位最后一位启用的管理员"
    assert _state(page, "admin2") == "启用"


def test_a_reset_password_keeps_the_office_keys_usable(qtbot: QtBot, admin_ctx: UiContext,
                                                       county: Office) -> None:
    from sanlian_desktop.offices import custody

    page = _page(qtbot, admin_ctx)
    _select(qtbot, page, "reviewer")
    qtbot.mouseClick(page.reset_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, PasswordDialog) and dialog.windowTitle() == "重设密码"
    assert not dialog.current.isVisible()  # another's password: no current password asked (nor floating)
    assert "仍可照常收发同步包" in dialog.extra.itemAt(0).widget().text()
    qtbot.keyClicks(dialog.passwords.first, "reset-pass-99")
    qtbot.keyClicks(dialog.passwords.second, "reset-pass-98")
    _ok(qtbot, dialog)
    assert dialog.error.text() == "两次输入的密码不一致"
    dialog.passwords.second.clear()
    qtbot.keyClicks(dialog.passwords.second, "short")
    dialog.passwords.first.clear()
    qtbot.keyClicks(dialog.passwords.first, "short")
    _ok(qtbot, dialog)
    assert dialog.error.text() == "密码至少需要8位"  # the rule of creation
    dialog.passwords.set_passwords("reset-pass-99")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        _ok(qtbot, dialog)
    with county.store.session() as s:
        reviewer = auth.sign_in(s, "reviewer", "reset-pass-99")
        assert custody.office_keys(s, reviewer).sign_public == custody.office_keys(s, county.admin).sign_public


def test_own_password_change_keeps_the_session_able_to_unseal_the_keys(qtbot: QtBot, admin_ctx: UiContext,
                                                                       county: Office) -> None:
    from sanlian_desktop.offices import custody

    page = _page(qtbot, admin_ctx)
    _select(qtbot, page, "admin")
    page.reset_password()
    dialog = page.dialog
    assert isinstance(dialog, PasswordDialog) and dialog.own
    qtbot.keyClicks(dialog.current, PASSWORD)
    dialog.passwords.set_passwords("admin-new-pass")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        _ok(qtbot, dialog)
    assert admin_ctx.actor.password == "admin-new-pass"
    with county.store.session() as s:
        custody.office_keys(s, admin_ctx.actor)  # the window goes on signing packages
