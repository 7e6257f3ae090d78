"""Checks on a file before openpyxl parses it: that it is an .xlsx workbook, not encrypted, not a bomb."""

from __future__ import annotations

import zipfile
from pathlib import Path

from sanlian_desktop.kernel.errors import UserError

MAX_FILE_BYTES = 50 * 1024 * 1024
# Parts openpyxl reads whole (shared strings, styles, workbook) must stay small; sheets are streamed.
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # OLE compound file: old .xls, or an encrypted .xlsx
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


def check_workbook_file(path: Path) -> None:
    """Raise ``UserError`` unless ``path`` looks like an .xlsx workbook that is safe to open."""
    name = path.name
    if not path.is_file():
        raise UserError(f"找不到文件“{name}”。", f"file not found: {path}")
    size = path.stat().st_size
    if size == 0:
        raise UserError(f"文件“{name}”是空文件。", f"empty file: {path}")
    if size > MAX_FILE_BYTES:
        raise UserError(
            f"文件“{name}”过大（{size / 1024 / 1024:.0f} MB，上限 {MAX_FILE_BYTES // 1024 // 1024} MB），"
            "请把申报项目分成几个文件导入。",
            f"file too large: {size} bytes",
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            whole = handle.read() if head == _CFB_MAGIC else b""
    except OSError as exc:
        raise UserError(
            f"无法读取文件“{name}”：{exc.strerror or exc}。请检查文件权限，或先在其他程序中关闭该文件。",
            f"cannot read {path}: {exc}",
        ) from None
    if head == _CFB_MAGIC:
        if _ENCRYPTION_STREAM in whole:
            raise UserError(
                f"文件“{name}”设置了打开密码（已加密），无法读取。"
                "请在 Excel 中取消密码（文件→信息→保护工作簿）后另存再导入。",
                f"encrypted workbook: {path}",
            )
        raise UserError(
            f"文件“{name}”是旧版 Excel 97-2003 格式（.xls）。"
            "请在 Excel 或 WPS 中“另存为”Excel 工作簿（.xlsx）后再导入。",
            f"legacy .xls file: {path}",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UserError(
            f"文件“{name}”不是 Excel 工作簿（.xlsx），或者文件已损坏、未下载完整。",
            f"not an xlsx file: {path}",
        ) from None
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise UserError(_not_a_workbook(name, names), f"zip file is not an xlsx workbook: {path}")
    total = 0
    for info in infos:
        total += info.file_size
        is_sheet = info.filename.startswith("xl/worksheets/")
        if (not is_sheet and info.file_size > MAX_PART_BYTES) or total > MAX_TOTAL_BYTES:
            raise UserError(
                f"文件“{name}”解压后过大，不像是正常的申报表，已拒绝读取。",
                f"workbook expands too much: {info.filename} {info.file_size} bytes",
            )


def _not_a_workbook(name: str, names: set[str]) -> str:
    if "word/document.xml" in names:
        kind = "Word 文档"
    elif any(n.startswith("ppt/") for n in names):
        kind = "PowerPoint 演示文稿"
    elif "mimetype" in names and "content.xml" in names:
        return (
            f"文件“{name}”是 OpenDocument 格式（如 LibreOffice 的 .ods）。"
            "请另存为 Excel 工作簿（.xlsx）后再导入。"
        )
    else:
        kind = "压缩文件"
    return f"文件“{name}”是{kind}，不是 Excel 工作簿（.xlsx）。请选择申报表模板填写后的文件。"
