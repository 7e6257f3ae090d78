"""Add and edit dialogs for the registries. Each OK runs the registry service; a refusal keeps the
dialog open with the sentence beside the field it is about."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import CERTIFICATE_LEVELS
from sanlian_desktop.models import AreaFacts, CommunityFacts, Region
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.registries import service as registries
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.jobs import JobFailure, JobRunner, WriteDialog, show_failure
from sanlian_desktop.ui.widgets import InlineError


def _field_message(exc: UserError) -> str:
    """The refusal without its leading "字段：" (the field's own label stands beside it)."""
    label, sep, rest = exc.zh.partition("：")
    return rest if sep and rest and len(label) <= 24 else exc.zh


class RecordDialog(WriteDialog):
    """A form of labelled fields, each with a red line for its own refusal, and one for the rest."""

    def __init__(self, store: Store, actor: Actor, parent: QWidget | None, *, jobs: JobRunner) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(480)
        self.store = store
        self.actor = actor
        self.jobs = jobs
        self.saved: Any = None
        self.form = QFormLayout()
        self.field_errors: dict[str, InlineError] = {}
        self.error = InlineError(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)


    def add_field(self, field: str, label: str, widget: QWidget, *also: str) -> None:
        """A row with ``widget`` and, under it, the place for refusals of ``field`` (and ``also``)."""
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = InlineError(box)
        column.addWidget(error)
        self.form.addRow(label, box)
        for name in (field, *also):
            self.field_errors[name] = error

    def clear_errors(self) -> None:
        self.error.clear_message()
        for error in set(self.field_errors.values()):
            error.clear_message()

    def show_refusal(self, exc: UserError) -> None:
        """Beside the field the refusal names, or under the form."""
        target = self.field_errors.get(getattr(exc, "field", ""))
        if target is None:
            self.error.show_message(exc.zh)
        else:
            target.show_message(_field_message(exc))

    def writer(self) -> Callable[[], Any]:
        """The service call in one unit of work, with the fields read now (on the GUI thread); it returns
        what was saved. Raises UserError for a field that cannot be read."""
        raise NotImplementedError

    def apply(self) -> bool:
        """Save on the job runner; True when the write was started. The dialog closes when it is done."""
        self.clear_errors()
        try:
            write = self.writer()
        except UserError as exc:
            self.show_refusal(exc)
            return False
        return self.jobs.write(self, self.windowTitle(), write, on_success=self._saved, on_failure=self._refused,
                               busy=[self.buttons]) is not None

    def _saved(self, saved: Any) -> None:
        self.saved = saved
        self.accept()

    def _refused(self, failure: JobFailure) -> None:
        if isinstance(failure.error, UserError):
            self.show_refusal(failure.error)
        else:
            show_failure(self, failure)


def community_box(parent: QWidget, communities: list[tuple[str, str]], current: str | None) -> QComboBox:
    """The communities of the jurisdiction to choose from; type a name or code to find one."""
    box = QComboBox(parent)
    box.setEditable(True)
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    for code, name in communities:
        box.addItem(f"{name}（{code}）", code)
    completer = box.completer()
    if completer is not None:
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    box.setCurrentIndex(max(0, box.findData(current)) if current else -1 if not communities else 0)
    return box


def chosen_community(box: QComboBox) -> str:
    """The chosen community's code; typed text that is a code counts too."""
    text = box.currentText().strip()
    index = box.findText(text)
    if index >= 0:
        return str(box.itemData(index))
    return text


class OrganisationDialog(RecordDialog):
    """登记或修改社区社会组织."""

    def __init__(self, store: Store, actor: Actor, communities: list[tuple[str, str]], *,
                 org_id: int | None = None, community: str | None = None, parent: QWidget | None = None,
                 jobs: JobRunner) -> None:
        super().__init__(store, actor, parent, jobs=jobs)
        self.org_id = org_id
        self.setWindowTitle(self.tr("修改社区社会组织") if org_id else self.tr("登记社区社会组织"))
        current: dict[str, Any] = {}
        if org_id is not None:
            with store.read_session() as s:
                org = registries.find_organisation(s, org_id)
                current = {k: getattr(org, k) for k in ("name", "kind", "community_code", "credit_code",
                                                         "record_number", "has_social_workers", "hosts_agency")}
        self.community = community_box(self, communities, current.get("community_code", community))
        self.name = QLineEdit(current.get("name", ""), self)
        self.kind = QComboBox(self)
        self.kind.addItems(registries.ORGANISATION_KINDS)
        if current.get("kind"):
            self.kind.setCurrentText(current["kind"])
        self.credit_code = QLineEdit(current.get("credit_code") or "", self)
        self.credit_code.setPlaceholderText(self.tr("已登记的组织：18位统一社会信用代码"))
        self.record_number = QLineEdit(current.get("record_number") or "", self)
        self.record_number.setPlaceholderText(self.tr("备案的组织：备案编号"))
        self.social_workers = QCheckBox(self.tr("有专兼职专业社工"), self)
        self.social_workers.setChecked(bool(current.get("has_social_workers")))
        self.agency = QCheckBox(self.tr("接纳民办社工机构开展服务"), self)
        self.agency.setChecked(bool(current.get("hosts_agency")))
        self.add_field("community_code", self.tr("所属社区："), self.community)
        self.add_field("name", self.tr("组织名称："), self.name)
        self.add_field("kind", self.tr("组织类别："), self.kind)
        self.add_field("credit_code", self.tr("统一社会信用代码："), self.credit_code)
        self.add_field("record_number", self.tr("备案编号："), self.record_number)
        self.add_field("has_social_workers", "", self.social_workers, "hosts_agency")
        self.form.addRow("", self.agency)

    def writer(self) -> Callable[[], Any]:
        values: dict[str, Any] = {"name": self.name.text(), "kind": self.kind.currentText(),
                  "community_code": chosen_community(self.community),
                  "credit_code": self.credit_code.text() or None, "record_number": self.record_number.text() or None,
                  "has_social_workers": self.social_workers.isChecked(), "hosts_agency": self.agency.isChecked()}
        store, actor, org_id = self.store, self.actor, self.org_id

        def write() -> int:
            with store.session() as s:
                if org_id is None:
                    return registries.add_organisation(s, actor, **values).id
                return registries.update_organisation(s, actor, org_id, **values).id

        return write


class WorkerDialog(RecordDialog):
    """登记或修改社会工作者."""

    def __init__(self, store: Store, actor: Actor, communities: list[tuple[str, str]], *,
                 worker_id: int | None = None, community: str | None = None, parent: QWidget | None = None,
                 jobs: JobRunner) -> None:
        super().__init__(store, actor, parent, jobs=jobs)
        self.worker_id = worker_id
        self.setWindowTitle(self.tr("修改社会工作者") if worker_id else self.tr("登记社会工作者"))
        current: dict[str, Any] = {}
        if worker_id is not None:
            with store.read_session() as s:
                w = registries.find_worker(s, worker_id)
                current = {k: getattr(w, k) for k in ("name", "community_code", "certificate_level",
                                                       "certificate_number", "employer")}
        self.community = community_box(self, communities, current.get("community_code", community))
        self.name = QLineEdit(current.get("name", ""), self)
        self.level = QComboBox(self)
        self.level.addItem(self.tr("无证书"), None)
        for level in CERTIFICATE_LEVELS:
            self.level.addItem(level, level)
        self.level.setCurrentIndex(max(0, self.level.findData(current.get("certificate_level"))))
        self.number = QLineEdit(current.get("certificate_number", ""), self)
        self.number.setPlaceholderText(self.tr("持证社工必填"))
        self.employer = QLineEdit(current.get("employer", ""), self)
        self.add_field("community_code", self.tr("所属社区："), self.community)
        self.add_field("name", self.tr("姓名："), self.name)
        self.add_field("certificate_level", self.tr("证书等级："), self.level)
        self.add_field("certificate_number", self.tr("证书编号："), self.number)
        self.add_field("employer", self.tr("工作单位："), self.employer)

    def writer(self) -> Callable[[], Any]:
        values: dict[str, Any] = {"name": self.name.text(), "community_code": chosen_community(self.community),
                  "certificate_level": self.level.currentData(), "certificate_number": self.number.text(),
                  "employer": self.employer.text()}
        store, actor, worker_id = self.store, self.actor, self.worker_id

        def write() -> int:
            with store.session() as s:
                if worker_id is None:
                    return registries.add_worker(s, actor, **values).id
                return registries.update_worker(s, actor, worker_id, **values).id

        return write


def _tristate(parent: QWidget, value: bool | None, yes: str, no: str) -> QComboBox:
    """未登记 / 是 / 否; choosing 未登记 for a recorded fact sets it back to unrecorded."""
    box = QComboBox(parent)
    box.addItem(parent.tr("未登记"), None)
    box.addItem(yes, True)
    box.addItem(no, False)
    box.setCurrentIndex(box.findData(value) if value is not None else 0)
    return box


class CommunityFactsDialog(RecordDialog):
    """社区情况: 社会工作室, 联合会, registered volunteers, election method."""

    def __init__(self, store: Store, actor: Actor, community_code: str, parent: QWidget | None = None, *,
                 jobs: JobRunner) -> None:
        super().__init__(store, actor, parent, jobs=jobs)
        self.code = community_code
        with store.read_session() as s:
            region = s.get(Region, community_code)
            facts = s.get(CommunityFacts, community_code)
            name = region.name if region else community_code
            rural = bool(region and region.rural)
            population = region.population if region else None
        self.setWindowTitle(self.tr("社区情况：{0}").format(name))
        self.form.addRow(self.tr("社区："), QLabel(f"{name}（{community_code}）" + (
            self.tr("，居民 {0} 人").format(population) if population is not None else self.tr("，居民人数未登记")), self))
        self.workroom = _tristate(self, facts.has_workroom if facts else None, self.tr("设有"), self.tr("未设"))
        self.federation = _tristate(self, facts.in_federation if facts else None, self.tr("已加入"), self.tr("未加入"))
        self.federation.setEnabled(not rural)
        if rural:
            self.federation.setToolTip(self.tr("联合会目标只针对城市社区"))
        volunteers = facts.registered_volunteers if facts else None
        self.volunteers = QLineEdit("" if volunteers is None else str(volunteers), self)
        self.volunteers.setPlaceholderText(self.tr("人数；未统计的留空（未登记）"))
        self.election = QComboBox(self)
        election = facts.election if facts else None
        self.election.addItem(self.tr("未登记"), None)
        for key, label in registries.ELECTION_METHODS.items():
            self.election.addItem(label, key)
        self.election.setCurrentIndex(max(0, self.election.findData(election)))
        self.add_field("has_workroom", self.tr("社会工作室："), self.workroom)
        self.add_field("in_federation", self.tr("社区社会组织联合会："), self.federation)
        self.add_field("registered_volunteers", self.tr("注册志愿者人数："), self.volunteers)
        self.add_field("election", self.tr("居委会选举方式："), self.election)

    def writer(self) -> Callable[[], Any]:
        text = self.volunteers.text().strip()
        if text and not text.isdigit():
            raise registries.RegistryError("registered_volunteers", self.tr("注册志愿者人数：应为非负整数"))
        values: dict[str, Any] = {"has_workroom": self.workroom.currentData(),
                                  "registered_volunteers": int(text) if text else None,
                                  "election": self.election.currentData()}
        if self.federation.isEnabled():  # a village's is kept as it is: the target is for urban communities
            values["in_federation"] = self.federation.currentData()
        store, actor, code = self.store, self.actor, self.code

        def write() -> str:
            with store.session() as s:
                registries.set_community_facts(s, actor, code, **values,
                                               clear=[k for k, v in values.items() if v is None])
            return code

        return write


class AreaDialog(RecordDialog):
    """试点地区: whether the county-level region is a pilot area and has a 社会工作协会."""

    def __init__(self, store: Store, actor: Actor, region_code: str, parent: QWidget | None = None, *,
                 jobs: JobRunner) -> None:
        super().__init__(store, actor, parent, jobs=jobs)
        self.code = region_code
        with store.read_session() as s:
            region = s.get(Region, region_code)
            facts = s.get(AreaFacts, region_code)
            name = region.name if region else region_code
        self.setWindowTitle(self.tr("试点地区：{0}").format(name))
        self.form.addRow(self.tr("区划："), QLabel(f"{name}（{region_code}）", self))
        self.pilot = QCheckBox(self.tr("是试点地区（计入“试点地区建立社会工作协会”目标）"), self)
        self.pilot.setChecked(facts is None or facts.pilot)
        self.association = _tristate(self, facts.has_association if facts else None, self.tr("已建立"),
                                     self.tr("未建立"))
        self.add_field("pilot", self.tr("试点："), self.pilot, "region_code")
        self.add_field("has_association", self.tr("社会工作协会："), self.association)

    def writer(self) -> Callable[[], Any]:
        store, actor, code = self.store, self.actor, self.code
        pilot, association = self.pilot.isChecked(), self.association.currentData()

        def write() -> str:
            with store.session() as s:
                registries.set_area_facts(s, actor, code, pilot=pilot, has_association=association,
                                          clear=("has_association",) if association is None else ())
            return code

        return write
