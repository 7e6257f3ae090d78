"""Bad files: each gives its own clear UserError (Chinese and English), never a traceback."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName

from sanlian_desktop.documents.spreadsheets import _guard, read_declarations
from sanlian_desktop.documents.spreadsheets.columns import COLUMNS, MARKER_NAME
from sanlian_desktop.kernel.errors import UserError

Fill = Callable[..., Path]


def no_errors(data: dict[str, Any]) -> list[Any]:
    return []


def refused(path: Path) -> UserError:
    with pytest.raises(UserError) as caught:
        read_declarations(path, no_errors)
    error = caught.value
    assert error.zh and error.en and "Traceback" not in error.zh
    return error


def test_missing_and_empty_files(tmp_path: Path) -> None:
    assert "找不到文件" in refused(tmp_path / "没有这个文件.xlsx").zh
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    assert "空文件" in refused(empty).zh


def test_not_an_xlsx_at_all(tmp_path: Path) -> None:
    path = tmp_path / "申报.xlsx"
    path.write_text("社区代码,项目名称\n620102001001,银龄守望\n", encoding="utf-8")
    assert "不是 Excel 工作簿" in refused(path).zh


def test_truncated_download(tmp_path: Path, template: Path) -> None:
    path = tmp_path / "半截.xlsx"
    path.write_bytes(template.read_bytes()[:3000])
    assert "损坏" in refused(path).zh


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    word = _zip(tmp_path / "申报.xlsx", {"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>"})
    assert "Word 文档" in refused(word).zh
    other = _zip(tmp_path / "照片.xlsx", {"photo.jpg": b"\xff\xd8"})
    assert "压缩文件" in refused(other).zh
    ods = _zip(tmp_path / "表.xlsx", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                                       "content.xml": b"<x/>"})
    assert "OpenDocument" in refused(ods).zh


def test_zip_with_a_broken_workbook_part(tmp_path: Path) -> None:
    path = _zip(tmp_path / "坏.xlsx", {"[Content_Types].xml": b"garbage", "xl/workbook.xml": b"<not xml"})
    assert "无法打开工作簿" in refused(path).zh


def test_legacy_xls_and_encrypted(tmp_path: Path) -> None:
    magic = bytes.fromhex("D0CF11E0A1B11AE1")
    xls = tmp_path / "旧.xlsx"
    xls.write_bytes(magic + b"\0" * 600 + "Workbook".encode("utf-16-le"))
    assert ".xls" in refused(xls).zh
    # An Excel file saved with a password is an OLE container holding an EncryptionInfo stream.
    locked = tmp_path / "加密.xlsx"
    locked.write_bytes(magic + b"\0" * 600 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100)
    assert "加密" in refused(locked).zh and "密码" in refused(locked).zh


def test_wrong_sheet_name(tmp_path: Path, template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    wb["申报表"].title = "Sheet1"
    wb.save(tmp_path / "改名.xlsx")
    error = refused(tmp_path / "改名.xlsx")
    assert "找不到名为“申报表”的工作表" in error.zh and "Sheet1" in error.zh


def test_missing_columns_are_named(tmp_path: Path, template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    ws = wb["申报表"]
    ws["C1"] = None  # 项目名称
    ws.delete_cols(COLUMNS.index(next(c for c in COLUMNS if c.header == "联系电话")) + 1)
    wb.save(tmp_path / "缺列.xlsx")
    error = refused(tmp_path / "缺列.xlsx")
    assert "缺少以下栏目" in error.zh and "“项目名称”" in error.zh and "“联系电话”" in error.zh
    assert "社区代码" not in error.zh


def test_duplicate_column(tmp_path: Path, template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    wb["申报表"].cell(row=1, column=60, value="项目名称")
    wb.save(tmp_path / "重复.xlsx")
    error = refused(tmp_path / "重复.xlsx")
    assert "“项目名称”出现了两次" in error.zh and "C列" in error.zh and "BH列" in error.zh


def test_some_other_sheet_called_the_same(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "申报表"
    ws.append(["姓名", "电话"])
    wb.save(tmp_path / "别的表.xlsx")
    assert "不是申报表模板的栏目名称" in refused(tmp_path / "别的表.xlsx").zh


def test_formula_is_refused_and_cell_named(fill: Fill, cells: dict[str, Any]) -> None:
    cells["项目总预算(元)"] = "=T3+V3+X3"
    error = refused(fill({3: cells}))
    assert "R3" in error.zh and "项目总预算(元)" in error.zh and "公式" in error.zh


def test_newer_template_version(tmp_path: Path, template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    wb.defined_names[MARKER_NAME] = DefinedName(MARKER_NAME, attr_text='"7"')
    wb.save(tmp_path / "新版.xlsx")
    assert "版本 7" in refused(tmp_path / "新版.xlsx").zh


def test_wrong_types_become_cell_errors(fill: Fill, cells: dict[str, Any]) -> None:
    cells.update({"实施开始日期": "下个月", "常住人口(人)": "很多", "金额1(元)": "五万元",
                  "重点领域": "扶老救孤、养老", "社工证书等级": "中级", "城市/农村": "牧区",
                  "公示结束日期": "2016-02-30"})
    result = read_declarations(fill({3: cells}), no_errors)
    assert not result.valid
    messages = {e.header: e.message for e in result.errors}
    assert messages["实施开始日期"] == "“下个月”不是有效日期，请按 2016-07-05 的格式填写"
    assert messages["常住人口(人)"] == "“很多”不是整数，请只填写数字"
    assert "不是有效金额" in messages["金额1(元)"]
    assert messages["重点领域"].startswith("“养老”不在可选范围内")
    assert messages["社工证书等级"].startswith("“中级”不在可选范围内")
    assert "城市社区" in messages["城市/农村"]
    assert messages["公示结束日期"] == "“2016-02-30”不是有效日期"


def _header_cells() -> list[str]:
    return [col.header for col in COLUMNS]


def test_hundred_thousand_trailing_empty_rows(tmp_path: Path) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("申报表")
    ws.append(_header_cells())
    ws.append([None, None, "唯一的项目"])
    fill = PatternFill(fill_type="solid", start_color="FFFF00", end_color="FFFF00")
    for _ in range(100_000):  # formatted but empty, as after selecting whole columns
        cells = []
        for _ in range(3):
            cell = WriteOnlyCell(ws, None)
            cell.fill = fill
            cells.append(cell)
        ws.append(cells)
    ws.append([None, None, "远在十万行之后"])
    path = tmp_path / "空行.xlsx"
    wb.save(path)
    started = time.perf_counter()
    result = read_declarations(path, no_errors)
    print(f"read 100,000 empty rows in {time.perf_counter() - started:.2f} s")  # reported, not asserted
    assert [row.data["title"] for row in result.valid] == ["唯一的项目"]


def test_too_many_declarations(tmp_path: Path) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("申报表")
    ws.append(_header_cells())
    for idx in range(5_002):
        ws.append([None, None, f"项目{idx}"])
    wb.save(tmp_path / "太多.xlsx")
    error = refused(tmp_path / "太多.xlsx")
    assert "超过 5000 个" in error.zh


def test_huge_file_and_zip_bomb(tmp_path: Path, template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_guard, "MAX_FILE_BYTES", 1000)
    assert "过大" in refused(template).zh
    monkeypatch.undo()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b" " * (_guard.MAX_PART_BYTES + 1))
    path = tmp_path / "炸弹.xlsx"
    path.write_bytes(bomb.getvalue())
    assert "解压后过大" in refused(path).zh


def test_unreadable_file(template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)  # tests run as root here, so chmod would not bite
    assert "无法读取文件" in refused(template).zh


def test_sheet_name_with_trailing_space(tmp_path: Path, fill: Fill, cells: dict[str, Any],
                                        example: dict[str, Any]) -> None:
    wb = openpyxl.load_workbook(fill({3: cells}))
    wb["申报表"].title = "申报表 "
    wb.save(tmp_path / "空格.xlsx")
    assert read_declarations(tmp_path / "空格.xlsx", no_errors).valid[0].data == example


def test_damaged_sheet_part(tmp_path: Path, template: Path) -> None:
    path = tmp_path / "坏表.xlsx"
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut mid-row: not well-formed XML any more
            target.writestr(info, data)
    assert "损坏" in refused(path).zh
