"""Commands for approved projects' implementation: tender, undertaking, workers, disbursements, progress."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from sanlian_desktop.cli.main import Context
from sanlian_desktop.kernel.vocab import CERTIFICATE_LEVELS


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是有效日期（格式如 2016-10-01）/ not a date") from None


def _correction(p: argparse.ArgumentParser) -> None:
    p.add_argument("--supersedes", help="要更正的记录编号（可写前8位）；更正时必须同时给出 --reason")
    p.add_argument("--reason", help="更正原因")


def register(sub: Any) -> None:
    """Add ``tender``, ``undertake``, ``workers``, ``disburse``, ``progress`` and ``project``."""
    p = sub.add_parser("tender", help="登记社区招标（日期、投标单位、中标单位）")
    p.add_argument("decl", help="申报编号")
    p.add_argument("--date", required=True, help="招标日期")
    p.add_argument("--bidder", action="append", default=[], help="投标单位（每个单位写一次 --bidder）")
    p.add_argument("--winner", required=True, help="中标单位（须为投标单位之一）")
    _correction(p)
    p.set_defaults(handler=cmd_tender)

    p = sub.add_parser("undertake", help="登记承接协议（承接组织、金额、起止日期）")
    p.add_argument("decl")
    p.add_argument("--org", required=True, help="承接组织名称（须为中标单位）")
    p.add_argument("--credit-code", required=True, help="统一社会信用代码（18位）")
    p.add_argument("--amount", required=True, help="承接金额（元）")
    p.add_argument("--start", required=True, help="开始日期")
    p.add_argument("--end", required=True, help="结束日期")
    p.add_argument("--over-grant-reason", help="承接金额超过批准补助时的理由")
    _correction(p)
    p.set_defaults(handler=cmd_undertake)

    workers = sub.add_parser("workers", help="项目社工：添加、撤下").add_subparsers(dest="sub", required=True)
    p = workers.add_parser("add", help="添加项目社工")
    p.add_argument("decl")
    p.add_argument("--name", required=True)
    p.add_argument("--certificate", required=True, help=f"证书等级：{'、'.join(CERTIFICATE_LEVELS)}")
    _correction(p)
    p.set_defaults(handler=cmd_worker_add)
    p = workers.add_parser("remove", help="撤下项目社工")
    p.add_argument("decl")
    p.add_argument("worker", help="社工记录编号（可写前8位）")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_worker_remove)

    p = sub.add_parser("disburse", help="登记补助资金拨付（由拨付单位，即县级民政部门登记）")
    p.add_argument("decl")
    p.add_argument("--date", required=True, help="拨付日期")
    p.add_argument("--amount", required=True, help="拨付金额（元）")
    p.add_argument("--tranche", required=True, help="拨付批次（第几批，从1开始）")
    _correction(p)
    p.set_defaults(handler=cmd_disburse)

    p = sub.add_parser("progress", help="报送进展报告")
    p.add_argument("decl")
    p.add_argument("--from", dest="start", required=True, help="报告期开始")
    p.add_argument("--to", dest="end", required=True, help="报告期结束")
    p.add_argument("--activities", required=True, help="开展的活动")
    p.add_argument("--beneficiaries", required=True, help="本期服务受益人数")
    p.add_argument("--spent", required=True, help="本期补助资金支出（元）")
    p.add_argument("--problems", default="", help="存在的问题")
    p.add_argument("--final", action="store_true", help="结项报告（项目最后一期）")
    p.add_argument("--attach", action="append", default=[], type=Path, help="附件（可多次给出）")
    _correction(p)
    p.set_defaults(handler=cmd_progress)

    project = sub.add_parser("project", help="项目实施情况与预警").add_subparsers(dest="sub", required=True)
    p = project.add_parser("show", help="一个项目的全部实施记录与预警")
    p.add_argument("decl")
    p.add_argument("--today", type=_day, help="按哪一天判断预警（默认今天）")
    p.set_defaults(handler=cmd_project_show)
    p = project.add_parser("list", help="本单位辖区内已批准的项目及其预警")
    p.add_argument("--warnings-only", action="store_true", help="只列有预警的项目")
    p.add_argument("--today", type=_day, help="按哪一天判断预警（默认今天）")
    p.set_defaults(handler=cmd_project_list)


def _done(ctx: Context, row: Any, what: str, number: str) -> int:
    ctx.emit({"id": row.id, "declaration": number, "supersedes": row.supersedes},
             f"已登记{what}（申报 {number}，记录编号 {row.id[:8]}）" + ("，并更正了之前的记录" if row.supersedes else ""))
    return 0


def cmd_tender(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.implementation import service as impl

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = impl.approved_project(s, actor, args.decl)
        row = impl.record_tender(s, actor, decl, tendered_on=args.date, bidders=args.bidder, winner=args.winner,
                                 supersedes=args.supersedes, reason=args.reason)
        return _done(ctx, row, "社区招标", decl.number)


def cmd_undertake(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.implementation import service as impl

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = impl.approved_project(s, actor, args.decl)
        row = impl.record_undertaking(s, actor, decl, org_name=args.org, credit_code=args.credit_code,
                                      amount=args.amount, starts_on=args.start, ends_on=args.end,
                                      over_grant_reason=args.over_grant_reason, supersedes=args.supersedes,
                                      reason=args.reason)
        return _done(ctx, row, "承接协议", decl.number)


def cmd_worker_add(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.implementation import service as impl

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = impl.approved_project(s, actor, args.decl)
        row = impl.add_worker(s, actor, decl, name=args.name, certificate_level=args.certificate,
                              supersedes=args.supersedes, reason=args.reason)
        return _done(ctx, row, f"项目社工 {row.name}", decl.number)


def cmd_worker_remove(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.implementation import service as impl

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = impl.approved_project(s, actor, args.decl)
        row = impl.remove_worker(s, actor, decl, args.worker, reason=args.reason)
        return _done(ctx, row, f"撤下项目社工 {row.name}", decl.number)


def cmd_disburse(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.implementation import service as impl

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = impl.approved_project(s, actor, args.decl)
        row = impl.record_disbursement(s, actor, decl, paid_on=args.date, amount=args.amount, tranche=args.tranche,
                                       supersedes=args.supersedes, reason=args.reason)
        return _done(ctx, row, f"第{row.tranche}批拨付", decl.number)


def cmd_progress(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.implementation import service as impl

    actor = ctx.actor()
    store = ctx.store()
    with store.session() as s:
        decl = impl.approved_project(s, actor, args.decl)
        row = impl.record_progress(s, actor, decl, store.paths, period_start=args.start, period_end=args.end,
                                   activities=args.activities, beneficiaries=args.beneficiaries, spent=args.spent,
                                   problems=args.problems, final=args.final, files=args.attach,
                                   supersedes=args.supersedes, reason=args.reason)
        return _done(ctx, row, "结项报告" if row.final else "进展报告", decl.number)


_MARK = {"error": "✗", "warning": "!", "info": "i"}


def _show_text(r: dict[str, Any]) -> list[str]:
    lines = [f"{r['number']}  {r['title']}",
             f"批准补助 {r['granted']} 元；实施周期 {r['period_start']} 至 {r['period_end']}；"
             f"预计受益 {r['expected_beneficiaries'] or '—'} 人"]
    t = r["tender"]
    lines.append("招标：" + (f"{t['tendered_on']}，投标单位 {'、'.join(t['bidders'])}，中标 {t['winner']}"
                           f"（{t['id'][:8]}）" if t else "尚未登记"))
    u = r["undertaking"]
    lines.append("承接：" + (f"{u['org_name']}（{u['credit_code']}），{u['amount']} 元，{u['starts_on']} 至 "
                           f"{u['ends_on']}（{u['id'][:8]}）" if u else "尚未登记"))
    lines.append("社工：" + ("、".join(f"{w['name']}（{w['certificate_level']}，{w['id'][:8]}）" for w in r["workers"])
                           or "尚未登记"))
    lines.append(f"拨付：合计 {r['disbursed']} 元")
    lines += [f"  第{d['tranche']}批 {d['paid_on']} {d['amount']} 元（{d['id'][:8]}）" for d in r["disbursements"]]
    lines.append(f"进展报告：累计服务 {r['beneficiaries_served']} 人，补助资金支出 {r['spent']} 元")
    for p in r["progress"]:
        files = f"；附件 {'、'.join(a['name'] for a in p['attachments'])}" if p["attachments"] else ""
        problems = f"；问题：{p['problems']}" if p["problems"] else ""
        lines.append(f"  {p['period_start']} 至 {p['period_end']}{'（结项）' if p['final'] else ''}："
                     f"{p['activities']}；服务 {p['beneficiaries']} 人，支出 {p['spent']} 元{problems}{files}"
                     f"（{p['id'][:8]}）")
    corrected = sum(r["superseded"].values())
    if corrected:
        lines.append(f"（另有 {corrected} 条记录已被更正）")
    lines.append("预警：" + ("无" if not r["warnings"] else ""))
    lines += [f"  {_MARK[w['severity']]} {w['text']}" for w in r["warnings"]]
    return lines


def cmd_project_show(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.implementation import service as impl
    from sanlian_desktop.implementation.warnings import project_record

    actor = ctx.actor()
    with ctx.store().read_session() as s:
        decl = impl.approved_project(s, actor, args.decl)
        record = project_record(s, decl, args.today)
    ctx.emit(record, _show_text(record))
    return 0


def cmd_project_list(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.implementation.warnings import jurisdiction_warnings

    actor = ctx.actor()
    with ctx.store().read_session() as s:
        rows = [(d.id, d.number, d.title, d.community_code, ws) for d, ws in jurisdiction_warnings(s, actor, args.today)
                if ws or not args.warnings_only]
    data = [{"id": i, "number": n, "title": t, "community": c,
             "warnings": [{"code": w.code, "severity": w.severity, "text": w.text} for w in ws]}
            for i, n, t, c, ws in rows]
    text: list[str] = []
    for _, n, t, _, ws in rows:
        text.append(f"{n}\t{t}\t" + ("；".join(f"{_MARK[w.severity]} {w.text}" for w in ws) or "无预警"))
    ctx.emit(data, text or ["（本单位辖区内没有" + ("有预警的" if args.warnings_only else "已批准的") + "项目）"])
    return 0
