"""Statements verified ahead in a worker process (sync/trust/ahead.py): the import stores exactly what it
stores verifying in its own process, refuses exactly what it refuses there, with the same message, and
leaves no worker behind, also when no process can be started or the worker dies."""

from __future__ import annotations

import multiprocessing
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices.auth import sign_in
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import import_package
from sanlian_desktop.sync.replication import apply
from sanlian_desktop.sync.transport.package import PackageWriter, open_package
from sanlian_desktop.sync.trust import ahead
from tests.helpers import PASSWORD
from tests.sync.helpers_service import ServiceOffice, fill_county, fingerprint, open_chain

COUNTY, CITY = "620102", "620100"


@pytest.fixture
def offices(template: Path, tmp_path: Path) -> Iterator[dict[str, ServiceOffice]]:
    found = open_chain(template, tmp_path / "chain")
    yield found
    for office in found.values():
        office.store.close()


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Workers for any import, windows of 4 records; how many statements each import took from its worker."""
    monkeypatch.setattr(ahead, "MIN_STATEMENTS", 0)
    monkeypatch.setattr(ahead, "WAIT_FOR_ANSWERS", True)
    monkeypatch.setattr(apply, "APPLY_WINDOW", 4)
    counts: list[int] = []
    close = ahead.AheadVerifier.close

    def counted(self: ahead.AheadVerifier, *, finished: bool = False) -> None:
        counts.append(self.taken)
        close(self, finished=finished)

    monkeypatch.setattr(ahead.AheadVerifier, "close", counted)
    return counts


def _import_into_copy(tmp_path: Path, name: str, package: Path) -> tuple[Any, dict[str, Any]]:
    """Import ``package`` into a fresh copy of the city: (the result or the refusal, the store's fingerprint)."""
    home = tmp_path / name
    shutil.copytree(tmp_path / "chain" / CITY, home)
    store = Store.open(home)
    try:
        with store.session() as s:
            admin = sign_in(s, "admin", PASSWORD)
        try:
            outcome: Any = import_package(store, admin, package, backup=False).report.as_dict()
        except UserError as exc:
            outcome = (type(exc), exc.zh, exc.en)
        assert not multiprocessing.active_children()  # the worker ended with the import
        return outcome, fingerprint(store)
    finally:
        store.close()


def _package(offices: dict[str, ServiceOffice], tmp_path: Path, count: int) -> Path:
    county = offices[COUNTY]
    fill_county(county, count)
    made = export_package(county.store, county.admin, CITY, tmp_path / "up.sanlian")
    assert made.path is not None
    offices[CITY].store.close()
    return made.path


def test_what_a_worker_verified_is_applied_exactly_as_verified_here(
        offices: dict[str, ServiceOffice], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(offices, tmp_path, 9)
    monkeypatch.setattr(apply, "APPLY_WINDOW", 4)
    here = _import_into_copy(tmp_path, "here", package)
    counts: list[int] = []
    with monkeypatch.context() as m:
        m.setattr(ahead, "MIN_STATEMENTS", 0)
        m.setattr(ahead, "WAIT_FOR_ANSWERS", True)
        close = ahead.AheadVerifier.close

        def counted(self: ahead.AheadVerifier, *, finished: bool = False) -> None:
            counts.append(self.taken)
            close(self, finished=finished)

        m.setattr(ahead.AheadVerifier, "close", counted)
        worker = _import_into_copy(tmp_path, "worker", package)
    assert here[0]["new_declarations"] == 9
    assert worker == here
    assert counts and counts[0] > 20  # the statements came from the worker


def _tampered(offices: dict[str, ServiceOffice], tmp_path: Path) -> Path:
    """The county's package to the city, made again by the county with the last opinion's signature
    altered (a statement of a later window)."""
    county, city = offices[COUNTY], offices[CITY]
    package = _package(offices, tmp_path, 6)
    city.store = Store.open(tmp_path / "chain" / CITY)
    with city.store.read_session() as s:
        keys = trust.office_keys(s, city.admin)
        roots, revoked = trust.pinned_roots(s), trust.revoked_map(s)
        recipient = trust.own_chain(s)[0]
    with open_package(package, keys, roots, revoked, trust.utcnow(), recipient_code=CITY) as pkg:
        entries = [(e.kind, e.id, e.version, pkg.read_entry(e)) for e in pkg.entries]
        seq = pkg.channel_seq
    city.store.close()
    last = max(i for i, e in enumerate(entries) if e[0] == "opinion")
    data = bytearray(entries[last][3])
    at = data.index(b'"signature":"') + 20
    data[at] = ord("B") if data[at] != ord("B") else ord("C")
    entries[last] = (*entries[last][:3], bytes(data))
    with county.store.read_session() as s:
        sender_keys, chain = trust.office_keys(s, county.admin), trust.own_chain(s)
    forged = tmp_path / "tampered.sanlian"
    with PackageWriter(forged, sender_keys, chain, recipient, seq) as writer:
        for kind, key, version, body in entries:
            writer.add_entry(kind, key, version, body)
    return forged


def test_a_bad_signature_in_a_later_window_refuses_the_package_as_before(
        offices: dict[str, ServiceOffice], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forged = _tampered(offices, tmp_path)
    monkeypatch.setattr(apply, "APPLY_WINDOW", 4)
    here = _import_into_copy(tmp_path, "here", forged)
    monkeypatch.setattr(ahead, "MIN_STATEMENTS", 0)
    monkeypatch.setattr(ahead, "WAIT_FOR_ANSWERS", True)
    worker = _import_into_copy(tmp_path, "worker", forged)
    untouched = _import_into_copy(tmp_path, "untouched", tmp_path / "missing.sanlian")[1]
    assert isinstance(here[0], tuple) and "签名无效" in here[0][1]
    assert worker == here
    assert worker[1] == untouched  # nothing changed


def test_without_a_second_process_the_import_verifies_everything_itself(
        offices: dict[str, ServiceOffice], tmp_path: Path, taken: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(offices, tmp_path, 5)

    def refused(self: Any) -> None:
        raise OSError("no processes here")

    with monkeypatch.context() as m:
        m.setattr(multiprocessing.get_context("spawn").Process, "start", refused)
        alone = _import_into_copy(tmp_path, "alone", package)
    assert taken == []  # no worker was made
    both = _import_into_copy(tmp_path, "both", package)
    assert alone == both and alone[0]["new_declarations"] == 5


def test_a_worker_that_dies_leaves_the_rest_to_the_import(
        offices: dict[str, ServiceOffice], tmp_path: Path, taken: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(offices, tmp_path, 5)
    start = ahead.AheadVerifier.start

    def dying() -> ahead.AheadVerifier | None:
        made = start()
        assert made is not None
        made._process.kill()
        return made

    with monkeypatch.context() as m:
        m.setattr(ahead.AheadVerifier, "start", staticmethod(dying))
        killed = _import_into_copy(tmp_path, "killed", package)
    assert taken == [0]
    monkeypatch.setattr(ahead, "MIN_STATEMENTS", 10**9)
    here = _import_into_copy(tmp_path, "here", package)
    assert killed == here and here[0]["new_declarations"] == 5


def test_the_workers_peak_memory_is_read_whatever_the_programs_name(tmp_path: Path) -> None:
    """In the built program /proc/self/status names the executable, 三社联动申报系统: read as ASCII, the
    worker died on its first answer (found by the bundle's self-test)."""
    from sanlian_desktop.sync.trust.ahead import _peak_rss_mb

    status = tmp_path / "status"
    status.write_bytes("Name:\t三社联动申报系统\nVmHWM:\t   65536 kB\n".encode())
    assert _peak_rss_mb(status) == 64.0
    assert _peak_rss_mb(tmp_path / "missing") == 0.0
