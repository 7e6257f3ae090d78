"""The 遴选 page: shown only at the province; table, meters, scoring, shortlisting, approval, 公示."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from sqlalchemy import select

from sanlian_desktop.declarations import lookup
from sanlian_desktop.models import AuditEntry, Batch, PublicNotice
from sanlian_desktop.selection import notices, shortlist
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.pages import PageEntry, available_pages, shown_to
from sanlian_desktop.ui.selection.dialogs import ChooseDialog, NoticeDialog, ScoreDialog
from sanlian_desktop.ui.selection.model import COL_REQUESTED, COL_SCORE
from sanlian_desktop.ui.selection.page import SelectionPage
from tests.helpers import Office
from tests.selection.helpers import awaiting, province_office
from tests.ui.helpers import Blocked, refusing, stays_live, writes_done

POINTS = {"需求分析": "18", "项目设计": "22", "社工参与": "17", "预算合理性": "12", "预期成效": "16"}


@pytest.fixture
def province(tmp_path: Path) -> Iterator[Office]:
    office = province_office(tmp_path / "province")
    yield office
    office.store.close()


@pytest.fixture
def ctx(province: Office, settings: QSettings, jobs: JobRunner) -> UiContext:
    return UiContext(store=province.store, actor=province.reviewer, settings=settings, jobs=jobs)


def _ids(page: SelectionPage) -> list[str]:
    return [page.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(page.proxy.rowCount())]


def test_the_page_is_for_the_province_only(province: Office, county: Office) -> None:
    entries = available_pages()
    keys = [e.key for e in entries]
    assert keys[keys.index("inbox") + 1] == "selection"
    selection_entry = next(e for e in entries if e.key == "selection")
    assert shown_to(selection_entry, province.reviewer)
    assert not shown_to(selection_entry, county.reviewer)
    inbox = next(e for e in entries if e.key == "inbox")
    assert shown_to(inbox, county.reviewer) and shown_to(inbox, province.reviewer)


def test_main_window_leaves_the_page_out_below_the_province(qtbot: Any, county: Office, province: Office,
                                                            settings: QSettings) -> None:
    from sanlian_desktop.ui.mainwindow import MainWindow

    entries: list[PageEntry] = [e for e in available_pages() if e.key in ("inbox", "selection")]
    below = MainWindow(UiContext(county.store, county.reviewer, settings, None), pages=entries)
    qtbot.addWidget(below)
    assert below.page_keys() == ["inbox"]
    top = MainWindow(UiContext(province.store, province.reviewer, settings, None), pages=entries)
    qtbot.addWidget(top)
    assert top.page_keys() == ["inbox", "selection"]
    assert top.nav.item(1).text() == "遴选"


def test_table_sorts_and_meters_turn_amber_then_red(qtbot: Any, province: Office, ctx: UiContext) -> None:
    a = awaiting(province, "620102001001", title="项目甲", requested="60000")
    b = awaiting(province, "620402001001", title="项目乙", requested="40000")
    c = awaiting(province, "620102001002", title="项目丙", requested="20000")
    with province.session() as s:
        from sanlian_desktop.selection import scoring

        scoring.add_score(s, province.reviewer, lookup.get(s, c), scorer="张教授", points=POINTS)
    page = SelectionPage(ctx)
    qtbot.addWidget(page)
    assert _ids(page)[0] == c  # scored first, by average (descending)
    page.view.sortByColumn(COL_REQUESTED, Qt.SortOrder.DescendingOrder)
    assert _ids(page) == [a, b, c]
    page.view.sortByColumn(COL_SCORE, Qt.SortOrder.DescendingOrder)
    assert page.model.rows and page.proxy.index(0, COL_SCORE).data() == "85.00"
    assert [bar.state for bar in page.bars] == ["ok", "ok", "ok"]
    assert page.bars[0].bar.format() == "0 个 / 3 个（0%）"

    with province.session() as s:
        shortlist.shortlist(s, province.reviewer, lookup.get(s, a))
        shortlist.approve(s, province.reviewer, lookup.get(s, b))
    page.refresh()
    # 2 of 3 projects (ok), 2 of 2 communities (red: at the limit), 100,000 of 150,000 yuan.
    assert [bar.state for bar in page.bars] == ["ok", "full", "ok"]
    assert page.bars[2].bar.format() == "100,000.00 元 / 150,000.00 元（66%）"
    assert "入选社区已达上限 2 个" in page.warning.text() and page.warning.isVisibleTo(page)
    page.state.setCurrentIndex(2)  # 已入围
    assert _ids(page) == [a]
    page.state.setCurrentIndex(0)
    assert "待遴选 1 份" in page.count.text()


def test_scoring_dialog_records_and_refuses(qtbot: Any, province: Office, ctx: UiContext) -> None:
    a = awaiting(province)
    page = SelectionPage(ctx)
    qtbot.addWidget(page)
    assert page.select(a)
    page.score_current()
    dialog = page.dialog
    assert isinstance(dialog, ScoreDialog)
    dialog.scorer.setText("张教授")
    for name, value in POINTS.items():
        dialog.points[name].setText(value)
    assert dialog.total.text() == "85.00"
    assert dialog.save()
    writes_done(qtbot, ctx.jobs)
    assert dialog.table.rowCount() == 1 and "平均分 85.00" in dialog.summary.text()
    dialog.scorer.setText("李研究员")
    for name, value in POINTS.items():
        dialog.points[name].setText(value)
    dialog.points["需求分析"].setText("25")
    assert dialog.save()  # started; the service refuses it on the worker
    writes_done(qtbot, ctx.jobs)
    assert "0至20" in dialog.message.text() and dialog.table.rowCount() == 1
    assert page.proxy.index(0, COL_SCORE).data() == "85.00"  # the page refreshed after the first score
    dialog.close()


def test_shortlist_past_a_limit_needs_a_reason(qtbot: Any, province: Office, ctx: UiContext) -> None:
    a = awaiting(province, "620102001001", title="项目甲", requested="60000")
    b = awaiting(province, "620402001001", title="项目乙", requested="60000")
    c = awaiting(province, "620402001002", title="项目丙", requested="40000")
    with province.session() as s:
        shortlist.shortlist(s, province.reviewer, lookup.get(s, a))
        shortlist.shortlist(s, province.reviewer, lookup.get(s, b))
    page = SelectionPage(ctx)
    qtbot.addWidget(page)
    page.select(c)
    page.choose_current(approve=False)
    dialog = page.dialog
    assert isinstance(dialog, ChooseDialog)
    assert [bar.state for bar in dialog.bars] == ["full", "over", "over"]
    assert dialog.reason.isVisibleTo(dialog) and "入选社区已超出上限" in dialog.message.text()
    dialog.amount.set_value("30000")
    assert [bar.state for bar in dialog.bars] == ["full", "over", "full"]
    assert dialog.submit()
    writes_done(qtbot, ctx.jobs)
    assert "请说明理由" in dialog.message.text() and dialog.isVisible()
    dialog.reason.setText("革命老区，厅务会同意")
    with qtbot.waitSignal(dialog.chosen, timeout=10_000):
        assert dialog.submit()
    writes_done(qtbot, ctx.jobs)
    with province.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "selection.override")).one()
        assert entry.details["reason"] == "革命老区，厅务会同意"
    assert [bar.state for bar in page.bars] == ["full", "over", "full"]


def test_approve_and_issue_the_notice(qtbot: Any, province: Office, ctx: UiContext, tmp_path: Path) -> None:
    a = awaiting(province, requested="50000")
    page = SelectionPage(ctx)
    qtbot.addWidget(page)
    assert not page.notice_button.isEnabled() and not page.export_button.isEnabled()
    page.select(a)
    page.choose_current(approve=True)
    dialog = page.dialog
    assert isinstance(dialog, ChooseDialog)
    dialog.amount.set_value("50000.01")
    assert "不能超过申请金额 50,000.00 元" in dialog.message.text()
    assert dialog.submit()
    writes_done(qtbot, ctx.jobs)
    assert dialog.isVisible()
    with province.session() as s:
        assert lookup.get(s, a).granted_fen is None
    dialog.amount.set_value("45000")
    assert dialog.message.text() == "" or not dialog.message.isVisibleTo(dialog)
    with qtbot.waitSignal(dialog.chosen, timeout=10_000):
        assert dialog.submit()
    writes_done(qtbot, ctx.jobs)
    with province.session() as s:
        assert lookup.get(s, a).granted_fen == 45_000_00
    assert page.model.rows[0].state == "approved" and not page.approve_button.isEnabled()
    assert page.notice_button.isEnabled()
    page.issue_notice()
    notice = page.dialog
    assert isinstance(notice, NoticeDialog)
    notice.pdf.setText(str(tmp_path / "公示.pdf"))
    notice.xlsx.setText(str(tmp_path / "公示.xlsx"))
    with qtbot.waitSignal(notice.issued, timeout=10_000):
        assert notice.issue()
    writes_done(qtbot, ctx.jobs)
    assert (tmp_path / "公示.pdf").read_bytes()[:5] == b"%PDF-" and (tmp_path / "公示.xlsx").exists()
    assert page.notice_label.text().startswith("现行公示：第 1 号") and page.export_button.isEnabled()
    with province.session() as s:
        batch = s.scalars(select(Batch)).one()
        assert [n.seq for n in notices.notices(s, batch)] == [1]
        assert len(s.scalars(select(PublicNotice)).one().entries) == 1


def test_export_the_notice_in_force(qtbot: Any, province: Office, ctx: UiContext, tmp_path: Path,
                                    modals: Any) -> None:
    a = awaiting(province)
    with province.session() as s:
        shortlist.approve(s, province.reviewer, lookup.get(s, a))
        from datetime import date

        notices.issue_notice(s, province.reviewer, s.scalars(select(Batch)).one(), starts=date(2016, 10, 10),
                               ends=date(2016, 10, 16))
    page = SelectionPage(ctx)
    qtbot.addWidget(page)
    modals.save_file = str(tmp_path / "现行公示.xlsx")
    page.export_notice()
    writes_done(qtbot, ctx.jobs)
    assert (tmp_path / "现行公示.xlsx").exists()
    modals.save_file = str(tmp_path / "现行公示.pdf")
    page.export_notice()
    writes_done(qtbot, ctx.jobs)
    assert (tmp_path / "现行公示.pdf").exists()
    assert modals.boxes == []


def test_a_clerk_sees_the_list_without_the_actions(qtbot: Any, province: Office, settings: QSettings) -> None:
    awaiting(province)
    page = SelectionPage(UiContext(province.store, province.clerk, settings, None))
    qtbot.addWidget(page)
    assert page.model.rowCount() == 1
    assert not page.score_button.isVisibleTo(page) and not page.approve_button.isVisibleTo(page)
    assert page.open_button.isVisibleTo(page)


def test_selection_dialogs_are_freed_on_close(qtbot: Any, province: Office, ctx: UiContext) -> None:
    from tests.ui.test_freed import check_freed_on_close

    a = awaiting(province)
    page = SelectionPage(ctx)
    qtbot.addWidget(page)
    page.select(a)
    page.score_current()
    assert isinstance(page.dialog, ScoreDialog)
    check_freed_on_close(qtbot, page.dialog, page.dialog.accept)
    page.choose_current(approve=False)
    assert isinstance(page.dialog, ChooseDialog)
    check_freed_on_close(qtbot, page.dialog, page.dialog.reject)
    with province.session() as s:
        shortlist.shortlist(s, province.reviewer, lookup.get(s, a))
    page.refresh()
    page.issue_notice()
    assert isinstance(page.dialog, NoticeDialog)
    check_freed_on_close(qtbot, page.dialog, page.dialog.reject)


def test_a_slow_choice_runs_off_the_gui_thread_and_a_refusal_shows_its_sentence(
        qtbot: Any, province: Office, ctx: UiContext, modals: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    a = awaiting(province)
    blocked = Blocked(monkeypatch, shortlist, "shortlist")
    page = SelectionPage(ctx)
    qtbot.addWidget(page)
    page.select(a)
    page.choose_current(approve=False)
    dialog = page.dialog
    assert isinstance(dialog, ChooseDialog)
    assert dialog.submit()
    stays_live(qtbot, blocked, page)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert ctx.jobs.writing(dialog) and not ok.isEnabled() and not dialog.buttons.isEnabled()
    assert not dialog.submit()  # a second OK starts no second write
    dialog.reject()  # Esc waits for the write
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.chosen, timeout=5000):
        blocked.release.set()
    writes_done(qtbot, ctx.jobs)
    assert blocked.ran_off_the_gui_thread()
    assert page.model.rows[0].state == "shortlisted" and page.unshortlist_button.isEnabled()

    refusing(monkeypatch, shortlist, "unshortlist", "该项目已批准立项，不能移出入围名单")
    modals.answer = QMessageBox.StandardButton.Yes
    page.unshortlist_current()
    writes_done(qtbot, ctx.jobs)
    assert modals.texts()[-1] == "该项目已批准立项，不能移出入围名单"
    assert page.model.rows[0].state == "shortlisted"
