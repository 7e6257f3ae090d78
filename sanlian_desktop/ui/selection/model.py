"""The selection table: one row per declaration awaiting the province or approved by it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from sanlian_desktop.kernel.money import format_yuan, from_fen
from sanlian_desktop.selection.shortlist import Row
from sanlian_desktop.ui.similar import BadgeRole, badge_text

COLUMNS = ("申报编号", "项目名称", "市(州)", "县(市、区)", "社区", "重点领域", "申请金额（元）", "专家平均分",
           "评分人数", "极差", "状态", "补助金额（元）")
(COL_NUMBER, COL_TITLE, COL_CITY, COL_COUNTY, COL_COMMUNITY, COL_AREA, COL_REQUESTED, COL_SCORE, COL_SCORERS,
 COL_SPREAD, COL_STATE, COL_AMOUNT) = range(len(COLUMNS))
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole
_RIGHT = {COL_REQUESTED, COL_SCORE, COL_SCORERS, COL_SPREAD, COL_AMOUNT}
_STATE_COLOURS = {"shortlisted": "#fff3cd", "approved": "#e3f2e1"}

Index = QModelIndex | QPersistentModelIndex


class SelectionTableModel(QAbstractTableModel):
    """Rows from :func:`selection.rows`; numbers sort as numbers (``SORT_ROLE``)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = []
        self.similar: dict[str, int] = {}  # best near-duplicate score of the declarations that have one

    def set_rows(self, rows: list[Row], similar: dict[str, int] | None = None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.similar = similar or {}
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def row_at(self, row: int) -> Row:
        return self.rows[row]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(r, col)
        if role == SORT_ROLE:
            return self._sort_key(r, col)
        if role == ID_ROLE:
            return r.id
        if role == BadgeRole:
            return badge_text(self.similar.get(r.id)) if col == COL_TITLE else None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in _RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and r.state in _STATE_COLOURS:
            return QBrush(QColor(_STATE_COLOURS[r.state]))
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_TITLE:
            score = self.similar.get(r.id)
            return r.title if score is None else f"{r.title}\n与其他申报文字相似 {score}%，打开后可对照查看"
        return None

    @staticmethod
    def _text(r: Row, col: int) -> str:
        s = r.scores
        values: dict[int, Any] = {
            COL_NUMBER: r.number, COL_TITLE: r.title, COL_CITY: r.city, COL_COUNTY: r.county,
            COL_COMMUNITY: r.community, COL_AREA: r.focus_areas,
            COL_REQUESTED: format_yuan(from_fen(r.requested_fen)),
            COL_SCORE: "—" if s.average is None else str(s.average), COL_SCORERS: str(s.count) if s.count else "",
            COL_SPREAD: "" if s.spread is None else str(s.spread), COL_STATE: r.state_label,
            COL_AMOUNT: "" if r.amount_fen is None else format_yuan(from_fen(r.amount_fen)),
        }
        return str(values[col])

    @staticmethod
    def _sort_key(r: Row, col: int) -> Any:
        s = r.scores
        if col == COL_REQUESTED:
            return r.requested_fen
        if col == COL_SCORE:
            return float(s.average) if s.average is not None else -1.0  # unscored sort below any score
        if col == COL_SCORERS:
            return s.count
        if col == COL_SPREAD:
            return float(s.spread) if s.spread is not None else -1.0
        if col == COL_AMOUNT:
            return r.amount_fen if r.amount_fen is not None else -1
        if col in (COL_CITY, COL_COUNTY, COL_COMMUNITY):
            return f"{r.city_code}{r.county_code}{r.community_code}"
        return SelectionTableModel._text(r, col)
