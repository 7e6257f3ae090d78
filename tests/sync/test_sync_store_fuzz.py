"""Fuzzing the import into a store: damaged packages, and well-signed packages with hostile records.

Whatever arrives, ``import_package`` raises nothing but ``UserError``, and a refused package
changes nothing in the store.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices.auth import sign_in, this_office
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.export import export_package, pending_records
from sanlian_desktop.sync.exchange.importing import import_package
from sanlian_desktop.sync.exchange.neighbours import neighbour
from sanlian_desktop.sync.transport.package import PackageWriter
from tests.helpers import PASSWORD
from tests.sync.helpers_service import ServiceOffice, fill_county, fingerprint, open_chain

FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


class Setting:
    """A county with three declarations, its records, a valid package to the city, and the city's home."""

    def __init__(self, county: ServiceOffice, city_home: Path, records: list[tuple[str, str, int, bytes]],
                 valid: bytes) -> None:
        self.county, self.city_home, self.records, self.valid = county, city_home, records, valid

    def __repr__(self) -> str:  # Hypothesis prints it with every failing example
        return f"Setting({len(self.records)} records)"


@pytest.fixture(scope="module")
def setting(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setting]:
    root = tmp_path_factory.mktemp("store-fuzz")
    offices = open_chain(template, root)
    county = offices["620102"]
    fill_county(county, 3)
    valid = root / "valid.sanlian"
    export_package(county.store, county.admin, "620100", valid)
    # The export signed the county's records; nothing is acknowledged yet, so all are still pending.
    with county.store.session() as s:
        me = this_office(s)
        n = neighbour(s, "620100")
        records = [(r.kind, r.key, r.version, r.data) for r in pending_records(s, county.store, me, n)]
    for code, office in offices.items():
        if code != "620102":
            office.store.close()
    yield Setting(county, root / "620100", records, valid.read_bytes())
    county.store.close()


def _import_refused_or_clean(setting: Setting, data: bytes, *, must_refuse: bool = False) -> None:
    """Import ``data`` into a fresh copy of the city: refused with UserError and nothing changed, or
    (unless ``must_refuse``) imported."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "city"
        shutil.copytree(setting.city_home, home)
        store = Store.open(home)
        try:
            with store.session() as s:
                actor = sign_in(s, "admin", PASSWORD)
            path = Path(tmp) / "p.sanlian"
            path.write_bytes(data)
            before = fingerprint(store)
            try:
                import_package(store, actor, path)
            except UserError:
                assert fingerprint(store) == before
            else:
                assert not must_refuse, "a damaged package was imported"
        finally:
            store.close()


@settings(FUZZ, max_examples=25)
@given(edits=st.lists(st.tuples(st.integers(0, 10**7), st.integers(1, 255)), min_size=1, max_size=3),
       cut=st.one_of(st.none(), st.integers(0, 10**7)))
def test_damaged_package(setting: Setting, edits: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(setting.valid)
    for pos, flip in edits:
        data[pos % len(data)] ^= flip
    if cut is not None:
        data = data[: cut % len(data)]
    if bytes(data) == setting.valid:
        return
    _import_refused_or_clean(setting, bytes(data), must_refuse=True)


def _mutate(body: Any, path: list[int], value: Any, drop: bool) -> Any:
    """Replace (or drop) the value reached by walking ``path`` through nested objects and lists."""
    if not path or not isinstance(body, dict | list) or not body:
        return value
    keys = sorted(body) if isinstance(body, dict) else list(range(len(body)))
    key = keys[path[0] % len(keys)]
    if len(path) == 1 and drop and isinstance(body, dict):
        del body[key]
        return body
    body[key] = _mutate(body[key], path[1:], value, drop)
    return body


def _hostile(setting: Setting, pick: int, path: list[int], value: Any, drop: bool, *,
             must_refuse: bool = False) -> None:
    """One record mutated, the package signed by the county as usual, imported at the city."""
    records = list(setting.records)
    kind, key, version, data = records[pick % len(records)]
    body = _mutate(json.loads(data), path, value, drop)
    records[pick % len(records)] = (kind, key, version, json.dumps(body, ensure_ascii=False).encode())
    county = setting.county
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hostile.sanlian"
        with county.store.session() as s:
            keys = trust.office_keys(s, county.admin)
            chain = trust.own_chain(s)
            recipient = trust.cert_for(s, "620100")
        assert recipient is not None
        with PackageWriter(out, keys, chain, recipient, 1) as writer:
            for entry in records:
                writer.add_entry(*entry)
        _import_refused_or_clean(setting, out.read_bytes(), must_refuse=must_refuse)


@FUZZ
@given(pick=st.integers(0, 1000), path=st.lists(st.integers(0, 50), min_size=1, max_size=4), value=JSON,
       drop=st.booleans())
def test_hostile_records_from_a_neighbour(setting: Setting, pick: int, path: list[int], value: Any,
                                          drop: bool) -> None:
    """The county signs the package, so only the store's checks stand between a bad record and the store."""
    _hostile(setting, pick, path, value, drop)


def test_values_of_the_wrong_type_are_refused(setting: Setting) -> None:
    """Found by the fuzz above: a list where the store expects text or a number reached SQLite (or
    ``session.get``) and came out as a database error instead of a refusal."""
    region, community = 0, 1  # the street's and the community's region records
    assert [r[0] for r in setting.records[:2]] == ["region", "region"]
    keys = sorted(json.loads(setting.records[community][3]))
    _hostile(setting, region, [0], [], drop=False, must_refuse=True)  # "code": []
    _hostile(setting, community, [keys.index("rural")], [], drop=False, must_refuse=True)
