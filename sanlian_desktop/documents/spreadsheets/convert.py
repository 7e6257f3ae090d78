"""Cell values as Excel or WPS store them, converted to a declaration's JSON values, with Chinese messages."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl.utils.datetime import from_excel

from sanlian_desktop.documents.spreadsheets.columns import URBAN_CHOICES, Column, Kind
from sanlian_desktop.kernel.money import MoneyError, parse_money
from sanlian_desktop.kernel.vocab import canonical_term

_FIRST_SERIAL, _LAST_SERIAL = 36526, 73050  # 2000-01-01 … 2099-12-31 as Excel day numbers
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TERM_SEPARATORS = re.compile(r"[、,，;；\s]+")
_URBAN_WORDS = {
    "城市": True, "城市社区": True, "城镇": True, "城镇社区": True, "农村": False, "农村社区": False,
}


class CellValueError(ValueError):
    """A cell that cannot become the field's value; the message is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_blank(value: object) -> bool:
    """True for an empty cell or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(value: int | float | Decimal) -> str:
    """A number as the user typed it: Excel keeps 15 significant digits, so 0.1 stored as
    0.10000000000000001 reads back as 0.1."""
    if isinstance(value, float):
        return format(value, ".15g")
    return str(value)


def _shown(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != time() else value.date().isoformat()
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return _number_text(value)
    return str(value).strip()


def to_text(value: object) -> str:
    """Free text: surrounding space removed, Windows line breaks made plain."""
    if isinstance(value, bool):
        raise CellValueError("应填写文字，而不是“是/否”（TRUE/FALSE）")
    if isinstance(value, time | timedelta):
        raise CellValueError("应填写文字，而不是时间")
    return _shown(value).replace("\r\n", "\n").replace("\r", "\n")


def to_code(value: object) -> str:
    """A code or telephone number. Excel may have turned digits into a number; take them back."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        raise CellValueError(f"“{_number_text(value)}”被 Excel 当成了数字，请将该列设为文本后重新填写")
    if isinstance(value, datetime | date):
        raise CellValueError("应为代码或号码，而不是日期")
    return "".join(to_text(value).split())


def to_integer(value: object) -> int:
    """A count of people, households or sessions."""
    if isinstance(value, bool):
        raise CellValueError("应为整数")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellValueError(f"“{_number_text(value)}”应为整数")
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").replace(" ", "")
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
    raise CellValueError(f"“{_shown(value)}”不是整数，请只填写数字")


def to_money(value: object) -> str:
    """An amount in yuan as the declaration's exact string, ``"50000.00"``."""
    if isinstance(value, bool | datetime | date | time | timedelta):
        raise CellValueError("应为金额（元）")
    if isinstance(value, float):
        value = Decimal(_number_text(value))
    try:
        amount = parse_money(value)
    except (MoneyError, InvalidOperation) as exc:
        raise CellValueError(str(exc)) from None
    return f"{amount:.2f}"


def _checked_date(year: int, month: int, day: int, shown: str) -> str:
    try:
        found = date(year, month, day)
    except ValueError:
        raise CellValueError(f"“{shown}”不是有效日期") from None
    if not 2000 <= found.year <= 2099:
        raise CellValueError(f"“{shown}”的年份不合理")
    return found.isoformat()


def to_date(value: object) -> str:
    """A date as ISO text ``YYYY-MM-DD``, from a date cell, a typed date text or a bare day number."""
    if isinstance(value, datetime):
        if value.time() != time():
            raise CellValueError(f"“{_shown(value)}”含有时间，请只填写日期")
        return _checked_date(value.year, value.month, value.day, _shown(value))
    if isinstance(value, date):
        return _checked_date(value.year, value.month, value.day, value.isoformat())
    if isinstance(value, bool):
        raise CellValueError("应为日期，如 2016-07-05")
    if isinstance(value, int | float):
        if isinstance(value, int) and _COMPACT_DATE.match(str(value)):
            text = str(value)
            return _checked_date(int(text[:4]), int(text[4:6]), int(text[6:]), text)
        # A date cell whose format was lost in a paste shows its day number (42556 for 2016-07-05).
        if float(value).is_integer() and _FIRST_SERIAL <= value <= _LAST_SERIAL:
            found = from_excel(value)
            assert isinstance(found, datetime)
            return found.date().isoformat()
        raise CellValueError(f"“{_number_text(value)}”不是日期，请按 2016-07-05 的格式填写")
    if isinstance(value, str):
        text = value.strip()
        match = _DATE_TEXT.match(text) or _COMPACT_DATE.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return _checked_date(year, month, day, text)
    raise CellValueError(f"“{_shown(value)}”不是有效日期，请按 2016-07-05 的格式填写")


def to_urban(value: object) -> bool:
    """城市社区 → True, 农村社区 → False."""
    text = to_text(value)
    if text in _URBAN_WORDS:
        return _URBAN_WORDS[text]
    raise CellValueError(f"“{text}”应为“{URBAN_CHOICES[0]}”或“{URBAN_CHOICES[1]}”")


def to_choice(value: object, vocabulary: tuple[str, ...]) -> str:
    """One term of ``vocabulary`` in its official spelling."""
    text = to_text(value)
    term = canonical_term(text, list(vocabulary))
    if term is None:
        raise CellValueError(f"“{text}”不在可选范围内（可选：{'、'.join(vocabulary)}）")
    return term


def to_terms(value: object, vocabulary: tuple[str, ...]) -> list[str]:
    """Several terms separated by 、 (commas, semicolons and line breaks are accepted too)."""
    text = to_text(value)
    terms: list[str] = []
    unknown: list[str] = []
    for part in _TERM_SEPARATORS.split(text):
        if not part:
            continue
        term = canonical_term(part, list(vocabulary))
        if term is None:
            unknown.append(part)
        elif term not in terms:
            terms.append(term)
    if unknown:
        raise CellValueError(
            f"“{'、'.join(unknown)}”不在可选范围内（可选：{'、'.join(vocabulary)}；多项用“、”分隔）"
        )
    return terms


def convert(col: Column, value: object) -> Any:
    """The declaration value of one cell; None (or [] for a list) when the cell is empty."""
    if is_blank(value):
        return [] if col.kind is Kind.TERMS else None
    match col.kind:
        case Kind.TEXT:
            return to_text(value)
        case Kind.CODE:
            return to_code(value)
        case Kind.INTEGER:
            return to_integer(value)
        case Kind.MONEY:
            return to_money(value)
        case Kind.DATE:
            return to_date(value)
        case Kind.URBAN:
            return to_urban(value)
        case Kind.CHOICE:
            return to_choice(value, col.vocabulary)
        case Kind.TERMS:
            return to_terms(value, col.vocabulary)
    raise AssertionError(col.kind)
