"""设置 → 证书: this office's certificate; request, install; certify and revoke child offices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.sync.trust import tokens
from sanlian_desktop.sync.trust.certs import Cert, show_date
from sanlian_desktop.sync.trust.custody import SOFTWARE
from sanlian_desktop.sync.trust.suite import suite_by_short, suite_choices, suite_label
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import confirm, inform, warn
from sanlian_desktop.ui.files import open_file, save_file
from sanlian_desktop.ui.jobs import FunctionJob, JobFailure, JobHandle, WriteDialog, show_failure
from sanlian_desktop.ui.settings.certjobs import (
    CERT_SUFFIX,
    REQUEST_SUFFIX,
    CertificateFacts,
    ChildCertificate,
    cert_file_name,
    certify_job,
    install_job,
    load_facts,
    request_file_name,
    request_job,
)
from sanlian_desktop.ui.sync.drives import SYNC_KIND, destinations
from sanlian_desktop.ui.widgets import InlineError


def _day(cert: Cert) -> str:
    return cert.not_after.astimezone().strftime("%Y-%m-%d")


class CertificatesTab(QWidget):
    """Everything runs through ``trust``; a refusal is shown as the service's sentence."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.is_admin = ctx.actor.role is Role.ADMIN
        self.handle: JobHandle | None = None
        self.dialog: QDialog | None = None
        self.facts = CertificateFacts(None, "", [])
        layout = QVBoxLayout(self)

        own_box = QGroupBox(self.tr("本单位证书"), self)
        form = QFormLayout(own_box)
        self.state = QLabel(own_box)
        self.valid = QLabel(own_box)
        self.issuer = QLabel(own_box)
        self.serial = QLabel(own_box)
        self.serial.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_place = QLabel(own_box)
        self.token_button = QPushButton(self.tr("移入硬件令牌…"), own_box)
        self.token_button.clicked.connect(self.move_to_token)
        place_row = QHBoxLayout()
        place_row.addWidget(self.key_place)
        place_row.addWidget(self.token_button)
        place_row.addStretch(1)
        form.addRow(self.tr("状态："), self.state)
        form.addRow(self.tr("有效期："), self.valid)
        form.addRow(self.tr("签发单位："), self.issuer)
        form.addRow(self.tr("证书编号："), self.serial)
        form.addRow(self.tr("密钥保存位置："), place_row)
        self.suite = QLabel(own_box)
        self.suite.setWordWrap(True)
        self.migrate_button = QPushButton(self.tr("更换算法套件…"), own_box)
        self.migrate_button.clicked.connect(self.migrate)
        suite_row = QHBoxLayout()
        suite_row.addWidget(self.suite, 1)
        suite_row.addWidget(self.migrate_button)
        form.addRow(self.tr("算法套件："), suite_row)
        own_buttons = QHBoxLayout()
        self.request_button = QPushButton(self.tr("生成证书申请…"), own_box)
        self.install_button = QPushButton(self.tr("安装上级签发的证书…"), own_box)
        self.request_button.clicked.connect(self.write_request)
        self.install_button.clicked.connect(self.install)
        own_buttons.addWidget(self.request_button)
        own_buttons.addWidget(self.install_button)
        own_buttons.addStretch(1)
        form.addRow(own_buttons)
        self.how = QLabel(self.tr(
            "办理步骤：① 生成证书申请，用 U 盘或电子邮件交给直接上级单位；② 上级单位管理员签发后，把证书文件交回；"
            "③ 点击“安装上级签发的证书…”选择该文件。安装证书后才能收发同步包。"), own_box)
        self.how.setWordWrap(True)
        form.addRow(self.how)
        layout.addWidget(own_box)

        self.children_box = QGroupBox(self.tr("下级单位的证书"), self)
        children_layout = QVBoxLayout(self.children_box)
        self.child_table = QTableWidget(0, 4, self.children_box)
        self.child_table.setHorizontalHeaderLabels([self.tr("单位"), self.tr("区划代码"), self.tr("有效期至"),
                                                 self.tr("状态")])
        self.child_table.verticalHeader().hide()
        self.child_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.child_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.child_table.horizontalHeader()
        for col, width in ((1, 140), (2, 110), (3, 150)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        children_layout.addWidget(self.child_table)
        child_buttons = QHBoxLayout()
        self.certify_button = QPushButton(self.tr("为下级单位签发证书…"), self.children_box)
        self.revoke_button = QPushButton(self.tr("吊销下级证书…"), self.children_box)
        self.certify_button.clicked.connect(self.certify)
        self.revoke_button.clicked.connect(self.revoke)
        child_buttons.addWidget(self.certify_button)
        child_buttons.addWidget(self.revoke_button)
        child_buttons.addStretch(1)
        children_layout.addLayout(child_buttons)
        layout.addWidget(self.children_box, 1)
        self.note = QLabel(self.tr("证书的申请、安装、签发和吊销需要本单位管理员操作。"), self)
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        layout.addStretch(0)
        # A community office has no child offices to certify.
        self.children_box.setVisible(ctx.actor.office_level not in (Level.COMMUNITY, Level.EVALUATOR))
        for button in (self.request_button, self.install_button, self.certify_button, self.revoke_button):
            button.setVisible(self.is_admin)
        self.note.setVisible(not self.is_admin)
        self.refresh()

    # -- reading ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.facts = load_facts(self.ctx.store)
        own = self.facts.own
        if own is None:
            self.state.setText(self.tr("尚未安装"))
            self.valid.setText("—")
            self.issuer.setText("—")
            self.serial.setText("—")
        else:
            root = own.is_self_signed
            self.state.setText(self.tr("根证书（本单位自签）") if root else self.tr("已安装"))
            self.valid.setText(self.tr("{0} 至 {1}").format(own.not_before.astimezone().strftime("%Y-%m-%d"),
                                                           _day(own)))
            self.issuer.setText(self.tr("本单位") if root else f"{self.facts.issuer_name}（{own.issuer_code}）")
            self.serial.setText(own.serial)
        where = self.facts.key_location
        self.key_place.setText(where.label if where is not None else self.tr("尚未生成"))
        self.token_button.setVisible(self.is_admin and where is not None and where.kind == SOFTWARE)
        root_holder = own is not None and own.is_self_signed
        suite = suite_label(own.suite) if own is not None else "—"
        for record in self.facts.transitions:
            suite += self.tr("；正在改用“{0}”，原套件的过渡期至 {1} 结束").format(
                suite_label(record.new_root.suite), show_date(record.until))
        self.suite.setText(suite)
        self.migrate_button.setVisible(self.is_admin and root_holder and not self.facts.transitions)
        self.how.setVisible(not root_holder)
        for button in (self.request_button, self.install_button):
            button.setVisible(self.is_admin and not root_holder)
        self.child_table.setRowCount(len(self.facts.children))
        for row, child in enumerate(self.facts.children):
            until = child.not_after.astimezone().strftime("%Y-%m-%d") if child.not_after else "—"
            state = self.tr("已吊销") if child.revoked else (
                self.tr("有效，证书已安装") if child.installed else self.tr("有效，尚未确认安装"))
            for col, text in enumerate((child.name, child.code, until, state)):
                self.child_table.setItem(row, col, QTableWidgetItem(text))
        self.revoke_button.setEnabled(any(not c.revoked for c in self.facts.children))

    # -- helpers ----------------------------------------------------------------------------------

    def _start_folder(self) -> Path:
        return destinations(self.ctx.settings)[0].path

    def _run(self, job: FunctionJob, done: Callable[[Any], None]) -> JobHandle:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)

        def succeeded(result: Any) -> None:
            if shiboken6.isValid(self):  # the page may have been rebuilt for another user meanwhile
                done(result)

        def finished() -> None:
            QGuiApplication.restoreOverrideCursor()
            if shiboken6.isValid(self):
                self.handle = None

        self.handle = self.ctx.jobs.submit(job, parent=self, on_success=succeeded, on_finished=finished)
        return self.handle

    # -- this office ------------------------------------------------------------------------------

    def write_request(self) -> JobHandle | None:
        """生成证书申请…: save the request file where the admin chooses (a USB stick first)."""
        actor = self.ctx.actor
        start = self._start_folder() / request_file_name(actor.office_name, actor.office_code)
        path = save_file(self, self.ctx.settings, self.tr("保存证书申请"), start.name,
                         self.tr("证书申请文件 (*{0})").format(REQUEST_SUFFIX), kind=SYNC_KIND, folder=start.parent)
        if path is None:
            return None

        def done(out: Path) -> None:
            inform(self, self.tr("已生成证书申请文件：\n{0}\n\n请用 U 盘或电子邮件把它交给直接上级单位的管理员。"
                                 "上级签发后会交回一个证书文件，届时在这里点击“安装上级签发的证书…”。").format(out))
            self.refresh()

        return self._run(request_job(self.ctx.store, actor, Path(path)), done)

    def install(self) -> JobHandle | None:
        """安装上级签发的证书…"""
        path = open_file(self, self.ctx.settings, self.tr("选择上级单位签发的证书文件"),
                         self.tr("证书文件 (*{0});;所有文件 (*)").format(CERT_SUFFIX), kind=SYNC_KIND,
                         start=self._start_folder())
        if path is None:
            return None

        def done(cert: Cert) -> None:
            inform(self, self.tr("已安装本单位证书（有效期至 {0}），可以收发同步包了。").format(_day(cert)))
            self.refresh()

        return self._run(install_job(self.ctx.store, self.ctx.actor, Path(path)), done)

    # -- child offices ----------------------------------------------------------------------------

    def certify(self) -> JobHandle | None:
        """为下级单位签发证书…: a request file, a check of who asks, then where to save the certificate."""
        request = open_file(self, self.ctx.settings, self.tr("选择下级单位的证书申请文件"),
                            self.tr("证书申请文件 (*{0});;所有文件 (*)").format(REQUEST_SUFFIX), kind=SYNC_KIND,
                            start=self._start_folder())
        if request is None:
            return None
        try:
            office = trust.read_request(Path(request))
        except UserError as exc:
            warn(self, exc.zh)
            return None
        if not confirm(self, self.tr("为 {0} 签发证书（有效期三年）？\n请先与对方核实这份申请确实来自该单位。")
                       .format(office.label())):
            return None
        start = Path(request).parent / cert_file_name(office.name, office.code)
        out = save_file(self, self.ctx.settings, self.tr("保存证书文件"), start.name,
                        self.tr("证书文件 (*{0})").format(CERT_SUFFIX), kind=SYNC_KIND, folder=start.parent)
        if out is None:
            return None

        def done(certified: trust.Certified) -> None:
            inform(self, self.tr("已为 {0} 签发证书（有效期至 {1}）：\n{2}\n\n请把证书文件交给该单位，"
                                 "由其管理员在“设置 → 证书”中安装。").format(
                certified.office.label(), _day(certified.cert), certified.out))
            self.refresh()

        return self._run(certify_job(self.ctx.store, self.ctx.actor, Path(request), Path(out)), done)

    def move_to_token(self) -> QDialog:
        """移入硬件令牌…: the token's label and PIN; the keys move into it."""
        dialog = TokenDialog(self.ctx, self)
        dialog.accepted.connect(self.refresh)
        self.dialog = dialog
        dialog.open()
        return dialog

    def migrate(self) -> QDialog:
        """更换算法套件… (the province): the new suite and the last day of the transition."""
        own = self.facts.own
        dialog = MigrateSuiteDialog(self.ctx, own.suite if own is not None else "", self)
        dialog.accepted.connect(self.refresh)
        self.dialog = dialog
        dialog.open()
        return dialog

    def revoke(self) -> QDialog:
        """吊销下级证书…: choose the child and give the reason."""
        dialog = RevokeDialog(self.ctx, [c for c in self.facts.children if not c.revoked], self)
        dialog.accepted.connect(self.refresh)
        self.dialog = dialog
        dialog.open()
        return dialog


class TokenDialog(WriteDialog):
    """A PKCS#11 token's label and PIN (and, if need be, its module); OK moves the office keys into it
    through ``trust.move_keys_to_token``. A refusal (token absent, wrong PIN, locked) is shown here and
    changes nothing."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("把本单位密钥移入硬件令牌"))
        self.setMinimumWidth(520)
        self.store = ctx.store
        self.actor = ctx.actor
        self.jobs = ctx.jobs
        layout = QVBoxLayout(self)
        explain = QLabel(self.tr(
            "本单位的签名密钥和加密密钥将导入硬件令牌（PKCS#11），此后只在令牌内使用，不能再导出；本机密钥库中不再保存其副本，"
            "证书不变。此后收发同步包、签发证书时须插入该令牌。令牌丢失或损坏只能重新生成密钥并申请证书，请妥善保管。"), self)
        explain.setWordWrap(True)
        layout.addWidget(explain)
        form = QFormLayout()
        self.token = QLineEdit(self)
        self.token.setPlaceholderText(self.tr("令牌的标签，如 城关区民政局"))
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.module = QLineEdit(self)
        self.module.setPlaceholderText(tokens.default_module() or self.tr("令牌驱动（PKCS#11 模块）的路径"))
        form.addRow(self.tr("令牌标签："), self.token)
        form.addRow(self.tr("PIN 码："), self.pin)
        form.addRow(self.tr("令牌驱动："), self.module)
        layout.addLayout(form)
        self.error = InlineError(self)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("移入令牌"))
        self.buttons.accepted.connect(self.move_keys)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)


    def move_keys(self) -> bool:
        """Move the keys on the job runner; True when the write was started."""
        token, pin, module = self.token.text().strip(), self.pin.text(), self.module.text().strip() or None
        if not token:
            self.error.show_message(self.tr("请填写硬件令牌的标签"))
            return False
        if not pin:
            self.error.show_message(self.tr("请输入硬件令牌的 PIN 码"))
            return False
        store, actor = self.store, self.actor

        def write() -> None:
            with store.session() as s:
                trust.move_keys_to_token(s, actor, token=token, pin=pin, module=module)

        self.error.clear_message()
        return self.jobs.write(self, self.tr("把本单位密钥移入硬件令牌"), write, on_success=lambda _r: self.accept(),
                               on_failure=self._refused, busy=[self.buttons]) is not None

    def _refused(self, failure: JobFailure) -> None:
        if failure.is_user_error:
            self.error.show_message(failure.message())
        else:
            show_failure(self, failure)


class MigrateSuiteDialog(WriteDialog):
    """The province moves its chain to another suite through ``trust.migrate_suite``: a new root, and the
    old root's statement naming it and the last day of the transition."""

    def __init__(self, ctx: UiContext, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("更换算法套件"))
        self.setMinimumWidth(560)
        self.store = ctx.store
        self.actor = ctx.actor
        self.jobs = ctx.jobs
        layout = QVBoxLayout(self)
        explain = QLabel(self.tr(
            "本省证书链将整体改用新的算法套件：程序生成新的根证书，并用现在的根证书签署更替声明，随证书文件和同步包"
            "逐级下发。各下级单位收到后重新生成证书申请（使用新套件的密钥），由已改用的上级签发、安装。过渡期内两种套件"
            "都有效；过渡期最后一天结束后，原套件的数据包、证书和签名一律不再采信。已有的数据保留并继续有效。"), self)
        explain.setWordWrap(True)
        layout.addWidget(explain)
        form = QFormLayout()
        self.suite = QComboBox(self)
        for short in suite_choices():
            chosen = suite_by_short(short)
            if chosen.name != current:
                self.suite.addItem(chosen.label, short)
        self.until = QDateEdit(QDate.currentDate().addDays(90), self)
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("yyyy-MM-dd")
        self.until.setMinimumDate(QDate.currentDate())
        form.addRow(self.tr("新的算法套件："), self.suite)
        form.addRow(self.tr("过渡期最后一天："), self.until)
        layout.addLayout(form)
        self.error = InlineError(self)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("更换"))
        self.buttons.accepted.connect(self.migrate)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)


    def migrate(self) -> bool:
        """Make the new root on the job runner; True when the write was started."""
        short = self.suite.currentData()
        if not short:
            self.error.show_message(self.tr("没有可改用的算法套件"))
            return False
        day = self.until.date()
        # The transition ends when its last day ends in Beijing.
        until = datetime(day.year(), day.month(), day.day(), tzinfo=timezone(timedelta(hours=8))) + timedelta(days=1)
        suite = suite_by_short(str(short))
        store, actor = self.store, self.actor

        def write() -> None:
            with store.session() as s:
                trust.migrate_suite(s, actor, suite, until.astimezone(UTC))

        self.error.clear_message()
        return self.jobs.write(self, self.tr("更换算法套件"), write, on_success=lambda _r: self.accept(),
                               on_failure=self._refused, busy=[self.buttons]) is not None

    def _refused(self, failure: JobFailure) -> None:
        if failure.is_user_error:
            self.error.show_message(failure.message())
        else:
            show_failure(self, failure)


class RevokeDialog(WriteDialog):
    """A child office and a reason; OK revokes through ``trust.revoke_child``."""

    def __init__(self, ctx: UiContext, children: list[ChildCertificate], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("吊销下级证书"))
        self.setMinimumWidth(480)
        self.store = ctx.store
        self.actor = ctx.actor
        self.jobs = ctx.jobs
        layout = QVBoxLayout(self)
        explain = QLabel(self.tr("吊销后，该单位用这份证书签名的新数据包一律拒收；吊销记录随同步包发给各相邻单位。"
                                 "该单位需重新申请证书。"), self)
        explain.setWordWrap(True)
        layout.addWidget(explain)
        form = QFormLayout()
        self.child = QComboBox(self)
        for c in children:
            self.child.addItem(f"{c.name}（{c.code}）", c.code)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(self.tr("例如：电脑丢失、密码泄露、单位撤并"))
        form.addRow(self.tr("下级单位："), self.child)
        form.addRow(self.tr("原因："), self.reason)
        layout.addLayout(form)
        self.error = InlineError(self)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("吊销"))
        self.buttons.accepted.connect(self.revoke)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)


    def revoke(self) -> bool:
        """Revoke on the job runner; True when the write was started. The dialog closes when it is done."""
        code = self.child.currentData()
        reason = self.reason.text().strip()
        if not code:
            self.error.show_message(self.tr("没有可吊销的下级单位证书"))
            return False
        if not reason:
            self.error.show_message(self.tr("请写明吊销原因"))
            return False
        store, actor = self.store, self.actor

        def write() -> None:
            with store.session() as s:
                trust.revoke_child(s, actor, str(code), reason)

        self.error.clear_message()
        return self.jobs.write(self, self.tr("吊销下级单位证书"), write, on_success=lambda _r: self.accept(),
                               on_failure=self._refused, busy=[self.buttons]) is not None

    def _refused(self, failure: JobFailure) -> None:
        if failure.is_user_error:
            self.error.show_message(failure.message())
        else:
            show_failure(self, failure)
