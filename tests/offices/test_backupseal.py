"""Encrypted backups: sealed under the office's suite, opened only by an administrator, damage refused."""

from __future__ import annotations

import dataclasses
import sqlite3
import zipfile
from pathlib import Path

import pytest

from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.offices import auth, backupseal
from sanlian_desktop.store import backup, health
from sanlian_desktop.store.engine import Store
from tests.helpers import PASSWORD, Office, make_office
from tests.shipping.helpers import SCAN, add_declaration_with_attachment, counts, fingerprint

SUITES = pytest.mark.parametrize("suite", ["sl1", "gm"])
PHONE = "0931-8812345"  # the example declaration's contact phone


def _county(tmp_path: Path, suite: str, name: str = "county") -> Office:
    return make_office(tmp_path / name, "county", "620102", "城关区民政局", suite=suite)


@SUITES
def test_a_backup_is_sealed_and_opens_for_an_admin_only(suite: str, tmp_path: Path) -> None:
    county = _county(tmp_path, suite)
    decl_id, _sha = add_declaration_with_attachment(county, tmp_path)
    path, checked = backup.take_checked(county.store, reason="manual", out=tmp_path / "b.zip")
    data = path.read_bytes()
    assert data.startswith(backupseal.MAGIC) and not zipfile.is_zipfile(path)
    # A thief with the USB stick sees neither the form's personal fields, nor the attachments, nor the users.
    for secret in (PHONE.encode(), "王经办".encode(), SCAN[:40], decl_id.encode(), b"sqlite", b"clerk"):
        assert secret not in data
    header = backupseal._read_header(path)
    assert set(header.admins) == {backupseal.admin_tag(header.suite, header.salt, "admin")}  # no clerk, reviewer
    assert header.suite.short == suite and b'"admin"' not in data
    assert checked.encrypted and "已加密" in checked.summary()

    info = backup.verify(path, by=county.admin)
    assert info.encrypted and info.attachments == 1 and info.office_code == "620102"
    with pytest.raises(UserError, match="已加密，需要本单位管理员登录"):
        backup.verify(path)
    with pytest.raises(UserError, match="不是城关区民政局（620102）的管理员"):
        backup.verify(path, by=county.clerk)
    with pytest.raises(UserError, match="密码不正确"):
        backup.verify(path, by=dataclasses.replace(county.admin, password="not-the-password"))


@SUITES
def test_restore_round_trip_with_an_admin(suite: str, tmp_path: Path) -> None:
    county = _county(tmp_path, suite)
    decl_id, sha = add_declaration_with_attachment(county, tmp_path)
    before = counts(county)
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    county.store.close()
    with sqlite3.connect(AppPaths(county.home).database) as conn:
        conn.execute("DELETE FROM declaration WHERE id = ?", (decl_id,))
    conn.close()

    with pytest.raises(PermissionDenied, match="只有管理员"):
        backup.restore(county.home, path, by=county.clerk)
    result = backup.restore(county.home, path, by=county.admin)

    assert result.restored.encrypted
    assert result.previous_backup is not None and backupseal.SEAL.is_sealed(result.previous_backup)
    store = Store.open(county.home)
    try:
        assert counts(Office(county.home, store, county.admin, county.clerk, county.reviewer)) == before
        assert health.check(store).ok
        assert (store.paths.attachments / sha[:2] / sha).is_file()
    finally:
        store.close()


def test_restore_without_credentials_or_by_a_stranger_changes_nothing(tmp_path: Path) -> None:
    county = _county(tmp_path, "sl1")
    add_declaration_with_attachment(county, tmp_path)
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    county.store.close()
    before = fingerprint(county.home)
    wrong = dataclasses.replace(county.admin, password="guess")
    for by, message in ((None, "已加密"), (wrong, "密码不正确")):
        with pytest.raises(UserError, match=message):
            backup.restore(county.home, path, by=by)
    assert fingerprint(county.home) == before
    assert not list(AppPaths(county.home).backups.iterdir()) and not list(county.home.glob(".restore-*"))


def test_an_admin_opens_a_backup_on_a_new_computer(tmp_path: Path) -> None:
    """No store at all (a stolen or dead computer): the admin's password opens the backup by itself."""
    county = _county(tmp_path, "gm")
    add_declaration_with_attachment(county, tmp_path)
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    county.store.close()
    new_home = tmp_path / "new-pc"
    new_home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    assert backup.extract_database(path, work, by=county.admin).encrypted
    backup.restore(new_home, path, by=county.admin)
    store = Store.open(new_home)
    with store.session() as s:
        assert auth.sign_in(s, "admin", PASSWORD).office_code == "620102"
    store.close()


def test_admins_added_or_passwords_changed_later_open_through_the_store(tmp_path: Path) -> None:
    county = _county(tmp_path, "sl1")
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    with county.session() as s:
        auth.add_user(s, county.admin, username="boss", role=auth.Role.ADMIN, password="boss-pass-123",
                      display_name="张主任")
        boss = auth.sign_in(s, "boss", "boss-pass-123")
    # The backup carries no wrap for the new admin: the current store's keys open it for them.
    header = backupseal._read_header(path)
    assert backupseal.admin_tag(header.suite, header.salt, "boss") not in header.admins
    with pytest.raises(UserError, match="不是城关区民政局（620102）的管理员"):
        backup.verify(path, by=boss)
    assert backup.verify(path, by=boss, home=county.home).encrypted


def test_daily_backup_without_anyone_signed_in_is_sealed(tmp_path: Path) -> None:
    county = _county(tmp_path, "gm")
    made = backup.take_daily(county.store)
    assert made is not None and backupseal.SEAL.is_sealed(made)
    assert backup.verify(made, by=county.admin).reason == "daily"


def _flip(path: Path, at: int, out: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    out.write_bytes(bytes(data))
    return out


def _cut(path: Path, size: int, out: Path) -> Path:
    out.write_bytes(path.read_bytes()[:size])
    return out


@SUITES
def test_tampered_or_truncated_backups_are_refused_as_damaged(suite: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backupseal.SEAL, "chunk", 4096)  # many chunks, so chunk boundaries can be cut at
    county = _county(tmp_path, suite)
    add_declaration_with_attachment(county, tmp_path)
    good = backup.take(county.store, reason="manual", out=tmp_path / "good.zip")
    county.store.close()
    header = backupseal._read_header(good)
    size = good.stat().st_size
    sealed = 4096 + header.suite.tag_size
    assert (size - header.offset) // sealed > 3
    bad = {
        "body byte": _flip(good, header.offset + sealed + 100, tmp_path / "1.zip"),
        "last byte": _flip(good, size - 1, tmp_path / "2.zip"),
        "header byte": _flip(good, header.offset // 2, tmp_path / "3.zip"),
        "cut at a chunk boundary": _cut(good, header.offset + 2 * sealed, tmp_path / "4.zip"),
        "cut mid-chunk": _cut(good, size - 50, tmp_path / "5.zip"),
        "cut in the header": _cut(good, header.offset - 10, tmp_path / "6.zip"),
        "appended": _cut(good, size, tmp_path / "7.zip"),
        "chunk dropped": tmp_path / "8.zip",
        "header field": tmp_path / "9.zip",  # still well formed: caught by the key bound to the header
    }
    with bad["appended"].open("ab") as fh:
        fh.write(good.read_bytes()[-sealed:])
    data = good.read_bytes()
    bad["chunk dropped"].write_bytes(data[: header.offset + sealed] + data[header.offset + 2 * sealed:])
    bad["header field"].write_bytes(data.replace("城关区民政局".encode(), "七里河民政局".encode(), 1))
    before = fingerprint(county.home)
    for kind, path in bad.items():
        with pytest.raises(UserError, match="已损坏或不完整") as caught:
            backup.restore(county.home, path, by=county.admin)
        assert "\n" not in caught.value.line() and caught.value.en, kind
    assert fingerprint(county.home) == before
    assert not list(AppPaths(county.home).backups.iterdir()) and not list(county.home.glob(".restore-*"))
    assert backup.verify(good, by=county.admin).encrypted


def test_a_backup_of_another_suite_is_refused(tmp_path: Path) -> None:
    """The same office code set up under 国密 elsewhere: its backup is not this office's (SL1) backup."""
    here = _county(tmp_path, "sl1", "here")
    there = _county(tmp_path, "gm", "there")
    other = backup.take(there.store, reason="manual", out=tmp_path / "gm.zip")
    there.store.close()
    here.store.close()
    before = fingerprint(here.home)
    with pytest.raises(UserError, match=r"使用“国密算法.*而本单位使用“国际通用算法"):
        backup.restore(here.home, other, by=here.admin)
    assert fingerprint(here.home) == before


def test_a_backup_of_an_unknown_suite_is_refused(tmp_path: Path) -> None:
    county = _county(tmp_path, "sl1")
    good = backup.take(county.store, reason="manual", out=tmp_path / "good.zip")
    data = good.read_bytes()
    name = b"SL1-ED25519-X25519-HKDF-SHA256-CHACHA20POLY1305"
    forged = tmp_path / "forged.zip"
    forged.write_bytes(data.replace(name, b"SL9-ED25519-X25519-HKDF-SHA256-CHACHA20POLY1305", 1))
    with pytest.raises(UserError, match="本程序不支持"):
        backup.verify(forged, by=county.admin)


def test_a_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    county = _county(tmp_path, "sl1")
    add_declaration_with_attachment(county, tmp_path)

    def broken(fh: object, *_args: object) -> None:
        getattr(fh, "write")(b"x" * 10_000_000)  # noqa: B009 - half a backup, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "_write_zip", broken)
    with pytest.raises(UserError, match="无法写入"):
        backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    assert not list(tmp_path.glob("b.zip*"))
    assert not list(county.home.glob(".backup-*"))


def test_a_store_without_keys_is_backed_up_in_clear_with_a_note(tmp_path: Path) -> None:
    """The first released schema had no office keys: its before-upgrade backup has nothing to seal to."""
    import shutil

    home = tmp_path / "old"
    home.mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "store-0001.sqlite", home / "sanlian.db")
    Store.open(home).close()
    taken = backup.automatic_backups(AppPaths(home))
    assert [reason for _p, _at, reason in taken] == ["before-upgrade"]
    info = backup.verify(taken[0][0])
    assert not info.encrypted and "未加密" in info.summary()


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 128, 200, 640])
@SUITES
def test_sealed_stream_round_trip_at_every_chunk_boundary(suite: str, size: int, tmp_path: Path) -> None:
    import io
    import os

    from sanlian_desktop.sync.trust.suite import get_suite, suite_by_short

    s = suite_by_short(suite)
    key = os.urandom(s.key_size)
    sealing = backupseal._Sealing(b"HEADER", get_suite(s.name), key, 64)
    plain = os.urandom(size)
    out = tmp_path / "s.bin"
    with out.open("wb") as fh, sealing.writer(fh) as w:
        for at in range(0, size, 7):  # in pieces that straddle the chunks
            w.write(plain[at: at + 7])
    assert out.stat().st_size == 6 + size + max(1, -(-size // 64)) * s.tag_size
    with sealing.reader(out) as r:
        assert r.read() == plain
        for at in (size // 2, 0, max(0, size - 1)):  # random access, as zipfile reads
            r.seek(at)
            assert r.read(70) == plain[at: at + 70]
        r.seek(0, io.SEEK_END)
        assert r.tell() == size


def test_after_the_province_moved_to_gm_its_earlier_backups_still_open(tmp_path: Path) -> None:
    """A change of suite (issue 17) keeps the old keys: a backup sealed before it opens, one after it is 国密."""
    from datetime import timedelta

    from sanlian_desktop.models import utcnow
    from sanlian_desktop.offices import custody
    from sanlian_desktop.sync.trust.gm import GM_SUITE

    province = make_office(tmp_path / "province", "province", "620000", "甘肃省民政厅", with_batch=False)
    before = backup.take(province.store, reason="manual", out=tmp_path / "before.zip")
    with province.store.session() as s:
        custody.migrate_suite(s, province.admin, GM_SUITE, utcnow() + timedelta(days=30))
    after = backup.take(province.store, reason="manual", out=tmp_path / "after.zip")
    assert backupseal._read_header(before).suite.short == "sl1"
    assert backupseal._read_header(after).suite.short == "gm"
    for path in (before, after):
        assert backup.verify(path, by=province.admin, home=province.home).encrypted
    province.store.close()
