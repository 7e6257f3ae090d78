"""Backups of an office on a PostgreSQL server: ``pg_dump -Fc`` in the backup zip, attachments inside the
dump, the same commands and occasions as a file store's; restore checks the whole file first, refuses a
newer schema or a damaged file changing nothing, and replaces the server's data in one transaction."""

from __future__ import annotations

import contextlib
import json
import zipfile
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import func, select, text

from sanlian_desktop.declarations import drafts
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.models import AttachmentContent, Declaration
from sanlian_desktop.store import attachments, backup, serverbackup
from sanlian_desktop.store.engine import HEAD_REVISION, Store
from tests import helpers
from tests.helpers import Office, example_declaration, make_office
from tests.shipping.helpers import SCAN, add_declaration_with_attachment

on_server = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)


def _declarations(store: Store) -> int:
    with store.read_session() as s:
        return s.scalar(select(func.count()).select_from(Declaration)) or 0


def _more_work(office: Office, title: str = "后来的项目") -> None:
    """A declaration entered after the backup."""
    fields = example_declaration()
    fields["title"] = title
    with office.session() as s:
        drafts.create(s, office.clerk, fields)


def _plain(office: Office, path: Path) -> contextlib.AbstractContextManager[IO[bytes]]:
    """The zip inside an encrypted backup, opened by the office's administrator."""
    guard = backup.protection()
    assert guard is not None
    return guard.opened(path, office.admin, office.home)


def _reopen(office: Office) -> Store:
    office.store.close()
    office.store = Store.open(office.home)
    return office.store


@pytest.mark.engines
def test_backup_and_restore_bring_data_and_attachments_back(county: Office, tmp_path: Path, engine: str) -> None:
    _decl, sha = add_declaration_with_attachment(county, tmp_path)
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    info = backup.verify(path, by=county.admin, home=county.home)
    assert info.on_server is (engine == "postgresql")
    assert (info.schema_revision, info.office_code, info.attachments) == (HEAD_REVISION, "620102", 1)
    assert not info.missing_attachments and "城关区民政局" in info.summary()
    _more_work(county)
    assert _declarations(county.store) == 2
    if engine == "sqlite":
        county.store.close()
    result = backup.restore(county.home, path, by=county.admin)
    assert result.restored.office_code == "620102" and result.previous_backup is not None
    store = _reopen(county)
    assert _declarations(store) == 1
    if engine == "postgresql":  # a workstation that never saw it: the restored server hands it out
        attachments.cache_path(store.paths, sha).unlink()
    assert attachments.blob_path(store.paths, sha).read_bytes() == SCAN
    assert backup.verify(result.previous_backup, by=county.admin, home=county.home).office_code == "620102"


@on_server
def test_a_server_backup_is_a_dump_with_the_attachments_inside(county: Office, tmp_path: Path) -> None:
    _decl, sha = add_declaration_with_attachment(county, tmp_path)
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    # Encrypted at rest as a file store's backups are (issue 17): nothing of the dump shows.
    assert backup.is_encrypted(path) and b"PGDMP" not in path.read_bytes()
    with _plain(county, path) as plain, zipfile.ZipFile(plain) as zf:
        assert sorted(zf.namelist()) == ["manifest.json", "sanlian.dump"]
        manifest = json.loads(zf.read("manifest.json"))
        assert zf.read("sanlian.dump").startswith(b"PGDMP")  # pg_dump's custom format
    assert (manifest["engine"], manifest["format_version"], manifest["attachments"]) == ("postgresql", 2, 1)
    assert not (tmp_path / "b.zip.tmp").exists()
    # The same occasions as a file store: the daily one, kept in the backups folder and pruned there.
    daily = backup.take_daily(county.store)
    assert daily is not None and daily.parent == county.store.paths.backups
    assert backup.take_daily(county.store) is None
    assert backup.verify(daily, by=county.admin, home=county.home).reason == "daily"
    with pytest.raises(UserError, match="管理员"):  # nobody signed in: a thief with the USB stick
        backup.verify(daily)
    with county.store.session() as s:  # an attachment whose content never reached the server is named
        s.execute(text("DELETE FROM attachment_content"))
    # (Had this workstation kept a copy, the backup would first put it on the server: share_cached.)
    attachments.cache_path(county.store.paths, sha).unlink()
    again = backup.take(county.store, reason="manual", out=tmp_path / "c.zip")
    assert backup.verify(again, by=county.admin, home=county.home).missing_attachments == [sha]


@on_server
def test_restore_refuses_a_newer_schema_and_changes_nothing(county: Office, tmp_path: Path) -> None:
    with county.store.session() as s:  # as a newer program would have stamped it
        s.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    newer = backup.take(county.store, reason="manual", out=tmp_path / "newer.zip")
    with county.store.session() as s:
        s.execute(text(f"UPDATE alembic_version SET version_num = '{HEAD_REVISION}'"))
    _more_work(county)
    with pytest.raises(UserError, match="更新版本"):
        backup.restore(county.home, newer, by=county.admin)
    assert _declarations(county.store) == 1 and county.store.schema_revision() == HEAD_REVISION


@on_server
@pytest.mark.parametrize("damage", ["flipped", "truncated", "not-a-backup"])
def test_restore_refuses_a_damaged_file_and_changes_nothing(county: Office, tmp_path: Path, damage: str) -> None:
    add_declaration_with_attachment(county, tmp_path)
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    data = bytearray(path.read_bytes())
    if damage == "flipped":
        data[len(data) // 2] ^= 0xFF  # inside the dump
    elif damage == "truncated":
        data = data[: len(data) * 2 // 3]
    else:
        data = bytearray(b"PGDMP not really a dump")
    path.write_bytes(bytes(data))
    _more_work(county)
    backups_before = sorted(county.store.paths.backups.iterdir())
    with pytest.raises(UserError, match=r"已损坏|不是本程序的备份") as refused:
        backup.restore(county.home, path, by=county.admin)
    assert "Traceback" not in str(refused.value)
    assert _declarations(county.store) == 2
    assert sorted(county.store.paths.backups.iterdir()) == backups_before  # not even a before-restore backup


@on_server
def test_a_damaged_dump_with_matching_hashes_is_refused(county: Office, tmp_path: Path) -> None:
    """A dump pg_restore cannot read, even with a manifest that matches it, is refused as damaged."""
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    with _plain(county, path) as plain, zipfile.ZipFile(plain) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        dump = zf.read("sanlian.dump")
    broken = dump[:200] + bytes(len(dump) - 200)
    manifest["members"] = [{"name": "sanlian.dump", "sha256": attachments.hashlib.sha256(broken).hexdigest(),
                            "size": len(broken)}]
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("sanlian.dump", broken)
    with pytest.raises(UserError, match="已损坏"):
        backup.verify(forged)


@on_server
def test_backups_of_one_engine_do_not_restore_onto_the_other(county: Office, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    server_backup = backup.take(county.store, reason="manual", out=tmp_path / "server.zip")
    monkeypatch.setattr(helpers, "new_database", lambda: None)  # the same office, on one computer
    single = make_office(tmp_path / "single", "county", "620102", "城关区民政局")
    single.store.close()
    with pytest.raises(UserError, match="数据库服务器上数据的备份"):
        backup.restore(single.home, server_backup, by=single.admin)
    file_backup = tmp_path / "file.zip"
    store = Store.open(single.home)
    try:
        backup.take(store, reason="manual", out=file_backup)
    finally:
        store.close()
    with pytest.raises(UserError, match="单机数据"):
        backup.restore(county.home, file_backup, by=county.admin)


@on_server
def test_without_pg_dump_the_message_says_what_to_install(county: Office, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANLIAN_PG_BINDIR", str(tmp_path / "nowhere"))
    with pytest.raises(UserError, match="postgresql-client"):
        backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists() and not (tmp_path / "b.zip.tmp").exists()
    assert serverbackup.libpq_address("postgresql+psycopg://u@h:5433/db?host=/run/pg") == \
        "postgresql://u@h:5433/db?host=%2Frun%2Fpg"  # (libpq decodes it)


@on_server
def test_other_workstations_see_the_restored_data(county: Office, tmp_path: Path) -> None:
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    _decl, sha = add_declaration_with_attachment(county, tmp_path)
    second = tmp_path / "second"
    second.mkdir()
    (second / "database.json").write_bytes(county.store.paths.server_settings.read_bytes())
    other = Store.open(second)
    try:
        assert _declarations(other) == 1
        backup.restore(county.home, path, by=county.admin)
        assert _declarations(other) == 0  # the same server: the other workstation sees the restore
        with other.read_session() as s:
            assert s.scalar(select(func.count()).select_from(AttachmentContent)) == 0
        assert not attachments.blob_path(AppPaths(tmp_path / "third"), sha).exists()
    finally:
        other.close()
