"""Fixtures for the printing tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sanlian_desktop.documents.printing import clear_font_cache


@pytest.fixture(autouse=True)
def _fresh_font_cache() -> Iterator[None]:
    """Each test finds its font afresh, so monkeypatched finders take effect."""
    clear_font_cache()
    yield
    clear_font_cache()
