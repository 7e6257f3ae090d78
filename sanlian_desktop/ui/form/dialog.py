"""A window around the declaration form: load, save (Ctrl+S), autosave, attachments and submit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from sanlian_desktop.declarations import drafts, lookup
from sanlian_desktop.kernel.errors import ValidationFailed
from sanlian_desktop.kernel.vocab import Status
from sanlian_desktop.models import DeclarationVersion
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.dialogs import confirm
from sanlian_desktop.ui.form.autosave import Autosave
from sanlian_desktop.ui.form.form import DeclarationForm
from sanlian_desktop.ui.form.submit import SubmitDialog
from sanlian_desktop.ui.geometry import place_window
from sanlian_desktop.ui.jobs import JobFailure, JobRunner, show_failure
from sanlian_desktop.ui.widgets import local_time

AUTOSAVE_MS = 3000


class DeclarationDialog(QDialog):
    """Opens a declaration (or a new one) in the form; editable only for the owner's clerk."""

    saved = Signal(str)      # declaration id
    submitted = Signal(str)

    def __init__(self, store: Store, actor: Actor, decl_id: str | None = None, *, read_only: bool = False,
                 parent: QWidget | None = None, jobs: JobRunner) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.store, self.actor, self.decl_id, self.jobs = store, actor, decl_id, jobs
        self.pending: list[Path] = []
        self.pending_kinds: dict[str, str] = {}  # a pending file's path -> the category it was added under
        self.autosave = Autosave(store.paths.home, decl_id)
        self._dirty = False
        self._edits = 0  # changes typed so far; a save clears the dirty flag only if none came meanwhile
        self._based_on: datetime | None = None  # the declaration's updated_at as this dialog last read or saved it
        self.form = DeclarationForm(store, actor, self, new=decl_id is None)
        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.status = QLabel(self)
        self.status.setStyleSheet("color: #555;")
        self.save_button = QPushButton(self.tr("保存 (Ctrl+S)"), self)
        self.submit_button = QPushButton(self.tr("提交…"), self)
        # 代录: a paper form read from its scan into this new, unsaved form.
        self.scan_button = QPushButton(self.tr("从扫描件读取…"), self)
        self.scan_button.setToolTip(self.tr("读取本程序打印的申报表的扫描件、照片或 PDF，核对后填入本表"))
        close_button = QPushButton(self.tr("关闭"), self)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        for b in (self.scan_button, self.save_button, self.submit_button, close_button):
            bar.addWidget(b)
        col = QVBoxLayout(self)
        col.addWidget(self.heading)
        col.addWidget(self.form, 1)
        col.addLayout(bar)
        self.save_button.clicked.connect(self.save)
        self.submit_button.clicked.connect(self.submit)
        self.scan_button.clicked.connect(self.read_scan)
        close_button.clicked.connect(self.close)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.write_autosave)
        self.form.edited.connect(self._edited)
        self.form.attachments.files_added.connect(self.add_files)
        self.form.attachments.remove_requested.connect(self.remove_attachment)
        place_window(self, "declaration", QSize(980, 760))
        self._load(read_only)
        self._add_evaluation(col)

    def _add_evaluation(self, col: QVBoxLayout) -> None:
        """A 第三方评估 tab beside the form, for a project under third-party evaluation (read-only)."""
        if self.decl_id is None:
            return
        from PySide6.QtWidgets import QTabWidget

        from sanlian_desktop.ui.evaluation.panel import EvaluationPanel, evaluation_tab_title

        panel = EvaluationPanel(self.store, self.decl_id, self)
        if not panel.has_anything():
            panel.deleteLater()
            return
        self.tabs = QTabWidget(self)
        col.replaceWidget(self.form, self.tabs)
        self.tabs.addTab(self.form, self.tr("申报表"))
        self.tabs.addTab(panel, evaluation_tab_title(panel))
        self.evaluation_panel = panel

    # -- loading -------------------------------------------------------------------------------------

    def _load(self, read_only: bool) -> None:
        stored_at = None
        editable = not read_only
        if self.decl_id is None:
            self.heading.setText(self.tr("新建申报"))
            self.setWindowTitle(self.tr("新建申报"))
            self.form.attachments.load([])
        else:
            with self.store.read_session() as s:
                decl = lookup.get(s, self.decl_id)
                data = lookup.as_dict(s, decl)
                stored_at = s.get(DeclarationVersion, (decl.id, decl.current_version)).updated_at  # type: ignore[union-attr]
                self._based_on = decl.updated_at
                editable = editable and drafts.can_edit(self.actor, decl)
                data["attachments"] = drafts.attachment_links(s, self.actor, decl)
            self.setWindowTitle(f"{data['number']} {data['title']}")
            self.heading.setText(self.tr("{0}　{1}　（{2}，第 {3} 版）").format(
                data["number"], data["title"], Status(data["status"]).label, data["version"]))
            self.form.load(data["fields"])
            self.form.show_opinions(data["opinions"])
            self._attachments = data["attachments"]
            self.form.attachments.load(data["attachments"])
        self.set_read_only(not editable)
        if editable:
            self._offer_restore(stored_at)

    def _offer_restore(self, stored_at: object) -> None:
        found = self.autosave.newer_than(stored_at)  # type: ignore[arg-type]
        if found is None:
            return
        if confirm(self, self.tr("发现 {0} 自动保存的未保存内容，是否恢复？").format(_autosaved_at(found)),
                   self.tr("恢复未保存的内容"), default_yes=True):
            self.form.load(found["raw"])
            self.pending = [Path(p) for p in found.get("pending", []) if Path(p).is_file()]
            self._show_attachments()
            self._dirty = True
            self.status.setText(self.tr("已恢复自动保存的内容，请检查后保存"))
            self.form.validate_now()
        else:
            self.autosave.discard()

    def set_read_only(self, read_only: bool) -> None:
        self.form.set_read_only(read_only)
        self.save_button.setVisible(not read_only)
        self.submit_button.setVisible(not read_only)
        self.scan_button.setVisible(not read_only and self.decl_id is None)
        if read_only:
            self.status.setText(self.tr("只读"))

    # -- editing -------------------------------------------------------------------------------------

    def _edited(self) -> None:
        self._dirty = True
        self._edits += 1
        self.status.setText(self.tr("未保存的修改"))
        if not self._autosave_timer.isActive():
            self._autosave_timer.start()

    def write_autosave(self) -> None:
        """Write the raw form state now (the timer calls this a few seconds after a change)."""
        self._autosave_timer.stop()
        if self._dirty and not self.form.is_read_only():
            self.autosave.write(self.form.raw(), self.pending)

    def add_files(self, files: list[Path]) -> None:
        """Attach files now (a saved declaration, on the job runner) or with the next save (a new declaration,
        or while a save is running)."""
        kind = self.form.attachments.kind()
        if self.decl_id is None or self.jobs.writing(self):
            self.pending.extend(files)
            self.pending_kinds.update((str(f), kind) for f in files)
            self._dirty = True
            self._show_attachments()
            return
        store, actor, decl_id, files = self.store, self.actor, self.decl_id, list(files)

        def write() -> list[dict[str, Any]]:
            with store.session() as s:
                decl = lookup.get(s, decl_id)
                for f in files:
                    drafts.attach(s, actor, decl, store.paths, f, kind=kind)
                return drafts.attachment_links(s, actor, decl)

        def attached(items: list[dict[str, Any]]) -> None:
            self._attachments = items
            self._show_attachments()
            self.status.setText(self.tr("已添加 {0} 个附件").format(len(files)))

        self.jobs.write(self, self.tr("添加附件"), write, on_success=attached,
                        busy=[self.save_button, self.submit_button])

    def remove_attachment(self, target: Path | int) -> None:
        """Drop a file waiting to be saved, or remove a stored attachment that has not travelled yet."""
        if isinstance(target, Path):
            self.pending = [f for f in self.pending if f != target]
            self.pending_kinds.pop(str(target), None)
            self._show_attachments()
            return
        if self.decl_id is None or self.jobs.writing(self):
            return
        name = next((a["name"] for a in getattr(self, "_attachments", []) if a.get("id") == target), "")
        if not confirm(self, self.tr("删除附件“{0}”？").format(name), self.tr("删除附件")):
            return
        store, actor, decl_id = self.store, self.actor, self.decl_id

        def write() -> list[dict[str, Any]]:
            with store.session() as s:
                decl = lookup.get(s, decl_id)
                drafts.detach(s, actor, decl, target)
                return drafts.attachment_links(s, actor, decl)

        def removed(items: list[dict[str, Any]]) -> None:
            self._attachments = items
            self._show_attachments()
            self.status.setText(self.tr("已删除附件 {0}").format(name))

        self.jobs.write(self, self.tr("删除附件"), write, on_success=removed,
                        busy=[self.save_button, self.submit_button])

    def _show_attachments(self) -> None:
        self.form.attachments.load(getattr(self, "_attachments", []), self.pending, self.pending_kinds)

    # -- reading a paper form ------------------------------------------------------------------------

    def read_scan(self, path: Path | None = None) -> bool:
        """Ask for a scan, read it off the GUI thread, let the clerk check it, fill the form.

        True when the reading was started. Nothing is saved: the filled form waits for 保存 as typed
        content does, with the scan as a pending attachment of kind "scan".
        """
        from sanlian_desktop.paperread import OCR_HELP, ocr_available
        from sanlian_desktop.ui.files import open_file
        from sanlian_desktop.ui.jobs import FunctionJob

        if self.form.is_read_only() or self.decl_id is not None:
            return False
        if not ocr_available():
            QMessageBox.information(self, self.tr("从扫描件读取"), OCR_HELP)
            return False
        if path is None:
            path = open_file(self, None, self.tr("选择申报表的扫描件、照片或 PDF"),
                             self.tr("扫描件 (*.pdf *.png *.jpg *.jpeg *.tif *.tiff *.bmp);;所有文件 (*)"),
                             kind="scan")
        if path is None:
            return False
        chosen = path

        def run(progress: Any, _cancelled: Any) -> Any:
            from sanlian_desktop.paperread import read_form

            return read_form(chosen, lambda done, total: progress(done, total, f"正在识别第 {done + 1} 页…"))

        self.scan_button.setEnabled(False)
        self.status.setText(self.tr("正在识别扫描件，请稍候…"))
        self.scan_job = self.jobs.submit(FunctionJob(self.tr("识别扫描件"), run), parent=self,
                                         on_success=lambda proposal: self._review_scan(chosen, proposal),
                                         on_failure=self._scan_failed,
                                         on_progress=lambda _d, _t, text: self.status.setText(text),
                                         on_finished=lambda: self.scan_button.setEnabled(True))
        return True

    def _scan_failed(self, failure: JobFailure) -> None:
        self.status.setText(self.tr("未能读取扫描件"))
        show_failure(self, failure)

    def _review_scan(self, path: Path, proposal: Any) -> None:
        from sanlian_desktop.ui.form.scanread import ScanReviewDialog

        review = ScanReviewDialog(proposal, path.name, self)
        self.scan_review = review
        accepted = review.exec() == QDialog.DialogCode.Accepted
        review.deleteLater()
        if not accepted:
            self.status.setText(self.tr("已取消，未填入任何内容"))
            return
        current = self.form.raw()
        community = current.get("community") or self._community_named(proposal.unit_names)
        filled = {**proposal.fields, "community": community, "batch": current.get("batch")}
        self.form.load(filled)
        if path not in self.pending:
            self.pending.append(path)
        self.pending_kinds[str(path)] = "scan"
        self._show_attachments()
        self._edited()
        low = sum(1 for r in proposal.readings if r.low)
        self.status.setText(self.tr("已从扫描件填入（{0} 项需核对），请选择申报社区并逐项核对后保存").format(low))
        self.form.validate_now()

    def _community_named(self, names: dict[str, str]) -> str | None:
        """The one community of this office's list printed on the 申报单位 line, if it is exactly one."""
        name, street = names.get("community", ""), names.get("street", "")
        if not name:
            return None
        box = self.form.community
        wanted = f"{name}（{street}）"  # as the form lists it
        matches = [box.itemData(i) for i in range(box.count()) if box.itemText(i) == wanted]
        return str(matches[0]) if len(matches) == 1 else None

    def save(self) -> bool:
        """Create or update the declaration on the job runner; True when the write was started.

        ``saved`` follows on success; a refusal shows its problems instead."""
        return self._save_then(None)

    def _save_then(self, then: Callable[[], None] | None) -> bool:
        """:meth:`save`, and ``then()`` after ``saved`` when it succeeded."""
        if self.form.is_read_only():
            return False
        raw = self.form.raw()
        store, actor, decl_id, pending = self.store, self.actor, self.decl_id, list(self.pending)
        kinds = dict(self.pending_kinds)
        edits, based_on = self._edits, self._based_on

        def write() -> _Saved:
            with store.session() as s:
                if decl_id is None:
                    decl = drafts.create(s, actor, raw)
                else:  # refused if another clerk saved it since this dialog read it (a shared store)
                    decl = drafts.edit(s, actor, lookup.get(s, decl_id), raw, based_on=based_on)
                for f in pending:
                    drafts.attach(s, actor, decl, store.paths, f, kind=kinds.get(str(f), "other"))
                return _Saved(decl.id, decl.number, decl.current_version, drafts.attachment_links(s, actor, decl),
                              decl.updated_at)

        def saved(result: _Saved) -> None:
            self._saved(result, raw, pending, edits)
            if then is not None:
                then()

        return self.jobs.write(self, self.tr("保存申报"), write, on_success=saved, on_failure=self._refused,
                               busy=[self.save_button, self.submit_button]) is not None

    def _saved(self, result: _Saved, raw: dict[str, Any], pending: list[Path], edits: int) -> None:
        if self.decl_id is None:
            self.autosave.rename(result.decl_id)
        self.decl_id = result.decl_id
        self._based_on = result.updated_at
        self.scan_button.setVisible(False)
        self.pending = [f for f in self.pending if f not in pending]
        for f in pending:
            self.pending_kinds.pop(str(f), None)
        self._attachments = result.attachments
        self._show_attachments()
        if edits == self._edits and not self.pending:  # nothing typed while the write ran
            self.autosave.discard()
            self._autosave_timer.stop()
            self._dirty = False
        self.form.show_summary([])
        self.form.validate_now()
        self.heading.setText(self.tr("{0}　{1}　（第 {2} 版）").format(
            result.number, raw.get("title") or "", result.version))
        self.status.setText(self.tr("未保存的修改") if self._dirty else self.tr("已保存"))
        self.saved.emit(result.decl_id)

    def _refused(self, failure: JobFailure) -> None:
        """A save or submit the service refused: the form's problems, or the sentence."""
        error = failure.error
        if isinstance(error, ValidationFailed):
            self.form.show_errors(error.errors)
            self.form.show_summary(error.errors)
            self.status.setText(error.zh)
        else:
            show_failure(self, failure)

    def submit(self) -> bool:
        """Save, check completeness, confirm (with paper opinions for a 代录) and submit, on the job runner.

        True when the save was started; ``submitted`` follows when it is all done."""
        return self._save_then(self._confirm_submit)

    def _confirm_submit(self) -> None:
        if self.decl_id is None:
            return
        errors = self.form.validate_now(for_submit=True)
        if errors:
            self.form.show_summary(errors)
            return
        with self.store.read_session() as s:
            decl = lookup.get(s, self.decl_id)
            levels = [st.level for st in drafts.paper_stages(self.actor, decl)]
            number, title = decl.number, decl.title
        dialog = SubmitDialog(number, title, levels, self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        paper = dialog.paper_opinions()
        dialog.deleteLater()
        if not accepted:
            return
        store, actor, decl_id = self.store, self.actor, self.decl_id

        def write() -> None:
            with store.session() as s:
                drafts.submit(s, actor, lookup.get(s, decl_id), store.paths, paper_opinions=paper)

        self.jobs.write(self, self.tr("提交申报"), write, on_success=lambda _r: self._submitted(decl_id),
                        on_failure=self._refused, busy=[self.save_button, self.submit_button])

    def _submitted(self, decl_id: str) -> None:
        self.autosave.discard()
        self.set_read_only(True)
        self.status.setText(self.tr("已提交，等待审核"))
        self.submitted.emit(decl_id)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Unsaved changes: save them (the window closes when the save is done), discard them, or stay."""
        if self.jobs.writing(self):
            event.ignore()  # a save is on its way; closing now would drop its outcome
            self.status.setText(self.tr("正在保存，请稍候再关闭"))
            return
        if self._dirty and not self.form.is_read_only():
            self.write_autosave()  # whatever happens next, the typing is on disk
            answer = QMessageBox.question(
                self, self.tr("未保存的修改"), self.tr("申报表有未保存的修改，关闭前是否保存？"),
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save:
                event.ignore()
                self._save_then(self._close_when_saved)
                return
            self.autosave.discard()
            self._dirty = False  # answered: QDialog.closeEvent's reject() must not ask again
        super().closeEvent(event)

    def reject(self) -> None:
        """Esc: a form with unsaved changes asks first, as every other way of closing it does."""
        if self._dirty and not self.form.is_read_only():
            self.close()  # closeEvent asks; once answered, QDialog.closeEvent comes back here, clean
            return
        super().reject()

    def _close_when_saved(self) -> None:
        if not self._dirty:
            self.close()


def _autosaved_at(found: dict[str, object]) -> str:
    """When an autosave was written, in this computer's local time."""
    try:
        return local_time(str(found.get("saved_at", "")), seconds=True)
    except ValueError:
        return str(found.get("saved_at", ""))


@dataclass(frozen=True)
class _Saved:
    """What a save hands back to the GUI thread."""

    decl_id: str
    number: str
    version: int
    attachments: list[dict[str, Any]]
    updated_at: datetime
