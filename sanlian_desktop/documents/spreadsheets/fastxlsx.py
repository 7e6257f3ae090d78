"""A small streaming .xlsx writer for large, plainly styled sheets (the 100,000-row ledger).

openpyxl's write-only mode spends about 7 µs on every cell; a ledger of 100,000 declarations has 1.5
million of them. This writer emits the SpreadsheetML directly: inline strings, exact decimal numbers,
formulas and a fixed set of styles, with frozen panes, column widths, an auto filter, print titles
and landscape pages. Rows go to a temporary file first so that the sheet's dimension can be written
ahead of them; the package is written with ``zipfile``. openpyxl reads the result back in the tests.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import IntEnum
from typing import IO, BinaryIO
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter


class Style(IntEnum):
    """The cell styles this writer knows (their index in styles.xml)."""

    PLAIN = 0
    MONEY = 1
    HEADER = 2
    TITLE = 3
    NOTE = 4
    TOTAL_TEXT = 5
    TOTAL_MONEY = 6
    PERCENT = 7  # 0.0%
    DECIMAL = 8  # 0.0
    MET = 9  # a target met: green
    MISSED = 10  # a target missed: red
    UNKNOWN = 11  # cannot tell: grey


@dataclass(frozen=True)
class Formula:
    """A formula cell (text without the leading ``=``)."""

    text: str


Cell = str | int | float | Decimal | Formula | None | tuple[object, Style]

_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_STYLES = _XML + f"""<styleSheet xmlns="{_MAIN}">
<numFmts count="3"><numFmt numFmtId="164" formatCode="#,##0.00"/><numFmt numFmtId="165" formatCode="0.0%"/>
<numFmt numFmtId="166" formatCode="0.0"/></numFmts>
<fonts count="7"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>
<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font>
<font><i/><sz val="11"/><color rgb="FF595959"/><name val="Calibri"/><family val="2"/></font>
<font><sz val="11"/><color rgb="FF1E5B1E"/><name val="Calibri"/><family val="2"/></font>
<font><sz val="11"/><color rgb="FF8A1F11"/><name val="Calibri"/><family val="2"/></font>
<font><sz val="11"/><color rgb="FF555555"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="7"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor rgb="FFDDEBF7"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/><bgColor rgb="FFF2F2F2"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFDFF0D8"/><bgColor rgb="FFDFF0D8"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFF9DCD7"/><bgColor rgb="FFF9DCD7"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFEEEEEE"/><bgColor rgb="FFEEEEEE"/></patternFill></fill></fills>
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>
<border><left style="thin"><color rgb="FF808080"/></left><right style="thin"><color rgb="FF808080"/></right>
<top style="thin"><color rgb="FF808080"/></top><bottom style="thin"><color rgb="FF808080"/></bottom><diagonal/></border>
</borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="12">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="0" fontId="1" fillId="3" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>
<xf numFmtId="164" fontId="1" fillId="3" borderId="1" xfId="0" applyNumberFormat="1" applyFont="1" applyFill="1" applyBorder="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="4" fillId="4" borderId="0" xfId="0" applyFont="1" applyFill="1"/>
<xf numFmtId="0" fontId="5" fillId="5" borderId="0" xfId="0" applyFont="1" applyFill="1"/>
<xf numFmtId="0" fontId="6" fillId="6" borderId="0" xfId="0" applyFont="1" applyFill="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def _text(value: str) -> str:
    return escape(_BAD_XML.sub("", value))


@dataclass
class Sheet:
    """One worksheet being written: rows stream to a temporary file."""

    name: str
    widths: list[float]
    freeze_row: int | None = None  # rows above this (1-based) stay in view
    landscape: bool = False
    print_title_row: int | None = None
    auto_filter: str | None = None
    rows: int = 0
    max_col: int = 0
    _buffer: IO[bytes] = field(default_factory=tempfile.TemporaryFile)
    _letters: list[str] = field(default_factory=list)

    def append(self, cells: list[Cell]) -> None:
        """Write the next row; ``None`` leaves a cell empty, ``(value, Style)`` styles one."""
        self.rows += 1
        r = self.rows
        if len(cells) > len(self._letters):
            self._letters = [get_column_letter(i + 1) for i in range(len(cells) + 8)]
        letters = self._letters
        parts = [f'<row r="{r}">']
        for i, cell in enumerate(cells):
            style = Style.PLAIN
            value: object = cell
            if isinstance(cell, tuple):
                value, style = cell
            if value is None:
                if style:
                    parts.append(f'<c r="{letters[i]}{r}" s="{int(style)}"/>')
                continue
            ref = f"{letters[i]}{r}"
            s = f' s="{int(style)}"' if style else ""
            if isinstance(value, str):
                space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
                parts.append(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>')
            elif isinstance(value, Formula):
                parts.append(f'<c r="{ref}"{s}><f>{_text(value.text)}</f></c>')
            elif isinstance(value, bool):
                parts.append(f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | Decimal):
                parts.append(f'<c r="{ref}"{s}><v>{value}</v></c>')
            elif isinstance(value, float):
                parts.append(f'<c r="{ref}"{s}><v>{value!r}</v></c>')
            else:
                raise TypeError(f"cannot write {type(value).__name__}")
        self.max_col = max(self.max_col, len(cells))
        parts.append("</row>")
        self._buffer.write("".join(parts).encode())

    def _head(self) -> str:
        last = f"{get_column_letter(max(self.max_col, 1))}{max(self.rows, 1)}"
        pane = ""
        if self.freeze_row:
            pane = (f'<pane ySplit="{self.freeze_row - 1}" topLeftCell="A{self.freeze_row}" activePane="bottomLeft" '
                    'state="frozen"/><selection pane="bottomLeft"/>')
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                       for i, w in enumerate(self.widths, 1))
        fit = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if self.landscape else ""
        return (_XML + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">{fit}<dimension ref="A1:{last}"/>'
                f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>')

    def _tail(self) -> str:
        auto = f'<autoFilter ref="{self.auto_filter}"/>' if self.auto_filter else ""
        setup = ('<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>' if self.landscape else "")
        return (f'</sheetData>{auto}<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" '
                f'footer="0.3"/>{setup}</worksheet>')

    def write_to(self, zf: zipfile.ZipFile, path: str) -> None:
        with zf.open(path, "w", force_zip64=True) as out:
            out.write(self._head().encode())
            self._buffer.seek(0)
            shutil.copyfileobj(self._buffer, out, 1 << 20)
            out.write(self._tail().encode())
        self._buffer.close()


class Workbook:
    """Sheets added in order; :meth:`save` writes the package to a binary file."""

    def __init__(self, *, title: str = "", creator: str = "") -> None:
        self.title = title
        self.creator = creator
        self.sheets: list[Sheet] = []

    def add_sheet(self, name: str, widths: list[float], **options: object) -> Sheet:
        sheet = Sheet(name, widths, **options)  # type: ignore[arg-type]
        self.sheets.append(sheet)
        return sheet

    def discard(self) -> None:
        """Drop the temporary files of a workbook that will not be saved."""
        for sheet in self.sheets:
            sheet._buffer.close()

    def save(self, handle: BinaryIO) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr("[Content_Types].xml", self._content_types())
            zf.writestr("_rels/.rels", _XML + f'<Relationships xmlns="{_PKG_REL}">'
                        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
                        f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" '
                        'Target="docProps/core.xml"/>'
                        f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
                        "</Relationships>")
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            zf.writestr("docProps/core.xml", _XML + (
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                f"<dc:title>{_text(self.title)}</dc:title><dc:creator>{_text(self.creator)}</dc:creator>"
                f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>'))
            zf.writestr("docProps/app.xml", _XML + '<Properties xmlns="http://schemas.openxmlformats.org/'
                        f'officeDocument/2006/extended-properties"><Application>{_text(self.creator)}'
                        "</Application></Properties>")
            zf.writestr("xl/workbook.xml", self._workbook())
            rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                           for i in range(1, len(self.sheets) + 1))
            rels += f'<Relationship Id="rId{len(self.sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            zf.writestr("xl/_rels/workbook.xml.rels", _XML + f'<Relationships xmlns="{_PKG_REL}">{rels}</Relationships>')
            zf.writestr("xl/styles.xml", _STYLES)
            for i, sheet in enumerate(self.sheets, 1):
                sheet.write_to(zf, f"xl/worksheets/sheet{i}.xml")

    def _content_types(self) -> str:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(self.sheets) + 1))
        return _XML + ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                       '<Default Extension="xml" ContentType="application/xml"/>'
                       '<Override PartName="/xl/workbook.xml" '
                       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                       f"{sheets}"
                       '<Override PartName="/xl/styles.xml" '
                       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                       '<Override PartName="/docProps/core.xml" '
                       'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
                       '<Override PartName="/docProps/app.xml" '
                       'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
                       "</Types>")

    def _workbook(self) -> str:
        sheets = "".join(f'<sheet name="{_text(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, s in enumerate(self.sheets, 1))
        names = []
        for i, s in enumerate(self.sheets):
            quoted = "'" + s.name.replace("'", "''") + "'"
            if s.auto_filter:
                first, last = s.auto_filter.split(":")
                absolute = "$" + re.sub(r"(\d+)", r"$\1", first) + ":$" + re.sub(r"(\d+)", r"$\1", last)
                names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                             f"{_text(quoted)}!{absolute}</definedName>")
            if s.print_title_row:
                names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                             f"{_text(quoted)}!${s.print_title_row}:${s.print_title_row}</definedName>")
        defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
        return (_XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
                f"<sheets>{sheets}</sheets>{defined}</workbook>")
