"""From the text lines found on the pages to the form's fields, by the labels the program prints.

The printed 申报表 (documents/printing/layout.py) is a two-column table: row labels on the left
(项目名称, 社区概况, …) and the content on the right, where most values follow a printed prompt
(``统一社会信用代码：``, ``小写：￥``, …). The content column is read as one stream of lines across
pages (page headers and footers left out) and cut at those prompts; the few values without a prompt
(the title, the profile and the effect text) are placed by the rows around them.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sanlian_desktop.kernel.checks import credit_code_problem, phone_problem
from sanlian_desktop.kernel.money import MoneyError, parse_money
from sanlian_desktop.kernel.vocab import OPINION_BOX_LABELS
from sanlian_desktop.paperread.engine import TextBox
from sanlian_desktop.paperread.numerals import parse_capital

LOW_CONFIDENCE = 0.9
# The confidence factor of an amount whose first reading was set right by two others that agree.
CONFIRMED = 0.95
# Reads the crop ``box`` (pixels) of page ``page`` again; None when it cannot.
Reread = Callable[[int, tuple[int, int, int, int]], str | None]
# The left column's labels as printed (a label broken over two lines is two text lines).
ROW_LABELS = {"项目名称", "社区概况", "项目概况", "资金需求", "和来源", "资金需求和来源", "申请省级", "补助资金",
              "申请省级补助资金", "效果预估", "项目承接", "单位", "项目承接单位", "申报前程序"}
OPINION_LABELS = {t for text in OPINION_BOX_LABELS.values() for t in (text, text.replace("意见", ""), "意见")}
# Prompts that start an item in the content column, in the order of the form.
PROMPTS = ["社区类型", "需求分析", "服务对象", "重点领域", "服务方式", "服务计划", "项目实施周期", "项目总预算",
           "资金来源", "小写", "大写", "预计受益人数", "单位名称", "统一社会信用代码", "项目负责社工", "联系电话",
           "社区筹划征集", "社区居民听证", "居民代表会议审议", "张榜公示", "审核结论"]
_ANCHORS = ("项目名称", "申报前程序", "统一社会信用代码", "项目总预算")
# Letters a 统一社会信用代码 never contains (GB 32100), read for the digit or letter they resemble.
_NEVER_IN_CODE = str.maketrans({"O": "0", "I": "1", "Z": "2", "S": "5", "V": "U"})


@dataclass
class FieldReading:
    """One field as read: the value proposed, the text it came from, how sure the reading is, where."""

    path: str  # as in fields.LABELS, e.g. ``undertaker.credit_code``; ``funding_sources[0].amount``
    value: Any
    text: str
    confidence: float
    page: int = 0
    box: tuple[int, int, int, int] | None = None  # pixels of the page image
    problem: str | None = None

    @property
    def low(self) -> bool:
        return self.confidence < LOW_CONFIDENCE or self.problem is not None


@dataclass
class Proposal:
    """What was read from a paper form: a draft's fields for the clerk to check, never saved by itself."""

    fields: dict[str, Any]
    readings: list[FieldReading]
    unit_names: dict[str, str] = field(default_factory=dict)
    pages: list[Any] = field(default_factory=list)  # the page images (PIL), for showing crops

    def reading(self, path: str) -> FieldReading | None:
        return next((r for r in self.readings if r.path == path), None)


@dataclass
class _Line:
    page: int
    y: float  # centre, deskewed page coordinates
    height: float
    text: str
    boxes: list[TextBox]

    @property
    def score(self) -> float:
        return min((b.score for b in self.boxes), default=0.0)

    def bbox(self) -> tuple[int, int, int, int]:
        xs0, ys0, xs1, ys1 = zip(*(b.bbox for b in self.boxes), strict=True)
        return min(xs0), min(ys0), max(xs1), max(ys1)


def _clean(text: str) -> str:
    return "".join(text.split()).replace(":", "：").replace("（", "(").replace("）", ")")


def _skew(boxes: list[TextBox]) -> float:
    """The page's rotation in radians, from the top edges of the longer text lines."""
    angles = []
    for b in boxes:
        (x0, y0), (x1, y1) = b.quad[0], b.quad[1]
        if x1 - x0 > 3 * abs(b.quad[3][1] - y0):
            angles.append(math.atan2(y1 - y0, x1 - x0))
    return statistics.median(angles) if angles else 0.0


@dataclass
class _Placed:
    box: TextBox
    page: int
    x0: float
    x1: float
    y: float
    h: float
    text: str


def _place(page: int, boxes: list[TextBox], size: tuple[int, int]) -> list[_Placed]:
    """Box positions with the page's skew taken out (rotated about the page centre)."""
    angle = -_skew(boxes)
    cx, cy = size[0] / 2, size[1] / 2
    cos, sin = math.cos(angle), math.sin(angle)
    out = []
    for b in boxes:
        pts = [((x - cx) * cos - (y - cy) * sin + cx, (x - cx) * sin + (y - cy) * cos + cy) for x, y in b.quad]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        out.append(_Placed(b, page, min(xs), max(xs), (min(ys) + max(ys)) / 2, max(ys) - min(ys), _clean(b.text)))
    return out


_UNIT_MARKS = ("申报单位", "市(州)", "县(市、区)", "街道(乡镇)")


def _is_furniture(text: str) -> bool:
    """Page furniture repeated on every page: the title, the unit line (or a piece of it), number, version,
    page count."""
    return (
        ("试点项目申报表" in text and len(text) <= 20) or any(mark in text for mark in _UNIT_MARKS)
        or re.fullmatch(r"(编号.*|第\d+版|第\d+页共\d+页)", text) is not None
    )


def anchors_found(pages: list[list[TextBox]]) -> int:
    """How many of the form's landmark labels appear on the pages (a form of another layout has few)."""
    texts = {_clean(b.text) for boxes in pages for b in boxes}
    joined = "".join(texts)
    return sum(1 for a in _ANCHORS if a in joined)


def _unit_names(text: str) -> dict[str, str]:
    m = re.search(r"申报单位：?(.*?)市\(州\)(.*?)县\(市、区\)(.*?)街道\(乡镇\)(.*?)社区$", text)
    if not m:
        return {}
    return dict(zip(["city", "county", "street", "community"], (g.strip("_") for g in m.groups()), strict=True))


def _lines(pages: list[list[TextBox]], sizes: list[tuple[int, int]]) -> tuple[list[_Line], dict[str, str],
                                                                                  dict[int, tuple[float, float]]]:
    """The content column's lines in reading order, the unit names, and 项目名称's centre per page."""
    lines: list[_Line] = []
    units: dict[str, str] = {}
    title_label: dict[int, tuple[float, float]] = {}
    for page, (boxes, size) in enumerate(zip(pages, sizes, strict=True)):
        placed = _place(page, boxes, size)
        labels = [p for p in placed if p.text in ROW_LABELS or p.text in OPINION_LABELS]
        for p in labels:
            if p.text == "项目名称":
                title_label[page] = (p.y, p.h)
        starts = [p for p in placed if p.text.startswith("申报单位")]
        if starts and not units:  # the unit line may come in several pieces
            pieces = sorted((p for p in placed if abs(p.y - starts[0].y) < 0.5 * starts[0].h), key=lambda p: p.x0)
            units = _unit_names("".join(p.text for p in pieces))
        if not labels:
            continue
        split_x = statistics.median(p.x1 for p in labels)
        content = sorted(
            (p for p in placed if p.x0 > split_x - 2 and p not in labels and not _is_furniture(p.text)),
            key=lambda p: p.y,
        )
        for p in content:
            last = lines[-1] if lines and lines[-1].page == page else None
            if last is not None and abs(p.y - last.y) < 0.5 * min(p.h, last.height):
                last.boxes.append(p.box)
                last.text += p.text  # boxes of one line come left to right once sorted below
                continue
            lines.append(_Line(page, p.y, p.h, p.text, [p.box]))
    for line in lines:
        if len(line.boxes) > 1:
            line.boxes.sort(key=lambda b: b.bbox[0])
            line.text = "".join(_clean(b.text) for b in line.boxes)
    return lines, units, title_label


@dataclass
class _Item:
    prompt: str  # "" for lines before the first prompt
    lines: list[_Line]

    @property
    def text(self) -> str:
        joined = "".join(line.text for line in self.lines)
        return joined.removeprefix(self.prompt).removeprefix("：") if self.prompt else joined

    @property
    def score(self) -> float:
        return min((line.score for line in self.lines), default=0.0)


def _items(lines: list[_Line]) -> list[_Item]:
    items = [_Item("", [])]
    for line in lines:
        prompt = next((p for p in PROMPTS if line.text.startswith(p)), None)
        if prompt == "审核结论":
            break
        if prompt is not None:
            items.append(_Item(prompt, [line]))
        else:
            items[-1].lines.append(line)
        if prompt == "张榜公示":
            break
    return items


class _Reader:
    def __init__(self) -> None:
        self.readings: list[FieldReading] = []

    def add(self, path: str, value: Any, lines: list[_Line], text: str, *, score: float | None = None,
            problem: str | None = None) -> Any:
        box = None
        page = lines[0].page if lines else 0
        same = [ln for ln in lines if ln.page == page]
        if same:
            bxs = [ln.bbox() for ln in same]
            box = (min(b[0] for b in bxs), min(b[1] for b in bxs), max(b[2] for b in bxs), max(b[3] for b in bxs))
        conf = min((ln.score for ln in lines), default=0.0) if score is None else score
        if problem:
            conf = min(conf, 0.3)
        self.readings.append(FieldReading(path, value, text, round(conf, 3), page, box, problem))
        return value


# Letters and marks OCR reads for a digit of like shape; used only on a figure's text and only where an
# independent reading (the 大写, the budget table's sums) confirms the result.
_DIGIT_LIKE = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "i": "1", "|": "1",
                             "!": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6", "b": "6",
                             "g": "9", "q": "9", "，": ",", "．": ".", "。": ".", "、": ","})
_FIGURE = re.compile(r"[0-9][0-9,.]*")


def _amount(text: str) -> Decimal | None:
    m = re.search(r"[0-9][0-9,，.]*", text.replace("O", "0").replace("o", "0"))
    if not m:
        return None
    digits = m.group(0).replace("，", ",").rstrip(".")
    if "," in digits and "." not in digits and re.fullmatch(r"\d{1,3}(,\d{3})*,\d{2}", digits):
        digits = digits[:-3] + "." + digits[-2:]  # a decimal point read as a comma
    try:
        return parse_money(digits)
    except MoneyError:
        return None


def _amount_options(text: str) -> list[Decimal]:
    """The amounts the figure in ``text`` may stand for, the plain reading first.

    The program prints every amount as ``12,345.67``: a point and a comma may be read for each other or
    lost, and a letter may be read for a digit of like shape. None of these is taken unless another
    reading of the form confirms it.
    """
    options: list[Decimal] = []
    plain = _amount(text)
    if plain is not None:
        options.append(plain)
    for variant in (text.replace("，", ",").replace("．", "."), text.translate(_DIGIT_LIKE)):
        m = _FIGURE.search(variant)
        if not m:
            continue
        run = m.group(0).rstrip(",.")
        digits = re.sub(r"[,.]", "", run)
        if not digits or len(digits) > 14:
            continue
        for value in (Decimal(digits) / 100, Decimal(digits)):  # cents printed (the rule), or a bare figure
            value = value.quantize(Decimal("0.01"))  # noqa: PLW2901 - the same amount to the cent
            if value > 0 and value not in options:
                options.append(value)
    return options


def _checked_amount(small_text: str, capital_text: str,
                    confirm: Decimal | None = None) -> tuple[Decimal | None, float, str | None]:
    """The amount from its 小写 and 大写 readings: (value, confidence factor, problem).

    When the two disagree, ``confirm`` (the same amount as the budget table gives it: the sources' sum
    for the total, the 省级补助 source for the subsidy) decides between them, as does a reading of the
    小写 with a letter or a separator misread that then agrees with the 大写. No reading that nothing
    confirms is taken: the field stays flagged for the clerk.
    """
    small = _amount(small_text)
    capital = parse_capital(capital_text) if capital_text else None
    if small is not None and capital is not None and small == capital:
        return small, 1.0, None
    options = _amount_options(small_text)
    if options and confirm is not None and (confirm == capital or confirm in options):
        return confirm, CONFIRMED, None
    if capital is not None and capital in options:
        return capital, CONFIRMED, None
    if small is not None and capital is not None:
        return small, 0.2, f"小写 {small} 与大写“{capital_text}”（{capital}）不一致"
    if small is not None:
        return small, 0.8 if capital_text else 1.0, "大写无法识别，请核对" if capital_text else None
    if capital is not None:
        return capital, 0.6, "小写无法识别，金额取自大写，请核对"
    return None, 0.0, "未能识别金额"


def _day(text: str) -> date | None:
    m = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _count(pattern: str, text: str) -> int | None:
    # Thousands are printed with commas, which OCR may read as a full stop (1,046 as 1.046): a count is whole.
    m = re.search(pattern + r"([0-9]{1,3}(?:[,，.][0-9]{3})+(?![0-9])|[0-9]+)", text)
    return int(re.sub(r"[,，.]", "", m.group(1))) if m else None


def _credit_code(text: str) -> tuple[str, str | None, float]:
    code = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    problem = credit_code_problem(code)
    if problem is None:
        return code, None, 1.0
    fixed = code.translate(_NEVER_IN_CODE)  # O for 0, I for 1, …: letters that cannot be there
    if fixed != code and credit_code_problem(fixed) is None:
        return fixed, None, 0.6  # checks out, but the clerk should look
    return code, f"统一社会信用代码{problem}", 1.0


def _terms(text: str) -> list[str]:
    return [t for t in re.split(r"[、，,；;]", text.rstrip("。")) if t]


@dataclass
class _Source:
    """One line of the 资金来源 list: ``2.市县财政配套：20,000.00元``."""

    line: _Line
    name: str
    text: str  # the amount's text
    value: Decimal | None
    factor: float = 1.0
    problem: str | None = None


_SOURCE_LINE = re.compile(r"^\d+[.．、,，]?(.+?)[：:](.+)$")


def _sources(lines: list[_Line]) -> list[_Source]:
    out = []
    for line in lines:
        m = _SOURCE_LINE.match(line.text)
        if not m:
            continue
        value = _amount(m.group(2))
        out.append(_Source(line, m.group(1), m.group(2), value, problem=None if value is not None else "未能识别金额"))
    return out


def _settle_sources(sources: list[_Source], total: Decimal | None, requested: Decimal | None) -> None:
    """Check the sources against the total and the subsidy (both read twice and agreeing, or ``None``).

    A source's amount misread as a letter or a lost separator is corrected when exactly one such reading
    makes the sum come out; when none does, every source's amount is flagged for the clerk.
    """
    for src in sources:
        if (src.name == "省级补助" and requested is not None and src.value != requested
                and requested in _amount_options(src.text)):
            src.value, src.factor, src.problem = requested, CONFIRMED, None
    if total is None or not sources:
        return
    values = [src.value for src in sources]
    if None not in values and sum((v for v in values if v is not None), Decimal(0)) == total:
        return
    fixes = []
    for n, src in enumerate(sources):
        others = [v for m, v in enumerate(values) if m != n]
        if None in others:
            continue
        rest = sum((v for v in others if v is not None), Decimal(0))
        fixes += [(n, option) for option in _amount_options(src.text) if option != src.value and rest + option == total]
    if len(fixes) == 1:
        n, option = fixes[0]
        sources[n].value, sources[n].factor, sources[n].problem = option, CONFIRMED, None
        return
    for src in sources:
        if src.problem is None:
            src.problem = f"资金来源合计与项目总预算 {total} 元不一致，请核对"


def _reread_amounts(reread: Reread, budget: _Item, small: _Item, capital: _Item, sources: list[_Source]) -> None:
    """Read the amounts' lines again (the crop alone, larger) where their two readings disagree.

    The text read again replaces the first reading only when it resolves the disagreement.
    """

    def again(lines: list[_Line]) -> list[_Line] | None:
        out = []
        for line in lines:
            text = reread(line.page, line.bbox())
            if text is None:
                return None
            out.append(_Line(line.page, line.y, line.height, _clean(text), line.boxes))
        return out

    def agrees(small_text: str, capital_text: str) -> bool:
        a, b = _amount(small_text), parse_capital(capital_text) if capital_text else None
        return a is not None and a == b

    def split(item: _Item) -> tuple[str, str]:
        small_text, _, capital_text = item.text.partition("(")
        return small_text, capital_text.rstrip(")")

    if budget.lines and not agrees(*split(budget)):
        lines = again(budget.lines)
        if lines is not None and agrees(*split(_Item(budget.prompt, lines))):
            budget.lines[:] = lines
    if (small.lines or capital.lines) and not agrees(small.text, capital.text):
        small_lines, capital_lines = again(small.lines), again(capital.lines)
        if small_lines is not None and capital_lines is not None and agrees(
                _Item(small.prompt, small_lines).text, _Item(capital.prompt, capital_lines).text):
            small.lines[:], capital.lines[:] = small_lines, capital_lines
    total = _amount(split(budget)[0])
    values = [src.value for src in sources]
    if total is not None and (None in values or sum((v for v in values if v is not None), Decimal(0)) != total):
        for n, src in enumerate(sources):
            lines = again([src.line])
            found = _sources(lines) if lines is not None else []
            if found and found[0].value is not None and found[0].value != src.value:
                rest = sum((v for m, v in enumerate(values) if m != n and v is not None), Decimal(0))
                if None not in values[:n] + values[n + 1:] and rest + found[0].value == total:
                    sources[n] = found[0]
                    return


def map_fields(pages: list[list[TextBox]], sizes: list[tuple[int, int]],
               reread: Reread | None = None) -> tuple[dict[str, Any], list[FieldReading], dict[str, str]]:
    """The form's fields, one reading per field, and the 申报单位 names from the pages' text lines.

    ``reread(page, box)`` reads a line's crop again, larger (the OCR engine): used only for amounts whose
    readings disagree.
    """
    lines, units, title_label = _lines(pages, sizes)
    items = _items(lines)
    by_prompt: dict[str, _Item] = {}
    for found in items:
        by_prompt.setdefault(found.prompt, found)
    r = _Reader()
    f: dict[str, Any] = {}

    def at(prompt: str) -> _Item:
        return by_prompt.get(prompt) or _Item(prompt, [])

    # Title and profile text: the lines before 社区类型, split by the 项目名称 row (its label is centred).
    head = by_prompt.get("", _Item("", []))
    title_lines: list[_Line] = []
    rest: list[_Line] = []
    label = title_label.get(head.lines[0].page) if head.lines else None
    if label is not None:
        centre, height = label
        # The title is centred on its label (at most three lines): anything higher up is noise (a piece
        # of the QR code, of the unit line); the title's last line lies as far below the label's centre
        # as its first lies above.
        lines_near = [ln for ln in head.lines if ln.page != head.lines[0].page or ln.y >= centre - 2.5 * height]
        if lines_near:
            first = lines_near[0]
            limit = 2 * centre - first.y + 0.5 * first.height
            for line in lines_near:
                (title_lines if line.page == first.page and line.y <= limit and not rest else rest).append(line)
    else:
        rest = list(head.lines)
    title = "".join(line.text for line in title_lines)
    f["title"] = r.add("title", title or None, title_lines, title, problem=None if title else "未能识别项目名称")
    profile_text = "".join(line.text for line in rest)
    figures = at("社区类型")
    ftext = figures.text
    urban = True if "城市社区" in ftext else False if "农村社区" in ftext else None
    profile: dict[str, Any] = {"text": r.add("community_profile.text", profile_text or None, rest, profile_text)}
    profile["urban"] = r.add("community_profile.urban", urban, figures.lines, ftext,
                             problem=None if urban is not None else "未能识别城市/农村社区")
    for key, pattern in (("population", "常住人口"), ("households", r"人[,，;；]"), ("social_organisations", "社区社会组织"),
                         ("social_workers", "持证社工"), ("registered_volunteers", "注册志愿者")):
        profile[key] = r.add(f"community_profile.{key}", _count(pattern, ftext), figures.lines, ftext)
    f["community_profile"] = profile
    for key, prompt in (("needs_analysis", "需求分析"), ("service_plan", "服务计划")):
        it = at(prompt)
        f[key] = r.add(key, it.text or None, it.lines, it.text)
    for key, prompt in (("target_groups", "服务对象"), ("focus_areas", "重点领域"), ("service_methods", "服务方式")):
        it = at(prompt)
        f[key] = r.add(key, _terms(it.text), it.lines, it.text)
    period = at("项目实施周期")
    start_text, _, end_text = period.text.partition("至")
    for key, text in (("period_start", start_text), ("period_end", end_text)):
        day = _day(text)
        f[key] = r.add(key, day.isoformat() if day else None, period.lines, text,
                       problem=None if day or not text else f"“{text}”不是有效日期")

    budget = at("项目总预算")
    small_item, capital_item = at("小写"), at("大写")
    capital_line = _Item("大写", capital_item.lines[:1])  # the effect text follows it, without a prompt
    sources = _sources(at("资金来源").lines[1:])
    if reread is not None:
        _reread_amounts(reread, budget, small_item, capital_line, sources)
    listed = [src.value for src in sources]
    listed_sum = sum((a for a in listed if a is not None), Decimal(0)) if sources and None not in listed else None
    provincial = next((src.value for src in sources if src.name == "省级补助"), None)

    small_text, _, capital_text = budget.text.partition("(")
    total, factor, problem = _checked_amount(small_text, capital_text.rstrip(")"), listed_sum)
    f["budget_total"] = r.add("budget_total", str(total) if total is not None else None, budget.lines, budget.text,
                              score=budget.score * factor, problem=problem if budget.lines else None)
    total_sure = total is not None and problem is None and factor >= CONFIRMED
    requested, rfactor, rproblem = _checked_amount(small_item.text, capital_line.text, provincial)
    requested_sure = requested is not None and rproblem is None and rfactor >= CONFIRMED
    _settle_sources(sources, total if total_sure else None, requested if requested_sure else None)
    for n, src in enumerate(sources):
        r.add(f"funding_sources[{n}].source", src.name, [src.line], src.line.text)
        r.add(f"funding_sources[{n}].amount", str(src.value) if src.value is not None else None, [src.line],
              src.text, score=src.line.score * src.factor, problem=src.problem)
    f["funding_sources"] = [{"source": src.name, "amount": str(src.value) if src.value is not None else ""}
                            for src in sources]
    amounts = [src.value for src in sources]
    if f["budget_total"] is None and sources and all(a is not None for a in amounts):
        # The form requires the sources to add up to the total: the sum stands in for an unread total.
        total = sum((a for a in amounts if a is not None), Decimal(0))
        f["budget_total"] = str(total)
        unread = next(x for x in r.readings if x.path == "budget_total")
        unread.value, unread.confidence = f["budget_total"], 0.5
        unread.problem = "未能读出项目总预算，已按资金来源合计填入，请核对"
    f["subsidy_requested"] = r.add(
        "subsidy_requested", str(requested) if requested is not None else None,
        small_item.lines + capital_line.lines, f"{small_item.text} / {capital_line.text}",
        score=min(small_item.score, capital_line.score or 1) * rfactor,
        problem=rproblem if small_item.lines or capital_item.lines else None)

    effect_text = "".join(line.text for line in capital_item.lines[1:])
    effect_figures = at("预计受益人数")
    eff_lines = capital_item.lines[1:]
    f["expected_effect"] = {
        "text": r.add("expected_effect.text", effect_text or None, eff_lines, effect_text),
        "beneficiaries": r.add("expected_effect.beneficiaries", _count("预计受益人数", effect_figures.lines[0].text)
                               if effect_figures.lines else None, effect_figures.lines, effect_figures.text),
        "service_sessions": r.add("expected_effect.service_sessions", _count("预计服务", effect_figures.text),
                                  effect_figures.lines, effect_figures.text),
    }

    und: dict[str, Any] = {}
    name = at("单位名称")
    und["name"] = r.add("undertaker.name", name.text or None, name.lines, name.text)
    cc = at("统一社会信用代码")
    code, problem, factor = _credit_code(cc.text)
    und["credit_code"] = r.add("undertaker.credit_code", code or None, cc.lines, cc.text, score=cc.score * factor,
                               problem=problem if cc.lines else None)
    worker = at("项目负责社工")
    m = re.fullmatch(r"(.*?)\((.*)\)", worker.text)
    lead, cert = (m.group(1), m.group(2)) if m else (worker.text, "")
    und["lead_worker"] = r.add("undertaker.lead_worker", lead or None, worker.lines, worker.text)
    und["lead_worker_certificate"] = r.add("undertaker.lead_worker_certificate", cert or None, worker.lines,
                                           worker.text)
    phone = at("联系电话")
    ptext = phone.text.replace("—", "-").replace("一", "-")
    und["phone"] = r.add("undertaker.phone", ptext or None, phone.lines, phone.text,
                         problem=phone_problem(ptext) if ptext else None)
    f["undertaker"] = und

    steps: dict[str, Any] = {}
    for key, prompt in (("solicitation_date", "社区筹划征集"), ("hearing_date", "社区居民听证"),
                        ("council_date", "居民代表会议审议")):
        it = at(prompt)
        day = _day(it.text)
        steps[key] = r.add(f"pre_steps.{key}", day.isoformat() if day else None, it.lines, it.text,
                           problem=None if day or not it.text else f"“{it.text}”不是有效日期")
    notice = at("张榜公示")
    a, _, b = notice.text.partition("至")
    for key, text in (("notice_start", a), ("notice_end", b)):
        day = _day(text)
        steps[key] = r.add(f"pre_steps.{key}", day.isoformat() if day else None, notice.lines, text,
                           problem=None if day or not text else f"“{text}”不是有效日期")
    f["pre_steps"] = steps
    return f, r.readings, units

