"""Small widgets several screens share."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QEvent, QMargins, QObject, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QSizePolicy,
    QWidget,
)

ERROR_STYLE = "color: #b3261e;"


def date_edit(parent: QWidget, day: date | None = None, *, latest: date | None = None) -> QDateEdit:
    """A day picker (calendar popup, ``yyyy-MM-dd``) showing ``day`` (today when None), never past ``latest``."""
    edit = QDateEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    if latest is not None:
        edit.setMaximumDate(QDate(latest.year, latest.month, latest.day))
    set_day(edit, day or date.today())
    return edit


def set_day(edit: QDateEdit, day: date | str) -> None:
    """Show ``day`` (a date or its ISO text)."""
    if isinstance(day, str):
        edit.setDate(QDate.fromString(day, "yyyy-MM-dd"))
    else:
        edit.setDate(QDate(day.year, day.month, day.day))


def day_of(edit: QDateEdit) -> date:
    """The day shown."""
    qdate = edit.date()
    return date(qdate.year(), qdate.month(), qdate.day())


class InlineError(QLabel):
    """A red sentence under a form, empty and hidden until there is something to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.show_message("")


class PasswordPair(QObject):
    """A new password typed twice, as two rows of the caller's form (so the labels line up).

    The strength rule belongs to the service; this only compares the two.
    """

    changed = Signal()

    def __init__(self, form: QFormLayout, parent: QWidget) -> None:
        super().__init__(parent)
        self.first = QLineEdit(parent)
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.second = QLineEdit(parent)
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setPlaceholderText(self.tr("至少8位"))
        form.addRow(self.tr("密码："), self.first)
        form.addRow(self.tr("再输入一次："), self.second)
        self.first.textChanged.connect(self.changed)
        self.second.textChanged.connect(self.changed)

    def password(self) -> str:
        return self.first.text()

    def mismatch(self) -> str:
        """A sentence when the two differ, else an empty string."""
        return "" if self.first.text() == self.second.text() else self.tr("两次输入的密码不一致")

    def set_passwords(self, first: str, second: str | None = None) -> None:
        self.first.setText(first)
        self.second.setText(first if second is None else second)


class FlowLayout(QLayout):
    """Items left to right, wrapping onto another row when the width runs out (a filter bar that fits a
    narrow window). Items that expand horizontally share what is left of their row; the others keep
    their preferred width. The minimum width is that of the widest item, not of the whole row."""

    def __init__(self, parent: QWidget | None = None, *, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing

    # -- QLayout ---------------------------------------------------------------------------------------

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation.Horizontal

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        """Everything on one row."""
        shown = self._shown()
        m = self.contentsMargins()
        width = sum(i.sizeHint().width() for i in shown) + self._gap * max(0, len(shown) - 1)
        height = max((i.sizeHint().height() for i in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:
        """As wide as the widest item; as high as the rows are at that width."""
        m = self.contentsMargins()
        width = max((_min_width(i) for i in self._shown()), default=0) + m.left() + m.right()
        return QSize(width, self.heightForWidth(width))

    # -- arranging -------------------------------------------------------------------------------------

    def _shown(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty()]

    def rows(self, width: int) -> list[list[QLayoutItem]]:
        """The items of each row at ``width`` (margins included)."""
        m = self.contentsMargins()
        room = max(0, width - m.left() - m.right())
        rows: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in self._shown():
            w = max(item.sizeHint().width(), _min_width(item))
            if rows[-1] and used + self._gap + w > room:
                rows.append([])
                used = 0
            used += (self._gap if rows[-1] else 0) + w
            rows[-1].append(item)
        return [r for r in rows if r]

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        """Place the items within ``rect`` (when ``apply``); the height they take."""
        m: QMargins = self.contentsMargins()
        room = max(0, rect.width() - m.left() - m.right())
        y = m.top()
        for n, row in enumerate(self.rows(rect.width())):
            if n:
                y += self._gap
            widths = [min(room, max(i.sizeHint().width(), _min_width(i))) for i in row]
            spare = max(0, room - sum(widths) - self._gap * (len(row) - 1))
            growing = [k for k, i in enumerate(row) if _expands(i)]
            for g, k in enumerate(growing):
                widths[k] += spare // len(growing) + (1 if g < spare % len(growing) else 0)
            height = max(i.sizeHint().height() for i in row)
            x = rect.x() + m.left()
            for item, w in zip(row, widths, strict=True):
                if apply:
                    h = min(height, max(item.sizeHint().height(), item.minimumSize().height()))
                    item.setGeometry(QRect(QPoint(x, rect.y() + y + (height - h) // 2), QSize(w, h)))
                x += w + self._gap
            y += height
        return y + m.bottom()


def _min_width(item: QLayoutItem) -> int:
    return item.minimumSize().width()


def _expands(item: QLayoutItem) -> bool:
    widget = item.widget()
    policy = widget.sizePolicy().horizontalPolicy() if widget is not None else QSizePolicy.Policy.Fixed
    return bool(policy.value & QSizePolicy.PolicyFlag.ExpandFlag.value)


class StretchColumn(QObject):
    """One column of a table takes the width the others leave, as ``QHeaderView.Stretch`` would, but never
    less than ``minimum``: in a narrow window the table scrolls sideways instead of squeezing the column
    (a project's name) to nothing."""

    def __init__(self, view: QAbstractItemView, column: int, minimum: int) -> None:
        super().__init__(view)
        self.view, self.column, self.minimum = view, column, minimum
        self.header: QHeaderView = view.horizontalHeader()  # type: ignore[attr-defined]
        self.header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        self.header.setStretchLastSection(False)
        self.header.sectionResized.connect(self._resized)
        view.viewport().installEventFilter(self)
        self._fitting = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def _resized(self, index: int, _old: int, _new: int) -> None:
        if index != self.column:
            self.fit()

    def fit(self) -> None:
        """Give the column what the viewport has left over, at least ``minimum``."""
        if self._fitting:
            return
        self._fitting = True
        try:
            others = sum(self.header.sectionSize(c) for c in range(self.header.count())
                         if c != self.column and not self.header.isSectionHidden(c))
            self.header.resizeSection(self.column, max(self.minimum, self.view.viewport().width() - others))
        finally:
            self._fitting = False
