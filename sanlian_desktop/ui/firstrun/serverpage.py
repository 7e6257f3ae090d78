"""The wizard's pages for an office whose data are on a PostgreSQL server (本单位有数据库服务器): the
server's address and password with a 测试连接 button, then either the usual level, region and admin pages
(the first computer creates the office on the server) or signing in as one of the office's users (every
other computer joins it).

The server's password goes where the command line keeps it (``store.server.use_password``: this process
only); the home folder records the address without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.offices import auth
from sanlian_desktop.offices.office import join_office
from sanlian_desktop.store import server
from sanlian_desktop.ui.firstrun.steps import WizardStep, wrapped
from sanlian_desktop.ui.jobs import JobFailure, show_failure
from sanlian_desktop.ui.widgets import InlineError

if TYPE_CHECKING:
    from sanlian_desktop.offices.auth import Actor
    from sanlian_desktop.store.engine import Store

OK_STYLE = "color: #1b6e20;"


class ServerPage(WizardStep):
    """The server's address, the database user's password, and whether this computer creates the office
    there or joins it. Moving on tests the connection first (as the 测试连接 button does)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("本单位的数据库服务器"))
        self.setSubTitle(self.tr("本单位多人共用的数据保存在 PostgreSQL 服务器上。请填写服务器管理员提供的连接信息。"))
        layout = QVBoxLayout(self)
        self.problem = InlineError(self)
        layout.addWidget(self.problem)
        self.form = form = QFormLayout()
        self.host_edit = QLineEdit(self)
        self.host_edit.setPlaceholderText(self.tr("计算机名或 IP 地址，如 192.168.1.10"))
        self.port_edit = QLineEdit(str(server.DEFAULT_PORT), self)
        self.port_edit.setValidator(QIntValidator(1, 65535, self.port_edit))
        self.port_edit.setMaximumWidth(90)
        self.database_edit = QLineEdit("sanlian", self)
        self.user_edit = QLineEdit(self)
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText(self.tr("服务器不要求密码时留空"))
        form.addRow(self.tr("服务器地址："), self.host_edit)
        form.addRow(self.tr("端口："), self.port_edit)
        form.addRow(self.tr("数据库名："), self.database_edit)
        form.addRow(self.tr("用户名："), self.user_edit)
        form.addRow(self.tr("密码："), self.password_edit)
        layout.addLayout(form)
        note = wrapped(self.tr("数据库密码只在程序运行期间使用，不保存在这台电脑上；以后每次启动时输入。"), self)
        note.setStyleSheet("color: #555;")
        layout.addWidget(note)
        row = QHBoxLayout()
        self.test_button = QPushButton(self.tr("测试连接"), self)
        self.test_button.clicked.connect(self.test_connection)
        row.addWidget(self.test_button)
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setStyleSheet(OK_STYLE)
        row.addWidget(self.result, 1)
        layout.addLayout(row)
        self.error = InlineError(self)
        layout.addWidget(self.error)
        layout.addSpacing(8)
        self.mode = QButtonGroup(self)
        self.create_choice = QRadioButton(self.tr("在服务器上创建本单位（本单位的第一台电脑）"), self)
        self.join_choice = QRadioButton(self.tr("加入服务器上已有的本单位（本单位的其他电脑，用已有的用户登录）"), self)
        self.mode.addButton(self.create_choice)
        self.mode.addButton(self.join_choice)
        self.create_choice.setChecked(True)
        layout.addWidget(self.create_choice)
        layout.addWidget(self.join_choice)
        layout.addStretch(1)
        for edit in (self.host_edit, self.port_edit, self.database_edit, self.user_edit, self.password_edit):
            edit.textChanged.connect(self._edited)
        self.mode.buttonToggled.connect(self.error.clear_message)
        self.probe: server.Probe | None = None  # what the last successful test found, for this address
        self._tested: tuple[str, str] | None = None  # (url, password) the probe belongs to
        self._advance = False  # a test started by 下一步 moves on when it succeeds
        driver = server.driver_problem()
        if driver is not None:
            self.problem.show_message(driver)
            for widget in (*self._edits(), self.test_button, self.create_choice, self.join_choice):
                widget.setEnabled(False)

    def _edits(self) -> tuple[QLineEdit, ...]:
        return (self.host_edit, self.port_edit, self.database_edit, self.user_edit, self.password_edit)

    def _edited(self) -> None:
        self.probe, self._tested = None, None
        self.result.clear()
        self.error.clear_message()
        self.completeChanged.emit()

    def address(self) -> server.ServerAddress:
        port = self.port_edit.text().strip()
        return server.ServerAddress(host=self.host_edit.text(), port=int(port) if port else None,
                                    database=self.database_edit.text(), user=self.user_edit.text())

    def joining(self) -> bool:
        return self.join_choice.isChecked()

    def url(self) -> str | None:
        """The tested address (no password), or None before a test has succeeded."""
        return self.probe.url if self.probe is not None else None

    def isComplete(self) -> bool:
        return self.problem.isHidden() and all(e.text().strip() for e in self._edits()[:4])

    # -- testing ------------------------------------------------------------------------------------

    def test_connection(self) -> None:
        """Connect on the wizard's job runner with what the form says; the result shows beside the button."""
        self.result.clear()
        self.error.clear_message()
        try:
            url = self.address().url()
        except UserError as exc:
            self.error.show_message(exc.zh)
            self._advance = False
            return
        password = self.password_edit.text()
        server.use_password(password)
        home = self.owner().home
        wizard = self.owner()
        busy = [self, *(wizard.button(b) for b in (QWizard.WizardButton.NextButton, QWizard.WizardButton.BackButton))]
        started = wizard.jobs.write(self, self.tr("测试连接"), lambda: server.probe(home, url),
                                    on_success=lambda found: self._tested_ok(found, url, password),
                                    on_failure=self._test_failed, busy=busy)
        if started is None:
            self._advance = False

    def _tested_ok(self, found: server.Probe, url: str, password: str) -> None:
        self.probe, self._tested = found, (url, password)
        if found.office is None:
            self.result.setText(self.tr("连接成功：数据库是空的，可以在其中创建本单位。"))
            self.create_choice.setChecked(True)
        else:
            code, name = found.office
            self.result.setText(self.tr("连接成功：数据库中是{0}（{1}）的数据，这台电脑可以加入。").format(name, code))
            self.join_choice.setChecked(True)
        self.completeChanged.emit()
        if self._advance:
            self._advance = False
            self.owner().next()

    def _test_failed(self, failure: JobFailure) -> None:
        self._advance = False
        if failure.is_user_error:
            self.error.show_message(failure.message())
        else:
            show_failure(self, failure)

    def mismatch(self) -> str:
        """Why the chosen way does not fit what the database holds, or an empty string."""
        if self.probe is None:
            return ""
        if self.joining() and self.probe.office is None:
            return self.tr("该数据库中还没有本单位的数据：请先在本单位的第一台电脑上选择“在服务器上创建本单位”。")
        if not self.joining() and self.probe.office is not None:
            code, name = self.probe.office
            return self.tr("该数据库中已有{0}（{1}）的数据，不能再创建：这台电脑请选择“加入服务器上已有的本单位”。"
                           ).format(name, code)
        return ""

    def validatePage(self) -> bool:
        """Moving on needs a successful test of the address as it stands; one is started if needed."""
        current = self._tested == (self._url_or_none(), self.password_edit.text())
        if self.probe is None or not current:
            self._advance = True
            self.test_connection()
            return False
        server.use_password(self.password_edit.text())
        problem = self.mismatch()
        if problem:
            self.error.show_message(problem)
            return False
        return True

    def _url_or_none(self) -> str | None:
        try:
            return self.address().url()
        except UserError:
            return None

    def nextId(self) -> int:
        from sanlian_desktop.ui.firstrun.wizard import PageId

        return PageId.JOIN if self.joining() else PageId.LEVEL


class JoinPage(WizardStep):
    """This computer joins the office on the server: signing in as one of its users (the admin adds
    them in 设置), with the same user names and passwords as on every other computer of the office."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("加入本单位"))
        self.setSubTitle(self.tr("用本单位已有的用户名和密码登录（与本单位其他电脑上相同，由管理员在“设置”中添加）。"))
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, self.tr("加入并登录"))
        layout = QVBoxLayout(self)
        self.form = form = QFormLayout()
        self.office_label = QLabel(self)
        self.office_label.setWordWrap(True)
        self.server_label = QLabel(self)
        self.server_label.setWordWrap(True)
        self.username = QLineEdit(self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(self.tr("单位："), self.office_label)
        form.addRow(self.tr("数据库服务器："), self.server_label)
        form.addRow(self.tr("用户名："), self.username)
        form.addRow(self.tr("密码："), self.password)
        layout.addLayout(form)
        self.error = InlineError(self)
        layout.addWidget(self.error)
        layout.addStretch(1)
        for edit in (self.username, self.password):
            edit.textChanged.connect(self.completeChanged)
            edit.textChanged.connect(self.error.clear_message)
        self._joined = False

    def initializePage(self) -> None:
        page = self.owner().server_page
        if page.probe is not None and page.probe.office is not None:
            code, name = page.probe.office
            self.office_label.setText(f"{name}（{code}）")
            self.server_label.setText(server.ServerAddress.from_url(page.probe.url).label())
        self.error.clear_message()
        self.username.setFocus()

    def isComplete(self) -> bool:
        return bool(self.username.text().strip() and self.password.text())

    def validatePage(self) -> bool:
        """Join and sign in on the wizard's job runner; a refused sign-in leaves the home as it was."""
        if self._joined:
            return True
        wizard = self.owner()
        url = wizard.server_page.url()
        if url is None:
            self.error.show_message(self.tr("请返回上一步，先测试与服务器的连接"))
            return False
        home, username, password = wizard.home, self.username.text().strip(), self.password.text()

        def join() -> tuple[Store, Actor]:
            store = join_office(home, url)
            try:
                with store.session() as session:
                    return store, auth.sign_in(session, username, password)
            except BaseException:
                store.close()
                AppPaths(home).server_settings.unlink(missing_ok=True)
                raise

        self.commit_write(self.tr("加入本单位"), join, self._joined_ok, self.error)
        return False

    def _joined_ok(self, result: tuple[Store, Actor]) -> None:
        store, actor = result
        wizard = self.owner()
        wizard.set_result(store, actor, demo=False)
        wizard.joined = True
        self._joined = True
        wizard.next()

    def joining(self) -> bool:
        """Whether the join is running right now (the wizard is not to be cancelled meanwhile)."""
        return self.owner().jobs.writing(self)

    def nextId(self) -> int:
        """Straight to the end: the office that was joined has its keys and certificate (or its admin asks
        for one in 设置 → 证书); the pages after creating an office are not for a joining user."""
        from sanlian_desktop.ui.firstrun.wizard import PageId

        return PageId.DONE
