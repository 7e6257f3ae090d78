"""`report`: the periodic progress report (进展情况) of this office's jurisdiction, issued, listed, printed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sanlian_desktop.cli.main import Context, date_arg


def register(sub: Any) -> None:
    rep = sub.add_parser("report", help="进展情况报告：出具、查看、导出（随数据包报送上级）").add_subparsers(
        dest="sub", required=True)
    p = rep.add_parser("preview", help="计算本单位辖区的进展情况（不出具）")
    p.add_argument("--from", dest="start", required=True, type=date_arg, help="报告期开始日期，如 2016-07-01")
    p.add_argument("--to", dest="end", required=True, type=date_arg, help="报告期结束日期")
    p.set_defaults(handler=cmd_preview)

    p = rep.add_parser("issue", help="出具本单位的进展情况报告（下次导出时签名并报送上级）")
    p.add_argument("--from", dest="start", required=True, type=date_arg, help="报告期开始日期")
    p.add_argument("--to", dest="end", required=True, type=date_arg, help="报告期结束日期")
    p.add_argument("--supersedes", help="更正：被本报告取代的本单位报告编号")
    p.add_argument("--pdf", type=Path, help="同时导出为 PDF")
    p.add_argument("--xlsx", type=Path, help="同时导出为 Excel")
    p.set_defaults(handler=cmd_issue)

    p = rep.add_parser("list", help="列出本单位及下级报送的进展情况报告")
    p.add_argument("--region", help="只列该区划以内单位的报告")
    p.add_argument("--all", action="store_true", help="包括已被更正取代的报告")
    p.set_defaults(handler=cmd_list)

    p = rep.add_parser("show", help="查看一份报告")
    p.add_argument("id", help="报告编号（可只写前 6 位以上）")
    p.set_defaults(handler=cmd_show)

    p = rep.add_parser("export", help="把一份报告导出为 PDF 或 Excel")
    p.add_argument("id")
    p.add_argument("--pdf", type=Path)
    p.add_argument("--xlsx", type=Path)
    p.set_defaults(handler=cmd_export)


def _lines(report: dict[str, Any]) -> list[str]:
    from sanlian_desktop.reports.text import sections

    lines = [f"{report['office_name']} 进展情况报告 {report['period_start']} 至 {report['period_end']}"
             f"（编号 {report['id']}）"]
    for heading, header, rows in sections(report["figures"]):
        lines += ["", heading, "  " + "\t".join(header)]
        lines += ["  " + "\t".join(row) for row in rows] or ["  （无）"]
    return lines


def _check_outputs(*paths: Path | None) -> None:
    """Refuse an output path that cannot be written before anything is issued."""
    from sanlian_desktop.kernel.errors import UserError

    for path in paths:
        if path is None:
            continue
        if path.is_dir():
            raise UserError(f"{path} 是一个文件夹，请给出文件名", f"{path} is a folder")
        if not path.parent.is_dir():
            raise UserError(f"文件夹 {path.parent} 不存在", f"folder {path.parent} does not exist")


def _write(report: dict[str, Any], pdf: Path | None, xlsx: Path | None) -> list[str]:
    from sanlian_desktop.reports.pdf import render_progress_report
    from sanlian_desktop.reports.workbook import write_progress_report

    written = []
    if pdf is not None:
        for warning in render_progress_report(report, pdf):
            written.append(f"注意：{warning}")
        written.append(f"已导出 PDF：{pdf}")
    if xlsx is not None:
        write_progress_report(report, xlsx)
        written.append(f"已导出 Excel：{xlsx}")
    return written


def cmd_preview(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.reports import service as progress

    ctx.actor()
    with ctx.store().read_session() as s:
        me = progress.reporting_office(s)
        figures = progress.compute(s, me.region_code, args.start, args.end)
        shown = {"id": "（未出具）", "office_name": me.name, "period_start": args.start.isoformat(),
                 "period_end": args.end.isoformat(), "figures": figures}
    ctx.emit(figures, _lines(shown))
    return 0


def cmd_issue(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.reports import service as progress

    _check_outputs(args.pdf, args.xlsx)
    actor = ctx.actor()
    with ctx.store().session() as s:
        report = progress.as_dict(progress.issue(s, actor, args.start, args.end, supersedes=args.supersedes))
    notes = _write(report, args.pdf, args.xlsx)
    ctx.emit(report, [f"已出具进展情况报告 {report['id']}（下次向上级导出数据包时签名报送）", *notes])
    return 0


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.reports import service as progress

    ctx.actor()
    with ctx.store().read_session() as s:
        rows = progress.listing(s, within=args.region, include_superseded=args.all)
    ctx.emit([r.as_dict() for r in rows],
             [f"{r.id[:12]}\t{r.office_code}\t{r.office_name}\t{r.period_start} 至 {r.period_end}"
              + ("\t（已被更正）" if r.superseded else "") + (f"\t来自 {r.received_from}" if r.received_from else "")
              for r in rows] or ["（没有进展情况报告）"])
    return 0


def cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.reports import service as progress

    ctx.actor()
    with ctx.store().read_session() as s:
        report = progress.as_dict(progress.get(s, args.id))
    ctx.emit(report, _lines(report))
    return 0


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.kernel.errors import UserError
    from sanlian_desktop.reports import service as progress

    if args.pdf is None and args.xlsx is None:
        raise UserError("请用 --pdf 或 --xlsx 指定导出文件", "give --pdf or --xlsx")
    _check_outputs(args.pdf, args.xlsx)
    ctx.actor()
    with ctx.store().read_session() as s:
        report = progress.as_dict(progress.get(s, args.id))
    notes = _write(report, args.pdf, args.xlsx)
    ctx.emit({"id": report["id"], "pdf": str(args.pdf) if args.pdf else None,
              "xlsx": str(args.xlsx) if args.xlsx else None}, notes)
    return 0
