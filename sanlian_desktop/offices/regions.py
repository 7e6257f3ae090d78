"""The administrative tree: shipped Gansu data, streets and communities added by users, jurisdiction.

The store holds the regions it uses; the official tree (:mod:`sanlian_desktop.offices.regiondata`) fills
the gaps: :func:`ensure_region` copies an official region (and the ancestors it needs) into the store the
first time it is used, and :func:`communities_within` lists the store's communities with the official
ones it lacks (a local name for a code wins; a retired region is not offered).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import NotFound, UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Region
from sanlian_desktop.offices.regiondata import SPECIAL_UNIT_CODES, community_rural, official_tree, short_name

if TYPE_CHECKING:
    from sanlian_desktop.offices.auth import Actor

PROVINCE_CODE = "620000"


@dataclass(frozen=True)
class RegionInfo:
    """A region row in plain form."""

    code: str
    name: str
    level: Level
    parent_code: str | None
    special: bool = False
    rural: bool | None = None
    population: int | None = None
    households: int | None = None


def shipped_regions() -> list[RegionInfo]:
    """Gansu, its cities and counties (GB/T 2260) and the three special units, as shipped."""
    from sanlian_desktop.kernel.paths import package_data

    text = package_data("gansu-regions.csv").read_text("utf-8")
    rows = []
    for rec in csv.DictReader(io.StringIO(text)):
        code = rec["code"].strip()
        special = not code
        if special:
            code = SPECIAL_UNIT_CODES[rec["name"].strip()]
        rows.append(
            RegionInfo(
                code=code,
                name=rec["name"].strip(),
                level=Level(rec["level"].strip()),
                parent_code=rec["parent"].strip() or None,
                special=special,
            )
        )
    return rows


def pinyin_initials(name: str) -> str:
    """Lower-case pinyin initials of a Chinese name: 城关区 → cgq (other characters kept as they are).

    pypinyin cuts a text into words (runs of other characters, and words of its phrase dictionary
    or single characters within runs of Chinese) and reads each word on its own, so the initials
    of a text are those of its words put together. Words recur (社区, 服务, 项目, a community's
    name), so each word's initials are remembered: a list of 10,000 titles reads in a fraction of
    the time (tests/offices/test_pinyin.py holds this equal to reading each text whole). Whole texts
    recur too (a project title copied from the notice's themes, a community's name): those are
    remembered as well, which spares cutting them into words again."""
    return _text_initials(name)


@functools.lru_cache(maxsize=16384)
def _text_initials(name: str) -> str:
    from pypinyin.seg.simpleseg import seg

    return "".join(_word_initials(word) for word in seg(name))


@functools.lru_cache(maxsize=16384)
def _word_initials(word: str) -> str:
    from pypinyin import Style, lazy_pinyin

    letters = "".join(p[0] for p in lazy_pinyin(word, style=Style.FIRST_LETTER, errors="default") if p)
    return "".join(ch for ch in letters.lower() if ch.isascii() and ch.isalnum())


def seed_regions(session: Session) -> None:
    """Insert the shipped regions that the store does not have yet."""
    have = set(session.scalars(select(Region.code)))
    for info in shipped_regions():
        if info.code not in have:
            session.add(_region_from_info(info))
    session.flush()


def ensure_region(session: Session, code: str) -> Region | None:
    """The store's region ``code``, or the official one copied into the store (ancestors first); None
    when neither knows it."""
    region = session.get(Region, code)
    if region is not None:
        return region
    official = official_tree().get(code)
    if official is None:
        return None
    if official.parent_code is not None and ensure_region(session, official.parent_code) is None:
        return None
    region = Region(code=official.code, name=official.name, level=official.level.value,
                    parent_code=official.parent_code, special=official.special, rural=official.rural,
                    pinyin=official.pinyin)
    session.add(region)
    session.flush()
    return region


@dataclass(frozen=True)
class CommunityChoice:
    """A community to pick: its code, names and street, from the store or the official tree."""

    code: str
    name: str  # the name as this office knows it (official, unless the store holds another)
    short: str  # where space is tight
    street: str  # the street's name
    official: bool  # only in the official tree so far


def communities_within(session: Session, root_code: str) -> list[CommunityChoice]:
    """Every community under ``root_code``, by code: the store's (its names win) and the official ones it
    lacks; retired ones left out."""
    inside = subtree_codes(session, root_code)
    held = {r.code: r for r in session.scalars(select(Region)) if r.code in inside}
    tree = official_tree()
    names: dict[str, str] = {}
    retired: set[str] = set()
    for code, region in held.items():
        names[code] = region.name
        if region.retired:
            retired.add(code)
    out: dict[str, CommunityChoice] = {}
    for code, region in held.items():
        if region.level == Level.COMMUNITY and code not in retired:
            parent = region.parent_code or ""
            street = names.get(parent) or (o.name if (o := tree.get(parent)) else "")
            out[code] = CommunityChoice(code, region.name, short_name(region.name), street, False)
    for official in tree.subtree(root_code):
        if official.level is Level.COMMUNITY and official.code not in held and official.parent_code not in retired:
            parent = official.parent_code or ""
            street = names.get(parent) or (o.name if (o := tree.get(parent)) else "")
            out[official.code] = CommunityChoice(official.code, official.name, official.short, street, True)
    return [out[code] for code in sorted(out)]


def _region_from_info(info: RegionInfo) -> Region:
    return Region(
        code=info.code,
        name=info.name,
        level=info.level.value,
        parent_code=info.parent_code,
        special=info.special,
        rural=info.rural,
        population=info.population,
        households=info.households,
        pinyin=pinyin_initials(info.name),
    )


def code_shape_level(code: str) -> Level | None:
    """The level a code's shape implies: 9 digits a street, 12 a community, 6 digits by its zeros."""
    if not code.isdigit():
        return None
    if len(code) == 12:
        return Level.COMMUNITY
    if len(code) == 9:
        return Level.STREET
    if len(code) == 6:
        if code.endswith("0000"):
            return Level.PROVINCE
        return Level.CITY if code.endswith("00") else Level.COUNTY
    return None


def get_region(session: Session, code: str) -> Region:
    """The region with ``code``; NotFound otherwise."""
    region = session.get(Region, code)
    if region is None:
        from sanlian_desktop.kernel.codes import is_evaluator_code

        if is_evaluator_code(code):
            raise UserError(f"{code} 是第三方评估机构，没有行政辖区，不办理按区划的统计、台账和报告",
                            f"{code} is an evaluator office; it has no territory")
        raise NotFound(f"没有代码为 {code} 的行政区划", f"no region with code {code}")
    return region


def derive_parent_code(session: Session, code: str) -> str | None:
    """The parent a street or community code implies, looking at what the store knows.

    A community's parent is its 9-digit street. A street's parent is its 6-digit county; where the
    city has no counties (嘉峪关市 and the special units) it is the city.
    """
    return RegionBook(session).parent_code(code)


def has_counties(session: Session, city_code: str) -> bool:
    """Whether a city has counties under it (嘉峪关市 and the special units have none)."""
    return (
        session.scalar(
            select(Region.code).where(Region.parent_code == city_code, Region.level == Level.COUNTY).limit(1)
        )
        is not None
    )


def ancestors(session: Session, code: str) -> list[Region]:
    """The region and its ancestors, from the province down to the region itself."""
    chain: list[Region] = []
    current: str | None = code
    seen: set[str] = set()
    while current is not None and current not in seen:
        seen.add(current)
        region = session.get(Region, current)
        if region is None:
            break
        chain.append(region)
        current = region.parent_code
    return list(reversed(chain))


def is_within(session: Session, code: str, ancestor_code: str) -> bool:
    """Whether region ``code`` lies in the subtree of ``ancestor_code`` (itself included)."""
    return any(r.code == ancestor_code for r in ancestors(session, code))


def region_path(session: Session, code: str) -> dict[str, str]:
    """Names by level along the path to ``code``: {"city": "兰州市", "county": "城关区", ...}."""
    return {r.level: r.name for r in ancestors(session, code)}


def region_path_text(session: Session, code: str) -> str:
    """``兰州市 城关区 东岗街道 东岗西路社区`` — the path below the province."""
    return " ".join(r.name for r in ancestors(session, code) if r.level != Level.PROVINCE)


def subtree_codes(session: Session, root_code: str) -> set[str]:
    """Every region code in the subtree of ``root_code``, the root included."""
    rows = session.execute(select(Region.code, Region.parent_code)).all()
    children: dict[str, list[str]] = {}
    for code, parent in rows:
        if parent is not None:
            children.setdefault(parent, []).append(code)
    out = set()
    stack = [root_code]
    while stack:
        c = stack.pop()
        out.add(c)
        stack.extend(children.get(c, ()))
    return out


class RegionBook:
    """The regions a run of additions sees: the store's, and those the run added.

    By default each addition is flushed at once, as one ``add_region`` always did. A deferred book
    (for adding many regions, as a package import does) keeps its additions pending, finds them
    itself, remembers what it looked up in ``known``, and leaves the flush to the caller, who looks
    up with autoflush off meanwhile (``session.no_autoflush``).
    """

    def __init__(self, session: Session, *, known: dict[str, Region | None] | None = None,
                 deferred: bool = False) -> None:
        self.session = session
        self.known = {} if known is None else known
        self.deferred = deferred

    def get(self, code: str) -> Region | None:
        if self.deferred:
            if code not in self.known:
                self.known[code] = self.session.get(Region, code)
            return self.known[code]
        return self.session.get(Region, code)

    def has_counties(self, city_code: str) -> bool:
        pending = any(r is not None and r.parent_code == city_code and r.level == Level.COUNTY
                      for r in self.known.values()) if self.deferred else False
        return pending or has_counties(self.session, city_code)

    def parent_code(self, code: str) -> str | None:
        """:func:`derive_parent_code`, seeing this book's additions."""
        level = code_shape_level(code)
        if level is Level.COMMUNITY:
            return code[:9]
        if level is Level.STREET:
            six = self.get(code[:6])
            if six is not None and six.level in (Level.COUNTY, Level.CITY):
                return six.code
            city = self.get(code[:4] + "00")
            if city is not None and city.level == Level.CITY and not self.has_counties(city.code):
                return city.code
            return code[:6]
        return None

    def is_within(self, code: str, ancestor_code: str) -> bool:
        """:func:`is_within`, seeing this book's additions."""
        current: str | None = code
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            if current == ancestor_code:
                return self.get(current) is not None
            region = self.get(current)
            if region is None:
                return False
            current = region.parent_code
        return False

    def add(self, region: Region) -> None:
        self.session.add(region)
        if self.deferred:
            self.known[region.code] = region
        else:
            self.session.flush()


def add_region(
    session: Session,
    *,
    code: str,
    name: str,
    within: str,
    rural: bool | None = None,
    population: int | None = None,
    households: int | None = None,
    create_missing_street: bool = False,
    book: RegionBook | None = None,
) -> Region:
    """Add a street (9 digits) or community (12 digits) inside the region ``within``.

    Refuses codes of another shape, duplicates, and places outside ``within``. With
    ``create_missing_street`` an unknown street above a community is added under its code.
    """
    book = book or RegionBook(session)
    code = code.strip()
    name = name.strip()
    level = code_shape_level(code)
    if level not in (Level.STREET, Level.COMMUNITY):
        raise UserError(
            f"区划代码“{code}”无效：街道(乡镇)为9位数字，社区为12位数字",
            f"invalid code '{code}': a street has 9 digits, a community 12",
        )
    if not name:
        raise UserError("请填写区划名称", "the region needs a name")
    if len(name) > 100:
        raise UserError("区划名称过长（最多100字）", "region name too long")
    if population is not None and population < 0:
        raise UserError("人口数不能为负数", "population cannot be negative")
    if households is not None and households < 0:
        raise UserError("户数不能为负数", "households cannot be negative")
    existing = book.get(code)
    if existing is not None:
        raise UserError(
            f"区划代码 {code} 已存在（{existing.name}）", f"region {code} already exists ({existing.name})"
        )
    parent_code = book.parent_code(code)
    assert parent_code is not None
    parent = book.get(parent_code)
    if parent is None and not book.deferred:
        parent = ensure_region(session, parent_code)  # an official street or county, copied in when used
    if parent is None and level is Level.COMMUNITY and create_missing_street:
        add_region(session, code=parent_code, name=f"街道 {parent_code}", within=within, book=book)
        parent = book.get(parent_code)
    if parent is None:
        what = "街道(乡镇)" if level is Level.COMMUNITY else "县(市、区)"
        raise UserError(
            f"上级{what} {parent_code} 尚未登记，请先添加上级区划",
            f"parent region {parent_code} is not known; add it first",
        )
    expected_parent_level = Level.STREET if level is Level.COMMUNITY else None
    if expected_parent_level is not None and parent.level != expected_parent_level:
        raise UserError(
            f"代码 {code} 的上级 {parent_code}（{parent.name}）不是街道(乡镇)",
            f"parent {parent_code} of {code} is not a street",
        )
    if not book.is_within(parent_code, within):
        raise UserError(
            f"区划 {code} 不在本单位辖区内", f"region {code} is outside this office's jurisdiction"
        )
    region = _region_from_info(
        RegionInfo(
            code=code,
            name=name,
            level=level,
            parent_code=parent_code,
            rural=rural if level is Level.COMMUNITY else None,
            population=population,
            households=households,
        )
    )
    book.add(region)
    return region


# -- import from CSV or Excel ----------------------------------------------------------------------

_HEADER_ALIASES = {
    "code": {"code", "代码", "区划代码", "统计用区划代码"},
    "name": {"name", "名称", "区划名称"},
    "rural": {"rural", "城乡", "城市/农村", "类型", "城乡类型"},
    "population": {"population", "人口", "常住人口", "居民人数"},
    "households": {"households", "户数"},
}
_RURAL_WORDS = {"农村": True, "rural": True, "村": True, "是": True, "1": True, "true": True,
                "城市": False, "urban": False, "社区": False, "否": False, "0": False, "false": False, "": None}


def _read_table(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise UserError(
                f"无法读取 Excel 文件 {path.name}：文件已损坏或不是 xlsx 格式",
                f"cannot read workbook {path.name}: {type(exc).__name__}",
            ) from None
        try:
            ws = wb.worksheets[0]
            rows: list[list[str]] = []
            empty_run = 0
            for row in ws.iter_rows(values_only=True):
                cells = ["" if v is None else str(v).strip() for v in row]
                if not any(cells):
                    empty_run += 1
                    if empty_run > 200:
                        break
                    continue
                empty_run = 0
                rows.append(cells)
                if len(rows) > 200_000:
                    raise UserError("文件行数过多（超过20万行）", "too many rows")
            return rows
        finally:
            wb.close()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"无法读取文件 {path}：{exc.strerror}", f"cannot read {path}") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UserError(f"文件 {path.name} 不是文本 CSV（无法识别编码）", f"{path.name} is not a text CSV")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]


def _parse_count(value: str, label: str, line: int) -> int | None:
    if value == "":
        return None
    try:
        number = int(float(value)) if value.replace(".", "", 1).isdigit() else int(value)
    except ValueError:
        raise UserError(f"第{line}行：{label}“{value}”不是整数", f"line {line}: {label} is not a whole number") from None
    if number < 0:
        raise UserError(f"第{line}行：{label}不能为负数", f"line {line}: negative {label}")
    return number


def import_regions(session: Session, path: Path, *, within: str) -> list[Region]:
    """Add streets and communities from a CSV or Excel file: all rows or, on any error, none."""
    rows = _read_table(Path(path))
    if not rows:
        raise UserError(f"文件 {Path(path).name} 没有内容", "the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    columns: dict[str, int] = {}
    for key, aliases in _HEADER_ALIASES.items():
        for idx, h in enumerate(header):
            if h in aliases:
                columns[key] = idx
                break
    missing = [k for k in ("code", "name") if k not in columns]
    if missing:
        raise UserError(
            "文件第一行须为表头，至少包含“代码”和“名称”两列",
            "the first row must be a header with at least 'code' and 'name' columns",
        )
    added: list[Region] = []
    pending = _order_parents_first(rows[1:], columns["code"])
    with session.begin_nested():
        for line, row in pending:

            def cell(key: str, row: Sequence[str] = row) -> str:
                idx = columns.get(key)
                return row[idx] if idx is not None and idx < len(row) else ""

            rural_text = cell("rural").lower()
            if rural_text not in _RURAL_WORDS:
                raise UserError(
                    f"第{line}行：城乡类型“{cell('rural')}”应为“城市”或“农村”",
                    f"line {line}: rural must be 城市 or 农村",
                )
            try:
                added.append(
                    add_region(
                        session,
                        code=cell("code"),
                        name=cell("name"),
                        within=within,
                        rural=_RURAL_WORDS[rural_text],
                        population=_parse_count(cell("population"), "人口", line),
                        households=_parse_count(cell("households"), "户数", line),
                    )
                )
            except UserError as exc:
                if exc.zh.startswith("第"):
                    raise
                raise UserError(f"第{line}行：{exc.zh}", f"line {line}: {exc.en}") from None
    return added


def _order_parents_first(rows: Iterable[list[str]], code_idx: int) -> list[tuple[int, list[str]]]:
    """Rows numbered as in the file (header is line 1), streets before communities."""
    numbered = [(i + 2, r) for i, r in enumerate(rows)]
    return sorted(numbered, key=lambda item: len(item[1][code_idx]) if code_idx < len(item[1]) else 0)


# -- as a signed-in user ----------------------------------------------------------------------------


def add_region_by(session: Session, actor: Actor, *, code: str, name: str, rural: bool | None = None,
                  population: int | None = None, households: int | None = None) -> Region:
    """Add a street or community inside the actor's jurisdiction (admins and clerks), audited."""
    from sanlian_desktop.kernel.vocab import Role
    from sanlian_desktop.store import audit

    actor.require(Role.ADMIN, Role.CLERK, action="管理区划")
    region = add_region(session, code=code, name=name, within=actor.office_code,
                        rural=rural if len(code.strip()) == 12 else None, population=population,
                        households=households)
    audit.record(session, office=actor.office_code, user=actor.username, action="region.add", entity="region",
                 entity_id=region.code, details={"name": region.name})
    return region


def rename_region_by(session: Session, actor: Actor, *, code: str, name: str) -> Region:
    """Rename a street or community inside the actor's jurisdiction (admins and clerks), audited.

    The checks of :func:`add_region_by` apply (a street's or community's code, a name of at most 100
    characters, inside the jurisdiction); an official region is copied into the store first, and the
    store's name then wins over the official one. Codes never change: declarations keep theirs.
    """
    from sanlian_desktop.kernel.vocab import Role
    from sanlian_desktop.store import audit

    actor.require(Role.ADMIN, Role.CLERK, action="管理区划")
    code, name = code.strip(), name.strip()
    if code_shape_level(code) not in (Level.STREET, Level.COMMUNITY):
        raise UserError(f"区划代码“{code}”无效：只能为街道(乡镇)（9位）或社区（12位）更名",
                        f"invalid code '{code}': only streets (9 digits) and communities (12) are renamed")
    if not name:
        raise UserError("请填写区划名称", "the region needs a name")
    if len(name) > 100:
        raise UserError("区划名称过长（最多100字）", "region name too long")
    known = session.get(Region, code) is not None or official_tree().get(code) is not None
    if not known:
        raise NotFound(f"没有代码为 {code} 的行政区划", f"no region with code {code}")
    region = ensure_region(session, code)
    if region is None or not is_within(session, code, actor.office_code):
        raise UserError(f"区划 {code} 不在本单位辖区内", f"region {code} is outside this office's jurisdiction")
    if region.retired:
        raise UserError(f"{region.name}（{code}）已撤销，不能更名", f"region {code} is retired")
    old_name = region.name
    if old_name == name:
        raise UserError(f"新名称与现名称相同（{name}）", "the new name is the current one")
    region.name, region.pinyin = name, pinyin_initials(name)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="region.rename", entity="region",
                 entity_id=code, details={"old_name": old_name, "name": name})
    return region


@dataclass(frozen=True)
class RegionMatch:
    """A street or community found in a jurisdiction: its code, name (the store's wins), level and path."""

    code: str
    name: str
    level: Level
    path: str  # 兰州市 / 城关区 / 东岗街道: the places above it, below the province


def find_within(session: Session, root_code: str, query: str, *, limit: int = 100) -> list[RegionMatch]:
    """Streets and communities under ``root_code`` whose name holds ``query``, or whose code or pinyin
    initials start with it: the store's (its names win) and the official ones it lacks; retired ones
    left out. Prefix matches first, then by code."""
    text = query.strip().lower()
    if not text:
        return []
    tree = official_tree()
    held = {r.code: r for r in session.scalars(select(Region).where(Region.code.like(f"{root_code[:6]}%")))}
    inside = subtree_codes(session, root_code)
    names = {code: r.name for code, r in held.items()}

    def fits(code: str, name: str, pinyin: str) -> bool:
        return text in name.lower() or code.startswith(text) or pinyin.startswith(text)

    found: dict[str, RegionMatch] = {}

    def path_of(code: str, parent: str | None) -> str:
        chain = [r.code for r in tree.path(parent)] if parent and tree.get(parent) else []
        if not chain and parent:
            chain = [r.code for r in ancestors(session, parent)]
        return " / ".join(names.get(c) or (o.name if (o := tree.get(c)) else c) for c in chain
                          if len(c) > 2 and not c.endswith("0000"))

    for code, region in held.items():
        if (code in inside and region.level in (Level.STREET, Level.COMMUNITY) and not region.retired
                and fits(code, region.name, region.pinyin or "")):
            found[code] = RegionMatch(code, region.name, Level(region.level), path_of(code, region.parent_code))
    for official in tree.search(text, within=root_code, limit=100_000):
        if (official.level in (Level.STREET, Level.COMMUNITY) and official.code not in held
                and not (official.parent_code in held and held[official.parent_code].retired)):
            found[official.code] = RegionMatch(official.code, official.name, official.level,
                                               path_of(official.code, official.parent_code))

    def rank(match: RegionMatch) -> tuple[int, str]:
        prefix = match.name.lower().startswith(text) or match.code.startswith(text)
        return (0 if prefix else 1, match.code)

    return sorted(found.values(), key=rank)[:limit]


def import_regions_by(session: Session, actor: Any, path: Path) -> list[Region]:
    """Import streets and communities from a file into the actor's jurisdiction, audited."""
    from sanlian_desktop.kernel.vocab import Role
    from sanlian_desktop.store import audit

    actor.require(Role.ADMIN, Role.CLERK, action="管理区划")
    added = import_regions(session, path, within=actor.office_code)
    audit.record(session, office=actor.office_code, user=actor.username, action="region.import", entity="region",
                 entity_id=Path(path).name, details={"count": len(added)})
    return added


# -- region updates from the province ---------------------------------------------------------------

CHANGE_OPS = {"add": "新增", "rename": "更名", "retire": "撤销"}
_OP_WORDS = {"add": "add", "新增": "add", "rename": "rename", "更名": "rename", "retire": "retire", "撤销": "retire",
             "撤并": "retire"}
_CHANGE_HEADERS = {"op": {"op", "操作", "变更", "变更类型"}, "code": _HEADER_ALIASES["code"],
                   "name": _HEADER_ALIASES["name"] | {"新名称"}}


def change_text(change: dict[str, Any]) -> str:
    """``更名 620102001001 甲社区 → 乙社区``: one change as a person reads it."""
    op, code, name = change.get("op"), change.get("code"), change.get("name") or ""
    if op == "rename":
        return f"更名 {code} {change.get('old_name') or ''} → {name}"
    return f"{CHANGE_OPS.get(str(op), str(op))} {code} {name}".rstrip()


def read_region_changes(path: Path) -> list[dict[str, str]]:
    """The changes a CSV or Excel file lists: header ``操作,代码,名称`` (新增/更名/撤销)."""
    rows = _read_table(Path(path))
    if not rows:
        raise UserError(f"文件 {Path(path).name} 没有内容", "the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    columns = {key: next((i for i, h in enumerate(header) if h in aliases), -1)
               for key, aliases in _CHANGE_HEADERS.items()}
    if columns["op"] < 0 or columns["code"] < 0:
        raise UserError("文件第一行须为表头，至少包含“操作”和“代码”两列（名称：新增和更名时填写）",
                        "the header needs 'op' and 'code' columns (and 'name' for add and rename)")
    changes = []
    for line, row in enumerate(rows[1:], start=2):
        def cell(key: str, row: list[str] = row) -> str:
            idx = columns[key]
            return row[idx].strip() if 0 <= idx < len(row) else ""

        op = _OP_WORDS.get(cell("op").lower())
        if op is None:
            raise UserError(f"第{line}行：操作“{cell('op')}”应为 新增、更名 或 撤销",
                            f"line {line}: op must be add, rename or retire")
        changes.append({"op": op, "code": cell("code"), "name": cell("name")})
    return changes


def check_region_changes(session: Session, changes: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
    """The province's changes checked against what it knows (store, then official data), with the old
    name of each rename; UserError naming the first wrong one."""
    checked: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, change in enumerate(changes, start=1):
        op, code, name = change["op"], change["code"].strip(), (change.get("name") or "").strip()
        where = f"第{n}项变更（{code}）："
        if code in seen:
            raise UserError(f"{where}同一代码出现多次", f"change {n}: code {code} appears twice")
        seen.add(code)
        current = session.get(Region, code)
        known_name = current.name if current is not None else (o.name if (o := official_tree().get(code)) else None)
        if op == "add":
            if code_shape_level(code) not in (Level.STREET, Level.COMMUNITY):
                raise UserError(f"{where}新增的区划应为9位街道(乡镇)或12位社区代码",
                                f"change {n}: only streets and communities can be added")
            if known_name is not None:
                raise UserError(f"{where}代码已存在（{known_name}），请用“更名”",
                                f"change {n}: {code} exists ({known_name}); rename it")
            parent = RegionBook(session).parent_code(code)
            if parent is None or (parent not in seen and session.get(Region, parent) is None
                                  and official_tree().get(parent) is None):
                raise UserError(f"{where}上级区划 {parent} 不存在", f"change {n}: parent {parent} unknown")
        elif op in ("rename", "retire"):
            if known_name is None:
                raise UserError(f"{where}没有这个区划", f"change {n}: no region {code}")
            if code_shape_level(code) in (Level.PROVINCE, None):
                raise UserError(f"{where}不能变更省级区划", f"change {n}: not the province")
        else:
            raise UserError(f"{where}操作应为 新增、更名 或 撤销", f"change {n}: unknown op {op}")
        if op in ("add", "rename") and not name:
            raise UserError(f"{where}请填写名称", f"change {n}: the name is missing")
        if len(name) > 100:
            raise UserError(f"{where}名称过长（最多100字）", f"change {n}: name too long")
        entry: dict[str, Any] = {"op": op, "code": code, "name": name if op != "retire" else (known_name or "")}
        if op == "rename":
            entry["old_name"] = known_name
        checked.append(entry)
    if not checked:
        raise UserError("没有要发布的区划变更", "no changes")
    return sorted(checked, key=lambda c: (len(c["code"]), c["code"]))


def apply_region_changes(session: Session, changes: Sequence[dict[str, Any]], self_code: str) -> list[dict[str, Any]]:
    """Apply the changes that concern the office ``self_code`` (inside its territory, or its own region and
    those above it); the changes that made a difference here.

    A rename and a retirement copy an official region into the store first (the store then holds the
    changed region); an addition this store already holds keeps the store's row. Codes never change, so
    declarations keep pointing at the region they were made for.
    """
    from sanlian_desktop.kernel import codes

    applied: list[dict[str, Any]] = []
    if codes.is_evaluator_code(self_code):  # no territory, no tree of its own
        return applied
    for change in changes:
        op, code, name = change["op"], str(change["code"]), str(change.get("name") or "")
        if not codes.is_region_code(code):
            raise ValueError("region code")
        if not (codes.within(self_code, code) or codes.within(code, self_code)):
            continue
        if op == "add":
            if session.get(Region, code) is not None or official_tree().get(code) is not None:
                continue
            parent_code = RegionBook(session).parent_code(code)
            if parent_code is None or ensure_region(session, parent_code) is None:
                continue
            level = code_shape_level(code)
            assert level is not None
            session.add(_region_from_info(RegionInfo(code=code, name=name, level=level, parent_code=parent_code,
                                                     rural=community_rural(code, name) if level is Level.COMMUNITY
                                                     else None)))
            session.flush()
        elif op == "rename":
            region = ensure_region(session, code)
            if region is None or region.name == name:
                continue
            region.name, region.pinyin = name, pinyin_initials(name)
        elif op == "retire":
            region = ensure_region(session, code)
            if region is None or region.retired:
                continue
            region.retired = True
        else:
            raise ValueError("region change op")
        applied.append(dict(change))
    session.flush()
    return applied


def issue_region_update(session: Session, actor: Any, changes: Sequence[dict[str, str]], *, title: str) -> Any:
    """The province publishes a region update: checked, applied to its own store, audit-logged; it travels
    down with the next packages (signed when it first leaves)."""
    import uuid

    from sanlian_desktop.kernel.vocab import Role
    from sanlian_desktop.models import RegionUpdate, utcnow
    from sanlian_desktop.store import audit

    actor.require(Role.ADMIN, action="发布区划变更")
    if actor.office_level is not Level.PROVINCE:
        raise UserError("区划变更由省民政厅发布", "only the province publishes region updates")
    title = title.strip() or "区划变更"
    checked = check_region_changes(session, changes)
    update = RegionUpdate(id=str(uuid.uuid4()), office_code=actor.office_code, title=title[:200],
                          issued_at=utcnow().replace(microsecond=0), issued_by=actor.username, changes=checked,
                          applied=[])
    update.applied = apply_region_changes(session, checked, actor.office_code)
    session.add(update)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="region.update.issue",
                 entity="region_update", entity_id=update.id,
                 details={"title": update.title, "changes": [change_text(c) for c in checked]})
    return update


def region_updates(session: Session) -> list[Any]:
    """The region updates this office holds, newest first."""
    from sanlian_desktop.models import RegionUpdate

    return list(session.scalars(select(RegionUpdate).order_by(RegionUpdate.issued_at.desc(), RegionUpdate.id)))
