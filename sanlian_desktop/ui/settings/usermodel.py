"""The users of this office as a table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from sanlian_desktop.kernel.vocab import Role
from sanlian_desktop.offices import auth
from sanlian_desktop.store.engine import Store

USERNAME_ROLE = Qt.ItemDataRole.UserRole + 1
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class UserRow:
    username: str
    display_name: str
    role: Role
    active: bool


class UserTableModel(QAbstractTableModel):
    """用户名, 姓名, 角色, 状态 — read from the store by ``reload()``."""

    COL_USERNAME, COL_NAME, COL_ROLE, COL_STATE = range(4)

    def __init__(self, store: Store, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self._rows: list[UserRow] = []
        self._headers = [self.tr("用户名"), self.tr("姓名"), self.tr("角色"), self.tr("状态")]

    def reload(self) -> None:
        """Read the users again."""
        with self.store.read_session() as session:
            rows = [UserRow(u.username, u.display_name, Role(u.role), u.active) for u in auth.list_users(session)]
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> UserRow:
        return self._rows[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        user = self._rows[index.row()]
        if role == USERNAME_ROLE:
            return user.username
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        column = index.column()
        if column == self.COL_USERNAME:
            return user.username
        if column == self.COL_NAME:
            return user.display_name
        if column == self.COL_ROLE:
            return user.role.label
        if column == self.COL_STATE:
            return self.tr("启用") if user.active else self.tr("停用")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self._headers):
            return self._headers[section]
        return None
