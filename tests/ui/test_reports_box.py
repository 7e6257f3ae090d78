"""进展情况报告 on the 打印与报表 page: issue, list, preview and export, and who may issue."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
from PySide6.QtCore import QDate, QSettings
from pytestqt.qtbot import QtBot

from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobHandle, JobRunner
from sanlian_desktop.ui.paper.page import PaperPage
from sanlian_desktop.ui.paper.preview import PrintPreview
from sanlian_desktop.ui.paper.reports import ReportsDialog, quarter_start
from tests.helpers import Office, example_declaration
from tests.ui.helpers import submitted

TIMEOUT = 60_000


def _wait(qtbot: QtBot, handle: JobHandle | None) -> None:
    assert handle is not None
    if handle.is_running:
        with qtbot.waitSignal(handle.finished, timeout=TIMEOUT):
            pass


def test_quarter_start() -> None:
    assert quarter_start(date(2016, 8, 15)) == date(2016, 7, 1)
    assert quarter_start(date(2016, 1, 1)) == date(2016, 1, 1)
    assert quarter_start(date(2016, 12, 31)) == date(2016, 10, 1)


def test_a_reviewer_issues_a_report_and_sees_it_listed(qtbot: QtBot, county: Office, settings: QSettings,
                                                       jobs: JobRunner, tmp_path: Path) -> None:
    submitted(county, example_declaration())
    ctx = UiContext(store=county.store, actor=county.reviewer, settings=settings, jobs=jobs)
    page = PaperPage(ctx)
    qtbot.addWidget(page)
    box = page.reports
    assert box.issue_button.isEnabled()
    box.start.setDate(QDate.currentDate().addDays(-10))
    _wait(qtbot, box.issue())
    qtbot.waitUntil(lambda: any(isinstance(w, PrintPreview) for w in box.findChildren(PrintPreview)),
                    timeout=TIMEOUT)
    preview = box.findChildren(PrintPreview)[0]
    assert preview.page_count() == 1
    preview.close()

    dialog = box.show_reports()
    qtbot.addWidget(dialog)
    assert isinstance(dialog, ReportsDialog) and dialog.table.rowCount() == 1
    assert "城关区民政局" in dialog.table.item(0, 0).text()
    assert dialog.table.item(0, 4).text() == "本单位"
    target = tmp_path / "进展.xlsx"
    _wait(qtbot, dialog.export_selected(target))
    cells = [c.value for row in openpyxl.load_workbook(target)["进展情况"].iter_rows() for c in row]
    assert "审核中" in cells
    assert "已导出" in dialog.note.text()
    dialog.close()


def test_a_bad_period_is_refused_beside_the_box(qtbot: QtBot, county: Office, settings: QSettings,
                                                jobs: JobRunner) -> None:
    ctx = UiContext(store=county.store, actor=county.reviewer, settings=settings, jobs=jobs)
    page = PaperPage(ctx)
    qtbot.addWidget(page)
    box = page.reports
    box.start.setDate(QDate.currentDate())
    box.end.setDate(QDate.currentDate().addDays(-3))
    assert box.issue() is None
    assert "早于开始日期" in box.error.text() and not box.error.isHidden()
    dialog = box.show_reports()
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 0 and not dialog.empty.isHidden()
    assert not dialog.preview_button.isEnabled()
    dialog.close()


def test_a_clerk_may_not_issue(qtbot: QtBot, clerk_ctx: UiContext) -> None:
    page = PaperPage(clerk_ctx)
    qtbot.addWidget(page)
    assert not page.reports.issue_button.isEnabled()
    assert "审核人" in page.reports.issue_button.toolTip()
