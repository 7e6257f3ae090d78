"""The ``demo`` command: demonstration data in this office's jurisdiction."""

from __future__ import annotations

import argparse
from typing import Any

from sanlian_desktop.cli.main import Context, positive_arg


def register(sub: Any) -> None:
    """Add ``demo`` to the parser."""
    p = sub.add_parser("demo", help="在辖区内生成演示数据")
    p.add_argument("--count", type=positive_arg, default=200)
    p.add_argument("--seed", type=int, default=2016)
    p.add_argument("--communities", type=positive_arg, help="辖区内社区数（默认为申报数的六分之一，最多17000）")
    p.add_argument("--no-screening", action="store_true",
                   help="不查找相似申报（以后保存或导入时再查找；供性能测试生成大量数据）")
    p.set_defaults(handler=cmd_demo)


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.demo.generate import generate

    actor = ctx.actor()
    summary = generate(ctx.store(), actor, count=args.count, seed=args.seed, communities_wanted=args.communities)
    if not args.no_screening:
        from sanlian_desktop.screening.service import refresh_store

        summary["screened"] = refresh_store(ctx.store())
    ctx.emit(summary, f"已生成演示数据：{summary['declarations']} 份申报，"
                      f"{summary['communities']} 个社区，{summary['opinions']} 条审核意见，"
                      f"{summary['organisations']} 个社区社会组织，{summary['social_workers']} 名社会工作者")
    return 0
