"""Exact money: amounts are Decimal yuan with two places in the API and integer fen in the store."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_FEN = 10**13  # one hundred billion yuan; anything larger is a typing error
_CENT = Decimal("0.01")
# Plain yuan below MAX_FEN with at most two places, as every stored or received amount is written.
_PLAIN = re.compile(r"[0-9]{1,11}(?:\.[0-9]{1,2})?")


class MoneyError(ValueError):
    """Text that is not an amount of money."""


def parse_money(value: object) -> Decimal:
    """Parse a yuan amount (``"80000"``, ``"80,000.00"``, ``"8万"``, 80000) into a two-place Decimal.

    Floats are refused: they cannot carry money exactly.
    """
    if isinstance(value, str) and _PLAIN.fullmatch(value):
        return Decimal(value).quantize(_CENT)
    if isinstance(value, bool | float):
        raise MoneyError("金额须写成文字或整数，不能是浮点数")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
        text = text.removesuffix("元")
        factor = Decimal(1)
        if text.endswith("万"):
            text, factor = text[:-1], Decimal(10000)
        try:
            amount = Decimal(text) * factor
        except InvalidOperation:
            raise MoneyError(f"“{value}”不是有效金额") from None
    else:
        raise MoneyError(f"“{value}”不是有效金额")
    if not amount.is_finite():
        raise MoneyError(f"“{value}”不是有效金额")
    if abs(amount) * 100 >= MAX_FEN:
        raise MoneyError(f"“{value}”金额过大")
    if amount != amount.quantize(_CENT):
        raise MoneyError(f"“{value}”的金额精确到分即可（最多两位小数）")
    return amount.quantize(_CENT)


def to_fen(amount: Decimal) -> int:
    """Yuan as a Decimal to integer fen."""
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_fen(fen: int) -> Decimal:
    """Integer fen to yuan as a two-place Decimal."""
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def format_yuan(amount: Decimal | None) -> str:
    """``80000.00`` → ``80,000.00``; empty for None."""
    return "" if amount is None else f"{amount:,.2f}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_BIG_UNITS = ["", "万", "亿", "万亿"]


def _four_digits(n: int) -> str:
    """Capital numerals for 0 < n < 10000, with 零 for inner gaps."""
    out: list[str] = []
    zero = False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            zero = bool(out)
        else:
            if zero:
                out.append("零")
                zero = False
            out.append(_DIGITS[d] + _SMALL_UNITS[pos])
    return "".join(out)


def capital_numerals(amount: Decimal) -> str:
    """Chinese financial capitals as written on cheques and forms: 50000 → 人民币伍万元整."""
    amount = amount.quantize(Decimal("0.01"))
    negative = amount < 0
    fen_total = abs(to_fen(amount))
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    parts: list[str] = []
    if yuan:
        groups = []
        rest = yuan
        while rest:
            groups.append(rest % 10000)
            rest //= 10000
        text = ""
        need_zero = False
        for idx in range(len(groups) - 1, -1, -1):
            g = groups[idx]
            if g == 0:
                need_zero = bool(text)
                continue
            # 零 where digits are skipped: a short lower group, an empty group between, or an upper
            # group ending in zero (1,005,000 → 壹佰万零伍仟).
            if text and (need_zero or g < 1000 or groups[idx + 1] % 10 == 0):
                text += "零"
            text += _four_digits(g) + _BIG_UNITS[idx]
            need_zero = False
        parts.append(text + "元")
    if jiao == 0 and fen == 0:
        parts.append("整" if yuan else "零元整")
    else:
        if jiao:
            parts.append(_DIGITS[jiao] + "角")
        elif yuan:
            parts.append("零")
        if fen:
            parts.append(_DIGITS[fen] + "分")
        else:
            parts.append("整")
    return ("负" if negative else "") + "人民币" + "".join(parts)
