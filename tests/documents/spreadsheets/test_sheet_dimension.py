"""Sheets without a <dimension> element get a placeholder so read-only openpyxl does not scan them twice."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sanlian_desktop.documents.spreadsheets import _dimension, read_declarations

Fill = Callable[..., Path]


def test_files_from_excel_like_writers_are_left_alone(template: Path) -> None:
    assert _dimension.readable_source(template) == template


def test_dimensionless_sheet_is_patched_and_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           fill: Fill, cells: dict[str, Any],
                                                           example: dict[str, Any]) -> None:
    wb = openpyxl.Workbook(write_only=True)  # writes no <dimension>
    ws = wb.create_sheet("申报表")
    source = openpyxl.load_workbook(fill({3: cells}))["申报表"]
    for row in source.iter_rows(values_only=True):
        ws.append(list(row))
    path = tmp_path / "no-dimension.xlsx"
    wb.save(path)
    monkeypatch.setattr(_dimension, "PATCH_ABOVE_BYTES", 0)
    patched = _dimension.readable_source(path)
    assert isinstance(patched, io.BytesIO)
    with zipfile.ZipFile(patched) as archive:
        head = archive.read("xl/worksheets/sheet1.xml")[:2000]
    assert b'<dimension ref="A1"/><sheetData' in head
    result = read_declarations(path, lambda data: [])
    assert [row.data for row in result.valid] == [example]


def test_prefixed_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sheet = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b"<x:sheetData><x:row r=\"1\"/></x:sheetData></x:worksheet>")
    path = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    monkeypatch.setattr(_dimension, "PATCH_ABOVE_BYTES", 0)
    patched = _dimension.readable_source(path)
    assert isinstance(patched, io.BytesIO)
    with zipfile.ZipFile(patched) as archive:
        assert b'<x:dimension ref="A1"/><x:sheetData>' in archive.read("xl/worksheets/sheet1.xml")
        assert archive.read("xl/workbook.xml") == b"<workbook/>"
