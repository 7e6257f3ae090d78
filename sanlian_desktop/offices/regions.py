"""The administrative tree: shipped Gansu data, streets and communities added by users, jurisdiction."""

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

if TYPE_CHECKING:
    from sanlian_desktop.offices.auth import Actor

PROVINCE_CODE = "620000"
# Units the notice addresses like cities that GB/T 2260 does not list. They get codes in the
# otherwise unused 6291–6293 range so that their streets and communities fit the same code scheme.
SPECIAL_UNIT_CODES = {"兰州新区": "629100", "甘肃矿区": "629200", "东风场区": "629300"}


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
    the time (tests/core/test_pinyin.py holds this equal to reading each text whole)."""
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


def import_regions_by(session: Session, actor: Any, path: Path) -> list[Region]:
    """Import streets and communities from a file into the actor's jurisdiction, audited."""
    from sanlian_desktop.kernel.vocab import Role
    from sanlian_desktop.store import audit

    actor.require(Role.ADMIN, Role.CLERK, action="管理区划")
    added = import_regions(session, path, within=actor.office_code)
    audit.record(session, office=actor.office_code, user=actor.username, action="region.import", entity="region",
                 entity_id=Path(path).name, details={"count": len(added)})
    return added
