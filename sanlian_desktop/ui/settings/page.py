"""The 设置 page: users (admins manage, others change their own password), this office (its near-duplicate
threshold, and where its data live: this computer or the office's database server), the print font."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.offices import auth, regions
from sanlian_desktop.screening import service as screening
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.files import open_file
from sanlian_desktop.ui.jobs import JobFailure, show_failure
from sanlian_desktop.ui.settings.backups import BackupsTab
from sanlian_desktop.ui.settings.certificates import CertificatesTab
from sanlian_desktop.ui.settings.regiondialogs import AddRegionDialog, RenameRegionDialog
from sanlian_desktop.ui.settings.userdialogs import AddUserDialog, PasswordDialog, open_dialog
from sanlian_desktop.ui.settings.usermodel import UserRow, UserTableModel
from sanlian_desktop.ui.widgets import InlineError

PRINT_FONT_KEY = "print/font_path"
FONT_SUFFIXES = (".ttf", ".ttc")


def font_problem(path: Path) -> str:
    """Why ``path`` cannot be embedded in printed PDFs, or an empty string when it can."""
    from PySide6.QtCore import QCoreApplication

    def tr(text: str) -> str:
        return QCoreApplication.translate("SettingsPage", text)

    if not path.is_file():
        return tr("找不到字体文件")
    if path.suffix.lower() not in FONT_SUFFIXES:
        return tr("只能使用 .ttf 或 .ttc 字体文件")
    try:
        from reportlab.pdfbase.ttfonts import TTFont

        TTFont("SanlianCheck", str(path), subfontIndex=0)
    except Exception:
        return tr("这个字体使用 PostScript 轮廓（如思源黑体、Noto CJK），不能嵌入 PDF，请换一个字体")
    return ""


class SettingsPage(QWidget):
    title = "设置"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.is_admin = ctx.actor.role is Role.ADMIN
        self.dialog: QWidget | None = None
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs)
        self.users_model: UserTableModel | None = None
        self.tabs.addTab(self._users_tab(), self.tr("用户"))
        self.tabs.addTab(self._office_tab(), self.tr("本单位"))
        self.tabs.addTab(self._font_tab(), self.tr("打印字体"))
        self.certificates = CertificatesTab(ctx, self)
        self.tabs.addTab(self.certificates, self.tr("证书"))
        self.refresh()
        self.tabs.addTab(BackupsTab(ctx, self), self.tr("备份与恢复"))

    # -- users ------------------------------------------------------------------------------------

    def _users_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        if self.is_admin:
            self.users_model = UserTableModel(self.ctx.store, self)
            self.users_view = QTableView(tab)
            self.users_view.setModel(self.users_model)
            self.users_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            self.users_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            self.users_view.verticalHeader().hide()
            self.users_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            buttons = QHBoxLayout()
            self.add_button = QPushButton(self.tr("添加用户…"), tab)
            self.reset_button = QPushButton(self.tr("重设密码…"), tab)
            self.active_button = QPushButton(self.tr("停用"), tab)
            self.active_button.setEnabled(False)
            self.add_button.clicked.connect(self.add_user)
            self.reset_button.clicked.connect(self.reset_password)
            self.active_button.clicked.connect(self.toggle_active)
            self.users_view.selectionModel().selectionChanged.connect(self._user_selected)
            buttons.addWidget(self.add_button)
            buttons.addWidget(self.reset_button)
            buttons.addWidget(self.active_button)
            buttons.addStretch(1)
            layout.addLayout(buttons)
            self.users_error = InlineError(tab)
            layout.addWidget(self.users_error)
            layout.addWidget(self.users_view)
            note = QLabel(self.tr("停用的用户不能再登录，其经办和审核的记录仍然保留，可以随时重新启用。"), tab)
            note.setWordWrap(True)
            layout.addWidget(note)
        else:
            actor = self.ctx.actor
            form = QFormLayout()
            form.addRow(self.tr("用户名："), QLabel(actor.username, tab))
            form.addRow(self.tr("姓名："), QLabel(actor.display_name, tab))
            form.addRow(self.tr("角色："), QLabel(actor.role.label, tab))
            layout.addLayout(form)
            note = QLabel(self.tr("添加用户和重设他人密码需要管理员。"), tab)
            note.setWordWrap(True)
            layout.addWidget(note)
            row = QHBoxLayout()
            self.change_button = QPushButton(self.tr("修改我的密码…"), tab)
            self.change_button.clicked.connect(self.change_own_password)
            row.addWidget(self.change_button)
            row.addStretch(1)
            layout.addLayout(row)
            layout.addStretch(1)
        return tab

    def add_user(self) -> None:
        """Open the add-user dialog (admins only; the service checks again)."""
        dialog = AddUserDialog(self.ctx.store, self.ctx.actor, self, jobs=self.ctx.jobs)
        self.dialog = open_dialog(dialog, self.refresh)

    def selected_user(self) -> UserRow | None:
        if self.users_model is None:
            return None
        rows = self.users_view.selectionModel().selectedRows()
        return self.users_model.row_at(rows[0].row()) if rows else None

    def selected_username(self) -> str | None:
        user = self.selected_user()
        return user.username if user is not None else None

    def _user_selected(self) -> None:
        """停用 for an active user, 启用 for a disabled one; nothing to press without a selection."""
        user = self.selected_user()
        self.active_button.setEnabled(user is not None)
        self.active_button.setText(self.tr("启用") if user is not None and not user.active else self.tr("停用"))
        self.users_error.clear_message()

    def toggle_active(self) -> None:
        """Disable (after asking) or enable the selected user, on the job runner; the service refuses
        disabling oneself or the last active admin, and the refusal shows above the list."""
        from sanlian_desktop.ui.dialogs import confirm, status_message

        user = self.selected_user()
        if user is None:
            return
        active = not user.active
        who = f"{user.display_name}（{user.username}）" if user.display_name != user.username else user.username
        if not active and not confirm(self, self.tr("停用用户 {0}？停用后该用户不能再登录，其经办和审核的记录仍然保留，"
                                                  "可以随时重新启用。").format(who)):
            return
        store, actor, username = self.ctx.store, self.ctx.actor, user.username

        def write() -> None:
            with store.session() as session:
                auth.set_active(session, actor, username=username, active=active)

        def written(_: object) -> None:
            self.refresh()
            self._select_user(username)
            status_message(self, self.tr("已启用用户 {0}").format(who) if active else
                           self.tr("已停用用户 {0}").format(who))

        self.users_error.clear_message()
        self.ctx.jobs.write(self, self.tr("启用用户") if active else self.tr("停用用户"), write,
                            on_success=written, on_failure=self._user_refused, busy=[self.active_button])

    def _user_refused(self, failure: JobFailure) -> None:
        if failure.is_user_error:
            self.users_error.show_message(failure.message())
        else:
            show_failure(self, failure)

    def _select_user(self, username: str) -> None:
        if self.users_model is None:
            return
        for row in range(self.users_model.rowCount()):
            if self.users_model.row_at(row).username == username:
                self.users_view.selectRow(row)
                return

    def reset_password(self) -> None:
        username = self.selected_username()
        if username is None:
            from sanlian_desktop.ui.dialogs import inform

            inform(self, self.tr("请先在列表中选择一位用户。"))
            return
        dialog = PasswordDialog(self.ctx.store, self.ctx.actor, username, self, jobs=self.ctx.jobs,
                                on_own_change=self._own_password_changed)
        self.dialog = open_dialog(dialog, self.refresh)

    def change_own_password(self) -> None:
        dialog = PasswordDialog(self.ctx.store, self.ctx.actor, self.ctx.actor.username, self,
                                jobs=self.ctx.jobs, on_own_change=self._own_password_changed)
        self.dialog = open_dialog(dialog, lambda: None)

    def _own_password_changed(self, password: str) -> None:
        """The session unseals the office's keys with the password it signed in with: now the new one."""
        self.ctx.actor = replace(self.ctx.actor, password=password)

    # -- this office ------------------------------------------------------------------------------

    def _office_tab(self) -> QWidget:
        tab = QWidget(self)
        outer = QVBoxLayout(tab)
        form = QFormLayout()
        outer.addLayout(form)
        self.office_name = QLabel(tab)
        self.office_level = QLabel(tab)
        self.office_region = QLabel(tab)
        self.office_code = QLabel(tab)
        self.data_folder = QLabel(str(self.ctx.store.paths.home), tab)
        for label in (self.office_name, self.office_region, self.office_code, self.data_folder):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_folder.setWordWrap(True)
        form.addRow(self.tr("单位名称："), self.office_name)
        form.addRow(self.tr("级别："), self.office_level)
        form.addRow(self.tr("行政区划："), self.office_region)
        self.office_code_label = QLabel(self.tr("区划代码："), tab)
        form.addRow(self.office_code_label, self.office_code)
        if self.is_admin and self.ctx.actor.office_level.is_region:
            row = QHBoxLayout()
            self.add_region_button = QPushButton(self.tr("添加街道或社区…"), tab)
            self.rename_region_button = QPushButton(self.tr("街道、社区更名…"), tab)
            self.add_region_button.clicked.connect(lambda: self.open_region_dialog(AddRegionDialog))
            self.rename_region_button.clicked.connect(lambda: self.open_region_dialog(RenameRegionDialog))
            row.addWidget(self.add_region_button)
            row.addWidget(self.rename_region_button)
            row.addStretch(1)
            form.addRow(self.tr("辖区区划："), row)
            self.region_status = QLabel(tab)
            form.addRow("", self.region_status)
        self._threshold_rows(tab, form)
        outer.addWidget(self._storage_box(tab))
        outer.addStretch(1)
        return tab

    def _storage_box(self, tab: QWidget) -> QGroupBox:
        """Where the office's data live (this computer's SQLite file or the office's database server),
        where backups go, and how an office moves to a server: read-only."""
        from sanlian_desktop.store.server import ServerAddress

        store = self.ctx.store
        if store.on_server:
            where = self.tr("单位服务器 {0}").format(ServerAddress.from_url(store.url).label())
            backups = self.tr("{0}（用 PostgreSQL 的 pg_dump 备份服务器上的数据和附件，备份文件加密，只有本单位管理员能打开）").format(
                store.paths.backups)
            note = self.tr("本单位的数据保存在单位服务器上，本单位各台电脑同时使用同一份数据。"
                           "数据库密码只在程序运行期间使用，不保存在这台电脑上。")
        else:
            where = self.tr("本机（SQLite 文件 {0}）").format(store.paths.database)
            backups = str(store.paths.backups)
            note = self.tr("本单位几个人同时使用时，可以把数据迁到单位服务器（PostgreSQL 13 或更新版本）："
                           "先关闭本程序，再由管理员在命令行运行 sanlian move --database "
                           "postgresql+psycopg://用户名@服务器/数据库名，所有数据原样迁入，原数据文件保留在数据目录中。"
                           "然后其他电脑在首次使用时选择“本单位有数据库服务器”加入。详见用户手册“单位服务器”一节。")
        box = QGroupBox(self.tr("数据存放位置"), tab)
        form = QFormLayout(box)
        self.storage_place = QLabel(where, box)
        self.backup_place = QLabel(backups, box)
        self.storage_note = QLabel(note, box)
        for label in (self.data_folder, self.storage_place, self.backup_place, self.storage_note):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.storage_note.setStyleSheet("color: #555;")
        form.addRow(self.tr("数据存放："), self.storage_place)
        form.addRow(self.tr("数据目录："), self.data_folder)
        form.addRow(self.tr("备份文件夹："), self.backup_place)
        form.addRow(self.storage_note)
        return box

    def _threshold_rows(self, tab: QWidget, form: QFormLayout) -> None:
        """The office's near-duplicate threshold: a percentage an admin sets (saved on the job runner)."""
        row = QHBoxLayout()
        self.threshold = QSpinBox(tab)
        self.threshold.setRange(screening.FLOOR, 100)
        self.threshold.setSuffix("%")
        self.threshold.setToolTip(self.tr("两份申报的长文本相似度达到这个百分数，即在待办和遴选列表中标出“相似”"))
        self.threshold_button = QPushButton(self.tr("保存阈值"), tab)
        self.threshold_button.clicked.connect(self.save_threshold)
        self.threshold.setEnabled(self.is_admin)
        self.threshold_button.setVisible(self.is_admin)
        row.addWidget(self.threshold)
        row.addWidget(self.threshold_button)
        row.addStretch(1)
        form.addRow(self.tr("相似申报阈值："), row)
        self.threshold_error = InlineError(tab)
        form.addRow("", self.threshold_error)
        note = QLabel(self.tr("默认 {0}%（按测试语料得出：改动 5%–30% 的抄袭件都能查出，主题相同但各自撰写的申报不会被标出）。"
                              "调低会标出更多申报，调高则只标出几乎相同的。{1}").format(
            screening.DEFAULT_THRESHOLD, "" if self.is_admin else self.tr("修改阈值需要管理员。")), tab)
        note.setWordWrap(True)
        form.addRow("", note)

    def save_threshold(self) -> None:
        """Store the spin box's percentage as the office's threshold; the lists' badges follow it."""
        from sanlian_desktop.ui.dialogs import status_message

        self.threshold.interpretText()
        value = self.threshold.value()
        store, actor = self.ctx.store, self.ctx.actor

        def write() -> None:
            with store.session() as session:
                screening.set_threshold(session, actor, value)

        def written(_: object) -> None:
            self.threshold_error.clear_message()
            status_message(self, self.tr("相似申报阈值已设为 {0}%，待办和遴选列表将按新阈值标出“相似”").format(value))

        self.threshold_error.clear_message()
        self.ctx.jobs.write(self, self.tr("设置相似申报阈值"), write, on_success=written,
                            on_failure=self._threshold_refused, busy=[self.threshold_button, self.threshold])

    def _threshold_refused(self, failure: JobFailure) -> None:
        if failure.is_user_error:
            self.threshold_error.show_message(failure.message())
        else:
            show_failure(self, failure)

    def open_region_dialog(self, kind: type[AddRegionDialog] | type[RenameRegionDialog]) -> None:
        """Add or rename a street or community the official data lacks or names otherwise (admins)."""
        dialog = kind(self.ctx.store, self.ctx.actor, self.ctx.jobs, self)
        dialog.accepted.connect(lambda: self.region_status.setText(dialog.done_text))
        self.dialog = open_dialog(dialog, self.refresh)

    # -- print font -------------------------------------------------------------------------------

    def _font_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        row = QHBoxLayout()
        self.font_path = QLineEdit(tab)
        self.font_path.setReadOnly(True)
        self.font_path.setPlaceholderText(self.tr("未设置：使用程序自带的方式查找中文字体"))
        choose = QPushButton(self.tr("选择字体文件…"), tab)
        clear = QPushButton(self.tr("恢复默认"), tab)
        choose.clicked.connect(self.choose_font)
        clear.clicked.connect(lambda: self.set_font_path(None))
        row.addWidget(QLabel(self.tr("打印用字体："), tab))
        row.addWidget(self.font_path, 1)
        row.addWidget(choose)
        row.addWidget(clear)
        layout.addLayout(row)
        self.font_error = InlineError(tab)
        layout.addWidget(self.font_error)
        note = QLabel(self.tr(
            "打印的申报表和报表会把这个字体嵌入 PDF，换一台电脑打印效果也相同。"
            "请选择 TrueType 字体（.ttf 或 .ttc），例如 Windows 的宋体 simsun.ttc、黑体 simhei.ttf、"
            "仿宋 simfang.ttf，或文泉驿微米黑 wqy-microhei.ttc。\n"
            "思源黑体、Noto CJK 等 .otf 字体（及其 .ttc 合集）使用 PostScript 轮廓，不能嵌入，请不要选择。"), tab)
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addStretch(1)
        return tab

    def choose_font(self) -> None:
        start = Path(self.font_path.text()).parent if self.font_path.text() else None
        path = open_file(self, self.ctx.settings, self.tr("选择打印字体"), self.tr("TrueType 字体 (*.ttf *.ttc)"),
                         kind="fonts", start=start)
        if path is not None:
            self.set_font_path(path)

    def set_font_path(self, path: Path | None) -> bool:
        """Store ``path`` as the print font (None for the default); refuse one that cannot be embedded."""
        if path is None:
            self.ctx.settings.remove(PRINT_FONT_KEY)
            self.font_error.clear_message()
            self.font_path.clear()
            return True
        problem = font_problem(path)
        if problem:
            self.font_error.show_message(f"{path.name}：{problem}")
            return False
        self.font_error.clear_message()
        self.ctx.settings.setValue(PRINT_FONT_KEY, str(path))
        self.font_path.setText(str(path))
        return True

    # -- page contract ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read users and the office again."""
        if self.users_model is not None:
            self.users_model.reload()
            self._user_selected()
        with self.ctx.store.read_session() as session:
            office = auth.this_office(session)
            self.office_name.setText(office.name)
            self.office_level.setText(Level(office.level).label)
            if Level(office.level).is_region:
                self.office_region.setText(" ".join(r.name for r in regions.ancestors(session, office.region_code)))
            else:  # an evaluator office: no territory, certified by its province
                self.office_code_label.setText(self.tr("机构代码："))
                self.office_region.setText(self.tr("无（由{0}认证）").format(
                    " ".join(r.name for r in regions.ancestors(session, office.region_code[:6]))))
            self.office_code.setText(office.region_code)
            self.threshold.setValue(screening.threshold(session))
        self.font_path.setText(str(self.ctx.settings.value(PRINT_FONT_KEY, "") or ""))
        self.certificates.refresh()
