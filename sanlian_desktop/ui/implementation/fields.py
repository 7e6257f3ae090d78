"""Date fields shared by the project tabs and the correction dialogs."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QWidget


def date_edit(parent: QWidget) -> QDateEdit:
    edit = QDateEdit(QDate.currentDate(), parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def set_day(edit: QDateEdit, iso: str) -> None:
    edit.setDate(QDate.fromString(iso, "yyyy-MM-dd"))


def day_of(edit: QDateEdit) -> date:
    value: date = edit.date().toPython()  # type: ignore[assignment]
    return value
