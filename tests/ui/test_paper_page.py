"""The 打印与报表 page, the print preview, and the ledger export and print actions of the lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import shiboken6
from PySide6.QtCore import QSettings, Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from sanlian_desktop.declarations import drafts, listing, lookup
from sanlian_desktop.declarations import workbooks as sheets
from sanlian_desktop.declarations.fields import diff
from sanlian_desktop.demo import generate as demo
from sanlian_desktop.documents import printing
from sanlian_desktop.kernel.vocab import Status
from sanlian_desktop.models import Declaration
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.inbox.page import DeclarationsPage
from sanlian_desktop.ui.jobs import JobHandle
from sanlian_desktop.ui.paper.page import PaperPage, split_numbers
from sanlian_desktop.ui.paper.preview import PrintPreview, page_image
from sanlian_desktop.ui.paper.verify import BAD_STYLE, GOOD_STYLE, OLDER_STYLE
from tests.documents.spreadsheets.conftest import example_cells
from tests.helpers import Office, example_declaration
from tests.ui.conftest import Modals
from tests.ui.test_freed import check_freed_on_close

JOB_TIMEOUT = 60_000


def _draft(county: Office, **overrides: Any) -> tuple[str, str]:
    """A draft keyed in at the county: (number, id)."""
    with county.session() as s:
        decl = drafts.create(s, county.clerk, example_declaration(**overrides))
        return decl.number, decl.id


def _wait(qtbot: QtBot, handle: JobHandle | None) -> None:
    assert handle is not None
    if handle.is_running:
        with qtbot.waitSignal(handle.finished, timeout=JOB_TIMEOUT):
            pass


def _preview_of(qtbot: QtBot, owner: Any, handle: JobHandle | None) -> PrintPreview:
    _wait(qtbot, handle)
    qtbot.waitUntil(lambda: owner.preview is not None, timeout=JOB_TIMEOUT)
    preview = owner.preview
    assert isinstance(preview, PrintPreview)
    return preview


def test_split_numbers() -> None:
    assert split_numbers(" 2026-1, 2026-2、2026-3\n2026-1 ") == ("2026-1", "2026-2", "2026-3")


def test_preview_save_as_and_print(qtbot: QtBot, county: Office, clerk_ctx: UiContext, tmp_path: Path,
                                   modals: Modals) -> None:
    number, _ = _draft(county)
    page = PaperPage(clerk_ctx)
    qtbot.addWidget(page)
    page.numbers.setText(number)
    preview = _preview_of(qtbot, page, page.print_chosen())
    assert preview.page_count() > 0
    assert not modals.boxes
    image = page_image(preview.document, 0, 40)
    assert image.pixelColor(0, 0).name() == "#ffffff"  # composited onto white
    dark = sum(1 for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)
               if image.pixelColor(x, y).lightness() < 128)
    assert dark > 50  # there is a form on the page

    preview.go_to_page(preview.page_count() - 1)
    preview.step_zoom(+1)
    assert preview.zoom_box.currentData() > 0

    copy = tmp_path / "副本.pdf"
    assert preview.save_to(copy)
    assert copy.read_bytes() == preview.pdf.read_bytes()
    modals.save_file = str(tmp_path / "另存")
    assert preview.save_as() == tmp_path / "另存.pdf"
    assert (tmp_path / "另存.pdf").read_bytes().startswith(b"%PDF")
    assert clerk_ctx.settings.value("files/last_folder_pdf") == str(tmp_path)

    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    printer.setResolution(150)
    assert preview.print_to(printer) == preview.page_count()
    printed = QPdfDocument()
    assert printed.load(str(tmp_path / "printed.pdf")) == QPdfDocument.Error.None_
    assert printed.pageCount() == preview.page_count()
    printed.close()

    preview.print_document()  # the system dialog is answered with 取消: nothing happens
    assert "QPrintDialog" in modals.executed

    workdir = preview.workdir
    assert workdir is not None and workdir.exists()
    check_freed_on_close(qtbot, preview, preview.close)
    assert not workdir.exists()


def test_print_page_range(qtbot: QtBot, county: Office, clerk_ctx: UiContext, tmp_path: Path) -> None:
    first, _ = _draft(county)
    second, _ = _draft(county, title="第二个项目")
    page = PaperPage(clerk_ctx)
    qtbot.addWidget(page)
    page.numbers.setText(f"{first}、{second}")
    preview = _preview_of(qtbot, page, page.print_chosen())
    assert preview.page_count() >= 2
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "range.pdf"))
    printer.setResolution(72)
    printer.setFromTo(2, 2)
    assert preview.print_to(printer) == 1
    preview.close()


def test_blank_form_and_status_batch(qtbot: QtBot, county: Office, clerk_ctx: UiContext) -> None:
    _draft(county)
    _draft(county, title="第二个项目")
    page = PaperPage(clerk_ctx)
    qtbot.addWidget(page)
    preview = _preview_of(qtbot, page, page.print_blank())
    assert preview.page_count() > 0
    preview.close()
    page.preview = None
    page.by_status.setChecked(True)
    page.status.setCurrentIndex(page.status.findData(Status.DRAFT.value))
    preview = _preview_of(qtbot, page, page.print_chosen())
    assert preview.page_count() >= 2
    preview.close()


def test_print_refusals_show_the_sentence(qtbot: QtBot, clerk_ctx: UiContext, modals: Modals) -> None:
    page = PaperPage(clerk_ctx)
    qtbot.addWidget(page)
    assert page.print_chosen() is None
    assert page.print_error.isVisibleTo(page)
    page.numbers.setText("2026-999999-9999")
    _wait(qtbot, page.print_chosen())
    assert page.preview is None
    assert any("没有找到申报" in text for text in modals.texts())
    assert not any("Traceback" in text for text in modals.texts())


def test_verify_field(qtbot: QtBot, county: Office, clerk_ctx: UiContext) -> None:
    demo.generate(county.store, county.admin, count=40, seed=3)
    with county.session() as s:
        decl = s.scalars(select(Declaration).where(Declaration.current_version >= 2).limit(1)).one()
        number, current = decl.number, decl.current_version
        first_hash = lookup.version_row(s, decl, 1).content_hash
        current_hash = lookup.version_row(s, decl, current).content_hash
        expected_changes = len(diff(lookup.version_row(s, decl, 1).fields,
                                    lookup.version_row(s, decl, current).fields))
    page = PaperPage(clerk_ctx)
    qtbot.addWidget(page)
    box = page.verify

    box.code.setText(printing.qr_payload(number, current, current_hash))
    qtbot.keyClick(box.code, Qt.Key.Key_Return)
    assert box.verdict.text() == f"纸质件与当前记录一致：{number} 第 {current} 版"
    assert box.verdict.styleSheet() == GOOD_STYLE and not box.change_rows()

    box.code.setText(printing.qr_payload(number, 1, first_hash))
    qtbot.keyClick(box.code, Qt.Key.Key_Return)
    assert box.verdict.text().startswith(f"纸质件是 {number} 的第 1 版，当前为第 {current} 版")
    assert box.verdict.styleSheet() == OLDER_STYLE
    assert expected_changes > 0 and len(box.change_rows()) == expected_changes
    assert box.changes.isVisibleTo(page)
    assert box.code.selectedText() == box.code.text()  # ready for the next scan

    box.code.setText(printing.qr_payload(number, 1, "0" * 64))
    qtbot.keyClick(box.code, Qt.Key.Key_Return)
    assert box.verdict.text().startswith("纸质件与记录不符") and box.verdict.styleSheet() == BAD_STYLE
    assert not box.changes.isVisibleTo(page)

    box.code.setText("not a code")
    qtbot.keyClick(box.code, Qt.Key.Key_Return)
    assert box.verdict.text() == "二维码内容不是本系统打印的申报表标识"


def test_ledger_export_of_the_current_view(qtbot: QtBot, county: Office, clerk_ctx: UiContext,
                                           tmp_path: Path, modals: Modals) -> None:
    demo.generate(county.store, county.admin, count=80, seed=11)
    page = DeclarationsPage(clerk_ctx)
    qtbot.addWidget(page)
    page.filters.status.setCurrentIndex(page.filters.status.findData(Status.UNDER_REVIEW.value))
    qtbot.waitUntil(lambda: not page.model.loading, timeout=5000)
    shown = [page.model.row_data(r).number for r in range(page.model.rowCount())]  # type: ignore[union-attr]
    assert 0 < len(shown) < 80
    out = tmp_path / "当前列表.xlsx"
    _wait(qtbot, page.export_view(out))
    ws = openpyxl.load_workbook(out, read_only=True)["台账"]
    numbers = [r[0] for r in ws.iter_rows(values_only=True) if r and isinstance(r[0], str) and r[0] in shown]
    assert numbers == shown
    assert any(f"（{len(shown)} 条）" in text for text in modals.texts())


def test_print_selected_rows(qtbot: QtBot, county: Office, clerk_ctx: UiContext, modals: Modals) -> None:
    _draft(county)
    _draft(county, title="第二个项目")
    page = DeclarationsPage(clerk_ctx)
    qtbot.addWidget(page)
    assert page.print_selected() is None
    page.view.selectAll()
    preview = _preview_of(qtbot, page, page.print_selected())
    assert preview.page_count() >= 2
    assert "2 份申报" in preview.windowTitle()
    preview.close()


def test_template_export_remembers_the_folder(qtbot: QtBot, clerk_ctx: UiContext, tmp_path: Path,
                                             modals: Modals) -> None:
    page = PaperPage(clerk_ctx)
    qtbot.addWidget(page)
    modals.save_file = str(tmp_path / "模板")
    _wait(qtbot, page.excel.export_template())
    assert (tmp_path / "模板.xlsx").exists()
    assert "已生成填报模板" in page.excel.summary.text()
    assert clerk_ctx.settings.value("files/last_folder_excel") == str(tmp_path)
    modals.save_file = ""
    assert page.excel.export_template() is None


def _filled_workbook(tmp_path: Path) -> Path:
    template = tmp_path / "模板.xlsx"
    sheets.write_template(template)
    wb = openpyxl.load_workbook(template)
    ws = wb["申报表"]
    headers = {cell.value: cell.column for cell in ws[1] if cell.value}
    good = example_cells(example_declaration(title="模板导入的项目甲"))
    bad = dict(example_cells(example_declaration(title="有错的项目")), 统一社会信用代码="52620102MJ0000123A")
    for row, cells in {3: good, 4: bad}.items():
        for header, value in cells.items():
            ws.cell(row=row, column=headers[header], value=value)
    out = tmp_path / "已填写.xlsx"
    wb.save(out)
    return out


def test_excel_import_with_an_error_row(qtbot: QtBot, county: Office, clerk_ctx: UiContext, tmp_path: Path,
                                        modals: Modals) -> None:
    filled = _filled_workbook(tmp_path)
    page = PaperPage(clerk_ctx)
    qtbot.addWidget(page)
    excel = page.excel
    modals.open_file = str(filled)
    _wait(qtbot, excel.import_excel())
    assert "1 行填写有误" in excel.summary.text()
    assert excel.messages.isVisibleTo(page) and "统一社会信用代码" in excel.messages.toPlainText()
    assert "已填写-错误标注.xlsx" in excel.error_file.text()
    assert excel.open_folder_button.isVisibleTo(page)
    assert (tmp_path / "已填写-错误标注.xlsx").exists()
    assert not modals.boxes  # shown on the page, not in a box
    with county.session() as s:
        assert listing.count(s, listing.list_query(county.clerk)) == 0

    assert excel.accept_valid_button.isVisibleTo(page)
    with qtbot.waitSignal(excel.imported, timeout=JOB_TIMEOUT) as created:
        qtbot.mouseClick(excel.accept_valid_button, Qt.MouseButton.LeftButton)
    numbers = created.args[0] if created.args else []
    assert len(numbers) == 1
    assert "已导入 1 份申报草稿" in excel.summary.text() and numbers[0] in excel.summary.text()
    assert not excel.accept_valid_button.isVisibleTo(page)
    with county.session() as s:
        decl = lookup.get(s, numbers[0])
        assert decl.status == Status.DRAFT.value and decl.title == "模板导入的项目甲"


def test_excel_import_of_a_broken_file(qtbot: QtBot, clerk_ctx: UiContext, tmp_path: Path,
                                       modals: Modals) -> None:
    junk = tmp_path / "坏文件.xlsx"
    junk.write_bytes(b"not a workbook")
    page = PaperPage(clerk_ctx)
    qtbot.addWidget(page)
    _wait(qtbot, page.excel.import_from(junk))
    assert page.excel.summary.text()
    assert not page.excel.accept_valid_button.isVisibleTo(page)
    assert modals.boxes or modals.executed  # the sentence, or the error dialog with details


def test_print_font_setting_is_used(qtbot: QtBot, clerk_ctx: UiContext, settings: QSettings) -> None:
    settings.setValue("print/font_path", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    page = PaperPage(clerk_ctx)
    qtbot.addWidget(page)
    assert "wqy-microhei.ttc" in page.font_note.text()


def test_preview_and_page_are_freed(qtbot: QtBot, clerk_ctx: UiContext) -> None:
    page = PaperPage(clerk_ctx)
    preview = _preview_of(qtbot, page, page.print_blank())
    workdir = preview.workdir
    assert workdir is not None
    check_freed_on_close(qtbot, preview, preview.close)
    assert not workdir.exists()
    page.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(page))


def test_copies_without_driver_support(qtbot: QtBot, clerk_ctx: UiContext, tmp_path: Path) -> None:
    page = PaperPage(clerk_ctx)
    qtbot.addWidget(page)
    preview = _preview_of(qtbot, page, page.print_blank())
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "copies.pdf"))
    printer.setResolution(72)
    printer.setCopyCount(2)
    expected = preview.page_count() * (1 if printer.supportsMultipleCopies() else 2)
    assert preview.print_to(printer) == expected
    preview.close()
