"""设置 → 备份与恢复: the automatic backups, a backup to a chosen file, restore, and the data check.

Every rule (who may restore, what a sound backup is, what the check looks at) belongs to the services
:mod:`sanlian_desktop.store.backup` and :mod:`sanlian_desktop.store.health`; this tab asks them, off the GUI thread,
and shows their Chinese sentences.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressDialog,
    QPushButton,
    QTableView,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop import APP_NAME
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.store import backup, health
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import confirm, inform, show_details
from sanlian_desktop.ui.files import KEY, open_file, save_file
from sanlian_desktop.ui.jobs import FunctionJob, IsCancelled, JobFailure, JobHandle, Progress, show_failure

BACKUP_KIND = "backups"
LAST_FOLDER_KEY = KEY.format(BACKUP_KIND)
ERROR_COLOR = "#b3261e"
GOOD_COLOR = "#1b5e20"
Index = QModelIndex | QPersistentModelIndex


def human_size(size: int) -> str:
    """``12 KB``, ``3.4 MB``: what a clerk compares with the free space on a USB stick."""
    if size >= 1_000_000_000:
        return f"{size / 1e9:.1f} GB"
    if size >= 1_000_000:
        return f"{size / 1e6:.1f} MB"
    return f"{max(1, round(size / 1e3))} KB"


class BackupListModel(QAbstractTableModel):
    """The automatic backups of one store, newest first."""

    COL_TIME, COL_REASON, COL_SIZE, COL_FILE = range(4)
    PathRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, paths: AppPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self._rows: list[tuple[Path, datetime, str, int]] = []

    def reason_label(self, reason: str) -> str:
        """The Chinese name of an automatic backup's reason (the code itself when it is a new one)."""
        labels = {"before-import": self.tr("导入同步包前"), "before-upgrade": self.tr("升级前"),
                  "daily": self.tr("每日"), "before-restore": self.tr("恢复前"), "manual": self.tr("手动")}
        return labels.get(reason, reason)

    def reload(self) -> None:
        """Read the backups folder again."""
        rows = []
        for path, at, reason in reversed(backup.automatic_backups(self.paths)):
            try:
                size = path.stat().st_size
            except OSError:
                continue  # pruned between listing and stat
            rows.append((path, at, reason, size))
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def path_at(self, row: int) -> Path:
        return self._rows[row][0]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else 4

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        path, at, reason, size = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.COL_TIME:
                return at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            if column == self.COL_REASON:
                return self.reason_label(reason)
            if column == self.COL_SIZE:
                return human_size(size)
            if column == self.COL_FILE:
                return path.name
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.COL_SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(path)
        if role == self.PathRole:
            return str(path)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 4:
            return (self.tr("备份时间"), self.tr("原因"), self.tr("大小"), self.tr("文件名"))[section]
        return None


class BackupsTab(QWidget):
    """备份与恢复."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.progress: QProgressDialog | None = None
        self.job: JobHandle | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self._backups_box(), 3)
        layout.addWidget(self._check_box(), 2)
        self.refresh()

    def _backups_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("备份"), self)
        note = QLabel(self.tr(
            "程序在每天第一次退出时、导入同步包前、升级前和恢复前自动备份全部数据和附件，保存在数据目录的 "
            "backups 文件夹中，只保留最近 30 份。请每周用“立即备份…”另存一份到 U 盘等处。"), box)
        note.setWordWrap(True)
        self.backup_button = QPushButton(self.tr("立即备份…"), box)
        self.restore_button = QPushButton(self.tr("从备份恢复…"), box)
        self.folder_button = QPushButton(self.tr("打开备份文件夹"), box)
        self.restore_button.setToolTip(self.tr("只有管理员可以恢复；恢复前会自动备份现有数据。先在列表中选中一份备份，选择文件时就从它开始"))
        self.backup_button.clicked.connect(self.back_up_now)
        self.restore_button.clicked.connect(self.restore_from_file)
        self.folder_button.clicked.connect(self.open_folder)
        buttons = QHBoxLayout()
        for button in (self.backup_button, self.restore_button, self.folder_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.status = QLabel(box)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()
        self.model = BackupListModel(self.ctx.paths, self)
        self.view = QTableView(box)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        for col in (BackupListModel.COL_TIME, BackupListModel.COL_REASON, BackupListModel.COL_SIZE):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(BackupListModel.COL_FILE, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel(self.tr("备份文件夹中还没有自动备份。"), box)
        self.empty.setStyleSheet("color: #666;")
        column = QVBoxLayout(box)
        column.addWidget(note)
        column.addLayout(buttons)
        column.addWidget(self.status)
        column.addWidget(self.view, 1)
        column.addWidget(self.empty)
        return box

    def _check_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("检查数据"), self)
        note = QLabel(self.tr("检查数据文件是否完好、审计日志有无被改动、每个附件是否完好或缺失。检查不会改动任何数据。"), box)
        note.setWordWrap(True)
        self.check_button = QPushButton(self.tr("检查数据"), box)
        self.check_button.clicked.connect(self.check_data)
        row = QHBoxLayout()
        row.addWidget(note, 1)
        row.addWidget(self.check_button)
        self.report = QTextEdit(box)
        self.report.setReadOnly(True)
        self.report.setPlaceholderText(self.tr("点击“检查数据”后，结果显示在这里。"))
        column = QVBoxLayout(box)
        column.addLayout(row)
        column.addWidget(self.report, 1)
        return box

    # -- page contract ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """List the backups folder again."""
        self.model.reload()
        self.empty.setVisible(self.model.rowCount() == 0)

    def showEvent(self, event: QShowEvent) -> None:
        # A backup may have been taken since (an import, the command line): list the folder afresh.
        self.refresh()
        super().showEvent(event)

    def selected_backup(self) -> Path | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.path_at(rows[0].row()) if rows else None

    # -- back up now --------------------------------------------------------------------------------

    def back_up_now(self) -> JobHandle | None:
        """Ask where, then write a backup there and check it, off the GUI thread."""
        target = self._choose_target()
        if target is None:
            return None
        store = self.ctx.store

        def work(_progress: Progress, _cancelled: IsCancelled) -> tuple[Path, backup.BackupInfo]:
            return backup.take_checked(store, reason="manual", out=target)

        self._set_busy(self.tr("正在备份到 {0}…").format(target))
        return self._submit(self.tr("备份"), work, self._backed_up, self.tr("备份文件：{0}").format(target))

    def _choose_target(self) -> Path | None:
        stamp = datetime.now().astimezone().strftime("%Y%m%d-%H%M")
        name = self.tr("{0}-备份-{1}.zip").format(self.ctx.actor.office_name, stamp)
        return save_file(self, self.ctx.settings, self.tr("保存备份"), name, self.tr("备份文件 (*.zip)"),
                         kind=BACKUP_KIND, suffix=".zip")

    def _backed_up(self, result: tuple[Path, backup.BackupInfo]) -> None:
        path, info = result
        self._set_idle()
        self.refresh()
        text = self.tr("已备份到 {0}（{1}），备份文件检查无误。").format(path, human_size(path.stat().st_size))
        self._show_status(text)
        inform(self, text + "\n\n" + self._describe(info))

    # -- restore -------------------------------------------------------------------------------------

    def restore_from_file(self) -> JobHandle | None:
        """Admin only (the service decides): choose a backup, check it, confirm, restore, close the program."""
        try:
            backup.require_restorer(self.ctx.actor)
        except UserError as exc:
            show_details(self, exc.zh, exc.en)
            return None
        start = self.selected_backup() or self.ctx.paths.backups
        if not start.exists():
            start = self.ctx.paths.home
        chosen = open_file(self, self.ctx.settings, self.tr("选择要恢复的备份文件"),
                           self.tr("备份文件 (*.zip);;所有文件 (*)"), kind="restore", start=start)
        if chosen is None:
            return None
        path, actor, home = chosen, self.ctx.actor, self.ctx.paths.home
        self._set_busy(self.tr("正在检查备份文件 {0}…").format(path.name))
        # An encrypted backup opens with the signed-in administrator's credentials.
        return self._submit(self.tr("检查备份文件"), lambda _p, _c: backup.verify(path, by=actor, home=home),
                            self._confirm_restore, self.tr("备份文件：{0}").format(path))

    def _describe(self, info: backup.BackupInfo) -> str:
        lines = [
            self.tr("单位：{0}（{1}）").format(info.office_name, info.office_code),
            self.tr("备份时间：{0}").format(info.created_at.astimezone().strftime("%Y-%m-%d %H:%M")),
            self.tr("备份原因：{0}").format(self.model.reason_label(info.reason)),
            self.tr("数据版本：{0}（程序版本 {1}）").format(info.schema_revision, info.app_version),
            self.tr("附件：{0} 个").format(info.attachments),
        ]
        if info.missing_attachments:
            lines.append(self.tr("注意：备份时已有 {0} 个附件缺失，这些附件无法恢复。").format(
                len(info.missing_attachments)))
        lines.append(info.protection_note())
        return "\n".join(lines)

    def _confirm_restore(self, info: backup.BackupInfo) -> None:
        self._set_idle()
        question = self.tr(
            "备份文件 {0} 完好：\n\n{1}\n\n恢复后，本单位现在的全部数据都会换成这份备份中的数据，"
            "备份之后录入或导入的内容需要重新录入或重新导入。\n"
            "现在的数据会先自动备份一份（原因为“恢复前”），可在本页的列表中找到。\n\n"
            "恢复完成后程序会关闭，需要重新启动。确定要恢复吗？").format(info.path.name, self._describe(info))
        if not confirm(self, question):
            return
        store, home, actor, path = self.ctx.store, self.ctx.paths.home, self.ctx.actor, info.path

        def work(_progress: Progress, _cancelled: IsCancelled) -> backup.RestoreResult:
            # Every connection goes first: Windows cannot replace a file that is open.
            store.close()
            return backup.restore(home, path, by=actor)

        self._set_busy(self.tr("正在恢复…"))
        # Modal: nothing else may read the store while its files are swapped.
        progress = QProgressDialog(self.tr("正在从 {0} 恢复数据，请稍候…").format(path.name), "", 0, 0, self)
        progress.setWindowTitle(APP_NAME)
        progress.setCancelButton(None)  # a restore half done cannot be stopped safely
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.show()
        self.progress = progress
        self._submit(self.tr("恢复备份"), work, self._restored, self.tr("备份文件：{0}").format(path))

    def _restored(self, result: backup.RestoreResult) -> None:
        self._close_progress()
        lines = [self.tr("已从备份恢复：{0}").format(result.restored.path)]
        if result.previous_backup is not None:
            lines.append(self.tr("恢复前的数据已备份到 {0}").format(result.previous_backup))
        if result.previous_folder is not None:
            lines.append(self.tr("原有数据无法备份（可能已损坏），原文件保留在 {0}").format(result.previous_folder))
        lines.append(self.tr("程序现在关闭。请重新启动程序，用恢复后的数据登录。"))
        inform(self, "\n\n".join(lines))
        # The pages show data that is gone; main() releases the lock and the store as the window closes.
        self.window().close()

    # -- open folder, check ---------------------------------------------------------------------------

    def open_folder(self) -> bool:
        """Show the backups folder in the file manager (created when missing)."""
        folder = self.ctx.paths.backups
        folder.mkdir(parents=True, exist_ok=True)
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def check_data(self) -> JobHandle:
        """Run the health check off the GUI thread and show its report."""
        store = self.ctx.store
        self.report.clear()
        self._set_busy(self.tr("正在检查数据，附件较多时需要几分钟…"))
        return self._submit(self.tr("检查数据"), lambda _p, _c: health.check(store), self._show_report,
                            self.tr("数据目录：{0}").format(self.ctx.paths.home))

    def _show_report(self, report: health.HealthReport) -> None:
        self._set_idle()
        parts = []
        lines = report.lines()
        for number, line in enumerate(lines):
            last = number == len(lines) - 1
            problem = line.lstrip().startswith("✗") or (last and not report.ok)
            color = ERROR_COLOR if problem else GOOD_COLOR if last else ""
            style = f"color: {color};" if color else ""
            if line.startswith(" "):
                style += " margin-left: 16px;"
            parts.append(f'<p style="margin-top: 3px; margin-bottom: 3px; {style.strip()}">{html.escape(line.strip())}</p>')
        self.report.setHtml("".join(parts))

    # -- jobs -----------------------------------------------------------------------------------------

    def _submit(self, title: str, fn: Callable[[Progress, IsCancelled], Any], on_success: Callable[[Any], None],
                context: str) -> JobHandle:
        """Run ``fn`` as a job; a refusal shows the service's sentence with ``context`` among the details."""
        def failed(failure: JobFailure) -> None:
            self._close_progress()
            self._set_idle()
            if isinstance(failure.error, UserError):
                show_details(self, failure.error.zh, "\n".join(filter(None, [failure.error.en, context])))
            else:
                show_failure(self, failure)

        handle = self.ctx.jobs.submit(FunctionJob(title, fn), parent=self, on_success=on_success,
                                      on_failure=failed)
        # Connected after submit (the outcome arrives through the event loop): a success callback may
        # already have started the next job, which must not be forgotten here.
        handle.finished.connect(lambda: self._job_finished(handle))
        self.job = handle
        return handle

    def _job_finished(self, handle: JobHandle) -> None:
        if self.job is handle:
            self.job = None

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _set_busy(self, text: str) -> None:
        for button in (self.backup_button, self.restore_button, self.check_button):
            button.setEnabled(False)
        self._show_status(text)

    def _set_idle(self) -> None:
        for button in (self.backup_button, self.restore_button, self.check_button):
            button.setEnabled(True)
        self._show_status("")

    def _show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
