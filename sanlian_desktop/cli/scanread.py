"""``decl read-scan FILE``: read a printed 申报表's scan into the form's fields (OCR for 代录)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sanlian_desktop.cli.main import Context
from sanlian_desktop.kernel.errors import UserError


def register(sub: Any) -> None:
    """Add ``decl read-scan`` to the parser (after the ``decl`` group exists)."""
    p = sub.decl_commands.add_parser(
        "read-scan", help="识别本程序打印的申报表的扫描件、照片或 PDF，列出读出的各项及可信度（代录）")
    p.add_argument("file", type=Path, help="扫描件、照片（PNG、JPEG、TIFF）或扫描的 PDF")
    p.add_argument("--create-draft", action="store_true",
                   help="核对无误后：用读出的内容新建申报草稿，并把扫描件作为附件（类别：扫描件）")
    p.add_argument("--out", type=Path, metavar="JSON",
                   help="把读出的内容写成申报 JSON 文件（可修改后用 decl new --file 新建草稿）")
    p.add_argument("--community", help="申报社区代码（默认按表上的申报单位查找）")
    p.add_argument("--batch", help="申报批次代码（默认为最新的批次）")
    p.set_defaults(handler=cmd_read_scan)


def _cell(value: Any, width: int = 40) -> str:
    text = "" if value in (None, []) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def cmd_read_scan(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.kernel.fileio import atomic_write_bytes
    from sanlian_desktop.paperread import OCR_HELP, ocr_available, read_form
    from sanlian_desktop.paperread.drafting import community_named, create_draft, draft_json, rows

    if (args.community or args.batch) and not (args.create_draft or args.out):
        raise UserError("--community 和 --batch 只能与 --create-draft 或 --out 一起使用",
                        "--community and --batch go with --create-draft or --out")
    if not ocr_available():
        raise UserError(OCR_HELP, "the OCR component is not installed (Linux: package sanlian-desktop-ocr; Windows: "
                        "the installer's OCR component; from source: pip install \"sanlian-desktop[ocr]\")")
    actor = ctx.actor() if args.create_draft else None
    proposal = read_form(args.file)
    found = rows(proposal)
    low = sum(1 for r in found if r.low)
    created: dict[str, str] | None = None
    if args.out is not None:
        from sanlian_desktop.offices.auth import this_office

        with ctx.store().read_session() as s:
            community = args.community or community_named(s, this_office(s).region_code, proposal.unit_names)
        try:
            atomic_write_bytes(args.out, draft_json(proposal, community=community, batch=args.batch))
        except OSError as exc:
            raise UserError(f"无法写入文件“{args.out}”：{exc.strerror}", f"cannot write {args.out}") from None
    if actor is not None:
        store = ctx.store()
        with store.session() as s:
            decl = create_draft(s, actor, store.paths, args.file, proposal, community=args.community,
                                batch=args.batch)
            created = {"id": decl.id, "number": decl.number}
    data = {"file": str(args.file), "pages": len(proposal.pages), "unit_names": proposal.unit_names,
            "fields": [asdict(r) for r in found], "low_confidence": low, "draft": created,
            "out": str(args.out) if args.out else None}
    lines = [f"{'项目':<14}{'可信度':>6}  {'读出的内容'}"]
    for r in found:
        flag = "  ← 需核对" + (f"：{r.problem}" if r.problem else "") if r.low else ""
        lines.append(f"{_cell(r.label, 14):<14}{r.confidence * 100:>5.0f}%  {_cell(r.value)}{flag}")
    lines.append(f"共读出 {len(found)} 项，其中 {low} 项可信度较低，请对照扫描件核对。")
    if args.out is not None:
        lines.append(f"已写入 {args.out}：修改核对后可用 decl new --file 新建草稿。")
    if created is None:
        lines.append("未新建申报。核对无误后加 --create-draft 新建草稿（扫描件作为附件），或在桌面程序中“从扫描件读取”。")
    else:
        lines.append(f"已新建申报草稿 {created['number']}（{created['id']}），扫描件已作为附件；请在桌面程序中逐项核对后提交。")
    ctx.emit(data, lines)
    return 0
