"""Commands over declarations: ``batch``, ``decl``, ``inbox`` and ``review``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sanlian_desktop.cli.main import Context, count_arg, date_arg, money_arg, positive_arg
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Decision, Level, Status


def register(sub: Any) -> None:
    """Add ``batch``, ``decl``, ``inbox`` and ``review`` to the parser."""
    batch = sub.add_parser("batch", help="申报批次").add_subparsers(dest="sub", required=True)
    p = batch.add_parser("add", help="设立申报批次（省民政厅）")
    p.add_argument("--name", required=True)
    p.add_argument("--code", help="批次代码（默认为开始年份）")
    p.add_argument("--opens", required=True, type=date_arg)
    p.add_argument("--closes", required=True, type=date_arg)
    p.add_argument("--budget", type=money_arg)
    p.add_argument("--quota", type=positive_arg, help="项目名额")
    p.add_argument("--quota-communities", type=positive_arg, help="社区名额")
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
    p.add_argument("--paper-date", type=date_arg, help="代录时：纸质意见的日期")
    p.add_argument("--paper-scan", type=Path, help="代录时：纸质意见的扫描件")
    p.set_defaults(handler=cmd_decl_submit)
    p = decl.add_parser("show", help="查看申报")
    p.add_argument("id")
    p.set_defaults(handler=cmd_decl_show)
    p = decl.add_parser("list", help="列出辖区内的申报")
    p.add_argument("--status", choices=[s.value for s in Status])
    p.add_argument("--limit", type=count_arg, default=200, help="最多显示条数（0 为全部）")
    p.set_defaults(handler=cmd_decl_list)
    p = decl.add_parser("diff", help="比较两个版本")
    p.add_argument("id")
    p.add_argument("--from", dest="from_version", type=positive_arg)
    p.add_argument("--to", dest="to_version", type=positive_arg)
    p.set_defaults(handler=cmd_decl_diff)
    p = decl.add_parser("attach", help="添加附件")
    p.add_argument("id")
    p.add_argument("file", type=Path)
    p.add_argument("--kind", default="other", choices=["minutes", "photo", "scan", "other"])
    p.set_defaults(handler=cmd_decl_attach)
    p = decl.add_parser("attachments", help="列出附件（编号、类别、能否删除）")
    p.add_argument("id")
    p.set_defaults(handler=cmd_decl_attachments)
    p = decl.add_parser("detach", help="删除尚未报送的附件")
    p.add_argument("id")
    p.add_argument("attachment", type=positive_arg, help="附件编号（见 decl attachments）")
    p.set_defaults(handler=cmd_decl_detach)

    p = sub.add_parser("inbox", help="待本单位处理的申报")
    p.add_argument("--limit", type=count_arg, default=200)
    p.set_defaults(handler=cmd_inbox)

    p = sub.add_parser("review", help="审核申报")
    p.add_argument("id")
    p.add_argument("--decision", required=True, choices=[d.value for d in Decision])
    p.add_argument("--opinion", required=True)
    p.add_argument("--granted", type=money_arg, help="省民政厅批准的补助金额")
    p.set_defaults(handler=cmd_review)


# -- handlers ---------------------------------------------------------------------------------------


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
    from sanlian_desktop.declarations import drafts

    raw = _read_json(args.file)
    actor = ctx.actor()
    with ctx.store().session() as s:
        d = drafts.create(s, actor, raw)
        ctx.emit({"id": d.id, "number": d.number}, d.id)
    return 0


def cmd_decl_edit(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import drafts, lookup

    raw = _read_json(args.file)
    actor = ctx.actor()
    with ctx.store().session() as s:
        d = drafts.edit(s, actor, lookup.visible(s, actor, args.id), raw)
        ctx.emit({"id": d.id, "number": d.number, "version": d.current_version},
                 f"已保存 {d.number}（第 {d.current_version} 版）")
    return 0


def cmd_decl_submit(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import drafts, lookup
    from sanlian_desktop.declarations.workflow import office_display_name

    actor = ctx.actor()
    paper: dict[Level, drafts.PaperOpinion] = {}
    if args.paper_opinion or args.paper_date or args.paper_scan:
        if not (args.paper_opinion and args.paper_date):
            raise UserError("代录纸质意见需同时填写 --paper-opinion 和 --paper-date",
                            "--paper-opinion and --paper-date go together")
        paper[Level.STREET] = drafts.PaperOpinion(args.paper_opinion, args.paper_date, args.paper_scan)
    with ctx.store().session() as s:
        d = lookup.visible(s, actor, args.id)
        drafts.submit(s, actor, d, ctx.store().paths, override_reason=args.override_reason,
                            paper_opinions=paper)
        where = office_display_name(s, d.awaiting_office or "")
        ctx.emit({"id": d.id, "number": d.number, "status": d.status, "awaiting_level": d.awaiting_level,
                  "awaiting_office": d.awaiting_office},
                 f"已提交 {d.number}，等待{where}审核")
    return 0


def _status_label(d: Any) -> str:
    return Status(d.status).label


def cmd_decl_show(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.declarations.fields import flatten, label

    actor = ctx.actor()
    with ctx.store().session() as s:
        d = lookup.visible(s, actor, args.id)
        data = lookup.as_dict(s, d)
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
    from sanlian_desktop.declarations import listing
    from sanlian_desktop.kernel.money import from_fen

    total = listing.count(s, query)
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
    from sanlian_desktop.declarations import listing

    actor = ctx.actor()
    with ctx.store().session() as s:
        query = listing.list_query(actor, status=Status(args.status) if args.status else None)
        _table(ctx, s, query, args.limit)
    return 0


def cmd_inbox(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import listing

    actor = ctx.actor()
    with ctx.store().session() as s:
        _table(ctx, s, listing.inbox_query(actor), args.limit)
    return 0


def cmd_decl_diff(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup

    actor = ctx.actor()
    with ctx.store().session() as s:
        d = lookup.visible(s, actor, args.id)
        changes = lookup.diff_versions(s, d, args.from_version, args.to_version)
        ctx.emit([{"field": c.field, "label": c.label, "before": c.before, "after": c.after} for c in changes],
                 [f"{c.label}：\n  - {c.before}\n  + {c.after}" for c in changes] or ["两个版本内容相同"])
    return 0


def cmd_decl_attach(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import drafts, lookup

    actor = ctx.actor()
    with ctx.store().session() as s:
        d = lookup.visible(s, actor, args.id)
        link = drafts.attach(s, actor, d, ctx.store().paths, args.file, kind=args.kind)
        ctx.emit({"sha256": link.sha256, "name": link.original_name}, f"已添加附件 {link.original_name}")
    return 0


def cmd_decl_attachments(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import drafts, lookup
    from sanlian_desktop.store.attachments import KINDS

    actor = ctx.actor()
    with ctx.store().read_session() as s:
        d = lookup.visible(s, actor, args.id)
        items = drafts.attachment_links(s, actor, d)
    lines = [f"{a['id']:>6}  {KINDS.get(a['kind'], a['kind'])}  {a['name']}" + ("" if a["removable"] else "  （已报送，不能删除）")
             for a in items]
    ctx.emit(items, lines or [f"申报 {d.number} 没有附件"])
    return 0


def cmd_decl_detach(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import drafts, lookup

    actor = ctx.actor()
    with ctx.store().session() as s:
        d = lookup.visible(s, actor, args.id)
        link = drafts.detach(s, actor, d, args.attachment)
        ctx.emit({"id": args.attachment, "name": link.original_name}, f"已删除附件 {link.original_name}")
    return 0


def cmd_review(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup, workflow

    actor = ctx.actor()
    with ctx.store().session() as s:
        d = lookup.visible(s, actor, args.id)
        workflow.review(s, actor, d, decision=Decision(args.decision), text=args.opinion, granted=args.granted)
        if d.status == Status.UNDER_REVIEW:
            text = f"已{Decision(args.decision).label}，转{workflow.office_display_name(s, d.awaiting_office or '')}"
        else:
            text = f"已{Decision(args.decision).label}，申报状态：{_status_label(d)}"
        ctx.emit({"id": d.id, "number": d.number, "status": d.status, "awaiting_level": d.awaiting_level}, text)
    return 0
