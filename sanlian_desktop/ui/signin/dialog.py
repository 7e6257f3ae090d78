"""The sign-in dialog: pick a user of this office, type the password."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop import APP_NAME
from sanlian_desktop.kernel.vocab import Role
from sanlian_desktop.offices import auth
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.jobs import JobFailure, JobRunner, show_failure
from sanlian_desktop.ui.widgets import InlineError

LAST_USER_KEY = "signin/last_user"


class SignInDialog(QDialog):
    """Accepts with ``actor`` set once the password is right.

    The password is checked on the application's job runner: hashing it takes a noticeable fraction of a
    second, and the window stays live meanwhile (the fields and buttons wait, cancelling waits for it)."""

    def __init__(self, store: Store, settings: QSettings, parent: QWidget | None = None, *, jobs: JobRunner,
                 note: str = "", username: str | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.settings = settings
        self.jobs = jobs
        self.actor: Actor | None = None
        self.setWindowTitle(self.tr("登录 — {0}").format(APP_NAME))
        self.setMinimumWidth(420)

        with store.read_session() as session:
            office = auth.this_office(session)
            everyone = auth.list_users(session)
            users = [(u.username, u.display_name, Role(u.role)) for u in everyone if u.active]
            some_disabled = any(not u.active for u in everyone)
            office_name = office.name

        layout = QVBoxLayout(self)
        heading = QLabel(office_name, self)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)
        if note:
            note_label = QLabel(note, self)
            note_label.setWordWrap(True)
            note_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(note_label)

        form = QFormLayout()
        self.user_combo = QComboBox(self)
        for name, display, role in users:
            label = f"{display}（{name}，{role.label}）" if display and display != name else f"{name}（{role.label}）"
            self.user_combo.addItem(label, name)
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(self.tr("用户："), self.user_combo)
        form.addRow(self.tr("密码："), self.password_edit)
        layout.addLayout(form)
        self.disabled_note: QLabel | None = None
        if some_disabled:  # a disabled user looking for his name learns why it is missing
            self.disabled_note = QLabel(self.tr("已停用的用户不在列表中，不能登录；如有疑问请联系本单位管理员。"), self)
            self.disabled_note.setWordWrap(True)
            self.disabled_note.setStyleSheet("color: #555;")
            layout.addWidget(self.disabled_note)
        self.error = InlineError(self)
        layout.addWidget(self.error)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("登录"))
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        wanted = username or str(settings.value(LAST_USER_KEY, "") or "")
        index = self.user_combo.findData(wanted)
        if index >= 0:
            self.user_combo.setCurrentIndex(index)
        self.password_edit.textChanged.connect(self.error.clear_message)
        self.password_edit.setFocus()

    def username(self) -> str:
        return str(self.user_combo.currentData() or "")

    def try_sign_in(self) -> bool:
        """Check the password with the service on the job runner; True when the check was started. It accepts,
        or says why not inline."""
        store, username, password = self.store, self.username(), self.password_edit.text()

        def check() -> Actor:
            with store.session() as session:
                return auth.sign_in(session, username, password)

        return self.jobs.write(self, self.tr("登录"), check, on_success=self._signed_in, on_failure=self._refused,
                               busy=[self.buttons, self.user_combo, self.password_edit]) is not None

    def _signed_in(self, actor: Actor) -> None:
        self.actor = actor
        self.settings.setValue(LAST_USER_KEY, actor.username)
        self.accept()

    def _refused(self, failure: JobFailure) -> None:
        if not failure.is_user_error:
            show_failure(self, failure)
            return
        self.password_edit.clear()
        self.error.show_message(failure.message())
        self.password_edit.setFocus()

    def reject(self) -> None:
        """Cancel (or Esc, or closing the window); not while the password is being checked, which takes a moment
        and uses the store the caller closes after a cancel."""
        if self.jobs.writing(self):
            return
        super().reject()


def sign_in(store: Store, settings: QSettings, parent: QWidget | None = None, *, jobs: JobRunner,
            **kwargs: str) -> Actor | None:
    """Ask who is signing in (the password checked on ``jobs``); None when the user cancels."""
    dialog = SignInDialog(store, settings, parent, jobs=jobs, **kwargs)
    try:
        return dialog.actor if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()
