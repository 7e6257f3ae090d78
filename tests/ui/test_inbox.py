"""The declarations table model, the list services behind it, and the 待办/申报 pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt

from sanlian_desktop.declarations import drafts, listing, lookup, workflow
from sanlian_desktop.demo import generate as demo
from sanlian_desktop.kernel.vocab import Decision, Status
from sanlian_desktop.models import Declaration
from sanlian_desktop.ui.form.dialog import DeclarationDialog
from sanlian_desktop.ui.inbox.model import (
    COL_COMMUNITY,
    COL_NUMBER,
    COL_REQUESTED,
    COL_STATUS,
    COL_WAITING,
    DeclarationTableModel,
    IdRole,
)
from sanlian_desktop.ui.inbox.page import DeclarationsPage, InboxPage
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.review.dialog import ReviewDialog
from tests.helpers import Office, example_declaration
from tests.ui.helpers import Modals, modals_fixture, settle, submitted, ui_context  # noqa: F401


def _demo(county: Office, count: int = 240) -> None:
    demo.generate(county.store, county.admin, count=count, seed=7)


def test_model_passes_the_model_tester(qtmodeltester: Any, county: Office) -> None:
    _demo(county)
    model = DeclarationTableModel(county.store, county.clerk)
    model.reload()
    assert model.rowCount() == 240
    qtmodeltester.check(model, force_py=True)
    model.sort(COL_COMMUNITY, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model, force_py=True)


def test_rows_are_fetched_in_pages(county: Office) -> None:
    _demo(county, 450)
    model = DeclarationTableModel(county.store, county.clerk)
    model.reload()
    assert model._rows == {}
    model.data(model.index(0, COL_NUMBER))
    assert len(model._rows) == 200
    model.data(model.index(220, COL_NUMBER))
    assert len(model._rows) == 400
    model.data(model.index(440, COL_NUMBER))
    assert len(model._rows) == 450
    decl_id = model.data(model.index(3, 0), IdRole)
    model.mark_stale([decl_id])
    assert decl_id not in model._rows


def test_sort_by_amount_and_status(county: Office) -> None:
    _demo(county)
    model = DeclarationTableModel(county.store, county.clerk)
    model.reload()
    model.sort(COL_REQUESTED, Qt.SortOrder.DescendingOrder)
    amounts = [model.row_data(r).requested_fen for r in range(model.rowCount())]  # type: ignore[union-attr]
    assert amounts == sorted(amounts, reverse=True)
    model.sort(COL_STATUS)
    statuses = [model.row_data(r).status for r in range(model.rowCount())]  # type: ignore[union-attr]
    assert statuses == sorted(statuses)


def test_filters_and_search(county: Office) -> None:
    _demo(county)
    model = DeclarationTableModel(county.store, county.clerk)
    # A county's demo decides nothing the province decides: its own rejections are the ended ones.
    model.set_filter(listing.ListFilter(status=Status.REJECTED.value))
    assert model.rowCount() > 0
    assert all(model.row_data(r).status == "rejected" for r in range(model.rowCount()))  # type: ignore[union-attr]
    with county.store.read_session() as s:
        some = s.get(Declaration, model.id_at(0))
        assert some is not None
        initials = some.title_pinyin[:6]
        number = some.number
    model.set_filter(listing.ListFilter(search=initials.lower()))
    assert model.rowCount() > 0
    model.set_filter(listing.ListFilter(search=number))
    assert model.rowCount() == 1
    model.set_filter(listing.ListFilter(search="dgxl"))  # 东岗西路社区 by its pinyin initials
    titles = [model.row_data(r).title for r in range(model.rowCount())]  # type: ignore[union-attr]
    assert titles and all(t.startswith("东岗西路") for t in titles)
    model.set_filter(listing.ListFilter(focus_area="环境保护"))
    assert model.rowCount() > 0
    model.set_filter(listing.ListFilter(region_code="620102001"))
    assert 0 < model.rowCount() < 240


def test_overdue_and_waiting_colour(county: Office) -> None:
    _demo(county)
    model = DeclarationTableModel(county.store, county.clerk)
    model.set_filter(listing.ListFilter(overdue_days=14))
    assert model.rowCount() > 0
    for r in range(model.rowCount()):
        row = model.row_data(r)
        assert row is not None and row.status in listing.OPEN_STATUSES
    colours = {model.data(model.index(r, COL_WAITING), Qt.ItemDataRole.BackgroundRole) is not None
               for r in range(model.rowCount())}
    assert True in colours


def test_returned_and_passed_on_queries(county: Office) -> None:
    first = submitted(county, example_declaration())
    second = submitted(county, example_declaration(title="东岗西路社区助餐服务项目"))
    with county.session() as s:
        workflow.review(s, county.reviewer, lookup.get(s, first), decision=Decision.RETURN, text="请补充")
        workflow.review(s, county.reviewer, lookup.get(s, second), decision=Decision.APPROVE, text="同意")
    with county.store.read_session() as s:
        returned = list(s.scalars(listing.returned_by_office_query(county.reviewer)))
        passed = list(s.scalars(listing.passed_on_query(county.reviewer)))
        assert [d.id for d in returned] == [first]
        assert [d.id for d in passed] == [second]
        ids = listing.ordered_ids(s, county.reviewer, listing.ListFilter(scope=listing.SCOPE_PASSED))
        assert ids == [second]


def test_overdue_clause_counts_closed_batches(county: Office) -> None:
    with county.session() as s:
        decl = drafts.create(s, county.clerk, example_declaration())
        decl_id = decl.id
    later = datetime.now(UTC) + timedelta(days=60)  # the batch closed meanwhile
    with county.store.read_session() as s:
        ids = listing.ordered_ids(s, county.clerk, listing.ListFilter(overdue_days=365), now=later)
    assert ids == [decl_id]


def test_inbox_tabs_and_opening(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, tmp_path: Any) -> None:
    decl_id = submitted(county, example_declaration())
    page = InboxPage(ui_context(county, county.reviewer, tmp_path, jobs))
    qtbot.addWidget(page)
    assert page.model.rowCount() == 1
    dialog = page.open_declaration(decl_id)
    assert isinstance(dialog, ReviewDialog)
    dialog.close()
    page.tabs.setCurrentIndex(2)
    settle(qtbot, page)
    assert page.model.rowCount() == 0
    clerk_page = InboxPage(ui_context(county, county.clerk, tmp_path, jobs))
    qtbot.addWidget(clerk_page)
    assert clerk_page.batch_button.isHidden()
    opened = clerk_page.open_declaration(decl_id)
    assert isinstance(opened, DeclarationDialog) and opened.form.is_read_only()
    opened.close()


def test_declarations_page_new_button_and_search(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, tmp_path: Any) -> None:
    _demo(county, 60)
    page = DeclarationsPage(ui_context(county, county.clerk, tmp_path, jobs))
    qtbot.addWidget(page)
    assert page.model.rowCount() == 60
    assert not page.new_button.isHidden()
    page.filters.search.setText("东岗西路")
    qtbot.waitUntil(lambda: page.model.rowCount() < 60, timeout=2000)
    settle(qtbot, page)
    assert page.count.text() == f"共 {page.model.rowCount()} 份"
    page.focus_search()
    reviewer_page = DeclarationsPage(ui_context(county, county.reviewer, tmp_path, jobs))
    qtbot.addWidget(reviewer_page)
    assert reviewer_page.new_button.isHidden()
    dialog = page.open_declaration(None)
    assert isinstance(dialog, DeclarationDialog) and not dialog.form.is_read_only()
    dialog.close()


def test_double_click_opens_the_form(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, tmp_path: Any) -> None:
    with county.session() as s:
        decl_id = drafts.create(s, county.clerk, example_declaration()).id
    page = DeclarationsPage(ui_context(county, county.clerk, tmp_path, jobs))
    qtbot.addWidget(page)
    page.resize(1000, 600)
    with qtbot.waitExposed(page):
        page.show()
    opened: list[Any] = []
    original = page.open_declaration
    page.open_declaration = lambda key: opened.append(original(key)) or opened[-1]  # type: ignore[method-assign]
    rect = page.view.visualRect(page.model.index(0, 1))
    # An item view needs the first click before the double click, as with a real mouse.
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened and isinstance(opened[0], DeclarationDialog)
    assert opened[0].decl_id == decl_id and not opened[0].form.is_read_only()
    opened[0].close()


def test_filters_query_off_the_gui_thread(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, tmp_path: Any) -> None:
    _demo(county, 80)
    page = DeclarationsPage(ui_context(county, county.clerk, tmp_path, jobs))
    qtbot.addWidget(page)
    assert page.model.background and page.model.rowCount() == 80
    with qtbot.waitSignal(page.model.loaded, timeout=5000):
        page.filters.status.setCurrentIndex(page.filters.status.findData(Status.DRAFT.value))
        assert page.model.loading
    assert all(page.model.row_data(r).status == "draft" for r in range(page.model.rowCount()))  # type: ignore[union-attr]
    # Two quick changes: only the newer answer is shown.
    page.filters.status.setCurrentIndex(0)
    page.filters.focus.setCurrentIndex(page.filters.focus.findData("环境保护"))
    settle(qtbot, page)
    assert 0 < page.model.rowCount() < 80
    page.view.sortByColumn(COL_REQUESTED, Qt.SortOrder.DescendingOrder)
    settle(qtbot, page)
    amounts = [page.model.row_data(r).requested_fen for r in range(page.model.rowCount())]  # type: ignore[union-attr]
    assert amounts == sorted(amounts, reverse=True)
