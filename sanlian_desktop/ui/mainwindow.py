"""The main window: navigation on the left, the current page on the right, who and where in the status bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from sanlian_desktop import APP_NAME, __version__
from sanlian_desktop.offices import auth, regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.geometry import place_window, was_maximized
from sanlian_desktop.ui.jobs import FunctionJob, JobHandle
from sanlian_desktop.ui.pages import PageEntry, available_pages, focus_page_search, refresh_page, shown_to

GEOMETRY_KEY = "main"
STATE_KEY = "mainwindow/state"
SPLITTER_KEY = "mainwindow/splitter"
LAST_PAGE_KEY = "mainwindow/last_page"

SignInAgain = Callable[["MainWindow"], Actor | None]


class MainWindow(QMainWindow):
    """Pages are built when first shown; switching user rebuilds them for the new actor."""

    signed_out = Signal()

    def __init__(self, ctx: UiContext, *, pages: list[PageEntry] | None = None,
                 sign_in_again: SignInAgain | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        entries = available_pages(level=ctx.actor.office_level) if pages is None else pages
        self._entries = [e for e in entries if shown_to(e, ctx.actor)]
        self._sign_in_again = sign_in_again
        self._guard_writes()
        self._pages: dict[str, QWidget] = {}
        self._sync_job: JobHandle | None = None

        self.nav = QListWidget(self)
        self.nav.setObjectName("navigation")
        self.nav.setMinimumWidth(150)
        self.nav.setMaximumWidth(240)
        self.nav.setStyleSheet("QListWidget#navigation { outline: 0; }"
                               "QListWidget#navigation::item { padding: 8px 12px; }")
        font = self.nav.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.nav.setFont(font)
        for entry in self._entries:
            item = QListWidgetItem(self.tr(entry.title), self.nav)
            item.setData(Qt.ItemDataRole.UserRole, entry.key)
        self.stack = QStackedWidget(self)
        self.empty = QLabel(self.tr("没有可显示的页面。"), self.stack)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.empty)
        self.splitter = QSplitter(self)
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        self.office_label = QLabel(self)
        self.user_label = QLabel(self)
        self.role_label = QLabel(self)
        self.sync_label = QLabel(self)
        self.sync_label.hide()
        for label in (self.sync_label, self.office_label, self.user_label, self.role_label):
            label.setContentsMargins(8, 0, 8, 0)
            self.statusBar().addPermanentWidget(label)
        self._build_menus()
        self.find_shortcut = QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)

        self.nav.currentRowChanged.connect(self._show_row)
        self._show_actor()
        self._restore()

    # -- construction -----------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("文件(&F)"))
        self.switch_action = QAction(self.tr("切换用户(&U)…"), self)
        self.switch_action.triggered.connect(self.switch_user)
        self.switch_action.setEnabled(self._sign_in_again is not None)
        file_menu.addAction(self.switch_action)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("退出(&X)"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        help_menu = self.menuBar().addMenu(self.tr("帮助(&H)"))
        self.manual_action = QAction(self.tr("用户手册(&M)"), self)
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.HelpContents)
        f1 = QKeySequence(Qt.Key.Key_F1)
        self.manual_action.setShortcuts(keys if f1 in keys else [f1, *keys])
        self.manual_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.manual_action.triggered.connect(self._open_manual)
        help_menu.addAction(self.manual_action)
        self.addAction(self.manual_action)
        about_action = QAction(self.tr("关于(&A)"), self)
        about_action.triggered.connect(self.about)
        help_menu.addAction(about_action)

    def _show_actor(self) -> None:
        actor = self.ctx.actor
        # Qt adds the program's name (applicationDisplayName) itself: "城关区民政局 — 三社联动申报系统".
        self.setWindowTitle(actor.office_name)
        self.office_label.setText(self.tr("单位：{0}").format(actor.office_name))
        code_label = self.tr("区划代码") if actor.office_level.is_region else self.tr("机构代码")
        self.office_label.setToolTip(self.tr("{0}，{1} {2}").format(actor.office_level.label, code_label,
                                                                    actor.office_code))
        self.user_label.setText(self.tr("用户：{0}").format(actor.display_name))
        self.user_label.setToolTip(actor.username)
        self.role_label.setText(self.tr("角色：{0}").format(actor.role.label))

    def _restore(self) -> None:
        settings = self.ctx.settings
        place_window(self, GEOMETRY_KEY, QSize(1280, 800), settings, centre=True)
        if was_maximized(GEOMETRY_KEY, settings):
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        state = settings.value(STATE_KEY)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        splitter = settings.value(SPLITTER_KEY)
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([180, 1100])
        last = str(settings.value(LAST_PAGE_KEY, "") or "")
        self.show_page(last if self.page_keys().count(last) else (self.page_keys() or [""])[0])

    # -- pages ------------------------------------------------------------------------------------

    def page_keys(self) -> list[str]:
        return [entry.key for entry in self._entries]

    def page(self, key: str) -> QWidget | None:
        """The page for ``key``, built on first use; None for a key not in this build."""
        if key not in self._pages:
            entry = next((e for e in self._entries if e.key == key), None)
            if entry is None:
                return None
            widget = entry.factory(self.ctx, self.stack)
            totals_changed = getattr(widget, "totals_changed", None)
            if totals_changed is not None:
                totals_changed.connect(self.show_sync_totals)
            self.stack.addWidget(widget)
            self._pages[key] = widget
        return self._pages[key]

    def current_page(self) -> QWidget | None:
        widget = self.stack.currentWidget()
        return None if widget is self.empty else widget

    def show_page(self, key: str) -> None:
        """Select the page ``key`` in the navigation (and so show it)."""
        if key in self.page_keys():
            row = self.page_keys().index(key)
            if self.nav.currentRow() == row:
                self._show_row(row)
            else:
                self.nav.setCurrentRow(row)

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(self._entries):
            self.stack.setCurrentWidget(self.empty)
            return
        key = self._entries[row].key
        already_built = key in self._pages
        widget = self.page(key)
        assert widget is not None
        self.stack.setCurrentWidget(widget)
        if already_built:
            refresh_page(widget)
        if not hasattr(widget, "totals_changed"):
            self.refresh_sync_totals()
        self.ctx.settings.setValue(LAST_PAGE_KEY, key)

    def refresh_sync_totals(self) -> None:
        """Read what waits to be sent and what is not acknowledged yet, off the GUI thread."""
        if self.ctx.jobs is None or self._sync_job is not None:
            return
        from sanlian_desktop.sync.exchange.status import status
        from sanlian_desktop.ui.sync.model import totals

        store = self.ctx.store
        self._sync_job = self.ctx.jobs.submit(
            FunctionJob(self.tr("读取同步状态"), lambda _p, _c: totals(status(store))), parent=self,
            on_success=self.show_sync_totals, on_failure=self._sync_job_failed, on_finished=self._sync_job_done)

    def _sync_job_failed(self, _failure: object) -> None:
        self.sync_label.hide()

    def _sync_job_done(self) -> None:
        self._sync_job = None

    def show_sync_totals(self, totals: object) -> None:
        """``待发送 2 个数据包 · 未确认 15 条`` in the status bar; nothing before any certificate."""
        from sanlian_desktop.ui.sync.model import SyncTotals

        if not isinstance(totals, SyncTotals) or not totals.neighbours:
            self.sync_label.hide()
            return
        # Records, as the 同步 page's 待发送 column counts them, and the packages they make.
        self.sync_label.setText(self.tr("待发送 {0} 条记录（{1} 个数据包）· 未确认 {2} 条").format(
            totals.items_waiting, totals.packages_waiting, totals.unacknowledged))
        self.sync_label.setToolTip(self.tr("有 {0} 条记录等待发送，{1} 条已发送但对方尚未回执（详见“同步”页）").format(
            totals.items_waiting, totals.unacknowledged))
        self.sync_label.show()

    def open_package(self, path: Path) -> QWidget | None:
        """Show the 同步 page with the import preview of ``path`` (a file given on the command line)."""
        self.show_page("sync")
        page = self.page("sync")
        opener = getattr(page, "open_package", None)
        if not callable(opener):
            return None
        result: QWidget | None = opener(Path(path))
        return result

    def focus_search(self) -> None:
        """Ctrl+F: the current page's search box, if it has one."""
        page = self.current_page()
        if page is not None:
            focus_page_search(page)

    # -- actions ----------------------------------------------------------------------------------

    def switch_user(self) -> None:
        """Sign in as someone else; the pages are rebuilt for them."""
        if self._sign_in_again is None:
            return
        actor = self._sign_in_again(self)
        if actor is None:
            return
        self.set_actor(actor)

    def set_actor(self, actor: Actor) -> None:
        """Replace the signed-in actor and rebuild the pages."""
        current = self.nav.currentRow()
        for widget in self._pages.values():
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self._pages.clear()
        self.ctx = UiContext(store=self.ctx.store, actor=actor, settings=self.ctx.settings, jobs=self.ctx.jobs)
        self._guard_writes()
        self._show_actor()
        self._show_row(current)

    def _guard_writes(self) -> None:
        """Every write of the program first checks that the signed-in account is still active: on an office
        server an admin may disable it from another PC while this one stays signed in."""
        store, actor, jobs = self.ctx.store, self.ctx.actor, self.ctx.jobs
        if jobs is None:  # a window without a job runner writes nothing
            return

        def guard() -> None:
            with store.read_session() as session:
                auth.check_still_active(session, actor)

        jobs.guard = guard

    def _open_manual(self) -> None:
        self.show_manual()

    def show_manual(self, chapter: str = "") -> QWidget:
        """F1: the user manual in its viewer, at ``chapter`` when given."""
        from sanlian_desktop.ui.help.manual import show_manual

        return show_manual(self, self.ctx.settings, chapter)

    def about(self) -> None:
        with self.ctx.store.read_session() as session:
            path = regions.region_path_text(session, self.ctx.actor.office_code) or self.ctx.actor.office_name
        QMessageBox.about(self, self.tr("关于"), self.tr(
            "<h3>{0}</h3><p>版本 {1}</p><p>甘肃省“三社联动”试点项目申报、审核与统计。</p>"
            "<p>本单位：{2}（{3}）<br>数据目录：{4}</p>").format(
            APP_NAME, __version__, self.ctx.actor.office_name, path, self.ctx.store.paths.home))

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = self.ctx.settings
        settings.setValue(STATE_KEY, self.saveState())
        settings.setValue(SPLITTER_KEY, self.splitter.saveState())
        super().closeEvent(event)
