"""Render the 打印与报表 page and the print preview with demo data offscreen into docs/screenshots/.

Usage: python scripts/screens_paper.py [OUTPUT_DIR]
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import screenkit


def filled_workbook(folder: Path) -> Path:
    """The fill-in template with two good rows and two with mistakes, as a community might send it."""
    import openpyxl

    from sanlian_desktop.declarations import workbooks as sheets
    from tests.documents.spreadsheets.conftest import example_cells
    from tests.helpers import example_declaration

    template = folder / "模板.xlsx"
    sheets.write_template(template)
    wb = openpyxl.load_workbook(template)
    ws = wb["申报表"]
    headers = {cell.value: cell.column for cell in ws[1] if cell.value}
    rows = {
        3: example_cells(example_declaration(title="东岗西路社区老年人日间照料服务项目")),
        4: dict(example_cells(example_declaration(title="信用代码填错的项目")), 统一社会信用代码="52620102MJ0000123A"),
        5: example_cells(example_declaration(title="东岗东路社区青少年课后托管项目")),
        6: dict(example_cells(example_declaration(title="外区项目")), 社区代码="620103001001"),
    }
    for row, cells in rows.items():
        for header, value in cells.items():
            ws.cell(row=row, column=headers[header], value=value)
    out = folder / "东岗街道-已填写.xlsx"
    wb.save(out)
    return out


def main() -> int:
    from sqlalchemy import select

    from sanlian_desktop.declarations import lookup, paper
    from sanlian_desktop.documents import printing
    from sanlian_desktop.kernel.vocab import Status
    from sanlian_desktop.models import Declaration
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.paper.page import PaperPage
    from sanlian_desktop.ui.paper.preview import PrintPreview

    screens = screenkit.start()
    office = screens.office("county", "620102", "城关区民政局", declarations=300)
    settings = screens.settings(office.home)
    ctx = UiContext(office.store, office.reviewer, settings, screens.jobs)

    def shot(widget: object, name: str) -> None:
        screens.save(widget, name, screenkit.SIZE, seconds=2)  # QPdfView renders its pages asynchronously

    with office.store.read_session() as s:
        # A declaration sent up (the county's demo has none approved: only the province approves), revised
        # once if the demo has one, so that the QR code names its first version.
        sent = Declaration.status.in_([Status.APPROVED.value, Status.UNDER_REVIEW.value])
        decl = s.scalars(select(Declaration).where(sent).order_by(
            Declaration.current_version.desc(), Declaration.number).limit(1)).first()
        assert decl is not None
        first = lookup.version_row(s, decl, 1)
        code = printing.qr_payload(decl.number, 1, first.content_hash)
        numbers = list(s.scalars(select(Declaration.number).where(sent).order_by(Declaration.number).limit(3)))

    page = PaperPage(ctx)
    page.numbers.setText("  ".join(numbers))
    page.verify.code.setText(code)
    page.verify.verify()
    workbook = filled_workbook(office.home.parent)
    page.excel.import_from(workbook)
    shot(page, "paper.png")

    workdir = Path(tempfile.mkdtemp())
    pdf = workdir / "申报表.pdf"
    with office.store.read_session() as s:
        warnings = paper.print_declarations(s, office.reviewer, pdf, keys=numbers)
    preview = PrintPreview(pdf, workdir, f"{len(numbers)} 份申报", warnings or [], settings)
    shot(preview, "print-preview.png")
    preview.close()

    # 进展情况报告: one issued for the last 90 days, listed, and its printed form.
    from datetime import date, timedelta

    from sanlian_desktop.reports import service as progress
    from sanlian_desktop.reports.pdf import render_progress_report

    with office.store.session() as s:
        report = progress.as_dict(progress.issue(s, office.reviewer, date.today() - timedelta(days=90),
                                                 date.today()))
    dialog = page.reports.show_reports()
    screens.save(dialog, "progress-reports.png", (860, 360), seconds=0.05)
    dialog.close()
    report_pdf = Path(tempfile.mkdtemp()) / "进展情况.pdf"
    render_progress_report(report, report_pdf)
    preview = PrintPreview(report_pdf, None, "进展情况报告", [], settings)
    shot(preview, "progress-report-preview.png")
    preview.close()
    return screens.finish(office.store, page)


if __name__ == "__main__":
    raise SystemExit(main())
