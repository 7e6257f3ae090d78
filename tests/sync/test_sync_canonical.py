"""Strict canonical JSON: nesting is bounded, and the bound is counted as the definition says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError

_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner,
                                                                                    max_size=3),
                       max_leaves=40)


def _reference_depth(value: Any) -> int:
    """A scalar is one level; a container one more than its deepest member."""
    members = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else None
    if members is None:
        return 1
    return 1 + max((_reference_depth(m) for m in members), default=0)


@given(_values)
def test_depth_is_counted_as_defined(value: Any) -> None:
    assert cj._depth(value) == _reference_depth(value)


def test_a_record_nested_deeper_than_the_bound_is_refused() -> None:
    inner: Any = 1
    for _ in range(cj.MAX_DEPTH - 1):
        inner = [inner]
    assert cj.loads(json.dumps({"a": inner[0]}).encode(), "记录", "record")
    with pytest.raises(UserError, match="格式不正确"):
        cj.loads(json.dumps({"a": inner}).encode(), "记录", "record")
