"""``python -m sanlian_desktop.ui``: build the application, open (or create) the store, sign in, show the window."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, Qt, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from sanlian_desktop import APP_NAME, __version__
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths, default_home
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import backup, instance
from sanlian_desktop.store.engine import Store
from sanlian_desktop.store.instance import InstanceLock
from sanlian_desktop.ui.widgets import install_wheel_guard

if TYPE_CHECKING:
    from sanlian_desktop.ui.jobs import JobRunner
    from sanlian_desktop.ui.mainwindow import MainWindow

log = logging.getLogger("sanlian.app")

ORGANIZATION = "GansuMinzheng"
APPLICATION = "sanlian-desktop"
UI_FONTS = ("Microsoft YaHei", "Microsoft YaHei UI", "WenQuanYi Micro Hei", "Noto Sans CJK SC",
            "Source Han Sans SC", "PingFang SC", "SimHei")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sanlian-desktop", description=f"{APP_NAME} {__version__}")
    parser.add_argument("--home", type=Path, help="数据目录（默认为用户数据目录，或环境变量 SANLIAN_HOME）")
    parser.add_argument("package", nargs="?", type=Path, help="要导入的同步包（.sanlian），登录后显示导入预览")
    args, _qt_args = parser.parse_known_args(list(argv))
    return args


def install_translations(app: QCoreApplication) -> list[QTranslator]:
    """Qt's own Chinese catalogue, so that standard buttons read 确定/取消; returns what was loaded."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    loaded = []
    for name in ("qtbase_zh_CN", "qt_zh_CN"):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            loaded.append(translator)
            break
    if not loaded:
        log.warning("no Qt Chinese translation in %s", folder)
        return loaded
    from sanlian_desktop.ui.files import QtCorrections

    corrections = QtCorrections(app)
    app.installTranslator(corrections)  # asked before Qt's catalogue
    loaded.append(corrections)
    return loaded


def choose_ui_font(app: QApplication) -> str | None:
    """Use a CJK-capable UI font when one is installed; returns its family."""
    families = set(QFontDatabase.families())
    for family in UI_FONTS:
        if family in families:
            font = QFont(app.font())
            font.setFamilies([family, *font.families()])
            app.setFont(font)
            return family
    log.warning("no CJK UI font among %s", ", ".join(UI_FONTS))
    return None


def make_application(argv: Sequence[str]) -> QApplication:
    """The QApplication with names for QSettings, high-DPI policy, translations, a CJK font and the wheel guard
    (a scrolled-over combo, spin or date box keeps its value)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QGuiApplication.setApplicationDisplayName(APP_NAME)
    app = QApplication([sys.argv[0] if sys.argv else APPLICATION, *argv])
    install_translations(app)
    choose_ui_font(app)
    install_wheel_guard(app)
    return app


def ask_server_password(parent: QWidget | None) -> str | None:
    """The database server's password, typed by the user; None when they cancel."""
    from PySide6.QtWidgets import QInputDialog, QLineEdit

    text, ok = QInputDialog.getText(parent, QApplication.translate("app", "数据库服务器"),
                                    QApplication.translate("app", "本单位的数据在数据库服务器上，请输入服务器的密码："),
                                    QLineEdit.EchoMode.Password)
    return text if ok else None


def open_store(home: Path, parent: QWidget | None = None) -> Store:
    """Open the store in ``home``; a store on a database server that refuses this computer without a
    password (none in PGPASSWORD) gets one asked for, kept in this process only."""
    from sanlian_desktop.store.engine import ServerUnreachable
    from sanlian_desktop.store.server import password_known, use_password

    try:
        return Store.open(home)
    except ServerUnreachable:
        if password_known():
            raise
        password = ask_server_password(parent)
        if password is None:
            raise
        use_password(password)
        return Store.open(home)


def start_session(home: Path, settings: QSettings, jobs: JobRunner, parent: QWidget | None = None
                  ) -> tuple[Store, Actor] | None:
    """Open this office's store and sign in, or run the first-run wizard when there is none."""
    from sanlian_desktop.ui.signin.dialog import sign_in

    paths = AppPaths(home)
    if paths.database.exists() or paths.server_settings.exists():
        store = open_store(home, parent)
        actor = sign_in(store, settings, parent, jobs=jobs)
        if actor is None:
            store.close()
            return None
        return store, actor
    from sanlian_desktop.ui.firstrun.certpage import CertificateRequestPage
    from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard

    wizard = FirstRunWizard(home, settings, jobs, parent, after_setup=[CertificateRequestPage])
    try:
        if wizard.exec() != FirstRunWizard.DialogCode.Accepted or wizard.store is None or wizard.actor is None:
            return None
        return wizard.store, wizard.actor
    finally:
        wizard.deleteLater()


def claim_store(paths: AppPaths, package: Path | None = None) -> InstanceLock | None:
    """This store's single-instance lock; None, after telling the user, when another copy holds it.

    A package file given to a second start (a double-clicked ``.sanlian``) goes to the running copy,
    which opens its import preview; then there is nothing to tell.
    """
    from sanlian_desktop.ui.dialogs import warn

    try:
        return instance.acquire(paths)
    except UserError as exc:
        log.info("another copy holds %s", paths.lock_file)
        if package is not None and instance.notify_running(paths, [str(package.resolve())]):
            return None
        warn(None, exc.zh)
        # After the box is closed the first copy comes to the front, if it listens (the command
        # line's restore holds the lock too and does not).
        instance.notify_running(paths, [])
        return None


def on_knock(window: MainWindow | None, arguments: list[str]) -> None:
    """A second start knocked: come forward, and open the package it was given, if any."""
    bring_forward(window)
    files = [a for a in arguments if a.strip()]
    if window is not None and files:
        window.open_package(Path(files[0]))


def bring_forward(window: QWidget | None) -> None:
    """A second start knocked: show this window in front of the others."""
    if window is None:
        return
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()


def share_attachments(store: Store, jobs: JobRunner) -> None:
    """On an office server, in the background: the attachments only this workstation holds (stored before
    the server kept files) go onto the server, so they open on every workstation. Quiet: a failure is logged."""
    from sanlian_desktop.store.attachments import share_cached
    from sanlian_desktop.ui.jobs import FunctionJob

    if store.on_server:
        jobs.submit(FunctionJob("共享附件", lambda _progress, _cancelled: share_cached(store)),
                    on_failure=lambda failure: log.warning("attachments not shared: %s", failure.error))


def backup_on_exit(store: Store) -> Path | None:
    """The day's automatic backup as the program closes; a failure is logged, never shown as a crash."""
    try:
        return backup.take_daily(store)
    except Exception:
        log.exception("daily backup on exit failed")
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop program; the exit code is 0 unless it could not start."""
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.crash import FaultLog, crash_message, install_excepthook, setup_logging
    from sanlian_desktop.ui.dialogs import show_details, warn
    from sanlian_desktop.ui.jobs import JobRunner
    from sanlian_desktop.ui.mainwindow import MainWindow
    from sanlian_desktop.ui.signin.dialog import sign_in

    args = parse_args(sys.argv[1:] if argv is None else argv)
    home = (args.home or default_home()).expanduser()
    logs = AppPaths(home).logs
    log_file = setup_logging(logs)
    faults = FaultLog(logs)
    previous = faults.previous_crash()
    faults.enable()
    log.info("start %s, home %s", __version__, home)
    app = make_application([])
    install_excepthook()
    settings = QSettings()
    jobs = JobRunner(app)
    if previous:
        show_details(None, QCoreApplication.translate(
            "app", "上次运行时程序意外退出。下面是当时记录的信息（也保存在 {0}）。").format(logs), previous)
    store: Store | None = None
    lock: InstanceLock | None = None
    window: MainWindow | None = None
    try:
        lock = claim_store(AppPaths(home), args.package)
        if lock is None:
            return 0
        started = start_session(home, settings, jobs)
        if started is None:
            return 0
        store, actor = started
        window = MainWindow(UiContext(store=store, actor=actor, settings=settings, jobs=jobs),
                            sign_in_again=lambda w: sign_in(w.ctx.store, settings, w, jobs=w.ctx.jobs))
        _knock = instance.listen(AppPaths(home), lambda arguments: on_knock(window, arguments))  # kept until exit
        window.show()
        share_attachments(store, jobs)
        if args.package is not None:
            window.open_package(args.package)
        return int(app.exec())
    except UserError as exc:
        warn(None, exc.zh)
        return 2
    except Exception:
        import traceback

        details = traceback.format_exc()
        log.error("could not start\n%s", details)
        show_details(None, crash_message() + QCoreApplication.translate("app", "（日志：{0}）").format(log_file),
                   details)
        return 1
    finally:
        jobs.cancel_all()
        jobs.wait(10_000)
        if store is not None:
            if window is not None:
                backup_on_exit(store)
            store.close()
        if lock is not None:
            lock.release()
        settings.sync()
        faults.disable()
        log.info("exit")
