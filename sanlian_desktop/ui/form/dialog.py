"""A window around the declaration form: load, save (Ctrl+S), autosave, attachments and submit."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from sanlian_desktop.declarations import drafts, lookup
from sanlian_desktop.kernel.errors import UserError, ValidationFailed
from sanlian_desktop.kernel.vocab import Status
from sanlian_desktop.models import DeclarationVersion
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.dialogs import confirm, show_error
from sanlian_desktop.ui.form.autosave import Autosave
from sanlian_desktop.ui.form.form import DeclarationForm
from sanlian_desktop.ui.form.submit import SubmitDialog
from sanlian_desktop.ui.geometry import place_window

AUTOSAVE_MS = 3000


class DeclarationDialog(QDialog):
    """Opens a declaration (or a new one) in the form; editable only for the owner's clerk."""

    saved = Signal(str)      # declaration id
    submitted = Signal(str)

    def __init__(self, store: Store, actor: Actor, decl_id: str | None = None, *, read_only: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.store, self.actor, self.decl_id = store, actor, decl_id
        self.pending: list[Path] = []
        self.autosave = Autosave(store.paths.home, decl_id)
        self._dirty = False
        self.form = DeclarationForm(store, actor, self, new=decl_id is None)
        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.status = QLabel(self)
        self.status.setStyleSheet("color: #555;")
        self.save_button = QPushButton(self.tr("保存 (Ctrl+S)"), self)
        self.submit_button = QPushButton(self.tr("提交…"), self)
        close_button = QPushButton(self.tr("关闭"), self)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        for b in (self.save_button, self.submit_button, close_button):
            bar.addWidget(b)
        col = QVBoxLayout(self)
        col.addWidget(self.heading)
        col.addWidget(self.form, 1)
        col.addLayout(bar)
        self.save_button.clicked.connect(self.save)
        self.submit_button.clicked.connect(self.submit)
        close_button.clicked.connect(self.close)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.write_autosave)
        self.form.edited.connect(self._edited)
        self.form.attachments.files_added.connect(self.add_files)
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
                editable = editable and drafts.can_edit(self.actor, decl)
            self.setWindowTitle(f"{data['number']} {data['title']}")
            self.heading.setText(self.tr("{0}　{1}　（{2}，第 {3} 版）").format(
                data["number"], data["title"], Status(data["status"]).label, data["version"]))
            self.form.load(data["fields"])
            self._attachments = data["attachments"]
            self.form.attachments.load(data["attachments"])
        self.set_read_only(not editable)
        if editable:
            self._offer_restore(stored_at)

    def _offer_restore(self, stored_at: object) -> None:
        found = self.autosave.newer_than(stored_at)  # type: ignore[arg-type]
        if found is None:
            return
        when = str(found.get("saved_at", ""))[:19].replace("T", " ")
        if confirm(self, self.tr("发现 {0}（UTC）自动保存的未保存内容，是否恢复？").format(when),
                   self.tr("恢复未保存的内容")):
            self.form.load(found["raw"])
            self.pending = [Path(p) for p in found.get("pending", []) if Path(p).is_file()]
            self.form.attachments.load(getattr(self, "_attachments", []), self.pending)
            self._dirty = True
            self.status.setText(self.tr("已恢复自动保存的内容，请检查后保存"))
            self.form.validate_now()
        else:
            self.autosave.discard()

    def set_read_only(self, read_only: bool) -> None:
        self.form.set_read_only(read_only)
        self.save_button.setVisible(not read_only)
        self.submit_button.setVisible(not read_only)
        if read_only:
            self.status.setText(self.tr("只读"))

    # -- editing -------------------------------------------------------------------------------------

    def _edited(self) -> None:
        self._dirty = True
        if not self._autosave_timer.isActive():
            self._autosave_timer.start()

    def write_autosave(self) -> None:
        """Write the raw form state now (the timer calls this a few seconds after a change)."""
        self._autosave_timer.stop()
        if self._dirty and not self.form.is_read_only():
            self.autosave.write(self.form.raw(), self.pending)

    def add_files(self, files: list[Path]) -> None:
        """Attach files now (a saved declaration) or after the first save (a new one)."""
        if self.decl_id is None:
            self.pending.extend(files)
            self._dirty = True
            self.form.attachments.load([], self.pending)
            return
        try:
            with self.store.session() as s:
                decl = lookup.get(s, self.decl_id)
                for f in files:
                    drafts.attach(s, self.actor, decl, self.store.paths, f)
                items = lookup.as_dict(s, decl)["attachments"]
        except UserError as exc:
            show_error(self, exc)
            return
        self._attachments = items
        self.form.attachments.load(items, self.pending)
        self.status.setText(self.tr("已添加 {0} 个附件").format(len(files)))

    def save(self) -> bool:
        """Create or update the declaration; False (with the problems shown) when refused."""
        if self.form.is_read_only():
            return False
        raw = self.form.raw()
        try:
            with self.store.session() as s:
                if self.decl_id is None:
                    decl = drafts.create(s, self.actor, raw)
                else:
                    decl = drafts.edit(s, self.actor, lookup.get(s, self.decl_id), raw)
                for f in self.pending:
                    drafts.attach(s, self.actor, decl, self.store.paths, f)
                decl_id, number, version = decl.id, decl.number, decl.current_version
                items = lookup.as_dict(s, decl)["attachments"]
        except ValidationFailed as exc:
            self.form.show_errors(exc.errors)
            self.form.show_summary(exc.errors)
            self.status.setText(exc.zh)
            return False
        except UserError as exc:
            show_error(self, exc)
            return False
        if self.decl_id is None:
            self.autosave.rename(decl_id)
        self.decl_id = decl_id
        self.pending = []
        self._attachments = items
        self.form.attachments.load(items)
        self.autosave.discard()
        self._autosave_timer.stop()
        self._dirty = False
        self.form.show_summary([])
        self.form.validate_now()
        self.heading.setText(self.tr("{0}　{1}　（第 {2} 版）").format(number, raw.get("title") or "", version))
        self.status.setText(self.tr("已保存"))
        self.saved.emit(decl_id)
        return True

    def submit(self) -> bool:
        """Save, check completeness, confirm (with paper opinions for a 代录) and submit."""
        if not self.save() or self.decl_id is None:
            return False
        errors = self.form.validate_now(for_submit=True)
        if errors:
            self.form.show_summary(errors)
            return False
        with self.store.read_session() as s:
            decl = lookup.get(s, self.decl_id)
            levels = [st.level for st in drafts.paper_stages(self.actor, decl)]
            number, title = decl.number, decl.title
        dialog = SubmitDialog(number, title, levels, self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        paper = dialog.paper_opinions()
        dialog.deleteLater()
        if not accepted:
            return False
        try:
            with self.store.session() as s:
                decl = lookup.get(s, self.decl_id)
                drafts.submit(s, self.actor, decl, self.store.paths, paper_opinions=paper)
        except ValidationFailed as exc:
            self.form.show_errors(exc.errors)
            self.form.show_summary(exc.errors)
            return False
        except UserError as exc:
            show_error(self, exc)
            return False
        self.autosave.discard()
        self.set_read_only(True)
        self.status.setText(self.tr("已提交，等待审核"))
        self.submitted.emit(self.decl_id)
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        """Unsaved changes: save them, discard them, or stay."""
        if self._dirty and not self.form.is_read_only():
            self.write_autosave()  # whatever happens next, the typing is on disk
            answer = QMessageBox.question(
                self, self.tr("未保存的修改"), self.tr("申报表有未保存的修改，关闭前是否保存？"),
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
            if answer == QMessageBox.StandardButton.Cancel or (
                    answer == QMessageBox.StandardButton.Save and not self.save()):
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Discard:
                self.autosave.discard()
        super().closeEvent(event)
