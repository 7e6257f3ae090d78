"""Commands that set up and look after this office: ``init``, ``user``, ``region`` and ``audit verify``
(the ``office`` command, with its certificates, is in :mod:`sanlian_desktop.cli.sync`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sanlian_desktop.cli.main import Context, count_arg, new_password, server_password
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import LEVEL_ORDER, Level, Role


def register(sub: Any) -> None:
    """Add ``init``, ``user`` and ``region`` to the parser."""
    p = sub.add_parser("init", help="初始化本单位")
    p.add_argument("--level", required=True, choices=[lv.value for lv in Level])
    p.add_argument("--region", "--code", dest="region", required=True,
                   help="本单位的区划代码（第三方评估机构：省级代码+E+三位数字，如 620000E001）")
    p.add_argument("--name", required=True, help="单位名称，如 城关区民政局")
    p.add_argument("--region-name", help="区划名称（内置数据中没有的街道或社区）")
    p.add_argument("--admin", required=True, help="第一位管理员的用户名（密码取自 SANLIAN_NEW_PASSWORD 或提示）")
    p.add_argument("--admin-name", default="", help="第一位管理员的姓名，如 王管理（不填则显示用户名）")
    p.add_argument("--suite", default="sl1",
                   help="密钥和证书的算法套件：sl1（默认，Ed25519/X25519/ChaCha20-Poly1305）或 gm（国密 SM2/SM3/SM4）；"
                        "由省民政厅生成根证书时选定，全省各级单位须与之相同")
    p.add_argument("--token", help="在此硬件令牌（PKCS#11，按标签）中生成本单位密钥，密钥不离开令牌；"
                                   "PIN 码取自 SANLIAN_TOKEN_PIN 或提示。不填则保存在本机密钥库（口令保护）")
    p.add_argument("--module", help="令牌驱动（PKCS#11 模块）的路径，默认 SANLIAN_PKCS11_MODULE 或 SoftHSM2")
    p.add_argument("--database", metavar="URL",
                   help="把数据放在 PostgreSQL 服务器上（本单位多人共用）：postgresql+psycopg://用户名@服务器/数据库名；"
                        "密码取自环境变量 PGPASSWORD 或提示，不写在地址里")
    p.set_defaults(handler=cmd_init)
    p = sub.add_parser("join", help="本机加入数据在 PostgreSQL 服务器上的本单位（多人共用）")
    p.add_argument("--database", metavar="URL", required=True,
                   help="postgresql+psycopg://用户名@服务器/数据库名（密码取自 PGPASSWORD 或提示）")
    p.set_defaults(handler=cmd_join)
    p = sub.add_parser("move", help="把本单位的数据从本机迁到 PostgreSQL 服务器，或从服务器迁回本机（管理员；迁移前请关闭程序窗口）")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", metavar="URL",
                       help="迁到服务器：空数据库的地址 postgresql+psycopg://用户名@服务器/数据库名（密码取自 PGPASSWORD 或提示）")
    where.add_argument("--to-file", action="store_true",
                       help="迁回本机：把服务器上的数据（含附件）复制到本机数据目录中的数据文件，服务器上的数据保持不变")
    p.set_defaults(handler=cmd_move)
    # The same move under the name the office-server plan gives it: ``store move --to URL`` or ``--to file``.
    store = sub.add_parser("store", help="本单位数据的存放位置").add_subparsers(dest="sub", required=True)
    p = store.add_parser("move", help="同 move：迁到 PostgreSQL 服务器（--to 服务器地址），或迁回本机（--to file）")
    p.add_argument("--to", required=True, metavar="URL|file",
                   help="postgresql+psycopg://用户名@服务器/数据库名，或 file（迁回本机的数据文件）")
    p.set_defaults(handler=cmd_store_move)

    user = sub.add_parser("user", help="用户").add_subparsers(dest="sub", required=True)
    p = user.add_parser("add", help="添加用户")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--display-name", default="")
    p.set_defaults(handler=cmd_user_add)
    user.add_parser("list", help="列出用户").set_defaults(handler=cmd_user_list)
    p = user.add_parser("passwd", help="重设密码（新密码取自 SANLIAN_NEW_PASSWORD 或提示）")
    p.add_argument("name")
    p.set_defaults(handler=cmd_user_passwd)
    p = user.add_parser("disable", help="停用用户（不能再登录）")
    p.add_argument("name")
    p.set_defaults(handler=cmd_user_disable)
    p = user.add_parser("enable", help="重新启用用户")
    p.add_argument("name")
    p.set_defaults(handler=cmd_user_enable)

    region = sub.add_parser("region", help="行政区划").add_subparsers(dest="sub", required=True)
    p = region.add_parser("add", help="添加街道(乡镇)或社区")
    p.add_argument("--code", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--rural", action="store_true", help="农村社区")
    p.add_argument("--population", type=count_arg)
    p.add_argument("--households", type=count_arg)
    p.set_defaults(handler=cmd_region_add)
    p = region.add_parser("list", help="列出本单位辖区的区划")
    p.add_argument("--level", choices=[lv.value for lv in LEVEL_ORDER])
    p.add_argument("--search", help="按名称、代码或拼音首字母查找")
    p.set_defaults(handler=cmd_region_list)
    p = region.add_parser("import", help="从 CSV 或 Excel 导入街道和社区")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_region_import)
    p = region.add_parser("update", help="发布区划变更（省民政厅）：文件表头 操作,代码,名称（新增/更名/撤销）")
    p.add_argument("--file", type=Path, required=True)
    p.add_argument("--title", default="区划变更")
    p.set_defaults(handler=cmd_region_update)
    region.add_parser("updates", help="列出收到和发布的区划变更").set_defaults(handler=cmd_region_updates)


def register_audit(sub: Any) -> None:
    """Add ``audit`` to the parser (after the declaration commands, as ``--help`` lists it)."""
    audit = sub.add_parser("audit", help="审计日志").add_subparsers(dest="sub", required=True)
    audit.add_parser("verify", help="校验审计日志是否被改动").set_defaults(handler=cmd_audit_verify)


# -- handlers ---------------------------------------------------------------------------------------


def cmd_init(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices.office import init_office
    from sanlian_desktop.sync.trust.custody import SOFTWARE_LOCATION
    from sanlian_desktop.sync.trust.suite import suite_by_short

    if args.database is not None:
        server_password(args.database)
    suite = suite_by_short(args.suite.strip().lower())
    vault = None
    if args.token:
        from sanlian_desktop.cli.main import token_pin
        from sanlian_desktop.sync.trust import tokens

        module = args.module or tokens.default_module()
        if module is None:
            raise UserError("没有找到硬件令牌驱动（PKCS#11 模块），请安装令牌驱动，或用 --module 指明其位置。",
                            "no PKCS#11 module found; name one with --module or SANLIAN_PKCS11_MODULE")
        tokens.check_suite(suite)
        vault = tokens.TokenVault(module, args.token.strip(), token_pin(args.token.strip()))
        vault.check()
    password = new_password(f"管理员 {args.admin} ")
    store = init_office(ctx.home, level=Level(args.level), region_code=args.region.strip(), name=args.name,
                        admin=args.admin, admin_password=password, admin_display_name=args.admin_name,
                        region_name=args.region_name, suite=args.suite.strip().lower(), vault=vault,
                        database=args.database)
    store.close()
    where = (vault.location if vault is not None else SOFTWARE_LOCATION).label
    ctx.emit({"home": str(ctx.home), "region": args.region, "level": args.level, "name": args.name,
              "suite": suite.name, "key_location": where},
             f"已初始化：{args.name}（{args.region}），数据目录 {ctx.home}，算法套件：{suite.label}，本单位密钥保存在{where}")
    return 0


def cmd_join(ctx: Context, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from sanlian_desktop.models import Office
    from sanlian_desktop.offices.office import join_office
    from sanlian_desktop.store.engine import server_url

    server_password(args.database)
    store = join_office(ctx.home, args.database)
    with store.session() as s:
        office = s.scalars(select(Office).where(Office.is_self)).one()
        code, name = office.region_code, office.name
    store.close()
    ctx.emit({"home": str(ctx.home), "region": code, "name": name, "database": server_url(args.database)},
             f"已加入：{name}（{code}），数据在服务器 {server_url(args.database)}，本机数据目录 {ctx.home}")
    return 0


LOCAL_TARGETS = ("file", "sqlite", "local", "本机")


def cmd_store_move(ctx: Context, args: argparse.Namespace) -> int:
    """``store move --to``: ``move --database URL`` or, for ``file``, ``move --to-file``."""
    target = args.to.strip()
    local = target.lower() in LOCAL_TARGETS
    return cmd_move(ctx, argparse.Namespace(**{**vars(args), "database": None if local else target,
                                                "to_file": local}))


def cmd_move(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.store import instance
    from sanlian_desktop.store.moving import move_to_file, move_to_server

    if args.database:
        server_password(args.database)
    actor = ctx.actor()
    actor.require(Role.ADMIN, action="迁移数据")
    ctx.close()
    ctx._store = None
    with instance.acquire(AppPaths(ctx.home)):  # the desktop must not have the file open meanwhile
        if args.to_file:
            back = move_to_file(ctx.home, user=actor.username)
            lost = (f"；另有 {len(back.missing_attachments)} 个附件在服务器上缺失或损坏，未能迁回"
                    if back.missing_attachments else "")
            ctx.emit({"database": None, "from": back.url, "rows": back.rows, "attachments": back.attachments,
                      "missing_attachments": back.missing_attachments, "kept_settings": str(back.kept_file)},
                     f"已从数据库服务器 {back.url} 迁回本机：共 {sum(back.rows.values())} 行、附件 {back.attachments} 个"
                     f"{lost}；服务器上的数据保持不变，其他电脑请勿再使用它录入")
            return 0
        result = move_to_server(ctx.home, args.database, user=actor.username)
    missing = (f"；另有 {len(result.missing_attachments)} 个附件在本机已缺失或损坏，未能迁移"
               if result.missing_attachments else "")
    ctx.emit({"database": result.url, "rows": result.rows, "attachments": result.attachments,
              "missing_attachments": result.missing_attachments, "kept_file": str(result.kept_file)},
             f"已迁移到数据库服务器 {result.url}：共 {sum(result.rows.values())} 行、附件 {result.attachments} 个"
             f"{missing}；原数据文件保留为 {result.kept_file}")
    return 0


def cmd_user_add(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices.auth import add_user

    actor = ctx.actor()
    password = new_password(f"用户 {args.name} ")
    with ctx.store().session() as s:
        user = add_user(s, actor, username=args.name, role=Role(args.role), password=password,
                        display_name=args.display_name)
        ctx.emit({"username": user.username, "role": user.role}, f"已添加用户 {user.username}（{Role(user.role).label}）")
    return 0


def cmd_user_list(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices.auth import list_users

    ctx.actor()
    with ctx.store().session() as s:
        users = list_users(s)
        ctx.emit([{"username": u.username, "display_name": u.display_name, "role": u.role, "active": u.active}
                  for u in users],
                 [f"{u.username}\t{u.display_name}\t{Role(u.role).label}" + ("" if u.active else "\t已停用")
                  for u in users])
    return 0


def cmd_user_passwd(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices.auth import set_password

    actor = ctx.actor()
    password = new_password(f"用户 {args.name} ")
    with ctx.store().session() as s:
        set_password(s, actor, username=args.name, password=password)
    ctx.emit({"username": args.name}, f"已重设 {args.name} 的密码")
    return 0


def cmd_user_disable(ctx: Context, args: argparse.Namespace) -> int:
    return _set_active(ctx, args.name, active=False)


def cmd_user_enable(ctx: Context, args: argparse.Namespace) -> int:
    return _set_active(ctx, args.name, active=True)


def _set_active(ctx: Context, username: str, *, active: bool) -> int:
    from sanlian_desktop.offices.auth import set_active

    actor = ctx.actor()
    with ctx.store().session() as s:
        set_active(s, actor, username=username, active=active)
    ctx.emit({"username": username, "active": active}, f"已{'启用' if active else '停用'}用户 {username}")
    return 0


def cmd_region_add(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices import regions

    actor = ctx.actor()
    with ctx.store().session() as s:
        r = regions.add_region_by(s, actor, code=args.code, name=args.name, rural=args.rural,
                                  population=args.population, households=args.households)
        ctx.emit({"code": r.code, "name": r.name, "level": r.level, "parent": r.parent_code},
                 f"已添加 {Level(r.level).label} {r.name}（{r.code}）")
    return 0


def cmd_region_list(ctx: Context, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from sanlian_desktop.models import Region
    from sanlian_desktop.offices import regions

    actor = ctx.actor()
    with ctx.store().session() as s:
        codes = regions.subtree_codes(s, actor.office_code)
        rows = [r for r in s.scalars(select(Region).order_by(Region.code)) if r.code in codes]
        if args.level:
            rows = [r for r in rows if r.level == args.level]
        if args.search:
            q = args.search.strip().lower()
            rows = [r for r in rows if q in r.name or r.code.startswith(q) or r.pinyin.startswith(q)]
        ctx.emit(
            [{"code": r.code, "name": r.name, "level": r.level, "parent": r.parent_code, "rural": r.rural,
              "population": r.population} for r in rows],
            [f"{r.code}\t{r.name}\t{Level(r.level).label}" + ("\t农村" if r.rural else "") for r in rows],
        )
    return 0


def cmd_region_import(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices import regions

    actor = ctx.actor()
    with ctx.store().session() as s:
        added = regions.import_regions_by(s, actor, args.file)
        ctx.emit({"imported": len(added)}, f"已导入 {len(added)} 个区划")
    return 0



def cmd_region_update(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices import regions

    actor = ctx.actor()
    with ctx.store().session() as s:
        update = regions.issue_region_update(s, actor, regions.read_region_changes(args.file), title=args.title)
        ctx.emit({"id": update.id, "title": update.title, "changes": update.changes},
                 [f"已发布区划变更“{update.title}”（{len(update.changes)} 项），随下次导出的数据包下发："]
                 + [f"  {regions.change_text(c)}" for c in update.changes])
    return 0


def cmd_region_updates(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices import regions

    ctx.actor()
    with ctx.store().session() as s:
        updates = regions.region_updates(s)
        lines: list[str] = []
        for u in updates:
            lines.append(f"{u.issued_at.astimezone():%Y-%m-%d} {u.title}（本单位生效 {len(u.applied)} 项）")
            lines += [f"  {regions.change_text(c)}" for c in u.changes]
        ctx.emit([{"id": u.id, "title": u.title, "issued_at": u.issued_at.isoformat(), "changes": u.changes,
                   "applied": u.applied} for u in updates], lines or ["没有区划变更"])
    return 0

def cmd_audit_verify(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.store import audit

    ctx.actor()
    with ctx.store().session() as s:
        report = audit.verify(s)
    ctx.emit({"ok": report.ok, "entries": report.entries, "problems": report.problems},
             [f"审计日志完好，共 {report.entries} 条记录"] if report.ok else
             ["审计日志被改动："] + [f"  {p}" for p in report.problems])
    if not report.ok:
        raise UserError(f"审计日志校验失败（{len(report.problems)} 处问题）", "the audit log was tampered with")
    return 0
