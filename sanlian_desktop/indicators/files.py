"""Exporting the indicator report: Excel and PDF files, for the 统计 page and ``sanlian indicators``."""

from __future__ import annotations

from pathlib import Path

from sanlian_desktop.indicators.service import IndicatorReport
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level

XLSX, PDF = ".xlsx", ".pdf"


def report_title(report: IndicatorReport) -> str:
    """The title on the file: ``城关区“三社联动”试点目标完成情况与申报进度统计``."""
    return f"{report.names.get(report.root, report.root)}“三社联动”试点目标完成情况与申报进度统计"


def check_output(path: Path, suffix: str) -> None:
    """Refuse, before any work, a file name that cannot be written: wrong ending, missing folder, a folder."""
    kind = "Excel" if suffix == XLSX else "PDF"
    if path.suffix.lower() != suffix:
        raise UserError(f"{kind} 文件名应以 {suffix} 结尾：{path}", f"the {kind} file should end in {suffix}: {path}")
    if path.is_dir():
        raise UserError(f"“{path}”是一个文件夹，请给出文件名", f"{path} is a folder, not a file name")
    if not path.parent.is_dir():
        raise UserError(f"输出目录 {path.parent} 不存在", f"folder {path.parent} does not exist")


def write_xlsx(report: IndicatorReport, out: Path, *, down_to: Level = Level.COMMUNITY) -> Path:
    """The report as a workbook at ``out`` (written atomically): a sheet per section."""
    from sanlian_desktop.indicators.workbook import write_indicators

    check_output(out, XLSX)
    write_indicators(report, out, title=report_title(report), down_to=down_to)
    return out


def write_pdf(report: IndicatorReport, out: Path, *, down_to: Level | None = None,
              font_file: str | Path | None = None) -> list[str]:
    """The report as a PDF at ``out`` (written atomically); returns warnings about the font.

    ``down_to`` limits the regions' table (default: two levels below the report's root).
    """
    from sanlian_desktop.documents.printing import find_cjk_font
    from sanlian_desktop.indicators.pdf import render_indicators

    check_output(out, PDF)
    return render_indicators(report, out, title=report_title(report), down_to=down_to,
                             font=find_cjk_font(font_file))
