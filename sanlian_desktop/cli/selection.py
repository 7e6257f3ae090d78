"""Commands for the province's selection (``select``) and expert scoring (``score``)."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sanlian_desktop.cli.main import Context, date_arg
from sanlian_desktop.kernel.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sanlian_desktop.models import Batch, Declaration


def register(sub: Any) -> None:
    """Add the ``select`` and ``score`` commands to the parser."""
    sel = sub.add_parser("select", help="省民政厅项目遴选：待遴选申报、入围、批准、公示").add_subparsers(
        dest="sub", required=True)
    p = sel.add_parser("list", help="列出批次中待省民政厅遴选和已批准的申报，以及名额、预算使用情况")
    p.add_argument("--batch", help="批次代码（默认为最新批次）")
    p.add_argument("--sort", choices=["score", "amount", "region", "area"], default="score",
                   help="排序：score 专家平均分、amount 申请金额、region 地区、area 重点领域")
    p.set_defaults(handler=cmd_list)

    p = sel.add_parser("shortlist", help="列入入围名单（可给出拟补助金额）")
    p.add_argument("decl")
    p.add_argument("--amount", help="拟补助金额（元，默认为申请金额）")
    p.add_argument("--note", default="")
    p.add_argument("--override", metavar="REASON", help="超出名额或预算时必须说明的理由")
    p.set_defaults(handler=cmd_shortlist)

    p = sel.add_parser("unshortlist", help="移出入围名单")
    p.add_argument("decl")
    p.set_defaults(handler=cmd_unshortlist)

    p = sel.add_parser("approve", help="批准立项（默认批准拟补助金额或申请金额）")
    p.add_argument("decl")
    p.add_argument("--granted", help="批准补助金额（元）")
    p.add_argument("--opinion", default="同意立项。", help="省民政厅意见")
    p.add_argument("--override", metavar="REASON", help="超出名额或预算时必须说明的理由")
    p.set_defaults(handler=cmd_approve)

    p = sel.add_parser("notice", help="发布入选项目公示（替代此前的公示）并导出 PDF、Excel")
    p.add_argument("--batch", help="批次代码（默认为最新批次）")
    p.add_argument("--from", dest="starts", type=date_arg, required=True, help="公示开始日期")
    p.add_argument("--to", dest="ends", type=date_arg, required=True, help="公示截止日期")
    p.add_argument("--title", help="公示标题（默认为“批次名称入选项目公示”）")
    p.add_argument("--pdf", type=Path)
    p.add_argument("--xlsx", type=Path)
    p.set_defaults(handler=cmd_notice)

    p = sel.add_parser("notices", help="列出批次的公示")
    p.add_argument("--batch", help="批次代码（默认为最新批次）")
    p.set_defaults(handler=cmd_notices)

    p = sel.add_parser("export", help="导出已发布的公示（默认为现行公示）")
    p.add_argument("--batch", help="批次代码（默认为最新批次）")
    p.add_argument("--seq", type=int, help="公示序号")
    p.add_argument("--pdf", type=Path)
    p.add_argument("--xlsx", type=Path)
    p.set_defaults(handler=cmd_export)

    score = sub.add_parser("score", help="专家评分：评分表、录入与查看").add_subparsers(dest="sub", required=True)
    p = score.add_parser("criteria", help="查看或设置批次的评分表（录入第一个评分后不能再改）")
    p.add_argument("--batch", help="批次代码（默认为最新批次）")
    p.add_argument("--set", dest="spec", metavar="名称=权重[/满分],…", help="如 需求分析=20,项目设计=25,…（权重之和为100）")
    p.set_defaults(handler=cmd_criteria)

    p = score.add_parser("add", help="录入一位专家对一份申报的评分")
    p.add_argument("decl")
    p.add_argument("--scorer", required=True, help="评审专家姓名")
    p.add_argument("--points", required=True, metavar="评分项=分数,…", help="如 需求分析=18,项目设计=22,…")
    p.add_argument("--replace", action="store_true", help="更正该专家此前的评分")
    p.set_defaults(handler=cmd_score_add)

    p = score.add_parser("show", help="查看一份申报的专家评分、平均分和离散程度")
    p.add_argument("decl")
    p.set_defaults(handler=cmd_score_show)


def _batch(s: Session, key: str | None) -> Batch:
    from sanlian_desktop.declarations import batches

    if key:
        return batches.find_batch(s, key)
    found = batches.list_batches(s)
    if not found:
        raise UserError("还没有申报批次", "there is no batch")
    return found[0]


def _meters_json(ms: list[Any]) -> list[dict[str, Any]]:
    from sanlian_desktop.kernel.money import from_fen

    def shown(key: str, v: int | None) -> Any:
        return None if v is None else (str(from_fen(v)) if key == "budget" else v)

    return [{"key": m.key, "label": m.label, "used": shown(m.key, m.used), "limit": shown(m.key, m.limit),
             "state": m.state} for m in ms]


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.kernel.money import format_yuan, from_fen
    from sanlian_desktop.selection import limits, shortlist
    from sanlian_desktop.selection.scoring import require_province

    actor = ctx.actor()
    require_province(actor)
    with ctx.store().read_session() as s:
        batch = _batch(s, args.batch)
        rows = shortlist.rows(s, batch, sort=args.sort)
        ms = limits.meters(s, batch)
    warns = limits.warnings(ms)
    lines = [f"{batch.name}：待遴选与已批准 {len(rows)} 份"] + [m.text for m in ms] + [f"注意：{w}" for w in warns]
    lines.append("")
    for r in rows:
        score = "未评分" if r.scores.average is None else f"{r.scores.average}分（{r.scores.count}人，极差{r.scores.spread}）"
        amount = "" if r.amount_fen is None else f"，补助 {format_yuan(from_fen(r.amount_fen))} 元"
        lines.append(f"{r.number}\t{r.state_label}\t{r.city}{r.county}{r.community}\t{r.title}\t{r.focus_areas}\t"
                     f"申请 {format_yuan(from_fen(r.requested_fen))} 元{amount}\t{score}")
    ctx.emit({"batch": batch.code, "meters": _meters_json(ms), "warnings": warns,
              "rows": [r.as_dict() for r in rows]}, lines)
    return 0


def _after(ctx: Context, s: Session, decl: Declaration, done: str) -> None:
    from sanlian_desktop.selection import limits, shortlist

    ms = limits.meters(s, shortlist.batch_of(s, decl))
    warns = limits.warnings(ms)
    ctx.emit({"number": decl.number, "status": decl.status, "meters": _meters_json(ms), "warnings": warns},
             [done] + [m.text for m in ms] + [f"注意：{w}" for w in warns])


def cmd_shortlist(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.selection import shortlist

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = lookup.visible(s, actor, args.decl)
        shortlist.shortlist(s, actor, decl, planned=args.amount, note=args.note, override_reason=args.override)
        _after(ctx, s, decl, f"已将申报 {decl.number} 列入入围名单")
    return 0


def cmd_unshortlist(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.selection import shortlist

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = lookup.visible(s, actor, args.decl)
        shortlist.unshortlist(s, actor, decl)
        _after(ctx, s, decl, f"已将申报 {decl.number} 移出入围名单")
    return 0


def cmd_approve(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.kernel.money import format_yuan, from_fen
    from sanlian_desktop.selection import shortlist

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = lookup.visible(s, actor, args.decl)
        shortlist.approve(s, actor, decl, granted=args.granted, text=args.opinion, override_reason=args.override)
        _after(ctx, s, decl, f"已批准申报 {decl.number}，补助 {format_yuan(from_fen(decl.granted_fen or 0))} 元")
    return 0


def _export(ctx: Context, s: Any, notice: Any, pdf: Path | None, xlsx: Path | None) -> list[str]:
    from sanlian_desktop.selection import notices

    warning = notices.export_notice(s, notice, pdf=pdf, xlsx=xlsx)
    lines = [f"已导出 {p}" for p in (pdf, xlsx) if p is not None]
    if warning:
        lines.append(f"提示：{warning}")
    return lines


def cmd_notice(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.selection import notices

    actor = ctx.actor()
    with ctx.store().session() as s:
        batch = _batch(s, args.batch)
        notice = notices.issue_notice(s, actor, batch, starts=args.starts, ends=args.ends, title=args.title)
        s.flush()
        data = notices.notice_dict(notice)
    # The notice is issued (committed) before files are written: a file that cannot be written can be
    # exported again with ``select export``.
    with ctx.store().read_session() as s:
        lines = _export(ctx, s, notices.get_notice(s, _batch(s, args.batch), data["seq"]), args.pdf, args.xlsx)
    ctx.emit(data, [f"已发布公示第 {data['seq']} 号：{data['title']}，{data['projects']} 个项目，补助合计 "
                    f"{data['total']} 元，公示期 {data['starts']} 至 {data['ends']}", *lines])
    return 0


def cmd_notices(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations.workflow import local_today
    from sanlian_desktop.models import utcnow
    from sanlian_desktop.selection import notices

    ctx.actor()
    with ctx.store().read_session() as s:
        batch = _batch(s, args.batch)
        found = notices.notices(s, batch)
        current = notices.current_notice(s, batch)
        data = [{**notices.notice_dict(n), "current": current is not None and n.id == current.id} for n in found]
        today = local_today(utcnow())
        lines = [f"第 {n.seq} 号\t{n.title}\t{n.starts} 至 {n.ends}\t{len(n.entries)} 个项目\t"
                 + ("现行" if current is not None and n.id == current.id else "已被替代")
                 + f"\t{notices.in_force_label(n, today)}" for n in found]
    for d in data:
        d.pop("entries")
    ctx.emit(data, lines or [f"“{batch.name}”还没有发布公示"])
    return 0


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.selection import notices

    ctx.actor()
    if args.pdf is None and args.xlsx is None:
        raise UserError("请用 --pdf 或 --xlsx 指定导出的文件", "give --pdf or --xlsx")
    with ctx.store().read_session() as s:
        notice = notices.get_notice(s, _batch(s, args.batch), args.seq)
        lines = _export(ctx, s, notice, args.pdf, args.xlsx)
        data = {"seq": notice.seq, "id": notice.id, "files": [str(p) for p in (args.pdf, args.xlsx) if p]}
    ctx.emit(data, lines)
    return 0


# -- score ---------------------------------------------------------------------------------------------


def cmd_criteria(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.selection import scoring

    actor = ctx.actor()
    scoring.require_province(actor, "查看评分表")
    with ctx.store().session() as s:
        batch = _batch(s, args.batch)
        if args.spec:
            scoring.set_criteria(s, actor, batch, scoring.parse_criteria(args.spec))
        items = scoring.criteria(s, batch)
        locked = scoring.sheet_locked(s, batch)
    ctx.emit({"batch": batch.code, "locked": locked,
              "criteria": [{"name": c.name, "weight": c.weight, "max_points": c.max_points} for c in items]},
             [f"{batch.name} 评分表" + ("（已有评分，不能再修改）" if locked else "")]
             + [f"{c.name}\t权重 {c.weight}\t满分 {c.max_points}" for c in items])
    return 0


def cmd_score_add(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.selection import scoring

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = lookup.visible(s, actor, args.decl)
        scoring.add_score(s, actor, decl, scorer=args.scorer, points=dict(scoring.parse_points(args.points)),
                          replace=args.replace)
        summary = _summary_json(s, decl)
    ctx.emit(summary, [f"已录入 {args.scorer.strip()} 对申报 {decl.number} 的评分", *_summary_lines(summary)])
    return 0


def _summary_json(s: Session, decl: Declaration) -> dict[str, Any]:
    from sanlian_desktop.selection import scoring, shortlist

    batch = shortlist.batch_of(s, decl)
    items = scoring.criteria(s, batch)
    rows = scoring.scores_for(s, decl)
    summary = scoring.summarise(items, rows)
    totals = {t.scorer: t.total for t in summary.totals}

    def text(v: Any) -> str | None:
        return None if v is None else str(v)

    return {
        "number": decl.number, "title": decl.title,
        "criteria": [{"name": c.name, "weight": c.weight, "max_points": c.max_points} for c in items],
        "scores": [{"scorer": r.scorer, "points": r.points, "total": str(totals[r.scorer]),
                    "scored_at": r.scored_at.isoformat(), "entered_by": r.entered_by} for r in rows],
        "count": summary.count, "average": text(summary.average), "spread": text(summary.spread),
        "stdev": text(summary.stdev),
    }


def _summary_lines(d: dict[str, Any]) -> list[str]:
    names = [c["name"] for c in d["criteria"]]
    lines = [f"{d['number']} {d['title']}", "专家\t" + "\t".join(names) + "\t合计\t录入时间\t录入人"]
    for sc in d["scores"]:
        when = datetime.fromisoformat(sc["scored_at"]).astimezone().strftime("%Y-%m-%d %H:%M")
        lines.append(f"{sc['scorer']}\t" + "\t".join(str(sc["points"][n]) for n in names)
                     + f"\t{sc['total']}\t{when}\t{sc['entered_by']}")
    if d["count"]:
        lines.append(f"{d['count']} 位专家，平均分 {d['average']}，极差 {d['spread']}，标准差 {d['stdev']}")
    else:
        lines.append("尚无专家评分")
    return lines


def cmd_score_show(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.selection import scoring

    actor = ctx.actor()
    scoring.require_province(actor, "查看专家评分")
    with ctx.store().read_session() as s:
        decl = lookup.visible(s, actor, args.decl)
        summary = _summary_json(s, decl)
    ctx.emit(summary, _summary_lines(summary))
    return 0
