"""The official region tree as shipped: read from package data once, never copied whole into a store.

Two files make it: ``gansu-regions.csv`` (the province, its cities and counties by GB/T 2260 and the three
special units 兰州新区, 甘肃矿区, 东风场区 under the synthetic codes 629100–629300) and
``gansu-regions-official.csv.gz`` (written by ``scripts/extract_regions.py`` from 国家统计局's 统计用区划代码:
the pinyin initials of the first file's names, 兰州新区's statistical county 620171, 1,403 streets and
townships, 17,718 村/居 committees, with their pinyin initials). The first wins for a code both hold. 嘉峪关市's streets hang directly from the city.

Why the tree stays here and not in each store: ~19,000 rows would cost every new store time and a few
megabytes, and most offices use a few hundred of them. A store holds the regions it *uses* — those its
own people added or renamed, those a region update from the province changed, and the official ones a
declaration or an office was made for (copied in by :func:`sanlian_desktop.offices.regions.ensure_region`
when first used, so foreign keys and joins keep working). Wherever the program offers regions to pick
(the first-run wizard, the form's 申报社区), it shows the store's regions and fills the gaps from this tree:
a local name for a code wins, and a region the store marks retired is not offered.

Names: the official name is kept (畅家巷社区居委会); :func:`short_name` gives the form lists use where
space is tight (畅家巷社区). Whether a committee is urban (居委会) or rural (村委会) is not in this data
(NBS's 城乡分类代码 is not shipped): :func:`community_rural` derives it from the code — NBS numbers
居委会 001–199 and 村委会 200–399 under each street — and, for other numbers (生活区, 虚拟社区), from
the name's suffix. Population figures are the offices' own data and never come from here.
"""

from __future__ import annotations

import bisect
import csv
import functools
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from sanlian_desktop.kernel.paths import package_data
from sanlian_desktop.kernel.vocab import Level

BASE_FILE = "gansu-regions.csv"
OFFICIAL_FILE = "gansu-regions-official.csv.gz"
# Units the notice addresses like cities that GB/T 2260 does not list. They get codes in the
# otherwise unused 6291–6293 range so that their streets and communities fit the same code scheme.
SPECIAL_UNIT_CODES = {"兰州新区": "629100", "甘肃矿区": "629200", "东风场区": "629300"}

_LEVEL_BY_LENGTH = {9: Level.STREET, 12: Level.COMMUNITY}
# Official suffix -> what the short form puts in its place (the longest suffix first).
_SHORT_SUFFIXES = (
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "居委会"),
    ("村民委员会", "村"),
    ("村委会", "村"),
)
_RURAL_SUFFIXES = ("村民委员会", "村委会", "村")
_URBAN_SUFFIXES = ("居民委员会", "居委会", "社区")


def short_name(name: str) -> str:
    """The form of a committee's name that fits a narrow list: 畅家巷社区居委会 → 畅家巷社区,
    红沟村民委员会 → 红沟村, 张家湾村委会 → 张家湾村; other names unchanged."""
    for suffix, replacement in _SHORT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            if replacement and stem.endswith(replacement):
                return stem
            return stem + replacement
    return name


def community_rural(code: str, name: str) -> bool | None:
    """Whether a 村/居 committee is rural (村委会: True) or urban (居委会: False); None when unknown.

    By the code where NBS's numbering says (001–199 居委会, 200–399 村委会), else by the name's suffix.
    """
    if len(code) == 12 and code[-3:].isdigit():
        number = int(code[-3:])
        if 1 <= number <= 199:
            return False
        if 200 <= number <= 399:
            return True
    if name.endswith(_RURAL_SUFFIXES):
        return True
    if name.endswith(_URBAN_SUFFIXES):
        return False
    return None


@dataclass(frozen=True, slots=True)
class OfficialRegion:
    """One region of the shipped tree."""

    code: str
    name: str
    level: Level
    parent_code: str | None
    pinyin: str
    special: bool = False

    @property
    def short(self) -> str:
        return short_name(self.name) if self.level is Level.COMMUNITY else self.name

    @property
    def rural(self) -> bool | None:
        return community_rural(self.code, self.name) if self.level is Level.COMMUNITY else None


@dataclass
class OfficialTree:
    """The shipped tree with what lookups and the search need, built once (see :func:`official_tree`)."""

    edition: str
    regions: dict[str, OfficialRegion]
    children: dict[str, list[str]] = field(default_factory=dict)
    _codes: list[str] = field(default_factory=list)  # sorted, for code prefixes
    _rows: list[tuple[str, str, OfficialRegion]] = field(default_factory=list)  # (name, pinyin, region)

    def __post_init__(self) -> None:
        for code, region in self.regions.items():
            if region.parent_code is not None:
                self.children.setdefault(region.parent_code, []).append(code)
        for kids in self.children.values():
            kids.sort()
        self._codes = sorted(self.regions)
        self._rows = [(r.name, r.pinyin, r) for r in sorted(self.regions.values(), key=lambda r: (len(r.code), r.code))]

    def get(self, code: str) -> OfficialRegion | None:
        return self.regions.get(code)

    def path(self, code: str) -> list[OfficialRegion]:
        """The region and its ancestors, from the province down; empty when unknown."""
        chain: list[OfficialRegion] = []
        current: str | None = code
        while current is not None and (region := self.regions.get(current)) is not None and len(chain) < 8:
            chain.append(region)
            current = region.parent_code
        return list(reversed(chain))

    def path_text(self, code: str) -> str:
        """``兰州市 城关区 酒泉路街道 畅家巷社区居委会``: the path below the province."""
        return " ".join(r.name for r in self.path(code) if r.level is not Level.PROVINCE)

    def within(self, code: str, ancestor: str) -> bool:
        return any(r.code == ancestor for r in self.path(code))

    def subtree(self, root: str) -> Iterator[OfficialRegion]:
        """The regions under ``root`` (itself included), parents before children."""
        stack = [root]
        while stack:
            code = stack.pop()
            region = self.regions.get(code)
            if region is not None:
                yield region
            stack.extend(reversed(self.children.get(code, ())))

    def search(self, query: str, *, level: Level | None = None, within: str | None = None,
               limit: int = 200) -> list[OfficialRegion]:
        """Regions whose name holds ``query``, whose code starts with it or whose pinyin initials start with it.

        Matches whose name or pinyin starts with the query come first; then by level and code. ``level``
        keeps one level, ``within`` one subtree; at most ``limit`` results.
        """
        text = query.strip().lower()
        if not text:
            return []
        found: list[OfficialRegion]
        if text.isdigit():
            start = bisect.bisect_left(self._codes, text)
            found = []
            for code in self._codes[start:]:
                if not code.startswith(text):
                    break
                found.append(self.regions[code])
        elif text.isascii():
            found = [r for _name, pinyin, r in self._rows if pinyin.startswith(text)]
        else:
            found = [r for name, _pinyin, r in self._rows if text in name]
        if level is not None:
            found = [r for r in found if r.level is level]
        if within is not None:
            found = [r for r in found if self.within(r.code, within)]

        def rank(r: OfficialRegion) -> tuple[int, int, str]:
            prefix = r.name.startswith(text) or r.pinyin.startswith(text) or r.code.startswith(text)
            return (0 if prefix else 1, len(r.code), r.code)

        found.sort(key=rank)
        return found[:limit]


def _read_base() -> list[OfficialRegion]:
    rows = []
    for rec in csv.DictReader(io.StringIO(package_data(BASE_FILE).read_text("utf-8"))):
        code = rec["code"].strip()
        name = rec["name"].strip()
        special = not code
        rows.append(OfficialRegion(code=SPECIAL_UNIT_CODES[name] if special else code, name=name,
                                   level=Level(rec["level"].strip()), parent_code=rec["parent"].strip() or None,
                                   pinyin="", special=special))
    return rows


def read_official(data: bytes) -> tuple[str, list[OfficialRegion]]:
    """The edition and the rows of an ``gansu-regions-official.csv.gz`` file's bytes."""
    text = gzip.decompress(data).decode("utf-8")
    edition = ""
    lines = []
    for line in text.splitlines():
        if line.startswith("#"):
            if line.startswith("# edition:"):
                edition = line.split(":", 1)[1].strip()
            continue
        lines.append(line)
    rows = []
    for rec in csv.DictReader(lines):
        code = rec["code"]
        level = _LEVEL_BY_LENGTH.get(len(code), Level.COUNTY)
        rows.append(OfficialRegion(code=code, name=rec["name"], level=level, parent_code=rec["parent"] or None,
                                   pinyin=rec["pinyin"]))
    return edition, rows


@functools.lru_cache(maxsize=1)
def official_tree() -> OfficialTree:
    """The shipped tree (read once per process: about 0.3 s; pypinyin is not loaded)."""
    edition, rows = read_official(package_data(OFFICIAL_FILE).read_bytes())
    extracted = {region.code: region for region in rows}
    regions: dict[str, OfficialRegion] = {}
    for region in _read_base():
        held = extracted.get(region.code)
        if held is not None and held.name == region.name:
            pinyin = held.pinyin
        else:
            from sanlian_desktop.offices.regions import pinyin_initials

            pinyin = pinyin_initials(region.name)
        regions[region.code] = OfficialRegion(region.code, region.name, region.level, region.parent_code,
                                              pinyin, region.special)
    for region in rows:
        regions.setdefault(region.code, region)
    return OfficialTree(edition=edition, regions=regions)
