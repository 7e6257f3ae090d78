"""The first-run wizard: create this office (level, region, name, first admin; a third-party evaluator:
its code instead of a region) or try the demo."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import IntEnum
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget, QWizard, QWizardPage

from sanlian_desktop import APP_NAME
from sanlian_desktop.demo.office import demo_exists
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.firstrun.demopage import DemoPage
from sanlian_desktop.ui.firstrun.regionpage import RegionPage
from sanlian_desktop.ui.firstrun.serverpage import JoinPage, ServerPage
from sanlian_desktop.ui.firstrun.steps import DonePage, LevelPage, OfficePage, WelcomePage
from sanlian_desktop.ui.jobs import JobRunner


class PageId(IntEnum):
    WELCOME = 0
    LEVEL = 1
    REGION = 2
    OFFICE = 3
    SERVER = 4  # the office's database server (本单位有数据库服务器), then LEVEL… or JOIN
    JOIN = 5
    # Pages added through ``after_setup`` take ids from here, in order, before DONE.
    AFTER_SETUP = 10
    DONE = 50
    DEMO = 60


AfterSetupPage = Callable[["FirstRunWizard"], QWizardPage]


class FirstRunWizard(QWizard):
    """Accepted with ``store`` and ``actor`` set: the new office's admin, or the demo reviewer.

    ``after_setup`` makes pages shown once the office exists (the certificate request will be one);
    such a page reads ``wizard.store`` and ``wizard.actor``.
    """

    def __init__(self, home: Path, settings: QSettings, jobs: JobRunner, parent: QWidget | None = None, *,
                 after_setup: Sequence[AfterSetupPage] = ()) -> None:
        super().__init__(parent)
        self.home = Path(home)
        self.settings = settings
        self.jobs = jobs
        self.store: Store | None = None
        self.actor: Actor | None = None
        self.is_demo = False
        self.joined = False  # this computer joined an office already on a database server
        self.setWindowTitle(self.tr("首次使用 — {0}").format(APP_NAME))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setMinimumSize(760, 560)

        self.welcome_page = WelcomePage(demo_exists(self.home), self)
        self.level_page = LevelPage(self)
        self.region_page = RegionPage(self)
        self.office_page = OfficePage(self)
        self.server_page = ServerPage(self)
        self.join_page = JoinPage(self)
        self.done_page = DonePage(self)
        self.demo_page = DemoPage(self)
        self.setPage(PageId.WELCOME, self.welcome_page)
        self.setPage(PageId.LEVEL, self.level_page)
        self.setPage(PageId.REGION, self.region_page)
        self.setPage(PageId.OFFICE, self.office_page)
        self.setPage(PageId.SERVER, self.server_page)
        self.setPage(PageId.JOIN, self.join_page)
        for offset, make_page in enumerate(after_setup):
            self.setPage(PageId.AFTER_SETUP + offset, make_page(self))
        self.setPage(PageId.DONE, self.done_page)
        self.setPage(PageId.DEMO, self.demo_page)
        self.setStartId(PageId.WELCOME)

    def next_after(self, page_id: int) -> int:
        """The page after ``page_id`` once the office exists: the next after-setup page that wants to be
        shown (a page may define ``wanted() -> bool``), else DONE."""
        for candidate in sorted(self.pageIds()):
            if page_id < candidate < PageId.DONE and candidate >= PageId.AFTER_SETUP:
                wanted = getattr(self.page(candidate), "wanted", None)
                if not callable(wanted) or wanted():
                    return candidate
        return PageId.DONE

    def database_url(self) -> str | None:
        """The database server the office is made on or joined (tested, no password), or None for the
        SQLite file on this computer."""
        if PageId.SERVER not in self.visitedIds():
            return None
        return self.server_page.url()

    @property
    def level(self) -> Level:
        return self.level_page.level()

    def set_result(self, store: Store, actor: Actor, *, demo: bool) -> None:
        """The office now exists and someone is signed in."""
        self.drop_result()
        self.store, self.actor, self.is_demo = store, actor, demo

    def drop_result(self) -> None:
        """Close a store that will not be used (the demo, when the user goes back)."""
        if self.store is not None:
            self.store.close()
        self.store, self.actor, self.is_demo = None, None, False

    def reject(self) -> None:
        """Cancelling closes what was opened; an office already created stays on disk for next time.
        Not while the office is being created (a moment): what the worker opens must not be left open."""
        if self.office_page.creating() or self.join_page.joining():
            return
        self.demo_page.stop()
        self.drop_result()
        super().reject()
