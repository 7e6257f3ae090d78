"""The ``indicators`` command: the pilot's targets measured on the registries."""

from __future__ import annotations

import argparse
import unicodedata
from pathlib import Path
from typing import Any

from sanlian_desktop.cli.main import Context
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import LEVEL_ORDER, Level


def register(sub: Any) -> None:
    """Add the ``indicators`` command to the parser."""
    p = sub.add_parser("indicators", help="试点目标完成情况与申报进度统计")
    p.add_argument("--region", help="区划代码（默认为本单位）")
    p.add_argument("--down-to", choices=[lv.value for lv in LEVEL_ORDER],
                   help="列到哪一级（默认到社区；PDF 的分区表默认列到下两级）")
    p.add_argument("--xlsx", type=Path, metavar="文件.xlsx", help="导出为 Excel 工作簿（每部分一个工作表）")
    p.add_argument("--pdf", type=Path, metavar="文件.pdf", help="导出为 PDF（表格和图表）")
    p.add_argument("--font", type=Path, help="PDF 嵌入的 TrueType 中文字体文件（.ttf/.ttc）")
    p.set_defaults(handler=cmd_indicators)


# -- indicators ---------------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _cell(t: Any) -> str:
    if t.value is None:
        return "—"
    shown = f"{t.value:.1f}" if t.unit != "比例" else f"{t.value * 100:.0f}%"
    return shown + {True: "✓", False: "✗", None: "?"}[t.met]


def _threshold(t: Any) -> str:
    return f"{t.threshold * 100:.0f}%" if t.unit == "比例" else f"{t.threshold:g}{t.unit}"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _text(report: Any) -> list[str]:
    from sanlian_desktop.indicators.service import SHORT_LABELS, TARGET_LABELS
    from sanlian_desktop.kernel.money import from_fen
    from sanlian_desktop.kernel.vocab import STATUS_LABELS, Status

    keys = list(SHORT_LABELS)
    root_depth = LEVEL_ORDER.index(Level(report.regions[0].level))
    names = [("  " * (LEVEL_ORDER.index(Level(r.level)) - root_depth)) + r.name for r in report.regions]
    name_width = max(_width(n) for n in [*names, "区划"]) + 2
    widths = [max(_width(SHORT_LABELS[k]), 7) + 2 for k in keys]
    lines = [f"“三社联动”试点目标完成情况（{report.regions[0].name}，✓达到 ✗未达到 ?无法判断 —不适用或无数据）", ""]
    lines.append(_pad("区划", name_width) + _pad("社区数", 8) + "".join(
        _pad(SHORT_LABELS[k], w) for k, w in zip(keys, widths, strict=True)))
    for name, r in zip(names, report.regions, strict=True):
        by_key = {t.key: t for t in r.targets}
        lines.append(_pad(name, name_width) + _pad(str(r.communities), 8) + "".join(
            _pad(_cell(by_key[k]) if k in by_key else "", w) for k, w in zip(keys, widths, strict=True)))
    root = report.regions[0]
    lines += ["", f"{root.name}：目标与未达标社区"]
    for t in root.targets:
        lines.append(f"- {TARGET_LABELS[t.key]}：{_cell(t)}（标准 {_threshold(t)}）" + (f"，{t.note}" if t.note else ""))
        for label, codes in (("未达到", t.missing), ("未登记", t.unknown)):
            if codes:
                shown = "、".join(report.names.get(c, c) for c in codes[:10])
                more = f" 等{len(codes)}个" if len(codes) > 10 else ""
                lines.append(f"    {label}：{shown}{more}")
    p = report.pipeline
    lines += ["", f"申报进度：共 {p.total} 份"]
    if p.by_status:
        lines.append("  " + "，".join(f"{STATUS_LABELS[s]} {p.by_status[s.value]}" for s in Status
                                     if s.value in p.by_status))
    if p.awaiting_by_level:
        lines.append("  待处理：" + "，".join(
            f"{Level(lv).label if lv else '未定'} {n}（中位等待 {p.median_days_waiting.get(lv, 0)} 天）"
            for lv, n in sorted(p.awaiting_by_level.items(), key=lambda kv: -LEVEL_ORDER.index(Level(kv[0]))
                                if kv[0] else 0)))
    lines.append(f"  批准率 {_rate(p.approval_rate)}（已批准 / 已决定），退回率 {_rate(p.return_rate)}（曾被退回 / 已提交）")
    for row in p.granted_by_city:
        lines.append(f"  {row['name']}：批准 {row['projects']} 个项目，补助 {from_fen(row['granted_fen'])} 元")
    for row in p.granted_by_focus_area:
        lines.append(f"  {row['focus_area']}：批准 {row['projects']} 个项目，补助 {from_fen(row['granted_fen'])} 元")
    return lines


def cmd_indicators(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.indicators import files as indicatorfiles
    from sanlian_desktop.indicators import service as indicators
    from sanlian_desktop.offices import regions

    if args.font and not args.pdf:
        raise UserError("--font 只用于 --pdf", "--font goes with --pdf")
    # Bad file names are refused before signing in or computing anything.
    if args.xlsx:
        indicatorfiles.check_output(args.xlsx, indicatorfiles.XLSX)
    if args.pdf:
        indicatorfiles.check_output(args.pdf, indicatorfiles.PDF)
    actor = ctx.actor()
    root = (args.region or actor.office_code).strip()
    exporting = bool(args.xlsx or args.pdf)
    down_to = Level(args.down_to) if args.down_to else None
    with ctx.store().read_session() as s:
        regions.get_region(s, root)
        if not regions.is_within(s, root, actor.office_code):
            raise UserError(f"区划 {root} 不在本单位辖区内", f"region {root} is outside this office's jurisdiction")
        # Exports always read down to the communities: their lists of communities missing a target need them.
        report = indicators.compute(s, root, down_to=Level.COMMUNITY if exporting else down_to or Level.COMMUNITY)
    if not exporting:
        ctx.emit(indicators.as_dict(report), _text(report))
        return 0
    done: dict[str, Any] = {"root": report.root, "xlsx": None, "pdf": None, "warnings": []}
    lines = []
    if args.xlsx:
        indicatorfiles.write_xlsx(report, args.xlsx, down_to=down_to or Level.COMMUNITY)
        done["xlsx"] = str(args.xlsx)
        lines.append(f"已导出 Excel：{args.xlsx}")
    if args.pdf:
        done["warnings"] = indicatorfiles.write_pdf(report, args.pdf, down_to=down_to, font_file=args.font)
        done["pdf"] = str(args.pdf)
        lines.append(f"已导出 PDF：{args.pdf}")
    ctx.emit(done, lines + list(done["warnings"]))
    return 0


# -- registries ---------------------------------------------------------------------------------------
