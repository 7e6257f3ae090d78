"""A ready-made demo office for a first look: 城关区民政局 with three users and generated declarations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sanlian_desktop.demo import generate as demo
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.offices import auth
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.offices.office import init_office
from sanlian_desktop.screening.service import refresh_store
from sanlian_desktop.store.engine import Store

DEMO_REGION = "620102"
DEMO_OFFICE_NAME = "城关区民政局"
DEMO_PASSWORD = "demo1234"
# (username, display name, role); the first is the admin that init_office creates (named as its username).
DEMO_USERS: list[tuple[str, str, Role]] = [
    ("admin", "admin", Role.ADMIN),
    ("reviewer", "李审核", Role.REVIEWER),
    ("clerk", "王经办", Role.CLERK),
]
DEMO_DECLARATIONS = 300


def demo_home(data_home: Path) -> Path:
    """The demo store's folder: beside, never inside, the office's own store."""
    return Path(data_home) / "demo"


def demo_exists(data_home: Path) -> bool:
    """Whether a demo store was made under ``data_home`` before."""
    return AppPaths(demo_home(data_home)).database.exists()


def open_or_create_demo(data_home: Path, *, count: int = DEMO_DECLARATIONS,
                        step: Callable[[str], None] | None = None) -> Store:
    """The demo store under ``data_home``, made on first use with its users and ``count`` declarations."""
    home = demo_home(data_home)
    if AppPaths(home).database.exists():
        return Store.open(home)
    report = step or (lambda _text: None)
    report("正在创建演示单位…")
    admin_name, _, _ = DEMO_USERS[0]
    store = init_office(home, level=Level.COUNTY, region_code=DEMO_REGION, name=DEMO_OFFICE_NAME,
                        admin=admin_name, admin_password=DEMO_PASSWORD)
    try:
        with store.session() as session:
            admin = auth.sign_in(session, admin_name, DEMO_PASSWORD)
            for username, display_name, role in DEMO_USERS[1:]:
                auth.add_user(session, admin, username=username, role=role, password=DEMO_PASSWORD,
                              display_name=display_name)
        report("正在生成演示申报…")
        demo.generate(store, admin, count=count)
        report("正在查找相似申报…")
        refresh_store(store)
    except BaseException:
        store.close()
        raise
    return store


def sign_in_demo(store: Store, username: str = "reviewer") -> Actor:
    """Sign a demo user in with the demo password."""
    with store.session() as session:
        return auth.sign_in(session, username, DEMO_PASSWORD)
