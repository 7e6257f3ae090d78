"""Checks of what people enter: identifiers used on the form (统一社会信用代码, GB 32100-2015, and telephone
numbers) and bounded free text."""

from __future__ import annotations

import re
from collections.abc import Callable

from sanlian_desktop.kernel.errors import UserError

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_SET = frozenset(_CREDIT_ALPHABET)
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_VALUE = {c: n for n, c in enumerate(_CREDIT_ALPHABET)}


def credit_code_check_char(first17: str) -> str:
    """The 18th (check) character for the first 17 characters of a 统一社会信用代码."""
    if len(first17) != len(_CREDIT_WEIGHTS):
        raise ValueError("the first 17 characters of a credit code")
    value = _CREDIT_VALUE
    try:
        total = sum(map(int.__mul__, map(value.__getitem__, first17), _CREDIT_WEIGHTS))
    except KeyError:
        raise ValueError(f"not a credit code character in {first17!r}") from None
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 统一社会信用代码, or None when it is."""
    if len(code) != 18:
        return f"应为18位，现为{len(code)}位"
    if not _CREDIT_SET.issuperset(code):
        bad = next(c for c in code if c not in _CREDIT_SET)
        return f"含有不允许的字符“{bad}”（不使用 I、O、Z、S、V）"
    if not code[2:8].isdigit():
        return "第3至8位应为登记管理机关行政区划码（数字）"
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return f"校验码不正确（最后一位应为“{expected}”）"
    return None


# Mainland mobile numbers, and fixed lines with an area code (0931-8812345, 09318812345, with extension).
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_BRACKETED_AREA = re.compile(r"^\((0\d{2,3})\)")
_FIXED = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def phone_problem(phone: str) -> str | None:
    """Why ``phone`` is not a usable telephone number, or None when it is."""
    compact = phone.strip().replace(" ", "").replace("（", "(").replace("）", ")")
    compact = _BRACKETED_AREA.sub(r"\1-", compact)
    compact = compact.removeprefix("+86").removeprefix("86-")
    if _MOBILE.match(compact) or _FIXED.match(compact):
        return None
    return "应为11位手机号或带区号的固定电话（如 0931-8812345）"


def entered_text(value: object, label: str, *, limit: int, required: bool = True, name_en: str | None = None,
                 error: Callable[[str, str], Exception] = UserError) -> str:
    """Text a person entered, trimmed (``None`` is empty): refused through ``error(zh, en)`` when it is
    empty but ``required`` or longer than ``limit`` characters. ``label`` names the field to the user,
    ``name_en`` in the English message (default: ``label``)."""
    text = value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())
    name = name_en or label
    if required and not text:
        raise error(f"{label}：请填写", f"{name}: required")
    if len(text) > limit:
        raise error(f"{label}：不能超过{limit}字", f"{name}: longer than {limit} characters")
    return text
