"""Input widgets of the declaration form: money with capital numerals, dates, check-box groups, funding."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.money import MoneyError, capital_numerals, parse_money
from sanlian_desktop.ui.widgets import DateEdit


def text_box(height: int = 72) -> QPlainTextEdit:
    """A multi-line text field where Tab moves on to the next field."""
    box = QPlainTextEdit()
    box.setTabChangesFocus(True)
    box.setFixedHeight(height)
    return box


def count_edit() -> QLineEdit:
    """A field for a whole number that may be left empty."""
    edit = QLineEdit()
    edit.setValidator(QIntValidator(0, 100_000_000))
    edit.setMaximumWidth(120)
    return edit


class MoneyEdit(QWidget):
    """An amount in yuan with its capital-numeral form (人民币伍万元整) shown as one types."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(self.tr("金额（元），如 50000"))
        self.edit.setMaximumWidth(180)
        self.capitals = QLabel(self)
        self.capitals.setObjectName("capitals")
        self.capitals.setStyleSheet("color: #555;")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit)
        row.addWidget(self.capitals, 1)
        self.edit.textChanged.connect(self._update)
        self.setFocusProxy(self.edit)

    def _update(self) -> None:
        text = self.edit.text().strip()
        try:
            self.capitals.setText(capital_numerals(parse_money(text)) if text else "")
        except MoneyError:
            self.capitals.setText("")
        self.changed.emit()

    def value(self) -> str | None:
        return self.edit.text().strip() or None

    def set_value(self, value: Any) -> None:
        self.edit.setText("" if value in (None, "") else str(value))

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)


class DateField(DateEdit):
    """A date that may be left empty (shown as “未填”), typed in any spelling :func:`parse_day` knows.

    Text that is not a day yet is handed to the form's checks as typed, so the clerk is told what is wrong
    instead of seeing it silently undone.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, optional=True)
        self.setMinimumWidth(130)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.lineEdit().textChanged.connect(lambda _t: self.changed.emit())

    def value(self) -> str | None:
        if not self.typed_is_day():
            return self.typed_text() or None
        day = self.day()
        return None if day is None else day.isoformat()

    def set_value(self, value: str | None) -> None:
        self.set_day(value)
        self.normalise_text()

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(read_only)
        self.setCalendarPopup(not read_only)
        self.setButtonSymbols(QDateEdit.ButtonSymbols.NoButtons if read_only else QDateEdit.ButtonSymbols.UpDownArrows)


class CheckGroup(QWidget):
    """One check box per term of a vocabulary, laid out in rows."""

    changed = Signal()

    def __init__(self, terms: list[str], columns: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for i, term in enumerate(terms):
            box = QCheckBox(term, self)
            box.toggled.connect(lambda _on: self.changed.emit())
            grid.addWidget(box, i // columns, i % columns)
            self.boxes[term] = box

    def value(self) -> list[str]:
        return [t for t, b in self.boxes.items() if b.isChecked()]

    def set_value(self, terms: list[str] | None) -> None:
        for t, b in self.boxes.items():
            b.setChecked(t in (terms or []))

    def set_read_only(self, read_only: bool) -> None:
        for b in self.boxes.values():
            b.setEnabled(not read_only)


class FundingRow(QWidget):
    """One source of funds: the source and its amount."""

    removed = Signal(object)

    def __init__(self, sources: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = QComboBox(self)
        self.source.addItems(sources)
        self.source.setMinimumWidth(160)
        self.amount = MoneyEdit(self)
        self.remove = QPushButton(self.tr("删除"), self)
        self.remove.clicked.connect(lambda: self.removed.emit(self))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.amount.capitals.setMinimumWidth(220)
        row.addWidget(self.source)
        row.addWidget(self.amount)
        row.addWidget(self.remove)
        row.addStretch(1)


class FundingList(QWidget):
    """An editable list of funding sources."""

    changed = Signal()

    def __init__(self, sources: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sources = sources
        self.rows: list[FundingRow] = []
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton(self.tr("添加资金来源"), self)
        self.add_button.clicked.connect(self._add_empty)
        self._box.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._read_only = False

    def add_row(self, source: str | None = None, amount: Any = None) -> FundingRow:
        row = FundingRow(self._sources, self)
        if source:
            idx = row.source.findText(source)
            if idx < 0:
                row.source.addItem(source)
                idx = row.source.count() - 1
            row.source.setCurrentIndex(idx)
        elif self.rows:
            used = {r.source.currentText() for r in self.rows}
            free = [s for s in self._sources if s not in used]
            if free:
                row.source.setCurrentText(free[0])
        row.amount.set_value(amount)
        row.source.currentIndexChanged.connect(lambda _i: self.changed.emit())
        row.amount.changed.connect(self.changed)
        row.removed.connect(self._remove)
        self._box.insertWidget(len(self.rows), row)
        self.rows.append(row)
        self._apply_read_only()
        self.changed.emit()
        return row

    def _add_empty(self) -> None:
        self.add_row().source.setFocus()

    def _remove(self, row: FundingRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.changed.emit()

    def value(self) -> list[dict[str, Any]]:
        return [{"source": r.source.currentText(), "amount": r.amount.value()} for r in self.rows]

    def set_value(self, items: list[dict[str, Any]] | None) -> None:
        for r in list(self.rows):
            self._remove(r)
        for item in items or []:
            self.add_row(item.get("source"), item.get("amount"))

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._apply_read_only()

    def _apply_read_only(self) -> None:
        self.add_button.setVisible(not self._read_only)
        for r in self.rows:
            r.source.setEnabled(not self._read_only)
            r.amount.set_read_only(self._read_only)
            r.remove.setVisible(not self._read_only)
