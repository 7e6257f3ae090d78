"""Chinese financial capitals (大写金额) back to amounts, to cross-check the 小写 figure read beside them."""

from __future__ import annotations

from decimal import Decimal

_DIGITS = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_SMALL = {"拾": 10, "佰": 100, "仟": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
# Characters read for a capital numeral they resemble (参 for 叁 is PP-OCR's commonest), and the traditional
# forms: only ever compared against the 小写 figure, so a tolerant reading cannot make an amount up.
_LOOK_ALIKE = str.maketrans({"参": "叁", "叄": "叁", "武": "贰", "貳": "贰", "陸": "陆", "伯": "佰", "萬": "万",
                             "億": "亿", "圓": "元"})


def _integer(text: str) -> int | None:
    total = section = 0
    digit: int | None = None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL:
            section += (1 if digit is None else digit) * _SMALL[ch]  # 拾 alone is 壹拾
            digit = None
        elif ch in _BIG:
            group = section + (digit or 0)
            total = total + group * _BIG[ch] if ch == "万" else (total + group) * _BIG[ch]
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def parse_capital(text: str) -> Decimal | None:
    """``人民币伍万元整`` → ``Decimal("50000.00")``; None when the text is not such an amount."""
    body = "".join(text.split()).translate(_LOOK_ALIKE).removeprefix("人民币").removesuffix("整").removesuffix("正")
    body = body.replace("圆", "元")
    if not body:
        return None
    yuan_part, has_yuan, cents_part = body.partition("元")
    if not has_yuan:
        if not body.endswith(("角", "分")):
            return None
        yuan_part, cents_part = "", body
    yuan = _integer(yuan_part) if yuan_part else 0
    if yuan is None:
        return None
    jiao = fen = 0
    rest = cents_part.removeprefix("零")
    if "角" in rest:
        head, _, rest = rest.partition("角")
        if len(head) != 1 or head not in _DIGITS:
            return None
        jiao = _DIGITS[head]
    rest = rest.removeprefix("零")
    if "分" in rest:
        head, _, rest = rest.partition("分")
        if len(head) != 1 or head not in _DIGITS:
            return None
        fen = _DIGITS[head]
    if rest:
        return None
    return (Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100).quantize(Decimal("0.01"))
