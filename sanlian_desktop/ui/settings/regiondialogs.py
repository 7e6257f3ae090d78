"""Adding a street or community the official data lacks, and renaming one: the checks are those of
``sanlian region add`` (``offices.regions.add_region_by`` / ``rename_region_by``); the write runs on the
UI's operation runner and a refusal stays in the dialog as its sentence."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.jobs import JobFailure, JobRunner
from sanlian_desktop.ui.widgets import InlineError

CODE_ROLE = Qt.ItemDataRole.UserRole + 1


class _RegionDialog(QDialog):
    """A form whose OK runs one write through the runner; a refusal keeps the dialog open with its sentence."""

    def __init__(self, store: Store, actor: Actor, jobs: JobRunner, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(480)
        self.store, self.actor, self.jobs = store, actor, jobs
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.error = InlineError(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.done_text = ""  # what the write did, for the page's status line

    def finish_layout(self) -> None:
        self.layout_.addWidget(self.error)
        self.layout_.addWidget(self.buttons)

    def check(self) -> str:
        """A sentence when the form cannot be sent yet."""
        return ""

    def title_of_write(self) -> str:
        raise NotImplementedError

    def write_fn(self) -> Callable[[], str]:
        """The write, with what it needs read from the widgets now (it runs on the worker)."""
        raise NotImplementedError

    def apply(self) -> None:
        problem = self.check()
        if problem:
            self.error.show_message(problem)
            return
        self.error.clear_message()
        self.jobs.write(self, self.title_of_write(), self.write_fn(), on_success=self._written,
                        on_failure=self._refused, busy=[self.ok_button])

    def _written(self, text: str) -> None:
        self.done_text = text
        self.accept()

    def _refused(self, failure: JobFailure) -> None:
        self.error.show_message(failure.message())


class AddRegionDialog(_RegionDialog):
    """A street (9 digits) or community (12 digits) inside this office's jurisdiction."""

    def __init__(self, store: Store, actor: Actor, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(store, actor, jobs, parent)
        self.setWindowTitle(self.tr("添加街道(乡镇)或社区"))
        note = QLabel(self.tr("内置的国家统计局区划数据中没有的街道(乡镇)或社区，可以在这里添加。"
                              "上级区划由代码确定：社区代码的前9位是所在街道(乡镇)。"), self)
        note.setWordWrap(True)
        self.form.addRow(note)
        self.code_edit = QLineEdit(self)
        self.code_edit.setValidator(QRegularExpressionValidator(r"\d{0,12}", self.code_edit))
        self.code_edit.setPlaceholderText(self.tr("街道(乡镇)9位，社区12位，如 620102001099"))
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(100)
        self.rural = QComboBox(self)
        self.rural.addItem(self.tr("城市社区（居委会）"), False)
        self.rural.addItem(self.tr("农村社区（村委会）"), True)
        self.form.addRow(self.tr("统计用区划代码："), self.code_edit)
        self.form.addRow(self.tr("名称："), self.name_edit)
        self.form.addRow(self.tr("社区类型："), self.rural)
        self.code_edit.textChanged.connect(self._code_changed)
        self._code_changed("")
        self.finish_layout()

    def _code_changed(self, code: str) -> None:
        self.form.setRowVisible(self.rural, len(code) != 9)
        self.error.clear_message()

    def title_of_write(self) -> str:
        return self.tr("添加区划")

    def write_fn(self) -> Callable[[], str]:
        store, actor = self.store, self.actor
        code, name = self.code_edit.text().strip(), self.name_edit.text().strip()
        rural = bool(self.rural.currentData()) if len(code) == 12 else None

        def write() -> str:
            with store.session() as session:
                region = regions.add_region_by(session, actor, code=code, name=name, rural=rural)
                return f"已添加{Level(region.level).label} {region.name}（{region.code}）"

        return write


class RenameRegionDialog(_RegionDialog):
    """Find a street or community of the jurisdiction (the store's and the official ones) and rename it."""

    def __init__(self, store: Store, actor: Actor, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(store, actor, jobs, parent)
        self.setWindowTitle(self.tr("街道(乡镇)、社区更名"))
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(self.tr("输入名称、区划代码或拼音首字母查找"))
        self.matches = QListWidget(self)
        self.matches.setMinimumHeight(180)
        self.current = QLabel(self)
        self.current.setWordWrap(True)
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(100)
        self.form.addRow(self.tr("查找："), self.search)
        self.form.addRow(self.matches)
        self.form.addRow(self.tr("现名称："), self.current)
        self.form.addRow(self.tr("新名称："), self.name_edit)
        note = QLabel(self.tr("区划代码不变；已有的申报保留原来的代码和名称。"), self)
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        self.form.addRow(note)
        self.search.textChanged.connect(self._search)
        self.matches.currentItemChanged.connect(self._picked)
        self.finish_layout()

    def _search(self, text: str) -> None:
        with self.store.read_session() as session:
            found = regions.find_within(session, self.actor.office_code, text)
        self.matches.clear()
        for match in found:
            item = QListWidgetItem(f"{match.name}　{match.path}　{match.code}", self.matches)
            item.setData(CODE_ROLE, match.code)
            item.setData(Qt.ItemDataRole.UserRole, match.name)
        if found:
            self.matches.setCurrentRow(0)
        else:
            self._picked(None)

    def _picked(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        self.error.clear_message()
        if item is None:
            self.current.setText("")
            return
        name = str(item.data(Qt.ItemDataRole.UserRole))
        self.current.setText(f"{name}（{item.data(CODE_ROLE)}）")
        if not self.name_edit.isModified():
            self.name_edit.setText(name)

    def selected_code(self) -> str | None:
        item = self.matches.currentItem()
        return str(item.data(CODE_ROLE)) if item is not None else None

    def check(self) -> str:
        return "" if self.selected_code() else self.tr("请先查找并选择要更名的街道(乡镇)或社区")

    def title_of_write(self) -> str:
        return self.tr("区划更名")

    def write_fn(self) -> Callable[[], str]:
        store, actor = self.store, self.actor
        code, name = self.selected_code() or "", self.name_edit.text().strip()
        item = self.matches.currentItem()
        old_name = str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

        def write() -> str:
            with store.session() as session:
                region = regions.rename_region_by(session, actor, code=code, name=name)
                return f"已更名：{region.code} {old_name} → {region.name}"

        return write
