"""Commands over the core: office, users, regions, batches, declarations, review, audit, demo."""

from __future__ import annotations

import argparse
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sanlian_desktop.cli.main import Context, new_password
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import LEVEL_ORDER, Decision, Level, Role, Status


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期（应写成 2016-07-01）/ not a date") from None


def _money(text: str) -> Decimal:
    from sanlian_desktop.kernel.money import MoneyError, parse_money

    try:
        return parse_money(text)
    except MoneyError as exc:
        raise argparse.ArgumentTypeError(f"{exc} / not an amount") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"“{text}”应为正整数 / not a positive whole number")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"“{text}”应为非负整数 / not a whole number")
    return int(text)


def register(sub: Any) -> None:
    """Add the core commands to the parser."""
    p = sub.add_parser("init", help="初始化本单位")
    p.add_argument("--level", required=True, choices=[lv.value for lv in Level])
    p.add_argument("--region", "--code", dest="region", required=True,
                   help="本单位的区划代码（第三方评估机构：省级代码+E+三位数字，如 620000E001）")
    p.add_argument("--name", required=True, help="单位名称，如 城关区民政局")
    p.add_argument("--region-name", help="区划名称（内置数据中没有的街道或社区）")
    p.add_argument("--admin", required=True, help="第一位管理员的用户名（密码取自 SANLIAN_NEW_PASSWORD 或提示）")
    p.set_defaults(handler=cmd_init)

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

    region = sub.add_parser("region", help="行政区划").add_subparsers(dest="sub", required=True)
    p = region.add_parser("add", help="添加街道(乡镇)或社区")
    p.add_argument("--code", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--rural", action="store_true", help="农村社区")
    p.add_argument("--population", type=_count)
    p.add_argument("--households", type=_count)
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

    batch = sub.add_parser("batch", help="申报批次").add_subparsers(dest="sub", required=True)
    p = batch.add_parser("add", help="设立申报批次（省民政厅）")
    p.add_argument("--name", required=True)
    p.add_argument("--code", help="批次代码（默认为开始年份）")
    p.add_argument("--opens", required=True, type=_date)
    p.add_argument("--closes", required=True, type=_date)
    p.add_argument("--budget", type=_money)
    p.add_argument("--quota", type=_positive, help="项目名额")
    p.add_argument("--quota-communities", type=_positive, help="社区名额")
    p.set_defaults(handler=cmd_batch_add)
    batch.add_parser("list", help="列出批次").set_defaults(handler=cmd_batch_list)

    decl = sub.add_parser("decl", help="申报").add_subparsers(dest="sub", required=True)
    sub.decl_commands = decl  # other command groups add to `decl` (import-excel)
    p = decl.add_parser("new", help="从 JSON 文件新建申报草稿")
    p.add_argument("--file", required=True, type=Path)
    p.set_defaults(handler=cmd_decl_new)
    p = decl.add_parser("edit", help="用 JSON 文件修改草稿或退回的申报")
    p.add_argument("id")
    p.add_argument("--file", required=True, type=Path)
    p.set_defaults(handler=cmd_decl_edit)
    p = decl.add_parser("submit", help="提交申报")
    p.add_argument("id")
    p.add_argument("--override-reason", help="管理员在申报期外提交时填写的理由")
    p.add_argument("--paper-opinion", help="代录时：街道(乡镇)纸质意见的内容")
    p.add_argument("--paper-date", type=_date, help="代录时：纸质意见的日期")
    p.add_argument("--paper-scan", type=Path, help="代录时：纸质意见的扫描件")
    p.set_defaults(handler=cmd_decl_submit)
    p = decl.add_parser("show", help="查看申报")
    p.add_argument("id")
    p.set_defaults(handler=cmd_decl_show)
    p = decl.add_parser("list", help="列出辖区内的申报")
    p.add_argument("--status", choices=[s.value for s in Status])
    p.add_argument("--limit", type=_count, default=200, help="最多显示条数（0 为全部）")
    p.set_defaults(handler=cmd_decl_list)
    p = decl.add_parser("diff", help="比较两个版本")
    p.add_argument("id")
    p.add_argument("--from", dest="from_version", type=_positive)
    p.add_argument("--to", dest="to_version", type=_positive)
    p.set_defaults(handler=cmd_decl_diff)
    p = decl.add_parser("attach", help="添加附件")
    p.add_argument("id")
    p.add_argument("file", type=Path)
    p.add_argument("--kind", default="other", choices=["minutes", "photo", "scan", "other"])
    p.set_defaults(handler=cmd_decl_attach)

    p = sub.add_parser("inbox", help="待本单位处理的申报")
    p.add_argument("--limit", type=_count, default=200)
    p.set_defaults(handler=cmd_inbox)

    p = sub.add_parser("review", help="审核申报")
    p.add_argument("id")
    p.add_argument("--decision", required=True, choices=[d.value for d in Decision])
    p.add_argument("--opinion", required=True)
    p.add_argument("--granted", type=_money, help="省民政厅批准的补助金额")
    p.set_defaults(handler=cmd_review)

    audit = sub.add_parser("audit", help="审计日志").add_subparsers(dest="sub", required=True)
    audit.add_parser("verify", help="校验审计日志是否被改动").set_defaults(handler=cmd_audit_verify)

    p = sub.add_parser("demo", help="在辖区内生成演示数据")
    p.add_argument("--count", type=_positive, default=200)
    p.add_argument("--seed", type=int, default=2016)
    p.add_argument("--communities", type=_positive, help="辖区内社区数（默认为申报数的六分之一，最多17000）")
    p.set_defaults(handler=cmd_demo)


# -- handlers ---------------------------------------------------------------------------------------


def cmd_init(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices.office import init_office

    password = new_password(f"管理员 {args.admin} ")
    store = init_office(ctx.home, level=Level(args.level), region_code=args.region.strip(), name=args.name,
                        admin=args.admin, admin_password=password, region_name=args.region_name)
    store.close()
    ctx.emit({"home": str(ctx.home), "region": args.region, "level": args.level, "name": args.name},
             f"已初始化：{args.name}（{args.region}），数据目录 {ctx.home}")
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
                 [f"{u.username}\t{u.display_name}\t{Role(u.role).label}" for u in users])
    return 0


def cmd_user_passwd(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.offices.auth import set_password

    actor = ctx.actor()
    password = new_password(f"用户 {args.name} ")
    with ctx.store().session() as s:
        set_password(s, actor, username=args.name, password=password)
    ctx.emit({"username": args.name}, f"已重设 {args.name} 的密码")
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


def cmd_batch_add(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations.batches import add_batch

    actor = ctx.actor()
    with ctx.store().session() as s:
        b = add_batch(s, actor, name=args.name, code=args.code, opens=args.opens, closes=args.closes,
                      budget=args.budget, quota_projects=args.quota, quota_communities=args.quota_communities)
        ctx.emit({"id": b.id, "code": b.code}, f"已设立申报批次 {b.code}：{b.name}（{b.opens} 至 {b.closes}）")
    return 0


def cmd_batch_list(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations.batches import list_batches
    from sanlian_desktop.kernel.money import from_fen

    ctx.actor()
    with ctx.store().session() as s:
        rows = list_batches(s)
        ctx.emit(
            [{"id": b.id, "code": b.code, "name": b.name, "opens": b.opens.isoformat(), "closes": b.closes.isoformat(),
              "budget": str(from_fen(b.budget_fen)) if b.budget_fen is not None else None,
              "quota": b.quota_projects, "quota_communities": b.quota_communities} for b in rows],
            [f"{b.code}\t{b.name}\t{b.opens} 至 {b.closes}" for b in rows] or ["（没有申报批次）"],
        )
    return 0


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"无法读取文件 {path}：{exc.strerror}", f"cannot read {path}") from None
    if len(raw) > 5 * 1024 * 1024:
        raise UserError(f"文件 {path.name} 过大，不像申报内容", f"{path.name} is too large")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UserError(f"文件 {path.name} 不是 UTF-8 编码的 JSON", f"{path.name} is not UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise UserError(
            f"文件 {path.name} 不是有效的 JSON（第{exc.lineno}行第{exc.colno}列）",
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno})",
        ) from None


def cmd_decl_new(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import service as declarations

    raw = _read_json(args.file)
    actor = ctx.actor()
    with ctx.store().session() as s:
        d = declarations.create(s, actor, raw)
        ctx.emit({"id": d.id, "number": d.number}, d.id)
    return 0


def cmd_decl_edit(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import service as declarations

    raw = _read_json(args.file)
    actor = ctx.actor()
    with ctx.store().session() as s:
        d = declarations.edit(s, actor, declarations.visible(s, actor, args.id), raw)
        ctx.emit({"id": d.id, "number": d.number, "version": d.current_version},
                 f"已保存 {d.number}（第 {d.current_version} 版）")
    return 0


def cmd_decl_submit(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import service as declarations
    from sanlian_desktop.declarations.workflow import office_display_name

    actor = ctx.actor()
    paper: dict[Level, declarations.PaperOpinion] = {}
    if args.paper_opinion or args.paper_date or args.paper_scan:
        if not (args.paper_opinion and args.paper_date):
            raise UserError("代录纸质意见需同时填写 --paper-opinion 和 --paper-date",
                            "--paper-opinion and --paper-date go together")
        paper[Level.STREET] = declarations.PaperOpinion(args.paper_opinion, args.paper_date, args.paper_scan)
    with ctx.store().session() as s:
        d = declarations.visible(s, actor, args.id)
        declarations.submit(s, actor, d, ctx.store().paths, override_reason=args.override_reason,
                            paper_opinions=paper)
        where = office_display_name(s, d.awaiting_office or "")
        ctx.emit({"id": d.id, "number": d.number, "status": d.status, "awaiting_level": d.awaiting_level,
                  "awaiting_office": d.awaiting_office},
                 f"已提交 {d.number}，等待{where}审核")
    return 0


def _status_label(d: Any) -> str:
    return Status(d.status).label


def cmd_decl_show(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import service as declarations
    from sanlian_desktop.declarations.fields import flatten, label

    actor = ctx.actor()
    with ctx.store().session() as s:
        d = declarations.visible(s, actor, args.id)
        data = declarations.as_dict(s, d)
        lines = [f"{d.number}  {d.title}", f"状态：{_status_label(d)}    第 {d.current_version} 版    编号 {d.id}"]
        if d.granted_fen is not None:
            lines.append(f"批准补助：{data['granted']} 元")
        lines += [f"{label(k)}：{v}" for k, v in flatten(data["fields"]).items() if v]
        for o in data["opinions"]:
            lines.append(f"[{Level(o['level']).label}] {o['office']} {o['reviewer']} {o['date']} "
                         f"{Decision(o['decision']).label}：{o['opinion']}（第 {o['version']} 版）")
        ctx.emit(data, lines)
    return 0


def _table(ctx: Context, s: Any, query: Any, limit: int) -> None:
    from sanlian_desktop.declarations import service as declarations
    from sanlian_desktop.kernel.money import from_fen

    total = declarations.count(s, query)
    rows = list(s.scalars(query.limit(limit) if limit else query))
    ctx.emit(
        {"total": total, "items": [
            {"id": d.id, "number": d.number, "title": d.title, "status": d.status, "community": d.community_code,
             "awaiting_level": d.awaiting_level, "version": d.current_version,
             "requested": str(from_fen(d.requested_fen)),
             "granted": str(from_fen(d.granted_fen)) if d.granted_fen is not None else None} for d in rows]},
        [f"{d.number}\t{_status_label(d)}\t{d.title}" for d in rows]
        + [f"共 {total} 条" + (f"，显示前 {len(rows)} 条（--limit 0 显示全部）" if len(rows) < total else "")],
    )


def cmd_decl_list(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import service as declarations

    actor = ctx.actor()
    with ctx.store().session() as s:
        query = declarations.list_query(actor, status=Status(args.status) if args.status else None)
        _table(ctx, s, query, args.limit)
    return 0


def cmd_inbox(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import service as declarations

    actor = ctx.actor()
    with ctx.store().session() as s:
        _table(ctx, s, declarations.inbox_query(actor), args.limit)
    return 0


def cmd_decl_diff(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import service as declarations

    actor = ctx.actor()
    with ctx.store().session() as s:
        d = declarations.visible(s, actor, args.id)
        changes = declarations.diff_versions(s, d, args.from_version, args.to_version)
        ctx.emit([{"field": c.field, "label": c.label, "before": c.before, "after": c.after} for c in changes],
                 [f"{c.label}：\n  - {c.before}\n  + {c.after}" for c in changes] or ["两个版本内容相同"])
    return 0


def cmd_decl_attach(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import service as declarations

    actor = ctx.actor()
    with ctx.store().session() as s:
        d = declarations.visible(s, actor, args.id)
        link = declarations.attach(s, actor, d, ctx.store().paths, args.file, kind=args.kind)
        ctx.emit({"sha256": link.sha256, "name": link.original_name}, f"已添加附件 {link.original_name}")
    return 0


def cmd_review(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import service as declarations
    from sanlian_desktop.declarations import workflow

    actor = ctx.actor()
    with ctx.store().session() as s:
        d = declarations.visible(s, actor, args.id)
        workflow.review(s, actor, d, decision=Decision(args.decision), text=args.opinion, granted=args.granted)
        if d.status == Status.UNDER_REVIEW:
            text = f"已{Decision(args.decision).label}，转{workflow.office_display_name(s, d.awaiting_office or '')}"
        else:
            text = f"已{Decision(args.decision).label}，申报状态：{_status_label(d)}"
        ctx.emit({"id": d.id, "number": d.number, "status": d.status, "awaiting_level": d.awaiting_level}, text)
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


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.demo.generate import generate

    actor = ctx.actor()
    summary = generate(ctx.store(), actor, count=args.count, seed=args.seed, communities_wanted=args.communities)
    ctx.emit(summary, f"已生成演示数据：{summary['declarations']} 份申报，"
                      f"{summary['communities']} 个社区，{summary['opinions']} 条审核意见，"
                      f"{summary['organisations']} 个社区社会组织，{summary['social_workers']} 名社会工作者")
    return 0
