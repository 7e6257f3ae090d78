"""Setting up this installation as one civil-affairs office at one level of one region."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.models import Office, Region
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import add_user, check_password_strength, clean_display_name
from sanlian_desktop.store import audit
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.trust.custody import KeyVault
from sanlian_desktop.sync.trust.suite import DEFAULT_SUITE, suite_by_short


def init_office(
    home: Path,
    *,
    level: Level,
    region_code: str,
    name: str,
    admin: str,
    admin_password: str,
    admin_display_name: str = "",
    region_name: str | None = None,
    suite: str = DEFAULT_SUITE.short,
    vault: KeyVault | None = None,
    database: str | None = None,
) -> Store:
    """Create the store in ``home`` for the office of ``region_code`` at ``level`` with its first admin.

    ``suite`` (``sl1`` or ``gm`` for 国密) is the algorithm suite of the office's keys; the province's
    choice, made with its root, holds for its whole chain, so every office below it is set up with the
    same one. ``vault`` is where the office's keys are made: the software key store by default, or a
    PKCS#11 token (:class:`~sanlian_desktop.sync.trust.tokens.TokenVault`) they never leave.
    ``database`` (a ``postgresql+psycopg://`` URL) puts the store on a PostgreSQL server, an
    empty database there, instead of the SQLite file in ``home``.

    A street or community code the shipped data lack is accepted with ``region_name`` (defaulting to
    the office name); its parent follows from the code. A third-party evaluator (``Level.EVALUATOR``)
    takes an evaluator code (``620000E001``: its province's code, ``E``, three digits) and no region.

    ``admin_display_name`` is the admin's real name (姓名), shown where names are shown; without it the
    user name stands in.
    """
    name = name.strip()
    if not name:
        raise UserError("请填写单位名称", "the office needs a name")
    admin_display_name = clean_display_name(admin_display_name)
    check_password_strength(admin_password)
    chosen = suite_by_short(suite)
    paths = AppPaths(Path(home))
    if paths.database.exists() or paths.server_settings.exists():
        raise UserError(f"{home} 中已有本单位的数据，不能重复初始化", f"{home} already holds a store")
    if level is Level.EVALUATOR:
        from sanlian_desktop.kernel.codes import is_evaluator_code

        if not is_evaluator_code(region_code):
            raise UserError(
                f"评估机构代码 {region_code} 格式不对：应为省级区划代码、字母 E 和三位数字，如 620000E001",
                f"evaluator code {region_code} must be the province code, E and three digits, e.g. 620000E001",
            )
    elif regions.code_shape_level(region_code) is not level:
        raise UserError(
            f"区划代码 {region_code} 与级别“{level.label}”不符",
            f"region code {region_code} does not fit level '{level.value}'",
        )
    store = Store.open(Path(home), create=True, database=database)
    try:
        with store.session() as session:
            if store.on_server and session.scalar(select(Office.region_code).where(Office.is_self)) is not None:
                raise UserError("该数据库中已有一个单位的数据，不能重复初始化（加入已有单位请用 join）",
                                "the database already holds an office's store")
            regions.seed_regions(session)
            region = session.get(Region, region_code)
            if region is None and level in (Level.STREET, Level.COMMUNITY):
                # An official street or community, in whole; a name given for the region wins over the data's.
                region = regions.ensure_region(session, region_code)
                if region is not None and region_name and region_name != region.name:
                    region.name, region.pinyin = region_name, regions.pinyin_initials(region_name)
            if level is Level.EVALUATOR:
                if session.get(Region, region_code[:6]) is None:
                    raise UserError(f"没有代码为 {region_code[:6]} 的省份", f"unknown province {region_code[:6]}")
            elif region is None:
                if level not in (Level.STREET, Level.COMMUNITY):
                    raise UserError(
                        f"没有代码为 {region_code} 的{level.label}", f"unknown {level.value} code {region_code}"
                    )
                region = regions.add_region(
                    session,
                    code=region_code,
                    name=region_name or name,
                    within=regions.PROVINCE_CODE,
                    create_missing_street=True,
                )
            elif region.level != level.value:
                raise UserError(
                    f"{region.name}（{region_code}）是{Level(region.level).label}，不是{level.label}",
                    f"{region_code} is a {region.level}, not a {level.value}",
                )
            session.add(Office(region_code=region_code, level=level.value, name=name, is_self=True))
            session.flush()
            audit.record(session, office=region_code, user=admin, action="office.init", entity="office",
                         entity_id=region_code, details={"level": level.value, "name": name, "suite": chosen.name})
            add_user(session, None, username=admin, role=Role.ADMIN, password=admin_password,
                     display_name=admin_display_name)
            from sanlian_desktop.offices import custody as trust

            trust.create_keys(session, session.get(Office, region_code), admin, admin_password,  # type: ignore[arg-type]
                              chosen, vault)
    except BaseException:
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(paths.database) + suffix).unlink(missing_ok=True)
        paths.server_settings.unlink(missing_ok=True)
        raise
    return store


def office_name_for(session_region: Region) -> str:
    """A conventional office name for a region: 城关区民政局, 甘肃省民政厅."""
    if session_region.level == Level.PROVINCE:
        return f"{session_region.name}民政厅"
    if session_region.level in (Level.STREET, Level.COMMUNITY):
        return session_region.name
    return f"{session_region.name}民政局"


def office_display_name(session: Session, code: str) -> str:
    """The name of the office at ``code``: as registered, else derived from the region."""
    office = session.get(Office, code)
    if office is not None:
        return office.name
    region = session.get(Region, code)
    if region is None:
        return code
    return office_name_for(region)


def known_offices(store: Store) -> list[Office]:
    """Every office the store knows, this one first."""
    with store.read_session() as session:
        return list(session.scalars(select(Office).order_by(Office.is_self.desc(), Office.region_code)))


def join_office(home: Path, database: str) -> Store:
    """Set ``home`` up as one more workstation of the office whose store is on the PostgreSQL server
    ``database`` (made there by ``init --database``); nothing in ``home`` holds more than the address."""
    paths = AppPaths(Path(home))
    if paths.database.exists() or paths.server_settings.exists():
        raise UserError(f"{home} 中已有本单位的数据，不能再加入其他单位", f"{home} already holds a store")
    store = Store.open(Path(home), create=True, database=database, migrate=False)
    try:
        if store.schema_revision() is None:
            raise UserError("该数据库中还没有单位的数据：请先由一台电脑用 init --database 初始化本单位",
                            "the database holds no office yet; run 'init --database' first")
        store.migrate()
        with store.session() as session:
            if session.scalar(select(Office.region_code).where(Office.is_self)) is None:
                raise UserError("该数据库中还没有单位的数据：请先由一台电脑用 init --database 初始化本单位",
                                "the database holds no office yet; run 'init --database' first")
    except BaseException:
        store.close()
        paths.server_settings.unlink(missing_ok=True)
        raise
    return store
