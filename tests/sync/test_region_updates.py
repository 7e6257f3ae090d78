"""A region update published by the province travels down in packages, is applied inside each office's
territory, listed and audit-logged; declarations keep their region's code."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models import AuditEntry, Region, RegionUpdate, SyncConflict
from sanlian_desktop.offices import regions
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import import_package
from tests.sync.helpers_service import CODES, PROVINCE, ServiceOffice, open_chain

COUNTY = "620102"


def _changes(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("操作,代码,名称\n" + "".join(f"{op},{code},{name}\n" for op, code, name in rows), "utf-8")
    return path


def _down(offices: dict[str, ServiceOffice], tmp_path: Path, until: str) -> None:
    for n, (parent, child) in enumerate(itertools.pairwise(CODES[: CODES.index(until) + 1])):
        package = tmp_path / f"down-{n}-{child}.sanlian"
        export_package(offices[parent].store, offices[parent].admin, child, package)
        import_package(offices[child].store, offices[child].admin, package)


def test_an_update_from_the_province_reaches_the_county(template: Path, tmp_path: Path) -> None:
    offices = open_chain(template, tmp_path)
    changes = _changes(tmp_path / "changes.csv", [
        ("更名", "620102002001", "张掖路新社区居委会"),   # official, never used at the county yet
        ("新增", "620102002901", "金城新社区居委会"),
        ("撤销", "620102003001", ""),
        ("更名", "620103001001", "七里河某社区居委会"),   # another county: not the county's business
    ])
    province = offices[PROVINCE]
    with province.store.session() as s:
        update = regions.issue_region_update(s, province.admin, regions.read_region_changes(changes),
                                             title="2024年区划变更")
        assert [c["op"] for c in update.changes] == ["rename", "add", "retire", "rename"]
        assert update.changes[0]["old_name"] == regiondata_name("620102002001")
        assert s.get(Region, "620102002001").name == "张掖路新社区居委会"  # type: ignore[union-attr]
    _down(offices, tmp_path, COUNTY)
    county = offices[COUNTY]
    with county.store.session() as s:
        [held] = regions.region_updates(s)
        assert held.title == "2024年区划变更" and held.received_from == "620100"
        assert {(c["op"], c["code"]) for c in held.applied} == {
            ("rename", "620102002001"), ("add", "620102002901"), ("retire", "620102003001")}
        assert s.get(Region, "620102002001").name == "张掖路新社区居委会"  # type: ignore[union-attr]
        assert s.get(Region, "620102002901").parent_code == "620102002"  # type: ignore[union-attr]
        assert s.get(Region, "620102003001").retired  # type: ignore[union-attr]
        assert s.get(Region, "620103001001") is None
        offered = {c.code: c.name for c in regions.communities_within(s, COUNTY)}
        assert offered["620102002001"] == "张掖路新社区居委会" and "620102002901" in offered
        assert "620102003001" not in offered
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "region.update"))
        assert entry is not None and "更名 620102002001" in json.dumps(entry.details, ensure_ascii=False)
    # The city got it too, unchanged; importing the same package twice adds nothing.
    with offices["620100"].store.session() as s:
        assert len(regions.region_updates(s)) == 1
    for office in offices.values():
        office.store.close()


def regiondata_name(code: str) -> str:
    found = regions.official_tree().get(code)
    assert found is not None
    return found.name


def test_only_the_province_publishes_and_changes_are_checked(template: Path, tmp_path: Path) -> None:
    offices = open_chain(template, tmp_path)
    good = _changes(tmp_path / "good.csv", [("更名", "620102002001", "新名字")])
    with offices[COUNTY].store.session() as s, pytest.raises(UserError, match="省民政厅"):
        regions.issue_region_update(s, offices[COUNTY].admin, regions.read_region_changes(good), title="x")
    province = offices[PROVINCE]
    for rows, words in (([("新增", "620102001001", "重复")], "已存在"),
                        ([("更名", "620102999999", "无此社区")], "没有这个区划"),
                        ([("新增", "620102998001", "无上级")], "上级区划"),
                        ([("合并", "620102001001", "x")], "新增、更名 或 撤销")):
        with province.store.session() as s, pytest.raises(UserError, match=words):
            regions.issue_region_update(s, province.admin, regions.read_region_changes(
                _changes(tmp_path / "bad.csv", rows)), title="x")
    with province.store.session() as s:
        assert s.scalars(select(RegionUpdate)).first() is None
    for office in offices.values():
        office.store.close()


def test_an_update_altered_on_the_way_is_refused(template: Path, tmp_path: Path) -> None:
    offices = open_chain(template, tmp_path)
    province = offices[PROVINCE]
    with province.store.session() as s:
        regions.issue_region_update(s, province.admin, regions.read_region_changes(
            _changes(tmp_path / "c.csv", [("更名", "620102002001", "甲社区")])), title="变更")
    _down(offices, tmp_path, "620100")
    city = offices["620100"]
    with city.store.session() as s:  # the city tampers with its copy before passing it on
        held = s.scalars(select(RegionUpdate)).one()
        held.changes = [dict(held.changes[0], name="乙社区")]
    package = tmp_path / "tampered.sanlian"
    export_package(city.store, city.admin, COUNTY, package)
    with pytest.raises(UserError):
        import_package(offices[COUNTY].store, offices[COUNTY].admin, package)
    with offices[COUNTY].store.session() as s:
        assert s.scalars(select(RegionUpdate)).first() is None
        assert s.get(Region, "620102002001") is None
        assert s.scalars(select(SyncConflict)).first() is None
    for office in offices.values():
        office.store.close()
