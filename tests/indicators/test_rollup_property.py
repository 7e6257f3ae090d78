"""Property: a region's verdict is the roll-up of its communities' own rows, whatever the registries hold."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from sanlian_desktop.indicators.service import _Community, _community_row, _region_row
from sanlian_desktop.kernel.vocab import Level

maybe_bool = st.sampled_from([True, False, None])
communities = st.lists(
    st.builds(
        lambda i, rural, population, orgs, extra, workers, workroom, federation, volunteers, election: _Community(
            f"620102001{i:03d}", rural, population, orgs + extra, orgs, workers, workroom,
            None if rural else federation, volunteers, election),
        st.integers(0, 999), st.booleans(), st.one_of(st.none(), st.integers(0, 20_000)), st.integers(0, 8),
        st.integers(0, 3), st.integers(0, 3), maybe_bool, maybe_bool, st.one_of(st.none(), st.integers(0, 3000)),
        st.sampled_from([None, "direct", "indirect"])),
    max_size=30, unique_by=lambda c: c.code)

EVERY = {"orgs_per_community", "workroom", "social_worker", "federation_urban", "volunteers"}


@settings(max_examples=300, deadline=None)
@given(communities)
def test_region_rolls_up_its_communities(comms: list[_Community]) -> None:
    street = _region_row(SimpleNamespace(code="620102001", name="街道", parent_code="620102"), Level.STREET,
                         comms, [])
    rows = [_community_row(SimpleNamespace(name="社区", parent_code="620102001"), c) for c in comms]
    assert street.communities == len(comms)
    for target in street.targets:
        own = [t for row in rows for t in row.targets if t.key == target.key]
        assert set(target.missing) == {code for t in own for code in t.missing}, target.key
        assert set(target.unknown) == {code for t in own for code in t.unknown}, target.key
        # Volunteers may outnumber the residents recorded (the population was corrected later).
        if target.unit == "比例" and target.value is not None and target.key != "volunteers":
            assert 0.0 <= target.value <= 1.0
        if target.key in EVERY:
            if any(t.met is False for t in own):
                assert target.met is False, target.key
            elif own and all(t.met is True for t in own):
                assert target.met is True, target.key
        if not comms:
            assert (target.value, target.met) == (None, None)
