"""Renaming a street or community as a signed-in user, and finding one in a jurisdiction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sanlian_desktop.kernel.errors import NotFound, UserError
from sanlian_desktop.models import AuditEntry, Region
from sanlian_desktop.offices import regions
from tests.helpers import Office


def test_rename_copies_an_official_community_in_and_audits(county: Office) -> None:
    with county.session() as s:
        region = regions.rename_region_by(s, county.clerk, code="620102002001", name=" 陇西路社区 ")
        assert (region.name, region.pinyin, region.parent_code) == ("陇西路社区", "lxlsq", "620102002")
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "region.rename")).one()
        assert entry.username == "clerk" and entry.entity_id == "620102002001"
    with county.session() as s:
        assert s.get(Region, "620102002001").name == "陇西路社区"  # type: ignore[union-attr]


@pytest.mark.parametrize(("code", "name", "why"), [
    ("620102", "城关", "只能为街道(乡镇)（9位）或社区（12位）更名"),
    ("620103001001", "某社区", "不在本单位辖区内"),
    ("620102001001", "", "请填写区划名称"),
    ("620102001001", "名" * 101, "过长"),
    ("620102001001", "东岗西路社区", "相同"),
])
def test_rename_refuses_what_region_add_refuses(county: Office, code: str, name: str, why: str) -> None:
    with county.session() as s, pytest.raises(UserError, match=why.replace("(", r"\(").replace(")", r"\)")):
        regions.rename_region_by(s, county.admin, code=code, name=name)


def test_rename_refuses_an_unknown_code_and_a_reviewer(county: Office) -> None:
    with county.session() as s:
        with pytest.raises(NotFound):
            regions.rename_region_by(s, county.admin, code="620102099999", name="无")
        with pytest.raises(UserError):
            regions.rename_region_by(s, county.reviewer, code="620102001001", name="新名")
        assert s.get(Region, "620102001001").name == "东岗西路社区"  # type: ignore[union-attr]


def test_find_within_merges_the_store_and_the_official_tree(county: Office) -> None:
    with county.session() as s:
        by_name = {m.code: m for m in regions.find_within(s, "620102", "东岗")}
        assert by_name["620102001"].name == "东岗街道"  # the store's name for the code wins
        assert by_name["620102015"].name == "东岗街道" and by_name["620102015"].path == "兰州市 / 城关区"
        assert by_name["620102001001"].path == "兰州市 / 城关区 / 东岗街道"
        assert all(m.code.startswith("620102") for m in by_name.values())
        assert regions.find_within(s, "620102", "620103") == []
        assert [m.code for m in regions.find_within(s, "620102", "lxlsqjwh")] == ["620102002001"]
        assert regions.find_within(s, "620102", "") == []
