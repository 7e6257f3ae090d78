"""The wizard's pages: welcome, level, office and first admin, done (the region page is in ``regionpage``,
the demo in ``demopage``).

A third-party evaluator (第三方评估机构) is chosen on the level page like a level; it has no region, so
the region page is skipped and the office page asks for the code the province gave it instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from sanlian_desktop.kernel.vocab import LEVEL_ORDER, Level
from sanlian_desktop.models import Region
from sanlian_desktop.offices import auth
from sanlian_desktop.offices.office import init_office, office_name_for
from sanlian_desktop.ui.jobs import JobFailure, show_failure
from sanlian_desktop.ui.widgets import InlineError, PasswordPair

if TYPE_CHECKING:
    from sanlian_desktop.offices.auth import Actor
    from sanlian_desktop.store.engine import Store
    from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard


def wrapped(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    return label


T = TypeVar("T")


class WizardStep(QWizardPage):
    """A page that knows its wizard's type."""

    def owner(self) -> FirstRunWizard:
        from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard

        wizard = self.wizard()
        assert isinstance(wizard, FirstRunWizard)
        return wizard

    def commit_write(self, title: str, write: Callable[[], T], on_success: Callable[[T], None],
                     error: InlineError) -> None:
        """Run the page's committing write (creating or joining the office) on the job runner, the page and
        the wizard's Commit and Back buttons disabled meanwhile; a refusal is said in ``error``."""
        def refused(failure: JobFailure) -> None:
            if failure.is_user_error:
                error.show_message(failure.message())
            else:
                show_failure(self, failure)

        wizard = self.owner()
        error.clear_message()
        busy = [self, *(wizard.button(b) for b in (QWizard.WizardButton.CommitButton,
                                                   QWizard.WizardButton.BackButton))]
        wizard.jobs.write(self, title, write, on_success=on_success, on_failure=refused, busy=busy)


class WelcomePage(WizardStep):
    def __init__(self, demo_available: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("欢迎使用三社联动试点项目申报系统"))
        self.setSubTitle(self.tr("这台电脑上还没有本单位的数据。请选择："))
        layout = QVBoxLayout(self)
        self.create_choice = QRadioButton(self.tr("创建本单位（数据保存在这台电脑上）"), self)
        self.server_choice = QRadioButton(self.tr("本单位有数据库服务器"), self)
        self.demo_choice = QRadioButton(self.tr("试用演示数据"), self)
        self.create_choice.setChecked(True)
        layout.addWidget(self.create_choice)
        layout.addWidget(wrapped(self.tr(
            "正式使用：选择本单位的级别和行政区划，设置第一位管理员的用户名和密码。"
            "第三方评估机构填写省民政厅给定的机构代码。"), self))
        layout.addSpacing(12)
        layout.addWidget(self.server_choice)
        layout.addWidget(wrapped(self.tr(
            "本单位几个人同时使用：数据保存在单位局域网的 PostgreSQL 服务器上。第一台电脑在服务器上创建本单位，"
            "其他电脑加入已有的本单位，用同一批用户登录。"), self))
        layout.addSpacing(12)
        layout.addWidget(self.demo_choice)
        demo_note = self.tr("先看一看：在单独的文件夹中建立演示单位“城关区民政局”和300份演示申报，"
                            "不影响正式数据。")
        if demo_available:
            demo_note += self.tr("（已有演示数据，将直接打开。）")
        layout.addWidget(wrapped(demo_note, self))
        layout.addStretch(1)

    def nextId(self) -> int:
        from sanlian_desktop.ui.firstrun.wizard import PageId

        if self.demo_choice.isChecked():
            return PageId.DEMO
        return PageId.SERVER if self.server_choice.isChecked() else PageId.LEVEL


LEVEL_NOTES = {
    Level.PROVINCE: QT_TRANSLATE_NOOP("LevelPage", "甘肃省民政厅：审批申报，决定补助金额"),
    Level.CITY: QT_TRANSLATE_NOOP("LevelPage", "市(州)民政局：复核（含兰州新区、甘肃矿区、东风场区）"),
    Level.COUNTY: QT_TRANSLATE_NOOP("LevelPage", "县(市、区)民政局：审核，也可代街道、社区录入纸质申报"),
    Level.STREET: QT_TRANSLATE_NOOP("LevelPage", "街道办事处、乡镇政府：初核"),
    Level.COMMUNITY: QT_TRANSLATE_NOOP("LevelPage", "社区（居委会、村委会）：填写申报"),
    Level.EVALUATOR: QT_TRANSLATE_NOOP("LevelPage", "受省民政厅委托，对已批准的项目跟踪回访、评估成效"),
}
# What the level page offers: the five levels, then the evaluator office (which is no region).
CHOICES = [*LEVEL_ORDER, Level.EVALUATOR]


class LevelPage(WizardStep):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("本单位的级别"))
        self.setSubTitle(self.tr("本单位在申报程序中处于哪一级？"))
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.buttons: dict[Level, QRadioButton] = {}
        for i, level in enumerate(CHOICES):
            if level is Level.EVALUATOR:
                layout.addSpacing(12)
                layout.addWidget(wrapped(self.tr("不属于以上各级的："), self))
            button = QRadioButton(f"{level.label} — {self.tr(str(LEVEL_NOTES[level]))}", self)
            self.group.addButton(button, i)
            self.buttons[level] = button
            layout.addWidget(button)
        self.buttons[Level.COUNTY].setChecked(True)
        layout.addStretch(1)

    def level(self) -> Level:
        return CHOICES[max(self.group.checkedId(), 0)]

    def set_level(self, level: Level) -> None:
        self.buttons[level].setChecked(True)

    def nextId(self) -> int:
        """An evaluator office has no region to choose: straight to its code, name and admin."""
        from sanlian_desktop.ui.firstrun.wizard import PageId

        return PageId.OFFICE if self.level() is Level.EVALUATOR else PageId.REGION


class OfficePage(WizardStep):
    """The office's name and its first admin (an evaluator's also its code); pressing 创建本单位 calls
    ``init_office``, which checks everything as ``sanlian init`` does."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSubTitle(self.tr("管理员可以添加其他用户。请牢记管理员密码，忘记后无法找回。"))
        self.setCommitPage(True)
        layout = QVBoxLayout(self)
        self.form = form = QFormLayout()
        self.office_name = QLineEdit(self)
        self.region_label = QLabel(self)
        self.code_edit = QLineEdit(self)
        self.code_edit.setValidator(QRegularExpressionValidator(r"[0-9]{0,6}[Ee]?[0-9]{0,3}", self.code_edit))
        self.code_edit.setPlaceholderText(self.tr("如 620000E001"))
        self.code_edit.setMaxLength(10)
        self.code_edit.textEdited.connect(self._upper)
        self.code_hint = wrapped(self.tr(
            "机构代码由省民政厅给定：省级区划代码（甘肃省为 620000）、字母 E 和三位数字，如 620000E001。"), self)
        self.code_hint.setStyleSheet("color: #555;")
        self.admin_name = QLineEdit("admin", self)
        self.name_edit = QLineEdit(self)  # the admin's real name (姓名), shown where names are shown
        self.name_edit.setMaxLength(auth.MAX_DISPLAY_NAME)
        self.name_edit.setPlaceholderText(self.tr("如 王建国"))
        form.addRow(self.tr("行政区划："), self.region_label)
        form.addRow(self.tr("机构代码："), self.code_edit)
        form.addRow("", self.code_hint)
        form.addRow(self.tr("单位名称："), self.office_name)
        form.addRow(self.tr("管理员用户名："), self.admin_name)
        form.addRow(self.tr("管理员姓名："), self.name_edit)
        self.passwords = PasswordPair(form, self)
        layout.addLayout(form)
        self.error = InlineError(self)
        layout.addWidget(self.error)
        layout.addStretch(1)
        for edit in (self.office_name, self.admin_name, self.name_edit, self.code_edit):
            edit.textChanged.connect(self.completeChanged)
        self.code_edit.textChanged.connect(self.error.clear_message)
        self.passwords.changed.connect(self.error.clear_message)
        self.passwords.changed.connect(self.completeChanged)
        self._suggested = ""
        self._created = False  # the office exists: validatePage lets the wizard move on

    def _is_evaluator(self) -> bool:
        return self.owner().level is Level.EVALUATOR

    def _upper(self, text: str) -> None:
        if text != text.upper():
            position = self.code_edit.cursorPosition()
            self.code_edit.setText(text.upper())
            self.code_edit.setCursorPosition(position)

    def initializePage(self) -> None:
        wizard = self.owner()
        evaluator = self._is_evaluator()
        for field in (self.code_edit, self.code_hint):
            self.form.setRowVisible(field, evaluator)
        self.form.setRowVisible(self.region_label, not evaluator)
        name_label = self.form.labelForField(self.office_name)
        if isinstance(name_label, QLabel):
            name_label.setText(self.tr("机构名称：") if evaluator else self.tr("单位名称："))
        if evaluator:
            self.setTitle(self.tr("评估机构的名称、代码和管理员"))
            self.setButtonText(QWizard.WizardButton.CommitButton, self.tr("创建本机构"))
            suggested = ""
            self.office_name.setPlaceholderText(self.tr("如 甘肃省社会工作评估中心"))
            self.code_edit.setFocus()
        else:
            self.setTitle(self.tr("单位名称和管理员"))
            self.setButtonText(QWizard.WizardButton.CommitButton, self.tr("创建本单位"))
            code, name = wizard.region_page.region() or ("", "")
            self.region_label.setText(f"{name}（{code}）")
            suggested = office_name_for(Region(code=code, name=name, level=wizard.level.value))
            self.office_name.setPlaceholderText("")
        if not self.office_name.text().strip() or self.office_name.text() == self._suggested:
            self.office_name.setText(suggested)  # a name typed by hand stays
        self._suggested = suggested
        self.error.clear_message()

    def office_code(self) -> str:
        """The evaluator's code as typed, or the chosen region's code."""
        if self._is_evaluator():
            return self.code_edit.text().strip()
        return (self.owner().region_page.region() or ("", ""))[0]

    def isComplete(self) -> bool:
        return bool(self.office_name.text().strip() and self.admin_name.text().strip()
                    and self.name_edit.text().strip() and self.passwords.password() and self.office_code())

    def validatePage(self) -> bool:
        """Create the office on the wizard's job runner (the store, the admin's password hash, the first
        sign-in); the wizard moves on by itself when that is done. False until then."""
        if self._created:
            return True
        mismatch = self.passwords.mismatch()
        if mismatch:
            self.error.show_message(mismatch)
            return False
        wizard = self.owner()
        home, level, code, office_name = wizard.home, wizard.level, self.office_code(), self.office_name.text()
        name = None if self._is_evaluator() else (wizard.region_page.region() or ("", ""))[1]
        admin, password = self.admin_name.text().strip(), self.passwords.password()
        admin_display_name = self.name_edit.text()
        database = wizard.database_url()

        def create() -> tuple[Store, Actor]:
            auth.clean_display_name(admin_display_name, required=True)
            store = init_office(home, level=level, region_code=code, name=office_name, admin=admin,
                                admin_password=password, admin_display_name=admin_display_name,
                                region_name=name, database=database)
            try:
                with store.session() as session:
                    return store, auth.sign_in(session, admin, password)
            except BaseException:
                store.close()
                raise

        self.commit_write(self.tr("创建本单位"), create, self._office_created, self.error)
        return False

    def _office_created(self, result: tuple[Store, Actor]) -> None:
        store, actor = result
        wizard = self.owner()
        wizard.set_result(store, actor, demo=False)
        self._created = True
        wizard.next()

    def creating(self) -> bool:
        """Whether the office is being created right now (the wizard is not to be cancelled meanwhile)."""
        return self.owner().jobs.writing(self)

    def nextId(self) -> int:
        from sanlian_desktop.ui.firstrun.wizard import PageId

        return self.owner().next_after(PageId.OFFICE)


class DonePage(WizardStep):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("本单位已创建"))
        layout = QVBoxLayout(self)
        self.summary = wrapped("", self)
        layout.addWidget(self.summary)
        layout.addStretch(1)

    def initializePage(self) -> None:
        wizard = self.owner()
        actor = wizard.actor
        if actor is not None and wizard.joined:
            self.setTitle(self.tr("已加入本单位"))
            self.summary.setText(self.tr(
                "这台电脑已加入{0}（{1}），数据保存在单位服务器 {2}。\n\n点击“完成”，以 {3}（用户名 {4}）的身份进入系统。"
                "以后每次启动时输入数据库密码和自己的用户名、密码。").format(
                actor.office_name, actor.office_code, self._where(), actor.display_name, actor.username))
        elif actor is not None:
            text = self.tr(
                "{0}（{1}）已经建立，数据保存在：\n{2}\n\n点击“完成”，以管理员 {3}（用户名 {4}）的身份进入系统。"
                "请先在“设置”中为经办人和审核人添加用户。").format(
                actor.office_name, actor.office_code, self._where(), actor.display_name, actor.username)
            evaluator = actor.office_level is Level.EVALUATOR
            self.setTitle(self.tr("本机构已创建") if evaluator else self.tr("本单位已创建"))
            if evaluator:
                text += self.tr("\n\n本机构的窗口有“评估”“同步”“设置”三页：省民政厅指派的项目随同步包送达后，"
                                "在“评估”页中记录跟踪回访和成效评估。")
            if wizard.database_url() is not None:
                text += self.tr("\n\n本单位的其他电脑：在首次使用时选择“本单位有数据库服务器”，填写同一服务器，"
                                "选择“加入服务器上已有的本单位”。")
            self.summary.setText(text)

    def _where(self) -> str:
        """Where the office's data are: the server's address, or the folder on this computer."""
        from sanlian_desktop.store.server import ServerAddress

        url = self.owner().database_url()
        if url is None:
            return str(self.owner().home)
        return self.tr("单位服务器 {0}").format(ServerAddress.from_url(url).label())

    def nextId(self) -> int:
        return -1
