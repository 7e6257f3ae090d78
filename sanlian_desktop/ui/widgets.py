"""Small widgets several screens share."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from PySide6.QtCore import (
    QCoreApplication,
    QDate,
    QDateTime,
    QEvent,
    QMargins,
    QObject,
    QPoint,
    QPointF,
    QRect,
    QSize,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import QFocusEvent, QKeyEvent, QKeySequence, QMouseEvent, QValidator, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QCalendarWidget,
    QComboBox,
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


EMPTY_DATE = QDate(2000, 1, 1)
"""An optional :class:`DateEdit` holds this (its minimum) while empty, shown as its special-value text."""

# The spellings a clerk may type: 2027-01-01, 20270101, 2027/1/1, 2027.1.1.
_SPELLINGS = (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), re.compile(r"(\d{4})(\d{2})(\d{2})"),
              re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"))
# What may still become one of them with more keystrokes.
_PARTIAL = re.compile(r"\d{0,8}|\d{4}([-/.])\d{0,2}|\d{4}([-/.])\d{1,2}\2\d{0,2}")
_EDITING_KEYS = frozenset({Qt.Key.Key_Backspace, Qt.Key.Key_Delete, Qt.Key.Key_Left, Qt.Key.Key_Right,
                           Qt.Key.Key_Home, Qt.Key.Key_End})


def parse_day(text: str) -> date | None:
    """The day written as ``2027-01-01``, ``20270101``, ``2027/1/1`` or ``2027.1.1``; None for anything else."""
    for spelling in _SPELLINGS:
        m = spelling.fullmatch(text.strip())
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


class DateEdit(QDateEdit):
    """A day picker that also takes the day typed in any of the spellings of :func:`parse_day`.

    Shown as ``yyyy-MM-dd``; the calendar opens at the day shown, or at today while the field is empty.
    An ``optional`` one may be left empty (its placeholder says “未填”): it holds :data:`EMPTY_DATE` meanwhile.
    QDateEdit's own typing works section by section and ignores digits over a special-value text, so the
    text keys go straight to the line edit and the whole text is parsed. (No special-value text either:
    leaving it rewrites the text being typed, “2027/1/1” before its “5”.)
    """

    def __init__(self, parent: QWidget | None = None, *, optional: bool = False) -> None:
        super().__init__(parent)
        self.optional = optional
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        if optional:
            self.setMinimumDate(EMPTY_DATE)
            self.setDate(EMPTY_DATE)
            self.lineEdit().setText("")  # QDateEdit starts at EMPTY_DATE already: setDate wrote nothing
        hint = self.tr("未填（如 2027-01-01）") if optional else self.tr("如 2027-01-01")
        self.lineEdit().setPlaceholderText(hint)

    # -- the day ---------------------------------------------------------------------------------------

    def day(self) -> date | None:
        """The day held; None while an optional field is empty."""
        if self.optional and self.date() == EMPTY_DATE:
            return None
        q = self.date()
        return date(q.year(), q.month(), q.day())

    def set_day(self, day: date | str | None) -> None:
        """Show ``day`` (a date or its ISO text); None (or text that is no date) empties an optional field."""
        if isinstance(day, str):
            day = parse_day(day)
        if day is None:
            if self.optional:
                self.setDate(EMPTY_DATE)
            return
        self.setDate(QDate(day.year, day.month, day.day))

    def is_empty(self) -> bool:
        return self.optional and self.date() == EMPTY_DATE

    def typed_text(self) -> str:
        """The text as typed (it may not be a day yet)."""
        return self.lineEdit().text().strip()

    def typed_is_day(self) -> bool:
        """Whether the text shown is a day in range (or, for an optional field, empty)."""
        return self._state(self.lineEdit().text()) == QValidator.State.Acceptable

    def _state(self, text: str) -> QValidator.State:
        stripped = text.strip()
        if self.optional and not stripped:
            return QValidator.State.Acceptable
        day = parse_day(stripped)
        if day is not None and self._in_range(day):
            return QValidator.State.Acceptable
        if day is not None or _PARTIAL.fullmatch(stripped):
            return QValidator.State.Intermediate
        return QValidator.State.Invalid

    # -- QDateTimeEdit ---------------------------------------------------------------------------------

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        return self._state(text), text, pos

    def _in_range(self, day: date) -> bool:
        q = QDate(day.year, day.month, day.day)
        return self.minimumDate() <= q <= self.maximumDate() and not (self.optional and q == EMPTY_DATE)

    def dateTimeFromText(self, text: str) -> QDateTime:
        day = parse_day(text)
        if day is None:
            q = self.minimumDate() if self.optional else self.date()
        else:
            q = QDate(day.year, day.month, day.day)
        return QDateTime(q, QTime(0, 0))

    def textFromDateTime(self, value: QDateTime | datetime) -> str:
        q = value.date() if isinstance(value, QDateTime) else QDate(value.year, value.month, value.day)
        return "" if self.optional and q == EMPTY_DATE else q.toString("yyyy-MM-dd")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        chord = event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        typing = (bool(text) and text.isprintable() and not chord) or event.key() in _EDITING_KEYS \
            or event.matches(QKeySequence.StandardKey.SelectAll)
        if typing and not self.isReadOnly():
            self.lineEdit().event(event)
            return
        super().keyPressEvent(event)

    def stepBy(self, steps: int) -> None:
        """Up/Down, the arrows and the (focused) wheel: from today when empty, else from the day shown."""
        if self.is_empty() and not self.isReadOnly():
            today = min(max(QDate.currentDate(), self.minimumDate()), self.maximumDate())
            self.setDate(today)
            return
        self.normalise_text()  # QDateTimeEdit steps the section under the cursor of a yyyy-MM-dd text
        super().stepBy(steps)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        super().mousePressEvent(event)  # may open the calendar
        calendar = self.calendarWidget() if self.calendarPopup() else None
        if calendar is not None and calendar.isVisible():
            self._calendar_shown(calendar)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if event.reason() in (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason,
                              Qt.FocusReason.ShortcutFocusReason, Qt.FocusReason.OtherFocusReason):
            self.lineEdit().selectAll()  # typing replaces the whole day, not one section of it

    def focusOutEvent(self, event: QFocusEvent) -> None:
        typed = self.lineEdit().text()
        keep = self.optional and self._state(typed) != QValidator.State.Acceptable
        super().focusOutEvent(event)  # QAbstractSpinBox puts back the previous day over text that is none
        if keep:
            self.lineEdit().setText(typed)  # an optional field's caller says what is wrong with it instead
        self.normalise_text()

    def normalise_text(self) -> None:
        """Show the day held in ``yyyy-MM-dd`` once the typing is done (a spelling that is a day)."""
        if self.typed_is_day():
            shown = self.textFromDateTime(self.dateTime())
            if self.lineEdit().text() != shown:
                self.lineEdit().setText(shown)

    def _calendar_shown(self, calendar: QCalendarWidget) -> None:
        """An empty field's calendar opens at this month, not at the placeholder January 2000."""
        if self.is_empty():
            today = min(max(QDate.currentDate(), self.minimumDate()), self.maximumDate())
            calendar.setCurrentPage(today.year(), today.month())


def date_edit(parent: QWidget, day: date | None = None, *, latest: date | None = None,
              optional: bool = False) -> DateEdit:
    """A day picker (typed or from the calendar) showing ``day`` — else today, or nothing when ``optional`` —
    never past ``latest``."""
    edit = DateEdit(parent, optional=optional)
    if latest is not None:
        edit.setMaximumDate(QDate(latest.year, latest.month, latest.day))
    edit.set_day(day if day is not None or optional else date.today())
    return edit


def set_day(edit: QDateEdit, day: date | str) -> None:
    """Show ``day`` (a date or its ISO text)."""
    if isinstance(edit, DateEdit):
        edit.set_day(day)
    elif isinstance(day, str):
        edit.setDate(QDate.fromString(day, "yyyy-MM-dd"))
    else:
        edit.setDate(QDate(day.year, day.month, day.day))


def day_of(edit: QDateEdit) -> date:
    """The day shown."""
    qdate = edit.date()
    return date(qdate.year(), qdate.month(), qdate.day())


def local_time(value: datetime | str, *, seconds: bool = False) -> str:
    """A stored instant (UTC; naive means UTC) as this computer's local time, ``2027-01-01 09:30``."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


class WheelGuard(QObject):
    """The mouse wheel changes a combo, spin or date box only while it has the keyboard focus.

    Installed once on the application (:func:`install_wheel_guard`), so every such box of every window
    is covered, including those made later (a new funding row). Scrolling a long form with the pointer
    over a box scrolls the form: the box gets ``Qt.StrongFocus`` (the wheel no longer gives it focus) and
    the wheel event goes to the enclosing scroll area instead.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(watched, QComboBox | QAbstractSpinBox):
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel and isinstance(watched, QComboBox | QAbstractSpinBox) \
                and not _has_focus(watched):
            _scroll_instead(watched, event)  # type: ignore[arg-type]
            return True
        return False


def install_wheel_guard(app: QCoreApplication) -> WheelGuard:
    """Install the :class:`WheelGuard` on ``app`` (once; a second call returns the first guard)."""
    found = app.findChild(WheelGuard)
    if found is not None:
        return found
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    return guard


def _has_focus(widget: QWidget) -> bool:
    focus = widget.window().focusWidget()
    return focus is not None and (focus is widget or widget.isAncestorOf(focus))


def _scroll_instead(widget: QWidget, event: QWheelEvent) -> None:
    """Hand the wheel to the nearest scroll area around ``widget`` (nothing moves when there is none)."""
    area = widget.parentWidget()
    while area is not None and not isinstance(area, QAbstractScrollArea):
        area = area.parentWidget()
    if area is None:
        return
    viewport = area.viewport()
    where = QPointF(viewport.mapFromGlobal(event.globalPosition().toPoint()))
    passed = QWheelEvent(where, event.globalPosition(), event.pixelDelta(), event.angleDelta(), event.buttons(),
                         event.modifiers(), event.phase(), event.inverted(), event.source())
    QCoreApplication.sendEvent(viewport, passed)


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
