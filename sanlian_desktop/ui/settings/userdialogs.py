"""Adding a user and setting a password; each calls the service and shows its refusal inline."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
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

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Role
from sanlian_desktop.offices import auth
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.jobs import JobFailure, JobRunner, WriteDialog, show_failure
from sanlian_desktop.ui.widgets import InlineError, PasswordPair


class _ServiceDialog(WriteDialog):
    """A form whose OK runs one unit of work on the job runner; a UserError keeps the dialog open with its
    sentence. (Hashing a password takes a noticeable fraction of a second: it never runs on the GUI thread.)"""

    def __init__(self, store: Store, actor: Actor, parent: QWidget | None, *, jobs: JobRunner) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(440)
        self.store = store
        self.actor = actor
        self.jobs = jobs
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.extra = QVBoxLayout()
        self.layout_.addLayout(self.extra)
        self.error = InlineError(self)
        self.layout_.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)


    def check(self) -> str:
        """A sentence when the form cannot be sent yet (e.g. passwords differ)."""
        return ""

    def writer(self) -> Callable[[], object]:
        """The unit of work, with the fields read now (on the GUI thread); it runs on the worker."""
        raise NotImplementedError

    def done_writing(self, result: object) -> None:
        """On the GUI thread after the work succeeded, before the dialog closes."""

    def apply(self) -> bool:
        """Run the work on the job runner; True when it was started. The dialog closes when it succeeded."""
        problem = self.check()
        if problem:
            self.error.show_message(problem)
            return False
        self.error.clear_message()
        return self.jobs.write(self, self.windowTitle(), self.writer(), on_success=self._written,
                               on_failure=self._refused, busy=[self.buttons]) is not None

    def _written(self, result: object) -> None:
        self.done_writing(result)
        self.accept()

    def _refused(self, failure: JobFailure) -> None:
        if failure.is_user_error:
            self.error.show_message(failure.message())
        else:
            show_failure(self, failure)


class AddUserDialog(_ServiceDialog):
    """A new user of this office with a role and a first password."""

    def __init__(self, store: Store, actor: Actor, parent: QWidget | None = None, *, jobs: JobRunner) -> None:
        super().__init__(store, actor, parent, jobs=jobs)
        self.setWindowTitle(self.tr("添加用户"))
        self.username = QLineEdit(self)
        self.username.setPlaceholderText(self.tr("登录时使用，如 wangjb"))
        self.display_name = QLineEdit(self)
        self.display_name.setPlaceholderText(self.tr("如 王经办"))
        self.display_name.setMaxLength(auth.MAX_DISPLAY_NAME)
        self.role = QComboBox(self)
        for role in (Role.CLERK, Role.REVIEWER, Role.ADMIN):
            self.role.addItem(role.label, role.value)
        self.form.addRow(self.tr("用户名："), self.username)
        self.form.addRow(self.tr("姓名："), self.display_name)
        self.form.addRow(self.tr("角色："), self.role)
        self.passwords = PasswordPair(self.form, self)
        roles_note = QLabel(self.tr("经办人：录入和提交申报；审核人：填写审核意见；管理员：管理用户和本单位设置。"), self)
        roles_note.setWordWrap(True)
        self.extra.addWidget(roles_note)
        self.added: str | None = None

    def check(self) -> str:
        return self.passwords.mismatch()

    def writer(self) -> Callable[[], object]:
        store, actor = self.store, self.actor
        username, role, display_name = self.username.text(), Role(self.role.currentData()), self.display_name.text()
        password = self.passwords.password()

        def write() -> str:
            with store.session() as session:
                return auth.add_user(session, actor, username=username, role=role, password=password,
                                     display_name=display_name).username

        return write

    def done_writing(self, result: object) -> None:
        self.added = str(result)


class PasswordDialog(_ServiceDialog):
    """A new password for ``username``; for one's own account the current password is asked first."""

    def __init__(self, store: Store, actor: Actor, username: str, parent: QWidget | None = None, *,
                 jobs: JobRunner, on_own_change: Callable[[str], None] | None = None) -> None:
        super().__init__(store, actor, parent, jobs=jobs)
        self.username = username
        self.own = username == actor.username
        self.on_own_change = on_own_change
        self.setWindowTitle(self.tr("修改密码") if self.own else self.tr("重设密码"))
        self.form.addRow(self.tr("用户："), QLabel(username, self))
        self.current = QLineEdit(self)
        self.current.setEchoMode(QLineEdit.EchoMode.Password)
        if self.own:
            self.form.addRow(self.tr("当前密码："), self.current)
        else:
            self.current.hide()  # not in the form: it would float over the first row
        self.passwords = PasswordPair(self.form, self)
        if not self.own:
            note = QLabel(self.tr("新密码同时用于使用本单位的密钥：该用户用新密码登录后，仍可照常收发同步包。"
                                  "请把新密码当面告诉该用户。"), self)
            note.setWordWrap(True)
            self.extra.addWidget(note)

    def check(self) -> str:
        return self.passwords.mismatch()

    def writer(self) -> Callable[[], object]:
        store, actor, username, own = self.store, self.actor, self.username, self.own
        current, password, wrong = self.current.text(), self.passwords.password(), self.tr("当前密码不正确")

        def write() -> None:
            with store.session() as session:
                if own:
                    try:
                        auth.sign_in(session, actor.username, current)
                    except UserError:
                        raise UserError(wrong, "the current password is wrong") from None
                auth.set_password(session, actor, username=username, password=password)

        return write

    def done_writing(self, result: object) -> None:
        if self.own and self.on_own_change is not None:
            self.on_own_change(self.passwords.password())


def open_dialog(dialog: QDialog, on_accepted: Callable[[], None]) -> QDialog:
    """Show ``dialog`` window-modal without blocking; ``on_accepted`` runs after OK succeeded."""
    dialog.accepted.connect(on_accepted)
    dialog.open()
    return dialog
