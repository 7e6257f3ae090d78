"""Near-duplicate declarations: ``decl similar ID`` and ``similar --batch CODE``."""

from __future__ import annotations

import argparse
from typing import Any

from sanlian_desktop.cli.main import Context


def register(sub: Any) -> None:
    """Add ``decl similar`` and ``similar`` to the parser (after the ``decl`` group exists)."""
    p = sub.decl_commands.add_parser("similar", help="列出与该申报文字高度相似的申报")
    p.add_argument("id")
    p.add_argument("--min", dest="minimum", type=_percent, help="相似度下限（默认为本单位设置的阈值）")
    p.add_argument("--clear", metavar="OTHER", help="标记与该申报（编号）“已核实，不是抄袭”（审核人）")
    p.add_argument("--reason", help="核实的理由（与 --clear 一起使用）")
    p.set_defaults(handler=cmd_decl_similar)
    p = sub.add_parser("similar", help="列出批次内文字高度相似的申报对")
    p.add_argument("--batch", required=True, help="批次代码")
    p.add_argument("--min", dest="minimum", type=_percent, help="相似度下限（默认为本单位设置的阈值）")
    p.set_defaults(handler=cmd_similar)
    p = sub.add_parser("similar-threshold", help="查看或设置本单位标出相似申报的相似度阈值（设置须管理员）")
    p.add_argument("value", nargs="?", type=_percent, help="新的阈值（百分数）")
    p.set_defaults(handler=cmd_threshold)


def _percent(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise argparse.ArgumentTypeError(f"“{text}”不是 0 到 100 之间的整数 / not a percentage")
    return int(text)


def _similar_dict(s: Any) -> dict[str, Any]:
    return {"id": s.declaration_id, "number": s.number, "title": s.title, "community": s.community,
            "status": s.status, "batch": s.batch, "score": s.score, "cleared": s.cleared,
            "cleared_by": s.cleared_by}


def cmd_decl_similar(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.screening import service

    actor = ctx.actor()
    with ctx.store().session() as s:
        decl = lookup.visible(s, actor, args.id)
        service.refresh(s)
        if args.clear:
            service.clear(s, actor, decl, lookup.visible(s, actor, args.clear), args.reason or "")
        rows = service.similar_to(s, decl.id, minimum=args.minimum)
        minimum = service.threshold(s) if args.minimum is None else args.minimum
        lines = [f"与 {decl.number}（{decl.title}）相似度 ≥ {minimum}% 的申报："]
        lines += [f"  相似 {r.score}%  {r.number}  {r.community}  {r.title}  {r.status_label}  批次 {r.batch}"
                  + (f"  已核实，不是抄袭：{r.cleared}（{r.cleared_by}）" if r.cleared else "") for r in rows] or ["  （没有）"]
        ctx.emit({"id": decl.id, "number": decl.number, "threshold": minimum,
                  "similar": [_similar_dict(r) for r in rows]}, lines)
    return 0


def cmd_similar(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations.batches import find_batch
    from sanlian_desktop.screening import service

    ctx.actor()
    with ctx.store().session() as s:
        batch = find_batch(s, args.batch)
        service.refresh(s)
        pairs = service.pairs_in_batch(s, batch, minimum=args.minimum)
        minimum = service.threshold(s) if args.minimum is None else args.minimum
        lines = [f"“{batch.name}”中相似度 ≥ {minimum}% 的申报共 {len(pairs)} 对："]
        lines += [f"  相似 {p.score}%  {p.a.number}（{p.a.community}）↔ {p.b.number}（{p.b.community}）"
                  + (f"  已核实，不是抄袭：{p.cleared}（{p.cleared_by}）" if p.cleared else "") for p in pairs]
        ctx.emit({"batch": batch.code, "threshold": minimum,
                  "pairs": [{"score": p.score, "a": _similar_dict(p.a), "b": _similar_dict(p.b), "cleared": p.cleared,
                             "cleared_by": p.cleared_by}
                            for p in pairs]},
                 lines)
    return 0


def cmd_threshold(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.screening import service

    actor = ctx.actor()
    with ctx.store().session() as s:
        if args.value is not None:
            service.set_threshold(s, actor, args.value)
        value = service.threshold(s)
        ctx.emit({"threshold": value, "default": service.DEFAULT_THRESHOLD},
                 f"相似度达到 {value}% 的申报标为相似（默认 {service.DEFAULT_THRESHOLD}%）")
    return 0
