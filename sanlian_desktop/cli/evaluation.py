"""Commands for third-party evaluation: ``evaluate assign|withdraw|visit|score|show|list|criteria|evaluators``."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from sanlian_desktop.cli.main import Context


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期（应为 YYYY-MM-DD）/ not a date") from None


def register(sub: Any) -> None:
    """Add ``evaluate …``."""
    ev = sub.add_parser("evaluate", help="第三方评估：指派、跟踪回访、成效评估").add_subparsers(
        dest="sub", required=True)
    p = ev.add_parser("assign", help="把已批准的项目指派给第三方评估机构（省民政厅）")
    p.add_argument("id", help="申报编号")
    p.add_argument("--to", required=True, dest="evaluator", help="评估机构代码，如 620000E001")
    p.add_argument("--note", default="", help="备注")
    p.set_defaults(handler=cmd_assign)
    p = ev.add_parser("withdraw", help="撤回评估指派（省民政厅；评估机构尚未报送成效评估时）")
    p.add_argument("id", help="已指派评估的项目的申报编号")
    p.add_argument("--reason", required=True, help="撤回理由，如 指派有误、项目已终止")
    p.set_defaults(handler=cmd_withdraw)
    p = ev.add_parser("visit", help="记录一次跟踪回访（评估机构）")
    p.add_argument("id")
    p.add_argument("--date", required=True, type=_date, dest="on", help="回访日期 YYYY-MM-DD")
    p.add_argument("--who", required=True, help="回访人员")
    p.add_argument("--findings", required=True, help="回访发现")
    p.set_defaults(handler=cmd_visit)
    p = ev.add_parser("score", help="填写成效评估（评估机构）")
    p.add_argument("id")
    p.add_argument("--points", required=True, help="各指标得分，如 需求回应=18,目标达成=22,…（evaluate criteria 查看指标）")
    p.add_argument("--grade", choices=["优", "良", "中", "差"], help="等级（不填则按总分确定）")
    p.add_argument("--grade-reason", default="", help="所选等级与按总分确定的不同时，写明理由")
    p.add_argument("--report", required=True, type=Path, help="评估报告（PDF）")
    p.add_argument("--date", type=_date, dest="on", help="评估日期（默认今天）")
    p.set_defaults(handler=cmd_score)
    p = ev.add_parser("show", help="查看项目的评估指派、跟踪回访和成效评估")
    p.add_argument("id")
    p.set_defaults(handler=cmd_show)
    p = ev.add_parser("list", help="已指派评估的项目（评估机构：指派给本机构的项目）")
    p.set_defaults(handler=cmd_list)
    ev.add_parser("criteria", help="成效评估的指标、分值和等级标准").set_defaults(handler=cmd_criteria)
    ev.add_parser("evaluators", help="本厅认证的第三方评估机构").set_defaults(handler=cmd_evaluators)


def cmd_assign(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.evaluation import service as evaluation

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = lookup.visible(s, actor, args.id)
        row = evaluation.assign(s, actor, decl, args.evaluator, note=args.note)
        ctx.emit({"id": decl.id, "number": decl.number, "evaluator": row.evaluator_code,
                  "evaluator_name": row.evaluator_name, "assigned_on": row.assigned_on.isoformat()},
                 f"已将项目 {decl.number} 指派给 {row.evaluator_name}（{row.evaluator_code}）评估，随下次同步包送达")
    return 0


def cmd_withdraw(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.evaluation import service as evaluation

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = lookup.visible(s, actor, args.id)
        row = evaluation.withdraw(s, actor, decl, reason=args.reason)
        ctx.emit({"id": decl.id, "number": decl.number, "evaluator": row.evaluator_code,
                  "evaluator_name": row.evaluator_name, "withdrawn_on": row.withdrawn_on.isoformat(),
                  "reason": row.reason, "travels": row.travels},
                 f"已撤回项目 {decl.number} 对 {row.evaluator_name}（{row.evaluator_code}）的评估指派"
                 + ("，随下次同步包通知评估机构和下级单位" if row.travels else "（该指派尚未发出）"))
    return 0


def cmd_visit(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.evaluation import service as evaluation

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = lookup.visible(s, actor, args.id)
        row = evaluation.record_visit(s, actor, decl, visited_on=args.on, who=args.who, findings=args.findings)
        ctx.emit({"id": row.id, "declaration": decl.id, "date": row.visited_on.isoformat()},
                 f"已记录项目 {decl.number} 的跟踪回访（{row.visited_on}）")
    return 0


def cmd_score(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.evaluation import service as evaluation

    actor = ctx.actor()
    store = ctx.store()
    points = evaluation.parse_points(args.points)
    with store.session() as s:
        decl = lookup.visible(s, actor, args.id)
        row = evaluation.record_evaluation(s, actor, store.paths, decl, points=points, report=args.report,
                                           grade=args.grade, grade_reason=args.grade_reason, evaluated_on=args.on)
        ctx.emit({"id": row.id, "declaration": decl.id, "total": row.total, "max_total": evaluation.max_total(),
                  "grade": row.grade, "report_sha256": row.report_sha256},
                 f"已记录项目 {decl.number} 的成效评估：{row.total}/{evaluation.max_total()} 分，等级“{row.grade}”")
    return 0


def cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.evaluation import service as evaluation

    actor = ctx.actor()
    with ctx.store().read_session() as s:
        decl = lookup.visible(s, actor, args.id)
        data = evaluation.history(s, decl)
    lines = [f"{data['number']}  {data['title']}"]
    a = data["assignment"]
    lines.append("评估机构：未指派" if a is None else
                 f"评估机构：{a['evaluator_name']}（{a['evaluator']}），{a['assigned_on']} 由省民政厅指派")
    for w in data["withdrawals"]:
        lines.append(f"已撤回：{w['assigned_on']} 对 {w['evaluator_name']}（{w['evaluator']}）的指派，"
                     f"{w['withdrawn_on']} 撤回，理由：{w['reason']}")
    for v in data["visits"]:
        lines.append(f"跟踪回访 {v['date']}  {v['who']}：{v['findings']}")
    for e in data["evaluations"]:
        scores = "，".join(f"{x['name']} {x['points']}/{x['max']}" for x in e["scores"])
        why = f"（理由：{e['grade_reason']}）" if e["grade_reason"] else ""
        lines.append(f"成效评估 {e['date']}  {e['total']}/{e['max_total']} 分，等级“{e['grade']}”{why}；{scores}；"
                     f"报告 {e['report']['name']}")
    if a is not None and not data["visits"] and not data["evaluations"]:
        lines.append("尚无跟踪回访和成效评估")
    ctx.emit(data, lines)
    return 0


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from sanlian_desktop.evaluation import service as evaluation
    from sanlian_desktop.models import EffectEvaluation, EvaluationAssignment, FollowUpVisit

    actor = ctx.actor()
    rows = []
    with ctx.store().read_session() as s:
        for d in s.scalars(evaluation.assigned_query(actor)):
            a = s.get(EvaluationAssignment, d.id)
            visits = s.scalar(select(func.count()).where(FollowUpVisit.declaration_id == d.id)) or 0
            last = s.scalars(select(EffectEvaluation).where(EffectEvaluation.declaration_id == d.id)
                             .order_by(EffectEvaluation.evaluated_on.desc(), EffectEvaluation.at.desc())).first()
            rows.append({"id": d.id, "number": d.number, "title": d.title, "evaluator": a.evaluator_code if a else None,
                         "assigned_on": a.assigned_on.isoformat() if a else None, "visits": visits,
                         "grade": last.grade if last else None, "total": last.total if last else None})
    lines = [f"{r['number']}  {r['title']}  回访 {r['visits']} 次  "
             f"{'评估 ' + str(r['total']) + ' 分 ' + r['grade'] if r['grade'] else '未评估'}" for r in rows]
    ctx.emit(rows, lines or ["没有已指派评估的项目"])
    return 0


def cmd_criteria(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.evaluation import service as evaluation

    data = {"criteria": [{"name": c.name, "max": c.max_points, "asks": c.asks} for c in evaluation.CRITERIA],
            "max_total": evaluation.max_total(),
            "grades": [{"grade": g, "from_percent": p} for g, p in evaluation.GRADES]}
    lines = [f"{c.name}（{c.max_points} 分）：{c.asks}" for c in evaluation.CRITERIA]
    lines.append("等级：" + "，".join(f"{g} ≥{p}%" if p else f"{g} <{evaluation.GRADES[-2][1]}%"
                                    for g, p in evaluation.GRADES))
    ctx.emit(data, lines)
    return 0


def cmd_evaluators(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.evaluation import service as evaluation

    actor = ctx.actor()
    with ctx.store().read_session() as s:
        found = evaluation.certified_evaluators(s, actor.office_code)
    ctx.emit([{"code": e.code, "name": e.name} for e in found],
             [f"{e.code}  {e.name}" for e in found] or ["本单位没有认证第三方评估机构"])
    return 0
