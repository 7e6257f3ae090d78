"""Region codes as segments: who is whose direct parent, compared segment by segment, never by prefix.

A code is 6 digits (province ``pp0000``, city ``ppcc00``, county ``ppccdd``), 9 digits (street
``ppccddsss``) or 12 digits (community ``ppccddsssccc``). Its segments are 2+2+2+3+3 digits.

Cities without counties (嘉峪关市 and the special units 兰州新区, 甘肃矿区, 东风场区, which carry the
synthetic codes 6291–6293 ``00``) have their streets directly underneath: a street such as 620201001
or 620200001 belongs to the city 620200, which certifies it. The store knows the real tree, so every
function that needs a parent accepts a ``parent_of`` hook; :func:`default_parent_of` is the segment rule.

A third-party evaluation office (``Level.EVALUATOR``) is no region: its code is its province's code,
``E`` and three digits (``620000E001``). It lies "within" its province and nowhere else, its only
parent is the province, and it has no territory of its own (nothing lies within it but itself).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sanlian_desktop.kernel.vocab import Level

ParentOf = Callable[[str], str | None]

# Cities (and units treated as cities) that have no counties: their streets sit directly under them.
COUNTYLESS_CITIES = frozenset({"620200", "629100", "629200", "629300"})

_SEGMENT_LENGTHS = (2, 2, 2, 3, 3)
_EVALUATOR_CODE = re.compile(r"^(?!00)[0-9]{2}0000E(?!000)[0-9]{3}$")
_LEVEL_BY_DIGITS = {9: Level.STREET, 12: Level.COMMUNITY}


def segments(code: str) -> tuple[str, ...]:
    """The code split into its 2+2+2(+3(+3)) digit segments; ValueError if it is not a region code."""
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() or len(code) not in (6, 9, 12):
        raise ValueError(f"not a region code: {code!r}")
    parts: list[str] = []
    pos = 0
    for width in _SEGMENT_LENGTHS:
        if pos >= len(code):
            break
        parts.append(code[pos : pos + width])
        pos += width
    if parts[0] == "00":
        raise ValueError(f"not a region code (province segment is 00): {code!r}")
    if len(parts) == 3 and parts[1] == "00" and parts[2] != "00":
        raise ValueError(f"not a region code (county without a city): {code!r}")
    if len(parts) >= 4:
        if parts[1] == "00":
            raise ValueError(f"not a region code (street without a city): {code!r}")
        if parts[3] == "000":
            raise ValueError(f"not a region code (street segment is 000): {code!r}")
    if len(parts) == 5 and parts[4] == "000":
        raise ValueError(f"not a region code (community segment is 000): {code!r}")
    return tuple(parts)


def is_evaluator_code(code: object) -> bool:
    """Whether ``code`` is an evaluator office's code: ``620000E001`` (province code, E, 3 digits)."""
    return isinstance(code, str) and code.isascii() and _EVALUATOR_CODE.match(code) is not None


def evaluator_province(code: str) -> str:
    """The province that certifies the evaluator office at ``code``; ValueError for another code."""
    if not is_evaluator_code(code):
        raise ValueError(f"not an evaluator code: {code!r}")
    return code[:6]


def is_office_code(code: str) -> bool:
    """A region code or an evaluator code: any office's code."""
    return is_region_code(code) or is_evaluator_code(code)


def is_region_code(code: str) -> bool:
    """Whether ``code`` is a well-formed region code."""
    try:
        segments(code)
    except ValueError:
        return False
    return True


def level_of(code: str) -> Level:
    """The administrative level a code denotes by its shape (``EVALUATOR`` for an evaluator code)."""
    if is_evaluator_code(code):
        return Level.EVALUATOR
    parts = segments(code)
    if len(code) in _LEVEL_BY_DIGITS:
        return _LEVEL_BY_DIGITS[len(code)]
    if parts[1] == "00":
        return Level.PROVINCE
    if parts[2] == "00":
        return Level.CITY
    return Level.COUNTY


def significant_segments(code: str) -> tuple[str, ...]:
    """The segments that identify the region itself: one for a province, two for a city, and so on.

    A street directly under a county-less city keeps its ``00`` county segment (620200001 → 62/02/00/001).
    """
    parts = segments(code)
    return parts[: level_of(code).rank + 1]


def within(ancestor_code: str, code: str) -> bool:
    """Whether ``code`` lies inside ``ancestor_code``'s territory (or is it), by whole segments.

    An evaluator lies within its province only; nothing lies within an evaluator but itself.
    """
    if is_evaluator_code(code) or is_evaluator_code(ancestor_code):
        return code == ancestor_code or (is_evaluator_code(code) and evaluator_province(code) == ancestor_code)
    outer = significant_segments(ancestor_code)
    inner = significant_segments(code)
    return len(inner) >= len(outer) and inner[: len(outer)] == outer


def default_parent_of(code: str) -> str | None:
    """The parent region's code by the segment rule, with county-less cities owning their streets.

    An evaluator's parent is its province.
    """
    if is_evaluator_code(code):
        return evaluator_province(code)
    parts = segments(code)
    level = level_of(code)
    if level is Level.PROVINCE:
        return None
    if level is Level.CITY:
        return parts[0] + "0000"
    if level is Level.COUNTY:
        return parts[0] + parts[1] + "00"
    if level is Level.STREET:
        city = parts[0] + parts[1] + "00"
        if city in COUNTYLESS_CITIES or parts[2] == "00":
            return city
        return parts[0] + parts[1] + parts[2]
    return code[:9]


def is_direct_child(
    parent_code: str,
    parent_level: Level,
    child_code: str,
    child_level: Level,
    parent_of: ParentOf | None = None,
) -> bool:
    """Whether the child office sits directly under the parent office (the one that certifies it).

    Both levels must agree with their codes, the child must lie inside the parent's territory by
    segments, the child must be one level down (or a street under a county-less city), and
    ``parent_of`` (default: :func:`default_parent_of`) must name the parent.
    """
    if not (is_region_code(parent_code) and is_office_code(child_code)):
        return False
    if level_of(parent_code) is not parent_level or level_of(child_code) is not child_level:
        return False
    if child_level is Level.EVALUATOR:  # certified by its province, beside the region tree
        return parent_level is Level.PROVINCE and evaluator_province(child_code) == parent_code
    if not within(parent_code, child_code) or parent_code == child_code:
        return False
    step = child_level.rank - parent_level.rank
    skips_missing_county = parent_level is Level.CITY and child_level is Level.STREET
    if step != 1 and not (step == 2 and skips_missing_county):
        return False
    lookup = parent_of or default_parent_of
    return lookup(child_code) == parent_code
