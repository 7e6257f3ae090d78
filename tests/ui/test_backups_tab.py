"""设置 → 备份与恢复: back up now, the list, restore (admins only), the data check; one program per store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import Role
from sanlian_desktop.offices import auth
from sanlian_desktop.store import attachments, backup, instance
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui import app as app_module
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.crash import FaultLog
from sanlian_desktop.ui.mainwindow import MainWindow
from sanlian_desktop.ui.settings import backups as backups_module
from sanlian_desktop.ui.settings.backups import BackupListModel, BackupsTab
from sanlian_desktop.ui.settings.page import SettingsPage
from tests.helpers import PASSWORD, Office
from tests.shipping.helpers import add_declaration_with_attachment
from tests.ui.conftest import Modals

Shown = list[tuple[str, str]]


@pytest.fixture
def shown_errors(monkeypatch: pytest.MonkeyPatch) -> Shown:
    """The (message, details) of every error dialog the tab opens."""
    record: Shown = []
    monkeypatch.setattr(backups_module, "show_details", lambda _parent, message, details: record.append((message, details)))
    return record


def _tab(qtbot: QtBot, ctx: UiContext) -> BackupsTab:
    tab = BackupsTab(ctx)
    qtbot.addWidget(tab)
    tab.show()
    return tab


def _click(qtbot: QtBot, button: QWidget) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _settle(qtbot: QtBot, tab: BackupsTab) -> None:
    qtbot.waitUntil(lambda: tab.job is None and tab.ctx.jobs.active == 0, timeout=20_000)


def test_settings_page_has_the_tab(qtbot: QtBot, admin_ctx: UiContext) -> None:
    page = SettingsPage(admin_ctx)
    qtbot.addWidget(page)
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    assert titles[-1] == "备份与恢复"
    assert isinstance(page.tabs.widget(page.tabs.count() - 1), BackupsTab)


def test_back_up_now_writes_a_backup_that_verifies(qtbot: QtBot, clerk_ctx: UiContext, county: Office,
                                                   modals: Modals, tmp_path: Path) -> None:
    add_declaration_with_attachment(county, tmp_path)
    tab = _tab(qtbot, clerk_ctx)
    modals.save_file = str(tmp_path / "U盘" / "城关区-备份")  # no suffix typed: .zip is added
    (tmp_path / "U盘").mkdir()
    _click(qtbot, tab.backup_button)
    assert not tab.backup_button.isEnabled()
    _settle(qtbot, tab)
    target = tmp_path / "U盘" / "城关区-备份.zip"
    assert not target.read_bytes().startswith(b"PK")  # sealed, though a clerk made it
    info = backup.verify(target, by=county.admin)
    assert info.office_code == "620102" and info.reason == "manual" and info.attachments == 1 and info.encrypted
    assert tab.backup_button.isEnabled()
    assert modals.boxes[0][0] == "information"
    assert str(target) in modals.boxes[0][1] and "单位：城关区民政局（620102）" in modals.boxes[0][1]
    assert "已加密，只有本单位管理员能打开" in modals.boxes[0][1]
    assert clerk_ctx.settings.value(backups_module.LAST_FOLDER_KEY) == str(tmp_path / "U盘")


def test_back_up_now_cancelled_does_nothing(qtbot: QtBot, clerk_ctx: UiContext, modals: Modals) -> None:
    tab = _tab(qtbot, clerk_ctx)
    assert tab.back_up_now() is None
    assert modals.boxes == [] and tab.backup_button.isEnabled()


def test_back_up_into_a_missing_folder_shows_the_services_sentence(qtbot: QtBot, clerk_ctx: UiContext,
                                                                   modals: Modals, tmp_path: Path,
                                                                   shown_errors: Shown) -> None:
    tab = _tab(qtbot, clerk_ctx)
    modals.save_file = str(tmp_path / "nowhere" / "b.zip")
    tab.back_up_now()
    _settle(qtbot, tab)
    assert shown_errors == [(f"备份的目标文件夹 {tmp_path / 'nowhere'} 不存在",
                             f"folder {tmp_path / 'nowhere'} does not exist\n备份文件：{tmp_path / 'nowhere' / 'b.zip'}")]
    assert "Traceback" not in shown_errors[0][1]


def test_the_list_shows_automatic_backups_newest_first_in_local_time(qtbot: QtBot, clerk_ctx: UiContext,
                                                                     county: Office) -> None:
    tab = _tab(qtbot, clerk_ctx)
    assert tab.model.rowCount() == 0 and tab.empty.isVisible()
    first = backup.take(county.store, reason="before-import")
    second = backup.take(county.store, reason="daily")
    tab.hide()
    tab.show()  # shown again: the folder is read again
    model = tab.model
    assert model.rowCount() == 2 and not tab.empty.isVisible()
    assert [model.path_at(0), model.path_at(1)] == [second, first]
    assert model.index(0, BackupListModel.COL_REASON).data() == "每日"
    assert model.index(1, BackupListModel.COL_REASON).data() == "导入同步包前"
    _path, at, _reason = backup.automatic_backups(county.store.paths)[0]
    assert model.index(1, BackupListModel.COL_TIME).data() == at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert model.index(1, BackupListModel.COL_SIZE).data().endswith("KB")
    assert model.index(1, BackupListModel.COL_FILE).data() == first.name


def test_backup_list_model(qtmodeltester: object, county: Office) -> None:
    for reason in ("manual", "before-upgrade", "before-restore", "something-new"):
        backup.take(county.store, reason=reason)
    model = BackupListModel(county.store.paths)
    model.reload()
    assert [model.index(r, BackupListModel.COL_REASON).data() for r in range(4)] == [
        "something-new", "恢复前", "升级前", "手动"]
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_admin_restores_a_backup_and_the_program_closes(qtbot: QtBot, admin_ctx: UiContext, county: Office,
                                                        modals: Modals, tmp_path: Path) -> None:
    saved = backup.take(county.store, reason="manual", out=tmp_path / "备份.zip")
    with county.session() as session:
        auth.add_user(session, county.admin, username="later", role=Role.CLERK, password=PASSWORD)
    tab = _tab(qtbot, admin_ctx)
    closed: list[bool] = []
    tab.destroyed.connect(lambda *_: closed.append(True))
    modals.open_file = str(saved)
    modals.answer = QMessageBox.StandardButton.Yes
    _click(qtbot, tab.restore_button)
    qtbot.waitUntil(lambda: len(modals.boxes) == 2, timeout=20_000)
    (kind, question), (done_kind, done) = modals.boxes
    assert kind == "question"
    assert "单位：城关区民政局（620102）" in question and "数据版本：" in question and "备份时间：" in question
    assert "现在的数据会先自动备份一份" in question and "程序会关闭" in question
    assert done_kind == "information" and "程序现在关闭" in done and "恢复前的数据已备份到" in done
    assert not tab.isVisible()  # the tab was the window here; in the program the main window closes
    qtbot.waitUntil(lambda: tab.progress is None)
    _settle(qtbot, tab)
    reopened = Store.open(county.home)
    try:
        with reopened.read_session() as session:
            assert "later" not in [u.username for u in auth.list_users(session)]
    finally:
        reopened.close()
    reasons = [reason for _p, _at, reason in backup.automatic_backups(county.store.paths)]
    assert reasons == ["before-restore"]


def test_restore_progress_dialog_is_freed(qtbot: QtBot, admin_ctx: UiContext, county: Office, modals: Modals,
                                          tmp_path: Path) -> None:
    saved = backup.take(county.store, reason="manual", out=tmp_path / "备份.zip")
    tab = _tab(qtbot, admin_ctx)
    modals.open_file = str(saved)
    modals.answer = QMessageBox.StandardButton.Yes
    tab.restore_from_file()
    qtbot.waitUntil(lambda: tab.progress is not None, timeout=20_000)
    progress = tab.progress
    assert progress is not None and progress.isVisible() and progress.isModal()
    qtbot.waitUntil(lambda: not shiboken6.isValid(progress), timeout=20_000)


def test_restore_declined_changes_nothing(qtbot: QtBot, admin_ctx: UiContext, county: Office, modals: Modals,
                                          tmp_path: Path) -> None:
    saved = backup.take(county.store, reason="manual", out=tmp_path / "备份.zip")
    with county.session() as session:
        auth.add_user(session, county.admin, username="later", role=Role.CLERK, password=PASSWORD)
    tab = _tab(qtbot, admin_ctx)
    modals.open_file = str(saved)
    tab.restore_from_file()
    qtbot.waitUntil(lambda: len(modals.boxes) == 1, timeout=20_000)
    _settle(qtbot, tab)
    assert modals.boxes[0][0] == "question" and tab.isVisible() and tab.restore_button.isEnabled()
    with county.store.read_session() as session:
        assert "later" in [u.username for u in auth.list_users(session)]
    assert backup.automatic_backups(county.store.paths) == []


def test_a_clerk_is_refused_with_the_services_sentence(qtbot: QtBot, clerk_ctx: UiContext, modals: Modals,
                                                       shown_errors: Shown, tmp_path: Path) -> None:
    tab = _tab(qtbot, clerk_ctx)
    modals.open_file = str(tmp_path / "whatever.zip")
    _click(qtbot, tab.restore_button)
    assert shown_errors == [("只有管理员可以恢复备份", "only an administrator may restore a backup")]
    assert modals.boxes == [] and tab.job is None


def test_a_foreign_file_is_refused_before_any_question(qtbot: QtBot, admin_ctx: UiContext, modals: Modals,
                                                       shown_errors: Shown, tmp_path: Path) -> None:
    foreign = tmp_path / "照片.zip"
    foreign.write_bytes(b"not a zip at all")
    tab = _tab(qtbot, admin_ctx)
    modals.open_file = str(foreign)
    tab.restore_from_file()
    _settle(qtbot, tab)
    assert shown_errors[0][0] == "照片.zip 不是本程序的备份文件"
    assert modals.boxes == [] and tab.restore_button.isEnabled()


def test_a_damaged_encrypted_backup_is_refused_before_any_question(qtbot: QtBot, admin_ctx: UiContext,
                                                                  county: Office, modals: Modals,
                                                                  shown_errors: Shown, tmp_path: Path) -> None:
    saved = backup.take(county.store, reason="manual", out=tmp_path / "备份.zip")
    cut = tmp_path / "半个备份.zip"
    cut.write_bytes(saved.read_bytes()[:-100])
    tab = _tab(qtbot, admin_ctx)
    modals.open_file = str(cut)
    tab.restore_from_file()
    _settle(qtbot, tab)
    assert "半个备份.zip 已损坏或不完整" in shown_errors[0][0] and "Traceback" not in shown_errors[0][1]
    assert modals.boxes == [] and tab.restore_button.isEnabled()
    assert backup.automatic_backups(county.store.paths) == []


def test_an_old_clear_backup_is_offered_with_a_note(qtbot: QtBot, admin_ctx: UiContext, county: Office,
                                                    modals: Modals, tmp_path: Path) -> None:
    guard = backup.protection()
    backup.set_protection(None)  # what an older program wrote
    try:
        saved = backup.take(county.store, reason="manual", out=tmp_path / "旧备份.zip")
    finally:
        backup.set_protection(guard)
    tab = _tab(qtbot, admin_ctx)
    modals.open_file = str(saved)
    tab.restore_from_file()  # declined at the question: nothing changes
    qtbot.waitUntil(lambda: len(modals.boxes) == 1, timeout=20_000)
    _settle(qtbot, tab)
    assert modals.boxes[0][0] == "question" and "这份备份未加密" in modals.boxes[0][1]


def test_check_shows_the_report_with_problems_in_red(qtbot: QtBot, clerk_ctx: UiContext, county: Office,
                                                     tmp_path: Path) -> None:
    _decl, sha = add_declaration_with_attachment(county, tmp_path)
    tab = _tab(qtbot, clerk_ctx)
    _click(qtbot, tab.check_button)
    _settle(qtbot, tab)
    text = tab.report.toPlainText()
    assert "数据文件完整性：正常" in text and text.splitlines()[-1] == "检查结果：正常"
    assert backups_module.ERROR_COLOR not in tab.report.toHtml()
    attachments.blob_path(county.store.paths, sha).unlink()
    tab.check_data()
    _settle(qtbot, tab)
    lines = tab.report.toPlainText().splitlines()
    assert lines[-1].startswith("检查结果：发现 1 处问题")
    problem = next(number for number, line in enumerate(lines) if line.startswith("✗ 附件"))
    assert "缺失" in lines[problem]
    block = tab.report.document().findBlockByNumber(problem)
    assert block.charFormat().foreground().color().name() == backups_module.ERROR_COLOR


def test_open_backups_folder(qtbot: QtBot, clerk_ctx: UiContext, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url.toLocalFile())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(open_url))
    tab = _tab(qtbot, clerk_ctx)
    _click(qtbot, tab.folder_button)
    assert opened == [str(clerk_ctx.paths.backups)] and clerk_ctx.paths.backups.is_dir()


# -- one program per store, the daily backup on exit ------------------------------------------------


def test_main_with_the_store_in_use_says_so_and_opens_no_window(tmp_path: Path, modals: Modals,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(FaultLog, "enable", lambda self: None)  # leave pytest's own faulthandler alone
    monkeypatch.setattr(FaultLog, "disable", lambda self: None)
    monkeypatch.setattr(app_module, "QSettings", lambda: QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))

    def no_session(*_args: object) -> None:
        raise AssertionError("the second copy must not open the store")

    monkeypatch.setattr(app_module, "start_session", no_session)
    home = tmp_path / "home"
    with instance.acquire(AppPaths(home)):
        assert app_module.main(["--home", str(home)]) == 0
    assert len(modals.boxes) == 1
    kind, text = modals.boxes[0]
    assert kind == "warning" and text.startswith("本程序已经打开了同一份数据")
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    # The refused copy left the lock alone: once the first lets go, the store can be taken again.
    app_module.claim_store(AppPaths(home)).release()  # type: ignore[union-attr]


def test_claim_store_holds_until_released(tmp_path: Path, modals: Modals) -> None:
    paths = AppPaths(tmp_path / "home")
    first = app_module.claim_store(paths)
    assert first is not None and first.held
    assert app_module.claim_store(paths) is None
    assert [kind for kind, _ in modals.boxes] == ["warning"]
    first.release()
    again = app_module.claim_store(paths)
    assert again is not None
    again.release()


def test_daily_backup_on_exit_once_a_day_and_failures_are_quiet(county: Office, modals: Modals,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    made = app_module.backup_on_exit(county.store)
    assert made is not None and made.name.endswith("-daily.zip")
    assert app_module.backup_on_exit(county.store) is None

    def broken(_store: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(backup, "take_daily", broken)
    assert app_module.backup_on_exit(county.store) is None
    assert modals.boxes == [] and modals.executed == []


def test_a_refused_start_brings_the_first_window_forward(qtbot: QtBot, tmp_path: Path, modals: Modals) -> None:
    paths = AppPaths(tmp_path / "home")
    first = QWidget()
    qtbot.addWidget(first)
    first.showMinimized()
    qtbot.waitUntil(first.isMinimized)
    with instance.acquire(paths):
        server = instance.listen(paths, lambda _arguments: app_module.bring_forward(first))
        assert server is not None
        assert app_module.claim_store(paths) is None
        qtbot.waitUntil(lambda: not first.isMinimized(), timeout=5000)
        server.close()
    assert [kind for kind, _ in modals.boxes] == ["warning"]
