"""Region codes: segments, levels, jurisdiction by whole segments, county-less cities."""

from __future__ import annotations

import itertools

import pytest

from sanlian_desktop.kernel.codes import default_parent_of, is_direct_child, level_of, segments, within
from sanlian_desktop.kernel.vocab import Level as L  # noqa: N817 - short in tables


@pytest.mark.parametrize(
    ("code", "parts", "level"),
    [
        ("620000", ("62", "00", "00"), L.PROVINCE),
        ("620100", ("62", "01", "00"), L.CITY),
        ("620102", ("62", "01", "02"), L.COUNTY),
        ("620102001", ("62", "01", "02", "001"), L.STREET),
        ("620102001001", ("62", "01", "02", "001", "001"), L.COMMUNITY),
        ("620200001", ("62", "02", "00", "001"), L.STREET),
        ("629100", ("62", "91", "00"), L.CITY),
    ],
)
def test_segments_and_level(code: str, parts: tuple[str, ...], level: L) -> None:
    assert segments(code) == parts
    assert level_of(code) is level


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "6201",
        "62010",
        "6201000",
        "62a100",
        "000000",
        "620002",
        "620000001",
        "620102000",
        "620102001000",
        "６２０１００",
        " 620100",
    ],
)
def test_bad_codes_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="region code"):
        segments(bad)


CHAIN = [
    ("620000", L.PROVINCE),
    ("620100", L.CITY),
    ("620102", L.COUNTY),
    ("620102001", L.STREET),
    ("620102001001", L.COMMUNITY),
]


def test_chain_is_direct_children() -> None:
    for (parent, plevel), (child, clevel) in itertools.pairwise(CHAIN):
        assert is_direct_child(parent, plevel, child, clevel)
        assert not is_direct_child(child, clevel, parent, plevel)


def test_skipping_a_level_is_not_direct() -> None:
    assert not is_direct_child("620000", L.PROVINCE, "620102", L.COUNTY)
    assert not is_direct_child("620100", L.CITY, "620102001", L.STREET)
    assert not is_direct_child("620102", L.COUNTY, "620102001001", L.COMMUNITY)


def test_levels_must_agree_with_codes() -> None:
    assert not is_direct_child("620100", L.COUNTY, "620102", L.COUNTY)
    assert not is_direct_child("620100", L.CITY, "620102", L.STREET)


@pytest.mark.parametrize(
    ("parent", "plevel", "child", "clevel"),
    [
        ("620100", L.CITY, "620201", L.COUNTY),  # another city's territory
        # String-prefix traps: "621000".rstrip("0") == "621" is a prefix of 定西's 621102.
        ("621000", L.CITY, "621102", L.COUNTY),
        # "620102010".rstrip("0") == "62010201" is a prefix of street 620102011's community.
        ("620102010", L.STREET, "620102011001", L.COMMUNITY),
        ("620102", L.COUNTY, "620103001", L.STREET),
    ],
)
def test_prefix_traps_are_outside(parent: str, plevel: L, child: str, clevel: L) -> None:
    assert not within(parent, child)
    assert not is_direct_child(parent, plevel, child, clevel)


def test_countyless_cities_own_their_streets() -> None:
    for street in ["620201001", "620200001", "620201102"]:
        assert default_parent_of(street) == "620200"
        assert is_direct_child("620200", L.CITY, street, L.STREET)
        assert not is_direct_child("620201", L.COUNTY, street, L.STREET)
    for unit in ["629100", "629200", "629300"]:
        street = unit[:4] + "01001"
        assert is_direct_child(unit, L.CITY, street, L.STREET)
    # An ordinary city does not: its streets belong to its counties.
    assert not is_direct_child("620100", L.CITY, "620102001", L.STREET)
    assert is_direct_child("620201001", L.STREET, "620201001001", L.COMMUNITY)


def test_parent_of_hook_decides() -> None:
    tree = {"620201001": "620201"}.get
    assert not is_direct_child("620200", L.CITY, "620201001", L.STREET, parent_of=tree)
    assert is_direct_child("620201", L.COUNTY, "620201001", L.STREET, parent_of=tree)
    # The hook cannot move a region out of its parent's territory.
    assert not is_direct_child("620100", L.CITY, "620201", L.COUNTY, parent_of=lambda _c: "620100")
