"""Commands for paper: print declarations or a blank form, and match a printed copy to its record."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sanlian_desktop.cli.main import Context
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Status


def register(sub: Any) -> None:
    """Add ``print`` and ``verify-print``."""
    p = sub.add_parser("print", help="打印申报表为 PDF（可盖章存档）")
    p.add_argument("ids", nargs="*", help="申报编号（可多个）")
    p.add_argument("--status", choices=[s.value for s in Status], help="打印辖区内某一状态的全部申报")
    p.add_argument("--blank", action="store_true", help="空白申报表，供手工填写")
    p.add_argument("--out", required=True, type=Path, help="输出的 PDF 文件")
    p.add_argument("--font", type=Path, help="嵌入的 TrueType 中文字体文件（.ttf/.ttc）")
    p.set_defaults(handler=cmd_print)
    p = sub.add_parser("verify-print", help="核对纸质申报表上的二维码与记录是否一致")
    p.add_argument("code", help="扫描或输入的二维码内容")
    p.set_defaults(handler=cmd_verify_print)
    register_sheets(sub)


def _check_out(path: Path) -> None:
    if path.suffix.lower() != ".pdf":
        raise UserError("输出文件名应以 .pdf 结尾", "the output file should end in .pdf")
    if not path.parent.exists():
        raise UserError(f"输出目录 {path.parent} 不存在", f"folder {path.parent} does not exist")


def cmd_print(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import paper

    _check_out(args.out)
    if args.blank:
        if args.ids or args.status:
            raise UserError("--blank 不能与申报编号或 --status 同用", "--blank goes alone")
        warnings = paper.print_blank(args.out, font_file=args.font)
        ctx.emit({"out": str(args.out), "warnings": warnings}, [f"已生成空白申报表 {args.out}", *warnings])
        return 0
    if not args.ids and not args.status:
        raise UserError("请给出申报编号，或用 --status 选择一批申报，或用 --blank 打印空白表",
                        "give declaration ids, --status or --blank")
    actor = ctx.actor()
    with ctx.store().session() as s:
        warnings = paper.print_declarations(s, actor, args.out, keys=args.ids,
                                            status=Status(args.status) if args.status else None,
                                            font_file=args.font)
    ctx.emit({"out": str(args.out), "warnings": warnings}, [f"已生成 {args.out}", *warnings])
    return 0


def cmd_verify_print(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import paper

    actor = ctx.actor()
    with ctx.store().session() as s:
        check = paper.verify_print(s, actor, args.code)
    ctx.emit(
        {"number": check.number, "printed_version": check.printed_version,
         "current_version": check.current_version, "matches_record": check.matches_record,
         "is_current": check.is_current,
         "changes": [{"field": c.field, "label": c.label, "before": c.before, "after": c.after}
                     for c in check.changes]},
        [check.sentence()] + [f"  {c.label}：{c.before} → {c.after}" for c in check.changes],
    )
    if not check.matches_record:
        raise UserError("纸质件与记录不符", "the printed copy does not match the record")
    return 0


def register_sheets(sub: Any) -> None:
    """Add ``ledger``, ``template`` and ``decl import-excel``."""
    p = sub.add_parser("ledger", help="导出台账（Excel）")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--status", choices=[s.value for s in Status])
    p.set_defaults(handler=cmd_ledger)
    p = sub.add_parser("template", help="导出供社区填写的 Excel 申报模板")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(handler=cmd_template)
    p = sub.decl_commands.add_parser("import-excel", help="从填好的 Excel 模板导入申报草稿")
    p.add_argument("file", type=Path)
    p.add_argument("--accept-valid", action="store_true", help="只导入正确的行，错误的行标注后另存")
    p.add_argument("--errors-out", type=Path, help="错误标注副本的保存位置")
    p.set_defaults(handler=cmd_import_excel)


def _check_xlsx(path: Path) -> None:
    if path.suffix.lower() != ".xlsx":
        raise UserError("文件名应以 .xlsx 结尾", "the file should end in .xlsx")
    if not path.parent.exists():
        raise UserError(f"输出目录 {path.parent} 不存在", f"folder {path.parent} does not exist")


def cmd_ledger(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import workbooks as sheets

    _check_xlsx(args.out)
    actor = ctx.actor()
    with ctx.store().session() as s:
        count = sheets.export_ledger(s, actor, args.out, status=Status(args.status) if args.status else None)
    ctx.emit({"out": str(args.out), "rows": count}, f"已导出台账 {args.out}（{count} 条）")
    return 0


def cmd_template(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import workbooks as sheets

    _check_xlsx(args.out)
    sheets.write_template(args.out)
    ctx.emit({"out": str(args.out)}, f"已生成申报模板 {args.out}")
    return 0


def cmd_import_excel(ctx: Context, args: argparse.Namespace) -> int:
    from sanlian_desktop.declarations import workbooks as sheets

    actor = ctx.actor()
    with ctx.store().session() as s:
        intake = sheets.import_excel(s, actor, args.file, accept_valid=args.accept_valid, errors_out=args.errors_out)
    lines = [f"已导入 {len(intake.created)} 份申报草稿：{'、'.join(intake.created)}" if intake.created else "没有导入申报"]
    if intake.errors_file:
        lines.append(f"有 {len(intake.invalid_rows)} 行有误，已标注在 {intake.errors_file}")
    ctx.emit({"created": intake.created, "invalid_rows": intake.invalid_rows,
              "errors_file": str(intake.errors_file) if intake.errors_file else None}, lines)
    return 0
