"""Backups: round trip, refusals that leave the store untouched, rotation, daily, before an upgrade.

These tests look inside the zip, so they run with encryption switched off: the clear format is what
older programs wrote (and what a store without keys still gets), and it must still verify and restore.
Encrypted backups: tests/offices/test_backupseal.py.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.store import attachments, backup, health
from sanlian_desktop.store.engine import HEAD_REVISION, Store
from tests.helpers import Office
from tests.shipping.helpers import SCAN, add_declaration_with_attachment, counts, fingerprint

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(autouse=True)
def _clear_format() -> Iterator[None]:
    saved = backup.protection()
    backup.set_protection(None)
    yield
    backup.set_protection(saved)


def test_backup_holds_manifest_database_and_attachments(county: Office, tmp_path: Path) -> None:
    _decl, sha = add_declaration_with_attachment(county, tmp_path)
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    info = backup.verify(path)
    assert (info.schema_revision, info.office_code, info.office_name) == (HEAD_REVISION, "620102", "城关区民政局")
    assert info.attachments == 1 and info.reason == "manual" and not info.missing_attachments
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert sorted(zf.namelist()) == sorted(["manifest.json", "sanlian.db", f"attachments/{sha[:2]}/{sha}"])
        assert zf.read(f"attachments/{sha[:2]}/{sha}") == SCAN
    assert {m["name"] for m in manifest["members"]} == {"sanlian.db", f"attachments/{sha[:2]}/{sha}"}
    assert not (tmp_path / "b.zip.tmp").exists()
    assert "城关区民政局" in info.summary()
    assert not info.encrypted and "未加密" in info.summary()  # an old backup says so; it still restores


def test_restore_after_damage_brings_data_and_attachments_back(county: Office, tmp_path: Path) -> None:
    decl_id, sha = add_declaration_with_attachment(county, tmp_path)
    before = counts(county)
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    county.store.close()
    # Damage: a declaration deleted behind the program's back, an attachment file gone.
    with sqlite3.connect(AppPaths(county.home).database) as conn:
        conn.execute("DELETE FROM declaration WHERE id = ?", (decl_id,))
    conn.close()
    attachments.blob_path(county.store.paths, sha).unlink()

    result = backup.restore(county.home, path)

    assert result.previous_backup is not None and backup.verify(result.previous_backup).reason == "before-restore"
    assert result.previous_folder is None
    store = Store.open(county.home)
    try:
        assert counts(Office(county.home, store, county.admin, county.clerk, county.reviewer)) == before
        assert attachments.verify_blob(store.paths, sha)
        assert health.check(store).ok
    finally:
        store.close()
    assert not list(county.home.glob(".restore-*")) and not list(county.home.glob(".replaced-*"))


def test_restore_over_a_destroyed_store_keeps_the_old_files(county: Office, tmp_path: Path) -> None:
    add_declaration_with_attachment(county, tmp_path)
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    county.store.close()
    db = AppPaths(county.home).database
    db.write_bytes(b"this is not a database" * 1000)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)

    result = backup.restore(county.home, path)

    assert result.previous_backup is None and result.previous_folder is not None
    assert (result.previous_folder / "sanlian.db").read_bytes().startswith(b"this is not")
    store = Store.open(county.home)
    assert health.check(store).ok
    store.close()


def _rewrite(path: Path, out: Path, change: dict[str, bytes], manifest_edit: dict[str, object] | None = None,
             rehash: bool = True) -> Path:
    """A copy of backup ``path`` with members replaced (and the manifest rehashed unless told not to)."""
    import hashlib

    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    members.update(change)
    if rehash:
        for m in manifest["members"]:
            m["sha256"] = hashlib.sha256(members[m["name"]]).hexdigest()
            m["size"] = len(members[m["name"]])
    manifest.update(manifest_edit or {})
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def _newer_schema(path: Path, tmp: Path) -> Path:
    with zipfile.ZipFile(path) as zf:
        (tmp / "x.db").write_bytes(zf.read("sanlian.db"))
    with sqlite3.connect(tmp / "x.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    return _rewrite(path, tmp / "newer.zip", {"sanlian.db": (tmp / "x.db").read_bytes()},
                    {"schema_revision": "9999"})


def _other_program(tmp: Path) -> Path:
    out = tmp / "other.zip"
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "photo-album", "members": []}))
        zf.writestr("photo.jpg", b"\xff\xd8\xff" + b"0" * 100)
    return out


def _foreign_db(path: Path, tmp: Path) -> Path:
    with sqlite3.connect(tmp / "f.db") as conn:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        conn.execute(f"INSERT INTO alembic_version VALUES ('{HEAD_REVISION}')")
    conn.close()
    return _rewrite(path, tmp / "foreign-db.zip", {"sanlian.db": (tmp / "f.db").read_bytes()})


def _random_zip(tmp: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    (tmp / "random.zip").write_bytes(buf.getvalue())
    return tmp / "random.zip"


BAD_FILES = {
    "truncated": (lambda p, t: _copy_bytes(p, t / "t.zip", p.read_bytes()[: len(p.read_bytes()) // 2]),
                  "已损坏或不完整"),
    "flipped byte": (lambda p, t: _copy_bytes(p, t / "c.zip", _flip_in_database(p)), "已损坏或不完整"),
    "broken deflate stream": (lambda p, t: _copy_bytes(p, t / "z.zip", _flip_in_database(p, at_start=True)),
                              "已损坏或不完整"),
    "hash mismatch": (lambda p, t: _rewrite(p, t / "h.zip", {"sanlian.db": _flipped_database(p)}, rehash=False),
                      "校验值与清单不符"),
    "corrupt database, consistent manifest": (
        lambda p, t: _rewrite(p, t / "d.zip", {"sanlian.db": _garbled_database(p)}), "已损坏或不完整"),
    "not a zip": (lambda p, t: _copy_bytes(p, t / "n.zip", b"just some text, not a backup\n" * 50), "不是本程序的备份文件"),
    "random zip": (lambda p, t: _random_zip(t), "不是本程序的备份文件"),
    "other program": (lambda p, t: _other_program(t), "不是本程序的备份文件"),
    "foreign database": (_foreign_db, "不是本程序的备份文件"),
    "newer schema": (_newer_schema, "更新版本"),
    "missing": (lambda p, t: t / "nowhere.zip", "找不到备份文件"),
}


def _copy_bytes(_src: Path, out: Path, data: bytes) -> Path:
    out.write_bytes(data)
    return out


def _flipped_database(path: Path) -> bytes:
    """The backup's database with one byte changed, same size."""
    with zipfile.ZipFile(path) as zf:
        data = bytearray(zf.read("sanlian.db"))
    data[len(data) // 2] ^= 0x01
    return bytes(data)


def _garbled_database(path: Path) -> bytes:
    """The backup's database with pages in the middle overwritten (the manifest is then rehashed)."""
    with zipfile.ZipFile(path) as zf:
        data = bytearray(zf.read("sanlian.db"))
    middle = len(data) // 2 // 8192 * 8192
    data[middle: middle + 16384] = bytes(range(256)) * 64
    return bytes(data)


def _flip_in_database(path: Path, *, at_start: bool = False) -> bytes:
    """The backup with one byte of the compressed database changed (the zip CRC or our hash catches it).

    ``at_start`` marks the first deflate block with the block type deflate does not have, so the
    decompressor itself fails (zlib.error, not a CRC mismatch) — what a flipped byte in the middle
    does now and then, depending on where the block boundaries fall."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("sanlian.db")
    local = info.header_offset  # the local header's name and extra lengths, not the central directory's
    start = local + 30 + int.from_bytes(data[local + 26:local + 28], "little") \
        + int.from_bytes(data[local + 28:local + 30], "little")
    if at_start:
        data[start] |= 0x06  # BTYPE = 11: "invalid block type"
    else:
        data[start + info.compress_size // 2] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_backups_are_refused_and_the_store_is_untouched(kind: str, county: Office, tmp_path: Path) -> None:
    add_declaration_with_attachment(county, tmp_path)
    good = backup.take(county.store, reason="manual", out=tmp_path / "good.zip")
    make, message = BAD_FILES[kind]
    bad = make(good, tmp_path)
    county.store.close()
    before = fingerprint(county.home)
    with pytest.raises(UserError, match=message) as caught:
        backup.restore(county.home, bad)
    assert "\n" not in caught.value.line() and caught.value.en
    assert fingerprint(county.home) == before
    assert not list(AppPaths(county.home).backups.iterdir())  # refused before any backup was taken
    assert not list(county.home.glob(".restore-*"))


def test_automatic_backups_rotate_keeping_thirty(county: Office) -> None:
    made = [backup.take(county.store, reason="before-import") for _ in range(33)]
    kept = backup.automatic_backups(county.store.paths)
    assert len(kept) == backup.KEEP_AUTOMATIC
    assert [p for p, _at, _r in kept] == made[-30:]
    manual = county.store.paths.backups / "my-own-copy.zip"
    shutil.copy(made[-1], manual)
    backup.take(county.store, reason="daily")
    assert manual.exists() and len(backup.automatic_backups(county.store.paths)) == 30


def test_daily_backup_at_most_once_a_day(county: Office) -> None:
    first = backup.take_daily(county.store)
    assert first is not None and first.name.endswith("-daily.zip")
    assert backup.take_daily(county.store) is None


def test_opening_an_old_store_backs_it_up_before_migrating(tmp_path: Path) -> None:
    home = tmp_path / "old"
    home.mkdir()
    shutil.copy(DATA / "store-0001.sqlite", home / "sanlian.db")
    store = Store.open(home)
    try:
        assert store.schema_revision() == HEAD_REVISION
        taken = backup.automatic_backups(store.paths)
        assert [reason for _p, _at, reason in taken] == ["before-upgrade"]
        assert backup.verify(taken[0][0]).schema_revision == "0001"
    finally:
        store.close()
    again = Store.open(home)  # already at head: no second backup
    assert len(backup.automatic_backups(again.paths)) == 1
    again.close()


def test_restoring_an_older_backup_migrates_on_next_open(tmp_path: Path) -> None:
    home = tmp_path / "old"
    home.mkdir()
    shutil.copy(DATA / "store-0001.sqlite", home / "sanlian.db")
    Store.open(home).close()
    old_backup = backup.automatic_backups(AppPaths(home))[0][0]
    kept = tmp_path / "old-0001.zip"
    shutil.copy(old_backup, kept)
    backup.restore(home, kept)
    store = Store.open(home)
    assert store.schema_revision() == HEAD_REVISION
    store.close()


def test_restore_refuses_another_office_and_non_administrators(county: Office, tmp_path: Path) -> None:
    from sanlian_desktop.kernel.errors import PermissionDenied
    from tests.helpers import make_office

    other = make_office(tmp_path / "other", "county", "620103", "七里河区民政局", with_regions=False)
    foreign = backup.take(other.store, reason="manual", out=tmp_path / "other.zip")
    other.store.close()
    own = backup.take(county.store, reason="manual", out=tmp_path / "own.zip")
    county.store.close()
    before = fingerprint(county.home)
    with pytest.raises(UserError, match="不是本单位的数据"):
        backup.restore(county.home, foreign, by=county.admin)
    with pytest.raises(PermissionDenied, match="只有管理员"):
        backup.restore(county.home, own, by=county.clerk)
    assert fingerprint(county.home) == before
    backup.restore(county.home, foreign, by=county.admin, allow_other_office=True)
    assert backup.current_office(AppPaths(county.home)) == "620103"
