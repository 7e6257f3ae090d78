"""The wizard page after a new (non-province) office is created: write the certificate request file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWizard

from sanlian_desktop.kernel.codes import evaluator_province
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Region
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.office import office_name_for
from sanlian_desktop.ui.firstrun.steps import WizardStep
from sanlian_desktop.ui.jobs import JobFailure, JobHandle
from sanlian_desktop.ui.settings.certjobs import request_file_name, request_job
from sanlian_desktop.ui.sync.folderpick import FolderChooser, open_folder
from sanlian_desktop.ui.widgets import InlineError

if TYPE_CHECKING:
    from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard


class CertificateRequestPage(WizardStep):
    """Shown once the office exists; only for an office that has no certificate (not the province)."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.setTitle(self.tr("申请证书"))
        self.handle: JobHandle | None = None
        self.written: Path | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self._wrapped(self.tr("第一步：把证书申请文件保存到 U 盘或其他文件夹。")))
        row = QHBoxLayout()
        self.destination = FolderChooser(wizard.settings, self)
        self.write_button = QPushButton(self.tr("生成证书申请文件"), self)
        self.write_button.clicked.connect(self.write_request)
        row.addWidget(self.destination, 1)
        row.addWidget(self.write_button)
        layout.addLayout(row)
        self.saved = self._wrapped("")
        self.saved.hide()
        layout.addWidget(self.saved)
        self.open_button = QPushButton(self.tr("打开所在文件夹"), self)
        self.open_button.hide()
        self.open_button.clicked.connect(self.open_destination)
        open_row = QHBoxLayout()
        open_row.addWidget(self.open_button)
        open_row.addStretch(1)
        layout.addLayout(open_row)
        self.error = InlineError(self)
        layout.addWidget(self.error)
        layout.addSpacing(12)
        self.steps = self._wrapped("")
        layout.addWidget(self.steps)
        layout.addStretch(1)

    def _wrapped(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        return label

    def wanted(self) -> bool:
        """Only an office without a certificate asks for one (the province holds the root)."""
        store = self.owner().store
        if store is None or self.owner().is_demo:
            return False
        with store.read_session() as s:
            return trust.own_certificate(s) is None

    def initializePage(self) -> None:
        # The office exists now: cancelling would only close the program without signing in.
        self.owner().setOption(QWizard.WizardOption.NoCancelButton, True)
        actor = self.owner().actor
        parent_name = self.tr("上级单位")
        store = self.owner().store
        if actor is not None and store is not None and actor.office_level is Level.EVALUATOR:
            with store.read_session() as s:
                province = s.get(Region, evaluator_province(actor.office_code))
                name = office_name_for(province) if province is not None else self.tr("省民政厅")
            self._evaluator_steps(name)
            return
        self.setSubTitle(self.tr("本单位需要直接上级单位签发的证书，才能与上级、下级交换同步包。"))
        if actor is not None and store is not None:
            with store.read_session() as s:
                chain = regions.ancestors(s, actor.office_code)
            if len(chain) >= 2:
                parent_name = self.tr("上级单位（{0}）").format(chain[-2].name)
        self.steps.setText(self.tr(
            "接下来：\n"
            "1. 把证书申请文件用 U 盘或电子邮件交给{0}的管理员；\n"
            "2. 上级单位在“设置 → 证书 → 为下级单位签发证书…”中签发，把得到的证书文件交回本单位；\n"
            "3. 在本程序“设置 → 证书 → 安装上级签发的证书…”中选择这个证书文件。\n\n"
            "安装证书之后才能收发同步包。现在也可以跳过这一步，以后在“设置 → 证书 → 生成证书申请…”中生成。"
        ).format(parent_name))

    def _evaluator_steps(self, province: str) -> None:
        """A third-party evaluator is certified by the province only, and exchanges packages with it only."""
        self.setSubTitle(self.tr("第三方评估机构需要{0}签发的证书，才能与省民政厅交换同步包。").format(province))
        self.steps.setText(self.tr(
            "接下来：\n"
            "1. 把证书申请文件用 U 盘或电子邮件交给{0}的管理员（评估机构的证书只能由省民政厅签发）；\n"
            "2. 省民政厅核对机构名称和代码后，在“设置 → 证书 → 为下级单位签发证书…”中签发，"
            "把得到的证书文件交回本机构；\n"
            "3. 在本程序“设置 → 证书 → 安装上级签发的证书…”中选择这个证书文件。\n\n"
            "安装证书之后才能与省民政厅收发同步包。现在也可以跳过这一步，以后在“设置 → 证书 → 生成证书申请…”中生成。"
        ).format(province))

    def write_request(self) -> JobHandle | None:
        """Write the request file in the background (unsealing the new keys takes a moment)."""
        wizard = self.owner()
        folder = self.destination.folder()
        if folder is None or wizard.store is None or wizard.actor is None or self.handle is not None:
            return None
        out = folder / request_file_name(wizard.actor.office_name, wizard.actor.office_code)
        self.error.clear_message()
        self.write_button.setEnabled(False)
        self.handle = wizard.jobs.submit(request_job(wizard.store, wizard.actor, out), parent=self,
                                         on_success=self._written, on_failure=self._failed,
                                         on_finished=self._finished)
        return self.handle

    def _written(self, out: Path) -> None:
        self.written = out
        self.destination.remember()
        self.saved.setText(self.tr("已保存证书申请文件：{0}").format(out))
        self.saved.show()
        self.open_button.show()

    def _failed(self, failure: JobFailure) -> None:
        self.error.show_message(failure.message())

    def _finished(self) -> None:
        self.handle = None
        self.write_button.setEnabled(True)

    def open_destination(self) -> None:
        if self.written is not None:
            open_folder(self.written.parent)

    def nextId(self) -> int:
        wizard = self.owner()
        own_id = next(pid for pid in wizard.pageIds() if wizard.page(pid) is self)
        return wizard.next_after(own_id)
