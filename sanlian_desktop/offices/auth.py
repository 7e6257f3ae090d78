"""Users of this office: accounts, roles, passwords (argon2) and signing in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.models import Office, User
from sanlian_desktop.store import audit

if TYPE_CHECKING:
    from argon2 import PasswordHasher  # imported when first needed: argon2 is slow to load

_USERNAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,32}$")
MIN_PASSWORD = 8
MAX_DISPLAY_NAME = 32  # a person's name (姓名); the column holds 64


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user of this office."""

    username: str
    display_name: str
    role: Role
    office_code: str
    office_level: Level
    office_name: str
    # Kept only for the life of the session, to unseal the office's keys when a package is signed.
    password: str = field(default="", repr=False, compare=False)

    def require(self, *roles: Role, action: str) -> None:
        """Refuse unless the actor has one of ``roles``."""
        if self.role not in roles:
            names = "、".join(r.label for r in roles)
            raise PermissionDenied(
                f"{self.role.label}不能{action}（需要{names}）",
                f"a {self.role.value} may not {action_en(action)}; needs {', '.join(r.value for r in roles)}",
            )


def action_en(action: str) -> str:
    return {"编辑申报": "edit declarations", "审核申报": "review declarations", "管理用户": "manage users",
            "提交申报": "submit declarations", "新建申报": "create declarations",
            "管理批次": "manage batches", "管理区划": "manage regions",
            "维护台账": "edit registries"}.get(action, action)


# argon2's cost for new password hashes: (time_cost, memory_cost KiB, parallelism); None is argon2's
# default. Only the test suite lowers it (tests/cheaphash.py); hashes carry their parameters.
HASH_COST: tuple[int, int, int] | None = None


def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    if HASH_COST is not None:
        time_cost, memory_cost, parallelism = HASH_COST
        return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher().hash(password)


def check_password_strength(password: str) -> None:
    """Refuse passwords too short to protect the office's keys."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"密码至少需要{MIN_PASSWORD}位", f"the password needs at least {MIN_PASSWORD} characters")


def clean_display_name(display_name: str, *, required: bool = False) -> str:
    """A person's name (姓名), trimmed; refused when too long, or blank where it is ``required``."""
    name = display_name.strip()
    if required and not name:
        raise UserError("请填写姓名", "the person's name is required")
    if len(name) > MAX_DISPLAY_NAME:
        raise UserError(f"姓名最多{MAX_DISPLAY_NAME}个字", f"a name has at most {MAX_DISPLAY_NAME} characters")
    return name


def this_office(session: Session) -> Office:
    """The office this store belongs to."""
    office = session.scalar(select(Office).where(Office.is_self.is_(True)))
    if office is None:
        raise UserError("本单位尚未初始化，请先运行 init", "this office is not set up; run 'init' first")
    return office


def add_user(session: Session, by: Actor | None, *, username: str, role: Role, password: str,
             display_name: str = "") -> User:
    """Create a user; only an admin may (``by`` is None only while the office is being set up)."""
    if by is not None:
        by.require(Role.ADMIN, action="管理用户")
    username = username.strip()
    if not _USERNAME.match(username):
        raise UserError(
            "用户名应为2至32位字母、数字、汉字或 _ . -", "a username has 2-32 letters, digits, Chinese, _ . -"
        )
    if session.scalar(select(User).where(func.lower(User.username) == username.lower())) is not None:
        raise UserError(f"用户“{username}”已存在", f"user '{username}' already exists")
    display_name = clean_display_name(display_name)
    check_password_strength(password)
    office = this_office(session)
    user = User(username=username, display_name=display_name or username, role=role.value,
                password_hash=hash_password(password), created_by=by.username if by else "")
    session.add(user)
    session.flush()
    if by is not None:
        _share_office_keys(session, by, username, password)
    audit.record(session, office=office.region_code, user=by.username if by else username,
                 action="user.add", entity="user", entity_id=username, details={"role": role.value})
    return user


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"没有用户“{username}”", f"no user '{username}'")
    return user


def set_password(session: Session, by: Actor, *, username: str, password: str) -> None:
    """Reset a user's password (an admin for anyone, a user for themselves).

    The office's sealing key is wrapped again under the new password, so the user keeps signing and
    opening sync packages; an admin who cannot unseal the keys is refused (the reset would cut the user
    off from them)."""
    if by.username != username:
        by.require(Role.ADMIN, action="管理用户")
    user = _user(session, username)
    check_password_strength(password)
    _share_office_keys(session, by, username, password)  # first: a refusal leaves the password as it was
    user.password_hash = hash_password(password)
    audit.record(session, office=by.office_code, user=by.username, action="user.password",
                 entity="user", entity_id=username)


def set_active(session: Session, by: Actor, *, username: str, active: bool) -> User:
    """Disable (停用) or enable (启用) a user; only an admin may. A disabled user cannot sign in; their
    name stays on what they did. An admin cannot disable himself, nor the office's last active admin."""
    by.require(Role.ADMIN, action="管理用户")
    user = _user(session, username)
    if user.active == active:
        state, state_en = ("启用", "enabled") if active else ("停用", "disabled")
        raise UserError(f"用户“{username}”已是{state}状态", f"user '{username}' is already {state_en}")
    if not active:
        if user.username == by.username:
            raise UserError("不能停用自己的账户", "an admin cannot disable his own account")
        if user.role == Role.ADMIN.value:
            others = session.scalar(select(func.count()).select_from(User).where(
                User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id))
            if not others:
                raise UserError("不能停用本单位最后一位启用的管理员", "cannot disable the office's last active admin")
    user.active = active
    audit.record(session, office=by.office_code, user=by.username,
                 action="user.enable" if active else "user.disable", entity="user", entity_id=username)
    session.flush()
    return user


def check_still_active(session: Session, actor: Actor) -> None:
    """Refuse to act for ``actor`` once an admin has disabled the account (on an office server, from another
    PC while this one stays signed in): checked before each of the program's writes."""
    active = session.scalar(select(User.active).where(User.username == actor.username))
    if not active:
        raise UserError(f"账户“{actor.username}”已被本单位管理员停用，不能继续操作。请点“文件 → 切换用户”换用其他账户登录，"
                        "或联系本单位管理员。", f"the account '{actor.username}' has been disabled")


def _share_office_keys(session: Session, by: Actor, username: str, password: str) -> None:
    """Let the user unseal the office's keys with their (new) password, when ``by`` can unseal them."""
    from sanlian_desktop.models import OfficeKeyRing, UserKeyWrap
    from sanlian_desktop.offices import custody as trust

    if session.get(OfficeKeyRing, by.office_code) is None or not by.password:
        return
    if session.get(UserKeyWrap, by.username) is None:
        if by.username == username:
            return  # one's own new password: there is no access to keep
        raise PermissionDenied(
            f"您的账户（{by.username}）不能使用本单位密钥，不能为“{username}”设置密码：否则该用户将无法收发同步包。"
            "请由能使用本单位密钥的管理员操作",
            f"{by.username} cannot unseal the office keys, so cannot give '{username}' access to them",
        )
    trust.grant_key_access(session, by, username, password)


def list_users(session: Session) -> list[User]:
    """All users of this office, by name."""
    return list(session.scalars(select(User).order_by(User.username)))


def sign_in(session: Session, username: str, password: str) -> Actor:
    """Check the password and return the actor; the same message for unknown user and wrong password,
    and a disabled account refused (after the password is checked)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    user = session.scalar(select(User).where(User.username == username))
    refused = UserError("用户名或密码不正确", "wrong user name or password")
    if user is None:
        raise refused
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise refused from None
    if not user.active:  # told only to whoever knows the password
        raise UserError(f"账户“{username}”已停用，不能登录，请联系本单位管理员", f"the account '{username}' is disabled")
    office = this_office(session)
    return Actor(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        office_code=office.region_code,
        office_level=Level(office.level),
        office_name=office.name,
        password=password,
    )
