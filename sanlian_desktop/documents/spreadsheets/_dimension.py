"""Give openpyxl's read-only mode the sheet size it would otherwise find by parsing the whole sheet.

Excel, WPS and LibreOffice write a ``<dimension>`` element at the top of every worksheet. Other
programs (openpyxl's own write-only mode among them) leave it out, and then ``load_workbook(read_only=True)``
parses every row of every sheet just to size it: 100,000 formatted empty rows cost ~10 s before the
first row is read. For such a sheet we hand openpyxl an in-memory copy with a placeholder ``A1``
dimension; the reader passes explicit row and column bounds, so the placeholder's size is never used.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

# Below this size parsing a sheet to size it costs well under a second; leave the file alone.
PATCH_ABOVE_BYTES = 4 * 1024 * 1024
_HEAD_BYTES = 64 * 1024
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData[\s>/]")
_DIMENSION = re.compile(rb"<(\w+:)?dimension[\s>/]")


def readable_source(path: Path) -> Path | io.BytesIO:
    """``path`` itself, or an in-memory copy whose large worksheets without a dimension have one."""
    with zipfile.ZipFile(path) as archive:
        heads: dict[str, bytes] = {}
        for info in archive.infolist():
            if _is_sheet(info) and info.file_size > PATCH_ABOVE_BYTES:
                head = _head(archive, info)
                match = _SHEET_DATA.search(head)
                if match and not _DIMENSION.search(head, 0, match.start()):
                    heads[info.filename] = head
        if not heads:
            return path
        return _patched_copy(archive, heads)


def _is_sheet(info: zipfile.ZipInfo) -> bool:
    return info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")


def _head(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as member:
        return member.read(_HEAD_BYTES)


def _patched_copy(archive: zipfile.ZipFile, heads: dict[str, bytes]) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True) as target:
        for info in archive.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info) as source, target.open(entry, "w", force_zip64=True) as sink:
                if info.filename in heads:
                    head = source.read(len(heads[info.filename]))
                    match = _SHEET_DATA.search(head)
                    assert match is not None
                    prefix = match.group(1) or b""
                    sink.write(head[: match.start()] + b"<" + prefix + b'dimension ref="A1"/>')
                    sink.write(head[match.start():])
                shutil.copyfileobj(source, sink, 1024 * 1024)
    out.seek(0)
    return out
