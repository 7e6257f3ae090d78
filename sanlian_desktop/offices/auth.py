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
    check_password_strength(password)
    office = this_office(session)
    user = User(username=username, display_name=display_name.strip() or username, role=role.value,
                password_hash=hash_password(password), created_by=by.username if by else "")
    session.add(user)
    session.flush()
    if by is not None:
        _share_office_keys(session, by, username, password)
    audit.record(session, office=office.region_code, user=by.username if by else username,
                 action="user.add", entity="user", entity_id=username, details={"role": role.value})
    return user


def set_password(session: Session, by: Actor, *, username: str, password: str) -> None:
    """Reset a user's password (an admin for anyone, a user for themselves)."""
    if by.username != username:
        by.require(Role.ADMIN, action="管理用户")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"没有用户“{username}”", f"no user '{username}'")
    check_password_strength(password)
    user.password_hash = hash_password(password)
    _share_office_keys(session, by, username, password)
    audit.record(session, office=by.office_code, user=by.username, action="user.password",
                 entity="user", entity_id=username)


def _share_office_keys(session: Session, by: Actor, username: str, password: str) -> None:
    """Let the user unseal the office's keys with their (new) password, when ``by`` can unseal them."""
    from sanlian_desktop.models import OfficeKeyRing
    from sanlian_desktop.offices import custody as trust

    if session.get(OfficeKeyRing, by.office_code) is not None and by.password:
        trust.grant_key_access(session, by, username, password)


def list_users(session: Session) -> list[User]:
    """All users of this office, by name."""
    return list(session.scalars(select(User).order_by(User.username)))


def sign_in(session: Session, username: str, password: str) -> Actor:
    """Check the password and return the actor; the same message for unknown user and wrong password."""
    from argon2.exceptions import InvalidHashError, VerificationError

    user = session.scalar(select(User).where(User.username == username))
    refused = UserError("用户名或密码不正确", "wrong user name or password")
    if user is None or not user.active:
        raise refused
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise refused from None
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
