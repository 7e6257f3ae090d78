"""The 同步 page: status per neighbour, export to a folder, import with a preview, a damaged file, conflicts."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Batch, SyncConflict, SyncPackage
from sanlian_desktop.offices import auth
from sanlian_desktop.store import backup
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.neighbours import Neighbour
from sanlian_desktop.sync.exchange.status import NeighbourStatus
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.sync.drives import LAST_FOLDER_KEY, mounted_under
from sanlian_desktop.ui.sync.importer import ImportDialog, status_label
from sanlian_desktop.ui.sync.model import COL_WAITING, StatusTableModel, totals
from sanlian_desktop.ui.sync.page import SyncPage
from tests.helpers import PASSWORD, Office
from tests.sync.helpers_cli import Offices, certified_chain
from tests.ui.conftest import Modals
from tests.ui.helpers import Blocked, stays_live, writes_done
from tests.ui.test_freed import check_freed_on_close

COUNTY, CITY = "620102", "620100"


@pytest.fixture
def offices(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Offices:
    """The five certified offices of the CLI tests, with a batch at the province carried down to the city."""
    o = certified_chain(tmp_path / "chain", capsys, monkeypatch)
    o.carry("620000", CITY)
    return o


@pytest.fixture
def county_store(offices: Offices) -> Iterator[Store]:
    store = Store.open(offices.homes[COUNTY])
    yield store
    store.close()


@pytest.fixture
def ctx(county_store: Store, settings: QSettings, jobs: JobRunner) -> UiContext:
    with county_store.session() as s:
        actor = auth.sign_in(s, "admin", PASSWORD)
    return UiContext(store=county_store, actor=actor, settings=settings, jobs=jobs)


def _page(qtbot: QtBot, ctx: UiContext) -> SyncPage:
    page = SyncPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    _settle(qtbot, page)
    return page


def _settle(qtbot: QtBot, page: SyncPage) -> None:
    qtbot.waitUntil(lambda: page.loading is None and page.ctx.jobs.active == 0, timeout=20_000)


def _city_package(offices: Offices) -> Path:
    """A package from the city to the county carrying the province's batch."""
    path = offices.files / "city-to-county.sanlian"
    offices.ok(CITY, "sync", "export", "--to", COUNTY, "--out", str(path))
    return path


def _count(store: Store, model: type) -> int:
    with store.read_session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _status(code: str, is_parent: bool, waiting: int, sent: int, missing: list[int]) -> NeighbourStatus:
    return NeighbourStatus(Neighbour(code, Level.CITY if is_parent else Level.STREET, f"单位{code}", is_parent),
                           waiting=waiting, sent_unacknowledged=sent, acknowledged=3, last_sent=None,
                           last_received=None, missing_seqs=missing, receipts_waiting=1)


def test_status_model_passes_the_model_tester_and_lists_the_parent_first(qtmodeltester: object) -> None:
    model = StatusTableModel()
    model.set_rows([_status("620102001", False, 0, 2, []), _status("620100", True, 5, 0, [2, 3])])
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert model.rowCount() == 2 and model.columnCount() == 8
    assert model.index(0, 0).data() == "上级：单位620100"
    assert model.index(0, 7).data() == "第 2、3 号"
    assert model.index(1, 7).data() == "—"
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(8)] == [
        "单位", "待发送", "已发送未确认", "已确认", "待回执", "最近发送", "最近收到", "缺少的数据包"]
    t = totals(model.rows())
    assert (t.packages_waiting, t.items_waiting, t.unacknowledged) == (2, 5, 2)
    model.set_rows([])
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_conflict_model_passes_the_model_tester(qtmodeltester: object) -> None:
    from datetime import UTC, datetime

    from sanlian_desktop.ui.sync.model import ConflictRow, ConflictTableModel

    model = ConflictTableModel()
    model.set_rows([ConflictRow(7, "opinion", "2016-620102-0001", "同一条审核意见的内容与本单位保存的不同",
                                "兰州市民政局", datetime(2026, 3, 1, 8, 0, tzinfo=UTC)),
                    ConflictRow(8, "unknown-kind", "", "原因", "620102001", datetime(2026, 3, 2, tzinfo=UTC))])
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert [model.index(0, c).data() for c in range(4)] == [
        "#7", "审核意见", "2016-620102-0001", "同一条审核意见的内容与本单位保存的不同"]
    assert (model.index(1, 1).data(), model.index(1, 2).data()) == ("unknown-kind", "—")


def test_page_lists_parent_then_children(qtbot: QtBot, ctx: UiContext) -> None:
    page = _page(qtbot, ctx)
    rows = page.status_model.rows()
    assert [(r.neighbour.code, r.neighbour.is_parent) for r in rows] == [(CITY, True), ("620102001", False)]
    assert page.status_model.index(0, 0).data() == "上级：兰州市民政局"
    assert not page.hint.isVisible()


def test_export_to_a_folder_writes_a_verified_file(qtbot: QtBot, ctx: UiContext, tmp_path: Path,
                                                    county_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    page = _page(qtbot, ctx)
    usb = tmp_path / "usb-stick"
    usb.mkdir()
    dialog = page.export_packages(CITY)
    assert dialog.recipient.currentData() == CITY
    assert not dialog.open_button.isVisible()
    dialog.destination.set_folder(usb)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.handle is None, timeout=20_000)
    files = list(usb.glob("*.sanlian"))
    assert [f.name for f in files] == [f"{COUNTY}-至-{CITY}-0001.sanlian"]
    assert "读回核对无误" in dialog.outcome.text()
    assert dialog.open_button.isVisible()
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert opened == [QUrl.fromLocalFile(str(usb))]
    assert ctx.settings.value(LAST_FOLDER_KEY) == str(usb)
    with county_store.read_session() as s:
        assert s.scalar(select(SyncPackage.file_name).where(SyncPackage.direction == "out")) == files[0].name
    _settle(qtbot, page)
    check_freed_on_close(qtbot, dialog, dialog.close)


def test_export_all_skips_neighbours_with_nothing_to_send(qtbot: QtBot, ctx: UiContext, tmp_path: Path) -> None:
    page = _page(qtbot, ctx)
    dialog = page.export_packages()
    assert dialog.recipient.currentData() is None
    dialog.destination.set_folder(tmp_path)
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.handle is None, timeout=20_000)
    assert all(st.waiting == 0 and st.receipts_waiting == 0 for st in page.status_model.rows())
    assert dialog.results == [] and list(tmp_path.glob("*.sanlian")) == []
    assert dialog.outcome.text() == "没有需要发送的内容，没有生成文件。"
    assert not dialog.open_button.isVisible()
    dialog.close()


def test_import_preview_changes_nothing_then_confirm_applies(qtbot: QtBot, ctx: UiContext, offices: Offices,
                                                              county_store: Store) -> None:
    package = _city_package(offices)
    page = _page(qtbot, ctx)
    batches_before, packages_before = _count(county_store, Batch), _count(county_store, SyncPackage)
    dialog = page.open_package(package)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=20_000)
    preview = dialog.preview
    assert preview is not None and preview.sender_code == CITY and preview.report.applied > 0
    assert "兰州市民政局" in dialog.heading.text() and "第 1 号" in dialog.heading.text()
    assert f"新记录 {preview.report.applied} 条" in dialog.summary.text()
    assert "有冲突 0 条" in dialog.summary.text()
    assert dialog.confirm_button.isEnabled()
    assert (_count(county_store, Batch), _count(county_store, SyncPackage)) == (batches_before, packages_before)
    before_import = [b for b in backup.automatic_backups(county_store.paths) if b[2] == "before-import"]
    assert before_import == []

    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_result is not None, timeout=20_000)
    assert [b[2] for b in backup.automatic_backups(county_store.paths)].count("before-import") == 1
    assert _count(county_store, Batch) == batches_before + 1
    assert _count(county_store, SyncPackage) == packages_before + 1
    assert dialog.heading.text().startswith("已导入")
    assert not dialog.confirm_button.isVisible()
    _settle(qtbot, page)
    assert page.status_model.rows()[0].last_received is not None
    check_freed_on_close(qtbot, dialog, dialog.close)

    again = page.open_package(package)
    qtbot.waitUntil(lambda: again.preview is not None, timeout=20_000)
    assert "已经导入过" in again.heading.text()
    assert not again.confirm_button.isEnabled()
    again.close()


def test_a_damaged_file_shows_the_chinese_sentence_and_details(qtbot: QtBot, ctx: UiContext, offices: Offices,
                                                              modals: Modals) -> None:
    package = _city_package(offices)
    damaged = package.with_name("damaged.sanlian")
    data = package.read_bytes()
    damaged.write_bytes(data[: len(data) - 100])
    page = _page(qtbot, ctx)
    dialog = page.open_package(damaged)
    qtbot.waitUntil(dialog.problem.isVisible, timeout=20_000)
    message = dialog.problem.message.text()
    assert message.startswith("数据包不完整"), message
    details = dialog.problem.details.toPlainText()
    assert "damaged.sanlian" in details and "兰州市民政局" in details and "Traceback" not in details
    assert not dialog.confirm_button.isVisible()
    dialog.problem.copy_details()
    assert dialog.problem.copy_button.text() == "已复制"
    assert modals.boxes == []  # shown in the dialog, not as an extra message box
    dialog.close()


def test_a_package_for_another_office_is_refused(qtbot: QtBot, ctx: UiContext, offices: Offices) -> None:
    path = offices.files / "province-to-city.sanlian"
    offices.ok("620000", "sync", "export", "--to", CITY, "--out", str(path))
    page = _page(qtbot, ctx)
    dialog = page.open_package(path)
    qtbot.waitUntil(dialog.problem.isVisible, timeout=20_000)
    assert dialog.problem.message.text().startswith("此数据包是发给兰州市民政局（620100）的，不是发给本单位")
    assert "Traceback" not in dialog.problem.details.toPlainText()
    dialog.close()


def _drag_enter(mime: QMimeData) -> QDragEnterEvent:
    with warnings.catch_warnings():  # PySide6 marks Qt 6's only constructor (QPoint) as deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        return QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                               Qt.KeyboardModifier.NoModifier)


def test_dropping_a_package_opens_its_preview(qtbot: QtBot, ctx: UiContext, offices: Offices,
                                              tmp_path: Path) -> None:
    package = _city_package(offices)
    other = tmp_path / "notes.txt"
    other.write_text("x", "utf-8")
    page = _page(qtbot, ctx)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other)), QUrl.fromLocalFile(str(package))])
    enter = _drag_enter(mime)
    page.dragEnterEvent(enter)
    assert enter.isAccepted()
    only_text = QMimeData()
    only_text.setUrls([QUrl.fromLocalFile(str(other))])
    refused = _drag_enter(only_text)
    page.dragEnterEvent(refused)
    assert not refused.isAccepted()
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    page.dropEvent(event)
    dialog = page.dialog
    assert isinstance(dialog, ImportDialog) and dialog.path == package
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=20_000)
    dialog.close()
    _settle(qtbot, page)


def test_conflicts_are_listed_and_resolved_with_a_note(qtbot: QtBot, ctx: UiContext, county_store: Store) -> None:
    with county_store.session() as s:
        s.add(SyncConflict(kind="batch", key="2016", record={}, reason="申报批次只能来自上级单位",
                           from_office="620102001", package_id="p" * 32))
    page = _page(qtbot, ctx)
    assert page.conflict_model.rowCount() == 1
    assert page.conflict_model.index(0, 1).data() == "申报批次"
    assert page.conflict_model.index(0, 4).data() == "东岗街道办事处"
    assert page.conflicts_label.text() == "待处理的冲突：1 条"
    dialog = page.resolve_conflict()
    assert dialog is not None
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    writes_done(qtbot, ctx.jobs)  # the service refuses it on the worker
    assert dialog.error.text() == "请写明处理意见" and dialog.isVisible() and ok.isEnabled()
    dialog.note.setPlainText("已电话核实，批次以省厅下发为准")
    check_freed_on_close(qtbot, dialog, lambda: qtbot.mouseClick(ok, Qt.MouseButton.LeftButton))
    writes_done(qtbot, ctx.jobs)
    _settle(qtbot, page)
    assert page.conflict_model.rowCount() == 0
    with county_store.read_session() as s:
        assert s.scalar(select(SyncConflict.resolved_by)) == "admin"


def test_an_office_without_certificate_is_told_what_to_do(qtbot: QtBot, admin_ctx: UiContext) -> None:
    page = _page(qtbot, admin_ctx)
    assert page.status_model.rowCount() == 0
    assert page.hint.isVisible() and "设置 → 证书" in page.hint.text()
    assert not page.export_button.isEnabled()


def test_status_labels_read_chinese() -> None:
    assert status_label("new") == "（本单位尚无）"
    assert status_label("under_review") == "审核中"
    assert status_label("approved") == "已批准"


def test_usb_sticks_are_found_under_the_mount_folders(tmp_path: Path) -> None:
    base = tmp_path / "media" / "clerk"
    (base / "KINGSTON").mkdir(parents=True)
    (base / "not-mounted").mkdir()
    (base / "file.txt").write_text("", "utf-8")
    found = mounted_under([base, tmp_path / "missing"], is_mount=lambda p: p.name == "KINGSTON")
    assert found == [base / "KINGSTON"]



def test_main_window_shows_what_waits_and_opens_a_package_given_at_start(qtbot: QtBot, ctx: UiContext,
                                                                        offices: Offices) -> None:
    from sanlian_desktop.ui.mainwindow import MainWindow

    package = _city_package(offices)
    ctx.settings.setValue("mainwindow/last_page", "settings")
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: ctx.jobs.active == 0, timeout=20_000)
    assert window.sync_label.isVisible()
    assert window.sync_label.text() == "待发送 0 条记录（0 个数据包）· 未确认 0 条"
    dialog = window.open_package(package)
    assert isinstance(dialog, ImportDialog)
    assert isinstance(window.current_page(), SyncPage)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=20_000)
    dialog.confirm_import()
    qtbot.waitUntil(lambda: dialog.import_result is not None and ctx.jobs.active == 0, timeout=20_000)
    # A receipt now waits for the city, and the batch for the street.
    qtbot.waitUntil(lambda: "（2 个数据包）· 未确认 0 条" in window.sync_label.text(), timeout=20_000)
    # The same count of records as the 同步 page's 待发送 column.
    page = window.current_page()
    assert isinstance(page, SyncPage)
    page.refresh()
    qtbot.waitUntil(lambda: ctx.jobs.active == 0, timeout=20_000)
    model = page.status_model
    waiting = sum(int(model.index(r, COL_WAITING).data() or 0) for r in range(model.rowCount()))
    assert window.sync_label.text().startswith(f"待发送 {waiting} 条记录")
    dialog.close()
    window.close()


def test_the_desktop_program_takes_a_package_path() -> None:
    from sanlian_desktop.ui.app import parse_args

    assert parse_args(["/media/u/城关区-至-620100-0001.sanlian"]).package == Path(
        "/media/u/城关区-至-620100-0001.sanlian")
    assert parse_args(["--home", "/tmp/h"]).package is None


def test_closing_the_preview_while_it_runs_is_harmless(qtbot: QtBot, ctx: UiContext, offices: Offices,
                                                       county_store: Store) -> None:
    package = _city_package(offices)
    page = _page(qtbot, ctx)
    dialog = page.open_package(package)
    check_freed_on_close(qtbot, dialog, dialog.close)
    qtbot.waitUntil(lambda: ctx.jobs.active == 0, timeout=20_000)
    assert _count(county_store, Batch) == 0


def test_open_button_previews_the_chosen_file_and_remembers_its_folder(qtbot: QtBot, ctx: UiContext,
                                                                       offices: Offices, modals: Modals) -> None:
    package = _city_package(offices)
    page = _page(qtbot, ctx)
    modals.open_file = str(package)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, ImportDialog) and dialog.path == package
    assert ctx.settings.value(LAST_FOLDER_KEY) == str(package.parent)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=20_000)
    dialog.close()
    modals.open_file = ""  # cancelled: nothing opens
    assert page.choose_package() is None


def test_usb_sticks_come_first_then_the_last_folder(monkeypatch: pytest.MonkeyPatch, settings: QSettings,
                                                    tmp_path: Path) -> None:
    from sanlian_desktop.ui.sync import drives

    stick = drives.Destination("U 盘 KINGSTON", tmp_path / "KINGSTON", True)
    monkeypatch.setattr(drives, "removable_drives", lambda: [stick])
    last = tmp_path / "last"
    last.mkdir()
    drives.remember_folder(settings, last)
    assert [d.path for d in drives.destinations(settings)] == [stick.path, last, Path.home()]
    drives.remember_folder(settings, tmp_path / "gone")  # a folder that no longer exists is not offered
    assert [d.path for d in drives.destinations(settings)] == [stick.path, Path.home()]


def test_a_slow_resolution_runs_off_the_gui_thread(qtbot: QtBot, ctx: UiContext, county_store: Store,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sanlian_desktop.ui.sync import conflicts

    with county_store.session() as s:
        s.add(SyncConflict(kind="batch", key="2016", record={}, reason="申报批次只能来自上级单位",
                           from_office="620102001", package_id="p" * 32))
    blocked = Blocked(monkeypatch, conflicts, "resolve_conflict")
    page = _page(qtbot, ctx)
    dialog = page.resolve_conflict()
    assert dialog is not None
    dialog.note.setPlainText("已电话核实")
    assert dialog.resolve()
    stays_live(qtbot, blocked, page)
    assert ctx.jobs.writing(dialog) and not dialog.buttons.isEnabled() and not dialog.resolved
    assert not dialog.resolve()  # a second OK starts no second write
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        blocked.release.set()
    writes_done(qtbot, ctx.jobs)
    assert blocked.ran_off_the_gui_thread()
    _settle(qtbot, page)
    assert page.conflict_model.rowCount() == 0


def test_conflict_rows_are_read_in_a_few_queries(county: Office) -> None:
    """Each conflict shows its declaration's number and the sender's name, read in one query each, not one
    query per conflict."""
    from sqlalchemy import event

    from sanlian_desktop.declarations import drafts
    from sanlian_desktop.ui.sync.tasks import load_conflicts
    from tests.helpers import example_declaration

    with county.session() as s:
        decl = drafts.create(s, county.clerk, example_declaration())
        number = decl.number
        for i in range(20):
            s.add(SyncConflict(kind="declaration", key=f"k{i}", record={}, reason="版本冲突",
                               declaration_id=decl.id if i % 2 else None,
                               from_office="620102" if i % 3 else "999999", package_id="p" * 32))
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(county.store.engine, "before_cursor_execute", listener)
    try:
        rows = load_conflicts(county.store)
    finally:
        event.remove(county.store.engine, "before_cursor_execute", listener)
    assert len(rows) == 20 and len(statements) <= 3
    assert {r.declaration for r in rows} == {number, ""}
    assert {r.from_office for r in rows} == {"城关区民政局", "999999"}


def test_the_preview_names_each_changed_declarations_project_and_community(
        qtbot: QtBot, ctx: UiContext, offices: Offices, tmp_path: Path) -> None:
    import json

    from tests.helpers import example_declaration

    street, community = "620102001", "620102001001"
    offices.down([CITY, COUNTY, street, community])
    decl_file = tmp_path / "decl.json"
    decl_file.write_text(json.dumps(example_declaration(title="东岗西路社区老年助餐服务"), ensure_ascii=False), "utf-8")
    decl_id = offices.ok(community, "decl", "new", "--file", str(decl_file), user="clerk").strip()
    offices.ok(community, "decl", "submit", decl_id, user="clerk")
    offices.carry(community, street)
    offices.ok(street, "review", decl_id, "--decision", "approve", "--opinion", "同意", user="rev")
    package = offices.files / "street-to-county.sanlian"
    offices.ok(street, "sync", "export", "--to", COUNTY, "--out", str(package))

    page = _page(qtbot, ctx)
    dialog = page.open_package(package)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=20_000)
    table = dialog.changes
    assert table.isVisible() and table.rowCount() == 1
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["申报编号", "项目名称", "社区", "原状态", "导入后"]
    row = [table.item(0, c).text() for c in range(table.columnCount())]
    assert row[1:4] == ["东岗西路社区老年助餐服务", "东岗西路社区", "（本单位尚无）"]
    assert row[0].startswith("2016-") and row[4] == "审核中"
    assert table.item(0, 1).toolTip() == "东岗西路社区老年助餐服务"
    # The CLI's report names them too.
    out = offices.ok(COUNTY, "sync", "import", str(package))
    assert f"  {row[0]} 东岗西路社区老年助餐服务（东岗西路社区）：（本单位尚无） → 审核中" in out
    dialog.close()
    _settle(qtbot, page)
