"""The registries as tables: rows read from the services, shown with Chinese labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Region
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.registries import service as registries

KEY_ROLE = Qt.ItemDataRole.UserRole + 1
COMMUNITY_ROLE = Qt.ItemDataRole.UserRole + 2
AnyIndex = QModelIndex | QPersistentModelIndex
_YES = {True: "是", False: "否", None: "未登记"}


@dataclass(frozen=True)
class Row:
    """One line of a table: its record key (local id or region code), its community, the shown cells."""

    key: Any
    community: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """Which registry and its column headers."""

    key: str
    title: str
    headers: tuple[str, ...]
    stretch: int = 1  # the column that takes the room left


TABLES = (
    Table("orgs", "社区社会组织", ("社区", "组织名称", "组织类别", "信用代码 / 备案编号", "专业社工", "接纳社工机构")),
    Table("workers", "社会工作者", ("社区", "姓名", "证书等级", "证书编号", "工作单位"), stretch=4),
    Table("communities", "社区情况", ("社区代码", "社区", "城乡", "居民人数", "社会工作室", "联合会",
                                   "注册志愿者", "居委会选举")),
    Table("areas", "试点地区", ("区划代码", "名称", "试点地区", "社会工作协会")),
)


def communities_in(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of every community in the actor's jurisdiction, by code."""
    inside = regions.subtree_codes(session, actor.office_code)
    return [(code, name) for code, name in session.execute(
        select(Region.code, Region.name).where(Region.level == Level.COMMUNITY.value).order_by(Region.code))
        if code in inside]


def load_rows(session: Session, actor: Actor, table: str, community: str | None) -> list[Row]:
    """The rows of one registry, limited to ``community`` when given (column tuples, no ORM objects:
    a province lists tens of thousands)."""
    names = dict(session.execute(select(Region.code, Region.name).where(
        Region.level == Level.COMMUNITY.value)).all())
    if table == "orgs":
        return [Row(i, c, (names.get(c, c), name, kind, credit or number or "", _YES[workers], _YES[agency]))
                for i, c, name, kind, credit, number, workers, agency in registries.organisation_rows(
                    session, actor, within=community)]
    if table == "workers":
        return [Row(i, c, (names.get(c, c), name, level or "无证书", number, employer))
                for i, c, name, level, number, employer in registries.worker_rows(session, actor, within=community)]
    if table == "communities":
        return [Row(code, code, (code, name, "农村" if rural else "城市", "" if population is None else str(population),
                                 _YES[workroom], "—" if rural else _YES[federation],
                                 "未登记" if volunteers is None else str(volunteers),
                                 registries.ELECTION_METHODS.get(election or "", "未登记")))
                for code, name, rural, population, workroom, federation, volunteers, election
                in registries.community_rows(session, actor, within=community)]
    facts_by_area = {a.region_code: a for a in registries.list_area_facts(session, actor)}
    rows = []
    for r in registries.areas_in(session, actor):
        a = facts_by_area.get(r.code)
        rows.append(Row(r.code, "", (r.code, r.name, "是" if a is None or a.pilot else "否",
                                     _YES[a.has_association if a else None])))
    return rows


class RegistryTableModel(QAbstractTableModel):
    """One registry's rows; ``reload`` reads them again."""

    def __init__(self, table: Table, parent: Any = None) -> None:
        super().__init__(parent)
        self.table = table
        self._rows: list[Row] = []

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.headers)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == KEY_ROLE:
            return row.key
        if role == COMMUNITY_ROLE:
            return row.community
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells[index.column()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.table.headers[section]
        return None
