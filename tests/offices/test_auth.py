"""Users: names (姓名), disabling and enabling, resetting a password with the office keys kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select

from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.models import AuditEntry, User, UserKeyWrap
from sanlian_desktop.offices import auth, custody
from sanlian_desktop.offices.office import init_office
from sanlian_desktop.store import audit
from tests.helpers import PASSWORD, Office


def _actions(office: Office) -> list[tuple[str, str, str]]:
    with office.store.read_session() as s:
        return [(e.username, e.action, e.entity_id) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))
                if e.action.startswith("user.")]


def test_the_admins_name_is_kept_trimmed_at_setup(tmp_path: Path) -> None:
    store = init_office(tmp_path / "o", level=Level.COUNTY, region_code="620102", name="城关区民政局", admin="chief",
                        admin_password=PASSWORD, admin_display_name="  王建国 ")
    with store.session() as s:
        assert auth.sign_in(s, "chief", PASSWORD).display_name == "王建国"
    store.close()


def test_a_name_too_long_is_refused_and_creates_nothing(tmp_path: Path, county: Office) -> None:
    home = tmp_path / "o"
    with pytest.raises(UserError, match="姓名最多32个字"):
        init_office(home, level=Level.COUNTY, region_code="620102", name="城关区民政局", admin="chief",
                    admin_password=PASSWORD, admin_display_name="名" * 33)
    assert not (home / "sanlian.db").exists()
    with county.store.session() as s, pytest.raises(UserError, match="姓名最多32个字"):
        auth.add_user(s, county.admin, username="long", role=Role.CLERK, password=PASSWORD, display_name="名" * 33)
    assert auth.clean_display_name(" 名" * 16) == ("名 " * 15 + "名")
    with pytest.raises(UserError, match="请填写姓名"):
        auth.clean_display_name("  ", required=True)


def test_a_disabled_user_cannot_sign_in_until_enabled(county: Office) -> None:
    with county.store.session() as s:
        auth.set_active(s, county.admin, username="clerk", active=False)
    with county.store.session() as s:
        with pytest.raises(UserError, match="账户“clerk”已停用，不能登录，请联系本单位管理员"):
            auth.sign_in(s, "clerk", PASSWORD)
        # A wrong password is told as before: a disabled account is revealed only to whoever knows it.
        with pytest.raises(UserError, match="用户名或密码不正确"):
            auth.sign_in(s, "clerk", "wrong-password")
        with pytest.raises(UserError, match="已是停用状态"):
            auth.set_active(s, county.admin, username="clerk", active=False)
    with county.store.session() as s:
        auth.set_active(s, county.admin, username="clerk", active=True)
    with county.store.session() as s:
        assert auth.sign_in(s, "clerk", PASSWORD).username == "clerk"
        assert audit.verify(s).ok
    assert _actions(county)[-2:] == [("admin", "user.disable", "clerk"), ("admin", "user.enable", "clerk")]


def test_only_an_admin_disables_and_never_himself_nor_the_last_admin(county: Office) -> None:
    with county.store.session() as s:
        with pytest.raises(PermissionDenied, match="经办人不能管理用户"):
            auth.set_active(s, county.clerk, username="reviewer", active=False)
        with pytest.raises(UserError, match="不能停用自己的账户"):
            auth.set_active(s, county.admin, username="admin", active=False)
        auth.add_user(s, county.admin, username="admin2", role=Role.ADMIN, password=PASSWORD)
    with county.store.session() as s:
        second = auth.sign_in(s, "admin2", PASSWORD)
        auth.set_active(s, second, username="admin", active=False)
    # The first admin's window is still open: he may not disable the only admin left.
    with pytest.raises(UserError, match="不能停用本单位最后一位启用的管理员"), county.store.session() as s:
        auth.set_active(s, county.admin, username="admin2", active=False)
    with county.store.read_session() as s:
        assert s.scalar(select(User.active).where(User.username == "admin2")) is True
    with pytest.raises(UserError, match="没有用户“nobody”"), county.store.session() as s:
        auth.set_active(s, county.admin, username="nobody", active=False)


def test_a_reset_password_keeps_the_users_access_to_the_office_keys(county: Office) -> None:
    with county.store.session() as s:
        before = custody.office_keys(s, county.reviewer).sign_public
        auth.set_password(s, county.admin, username="reviewer", password="reset-pass-99")
    with county.store.session() as s:
        with pytest.raises(UserError):
            auth.sign_in(s, "reviewer", PASSWORD)
        reviewer = auth.sign_in(s, "reviewer", "reset-pass-99")
        assert custody.office_keys(s, reviewer).sign_public == before
    assert _actions(county)[-1] == ("admin", "user.password", "reviewer")


def test_an_admin_who_cannot_unseal_the_keys_cannot_reset_anothers_password(county: Office) -> None:
    with county.store.session() as s:
        s.execute(delete(UserKeyWrap).where(UserKeyWrap.username == "admin"))
    with pytest.raises(PermissionDenied, match="不能使用本单位密钥，不能为“reviewer”设置密码"), county.store.session() as s:
        auth.set_password(s, county.admin, username="reviewer", password="reset-pass-99")
    with county.store.session() as s:
        reviewer = auth.sign_in(s, "reviewer", PASSWORD)  # nothing changed
        custody.office_keys(s, reviewer)
        # His own password he may still change: he has no access to keep.
        auth.set_password(s, county.admin, username="admin", password="own-new-pass")
    with county.store.session() as s:
        assert auth.sign_in(s, "admin", "own-new-pass").username == "admin"
