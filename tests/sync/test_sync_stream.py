"""The streamed import and what a package carries: certificates once, attachments once, windows of records.

A package carries each certificate its statements need once, so an office can verify opinions and
versions it never saw signed and pass them on upward; an attachment two declarations share goes
once; and applying the records a few at a time gives exactly what applying them all at once gives.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models import (
    CertificateRecord,
    Declaration,
    DeclarationAttachment,
    DeclarationVersion,
    Opinion,
    SyncItem,
)
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices.auth import sign_in, this_office
from sanlian_desktop.store.attachments import store_file
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange import export as sync_export
from sanlian_desktop.sync.exchange.export import export_package, pending_records
from sanlian_desktop.sync.exchange.importing import import_package
from sanlian_desktop.sync.exchange.neighbours import neighbour
from sanlian_desktop.sync.kinds.records import local_hashes
from sanlian_desktop.sync.replication import apply
from sanlian_desktop.sync.transport.package import PackageWriter, open_package
from sanlian_desktop.sync.trust.statements import STATEMENT_FORMAT
from tests.helpers import PASSWORD
from tests.sync.helpers_service import ServiceOffice, fill_county, fingerprint, open_chain

COUNTY, CITY, PROVINCE = "620102", "620100", "620000"


@pytest.fixture
def offices(template: Path, tmp_path: Path) -> Iterator[dict[str, ServiceOffice]]:
    found = open_chain(template, tmp_path / "chain")
    yield found
    for office in found.values():
        office.store.close()


def _share_one_file(county: ServiceOffice, tmp_path: Path) -> str:
    """The same minutes attached to the county's first two declarations (under two names)."""
    minutes = tmp_path / "会议纪要.txt"
    minutes.write_text("社区居民议事会会议纪要：同意申报。\n" * 50, "utf-8")
    with county.store.session() as s:
        att = store_file(s, county.store.paths, minutes)
        first, second = list(s.scalars(select(Declaration.id).order_by(Declaration.id).limit(2)))
        s.add(DeclarationAttachment(declaration_id=first, sha256=att.sha256, original_name="会议纪要.txt",
                                    kind="minutes", added_by="clerk"))
        s.add(DeclarationAttachment(declaration_id=second, sha256=att.sha256, original_name="议事会纪要.txt",
                                    kind="minutes", added_by="clerk"))
        return att.sha256


def _entries(office: ServiceOffice, path: Path) -> list[tuple[str, str]]:
    with office.store.read_session() as s:
        keys = trust.office_keys(s, office.admin)
        roots, revoked = trust.pinned_roots(s), trust.revoked_map(s)
        code = this_office(s).region_code
    with open_package(path, keys, roots, revoked, trust.utcnow(), recipient_code=code) as pkg:
        return [(e.kind, e.id) for e in pkg.entries]


def _state(store: Store) -> dict[str, Any]:
    """Everything the records set, column by column, for comparing two imports."""
    with store.read_session() as s:
        def rows(model: Any, *order: Any) -> list[tuple[Any, ...]]:
            # What each import stamps with its own clock, and a link's own row number.
            skip = {"updated_at", "created_at" if model is DeclarationVersion else "", "added_at",
                    "id" if model is DeclarationAttachment else ""}
            columns = [c for c in model.__table__.columns if c.name not in skip]
            return [tuple(r) for r in s.execute(select(*columns).order_by(*order))]

        return {
            **fingerprint(store),
            "declaration_rows": rows(Declaration, Declaration.id),
            "version_rows": rows(DeclarationVersion, DeclarationVersion.declaration_id, DeclarationVersion.version),
            "opinion_rows": rows(Opinion, Opinion.id),
            "link_rows": rows(DeclarationAttachment, DeclarationAttachment.declaration_id,
                              DeclarationAttachment.original_name),
        }


def _echoed_as_read_back(store: Store) -> None:
    """Every declaration, version and opinion received counts as held by the county exactly in the
    form this store reads back (so none is sent back): the echo was right without asking the store."""
    with store.read_session() as s:
        acked = {(i.kind, i.key): i.acked_hash for i in s.scalars(select(SyncItem).where(
            SyncItem.neighbour_code == COUNTY))}
        for kind, model in (("declaration", Declaration), ("opinion", Opinion)):
            keys = list(s.scalars(select(model.id)))
            mine = local_hashes(s, kind, keys)
            assert keys and all(acked.get((kind, k)) == mine[k] for k in keys), kind
        versions = [f"{d}:{v}" for d, v in s.execute(select(DeclarationVersion.declaration_id,
                                                             DeclarationVersion.version))]
        mine = local_hashes(s, "version", versions)
        assert all(acked.get(("version", k)) == mine[k] for k in versions)


def test_a_shared_attachment_travels_once(offices: dict[str, ServiceOffice], tmp_path: Path) -> None:
    county, city = offices[COUNTY], offices[CITY]
    fill_county(county, 4)
    sha = _share_one_file(county, tmp_path)
    result = export_package(county.store, county.admin, CITY, tmp_path / "up.sanlian")
    assert result.path is not None
    entries = _entries(city, result.path)
    assert entries.count(("attachment", sha)) == 1
    assert [k for k, _ in entries].count("attachment_link") == 2
    imported = import_package(city.store, city.admin, result.path)
    assert imported.report.conflicts == 0
    with city.store.read_session() as s:
        names = sorted(s.scalars(select(DeclarationAttachment.original_name).where(DeclarationAttachment.sha256 == sha)))
    assert names == ["会议纪要.txt", "议事会纪要.txt"]
    assert (city.store.paths.attachments / sha[:2] / sha).is_file()


def test_split_packages_each_carry_the_shared_attachment(offices: dict[str, ServiceOffice], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    county, city = offices[COUNTY], offices[CITY]
    fill_county(county, 2)
    sha = _share_one_file(county, tmp_path)
    # Room for the heads (two regions), the receipt, the certificates and one declaration at a time.
    monkeypatch.setattr(sync_export, "PACKAGE_ENTRIES", 2 + 1 + 3 + 6 + 1)
    parts = [export_package(county.store, county.admin, CITY, tmp_path / f"{n}.sanlian") for n in range(2)]
    for part in parts:
        assert part.path is not None and part.by_kind.get("declaration") == 1
        assert _entries(city, part.path).count(("attachment", sha)) == 1
    for part in reversed(parts):  # in either order, each part stands on its own
        assert part.path is not None
        assert import_package(city.store, city.admin, part.path).report.conflicts == 0
    with city.store.read_session() as s:
        assert len(list(s.scalars(select(DeclarationAttachment.id).where(DeclarationAttachment.sha256 == sha)))) == 2


def test_small_windows_apply_exactly_what_one_window_does(offices: dict[str, ServiceOffice], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    county, city = offices[COUNTY], offices[CITY]
    fill_county(county, 9)
    _share_one_file(county, tmp_path)
    result = export_package(county.store, county.admin, CITY, tmp_path / "up.sanlian")
    assert result.path is not None
    city.store.close()
    states = []
    for window in (10_000, 3, 1):
        home = tmp_path / f"city-{window}"
        shutil.copytree(tmp_path / "chain" / CITY, home)
        store = Store.open(home)
        try:
            with store.session() as s:
                admin = sign_in(s, "admin", PASSWORD)
            monkeypatch.setattr(apply, "APPLY_WINDOW", window)
            imported = import_package(store, admin, result.path, backup=False)
            assert imported.report.new_declarations == 9
            assert imported.report.conflicts == 0
            _echoed_as_read_back(store)
            states.append((_state(store), imported.report.as_dict()))
        finally:
            store.close()
    city.store = Store.open(tmp_path / "chain" / CITY)
    for other in states[1:]:
        for key in states[0][0]:
            assert other[0][key] == states[0][0][key], key
        assert other[1] == states[0][1]
    assert {status for _, status, *_ in states[0][0]["declarations"]} == {"under_review"}


def test_statements_are_verified_upward_with_the_certificates_carried(offices: dict[str, ServiceOffice],
                                                                       tmp_path: Path) -> None:
    """The province never certified the county, yet verifies what the county signed: the city's
    package carries the county's certificate, and the city kept it when the county's package came."""
    county, city, province = offices[COUNTY], offices[CITY], offices[PROVINCE]
    fill_county(county, 3)
    with county.store.read_session() as s:
        county_serials = set(s.scalars(select(CertificateRecord.serial).where(CertificateRecord.region_code == COUNTY)))
    up = export_package(county.store, county.admin, CITY, tmp_path / "1.sanlian")
    assert up.path is not None
    assert {i for k, i in _entries(city, up.path) if k == "certificate"} >= county_serials
    import_package(city.store, city.admin, up.path)
    with province.store.read_session() as s:
        assert not set(s.scalars(select(CertificateRecord.serial).where(CertificateRecord.region_code == COUNTY)))
    # The city passes the county's statements on, with the county's certificate.
    onward = export_package(city.store, city.admin, PROVINCE, tmp_path / "2.sanlian")
    assert onward.path is not None
    assert {i for k, i in _entries(province, onward.path) if k == "certificate"} >= county_serials
    imported = import_package(province.store, province.admin, onward.path)
    assert imported.report.new_declarations == 3 and imported.report.conflicts == 0
    with province.store.read_session() as s:
        assert s.scalar(select(Opinion.signer_code).limit(1)) == COUNTY
        signature = s.scalar(select(DeclarationVersion.signature).limit(1))
        assert signature is not None and STATEMENT_FORMAT.encode() in signature and b'"chain"' not in signature
        # The province keeps the county's certificate to verify those statements again later.
        assert set(s.scalars(select(CertificateRecord.serial).where(CertificateRecord.region_code == COUNTY))) \
            >= county_serials


def test_a_statement_whose_certificate_is_missing_is_refused(offices: dict[str, ServiceOffice],
                                                             tmp_path: Path) -> None:
    """A package that leaves out a signer's certificate is refused before anything changes, and says why."""
    county, city, province = offices[COUNTY], offices[CITY], offices[PROVINCE]
    fill_county(county, 2)
    up = export_package(county.store, county.admin, CITY, tmp_path / "1.sanlian")
    assert up.path is not None
    import_package(city.store, city.admin, up.path)
    with city.store.session() as s:
        keys = trust.office_keys(s, city.admin)
        chain = trust.own_chain(s)
        me, n = this_office(s), neighbour(s, PROVINCE)
        records = pending_records(s, city.store, me, n)
        recipient = trust.cert_for(s, PROVINCE)
    assert recipient is not None
    forged = tmp_path / "no-certificates.sanlian"
    with PackageWriter(forged, keys, chain, recipient, 1) as writer:
        for r in records:
            writer.add_entry(r.kind, r.key, r.version, r.data)
    before = fingerprint(province.store)
    with pytest.raises(UserError, match="证书") as refused:
        import_package(province.store, province.admin, forged)
    assert "缺少" in refused.value.zh
    assert fingerprint(province.store) == before


def test_the_backup_before_an_import_is_kept_only_for_an_import(offices: dict[str, ServiceOffice],
                                                                tmp_path: Path) -> None:
    """The backup is taken while the package is read and checked; a refused package, or one imported
    before, leaves none behind."""
    from sanlian_desktop.store import backup

    county, city = offices[COUNTY], offices[CITY]
    fill_county(county, 2)
    result = export_package(county.store, county.admin, CITY, tmp_path / "up.sanlian")
    assert result.path is not None

    def taken() -> int:
        return [reason for _, _, reason in backup.automatic_backups(city.store.paths)].count("before-import")

    before = taken()
    damaged = tmp_path / "damaged.sanlian"
    data = bytearray(result.path.read_bytes())
    data[len(data) // 2] ^= 0x40
    damaged.write_bytes(bytes(data))
    with pytest.raises(UserError):
        import_package(city.store, city.admin, damaged)
    assert taken() == before
    import_package(city.store, city.admin, result.path)
    assert taken() == before + 1
    assert import_package(city.store, city.admin, result.path).already_imported
    assert taken() == before + 1


def test_the_backup_holds_the_store_as_it_was_even_when_it_finishes_after_the_import_wrote(
        offices: dict[str, ServiceOffice], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The backup runs beside the import and is waited for only before the commit: started late, after
    the import has written its records (uncommitted), it still holds the store as it was before."""
    import sqlite3
    import threading

    from sanlian_desktop.store import backup

    county, city = offices[COUNTY], offices[CITY]
    fill_county(county, 3)
    result = export_package(county.store, county.admin, CITY, tmp_path / "up.sanlian")
    assert result.path is not None
    written = threading.Event()
    real_write, real_take = apply.Applier._write_window, backup.take

    def write_window(self: apply.Applier) -> None:
        real_write(self)
        written.set()

    def late_take(*args: Any, **kwargs: Any) -> Path:
        assert written.wait(60), "the import never wrote"
        return real_take(*args, **kwargs)

    def before_import() -> list[Path]:
        return [path for path, _, reason in backup.automatic_backups(city.store.paths) if reason == "before-import"]

    earlier = before_import()
    monkeypatch.setattr(apply.Applier, "_write_window", write_window)
    monkeypatch.setattr(backup, "take", late_take)
    import_package(city.store, city.admin, result.path)
    with city.store.read_session() as s:
        assert len(s.scalars(select(Declaration.id)).all()) == 3
    taken = [path for path in before_import() if path not in earlier]
    assert len(taken) == 1
    (tmp_path / "copy").mkdir()
    backup.extract_database(taken[0], tmp_path / "copy", by=city.admin)  # encrypted: the admin opens it
    copy = sqlite3.connect(tmp_path / "copy" / backup.DATABASE)
    try:
        assert copy.execute("SELECT count(*) FROM declaration").fetchone() == (0,)
    finally:
        copy.close()


def test_an_import_whose_backup_fails_changes_nothing(offices: dict[str, ServiceOffice], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from sanlian_desktop.store import backup

    county, city = offices[COUNTY], offices[CITY]
    fill_county(county, 2)
    result = export_package(county.store, county.admin, CITY, tmp_path / "up.sanlian")
    assert result.path is not None
    before = fingerprint(city.store)

    def full_disk(*args: Any, **kwargs: Any) -> Path:
        raise UserError("无法写入备份文件（磁盘空间不足）", "cannot write the backup")

    monkeypatch.setattr(backup, "take", full_disk)
    with pytest.raises(UserError, match="备份"):
        import_package(city.store, city.admin, result.path)
    assert fingerprint(city.store) == before
