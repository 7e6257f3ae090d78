"""Attachments of an office whose store is on a server live in the database: a file attached on one
workstation opens on every other. A SQLite store keeps them as files in its home, as before."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.models import Attachment, AttachmentContent
from sanlian_desktop.store import attachments
from sanlian_desktop.store.engine import Store
from sanlian_desktop.store.staging import Staging
from tests.helpers import Office

PART = 1000


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachments, "CONTENT_PART", PART)


def _workstation(office: Office, tmp_path: Path, name: str = "second") -> AppPaths:
    """Another workstation of the office: its own home, the same store (for SQLite: the same home)."""
    if not office.store.on_server:
        return office.store.paths
    home = tmp_path / name
    home.mkdir()
    (home / "database.json").write_bytes(office.store.paths.server_settings.read_bytes())
    return AppPaths(home)


def _parts(office: Office, sha: str) -> list[int]:
    with office.store.read_session() as s:
        return list(s.scalars(select(func.length(AttachmentContent.data)).where(AttachmentContent.sha256 == sha)
                              .order_by(AttachmentContent.part)))


@pytest.mark.engines
@pytest.mark.usefixtures("small_parts")
def test_a_file_attached_on_one_workstation_opens_on_another(county: Office, tmp_path: Path, engine: str) -> None:
    payload = os.urandom(2 * PART + 500)
    source = tmp_path / "会议记录.pdf"
    source.write_bytes(payload)
    with county.store.session() as s:
        sha = attachments.store_file(s, county.store.paths, source).sha256
    assert _parts(county, sha) == ([PART, PART, 500] if engine == "postgresql" else [])
    other = _workstation(county, tmp_path)
    opened = attachments.blob_path(other, sha)
    assert opened.read_bytes() == payload and attachments.verify_blob(other, sha)
    with county.store.session() as s:  # the same file again: one row, its content once
        assert attachments.store_file(s, county.store.paths, source).sha256 == sha
        assert s.scalar(select(func.count()).select_from(Attachment)) == 1
    assert len(_parts(county, sha)) == (3 if engine == "postgresql" else 0)


@pytest.mark.engines
@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("size", [0, PART, 2 * PART, PART + 1])
def test_content_survives_every_size(county: Office, tmp_path: Path, engine: str, size: int) -> None:
    payload = os.urandom(size)
    source = tmp_path / "照片.jpg"
    source.write_bytes(payload)
    with county.store.session() as s:
        sha = attachments.store_file(s, county.store.paths, source).sha256
    if engine == "postgresql":
        assert sum(_parts(county, sha)) == size and len(_parts(county, sha)) == max(1, -(-size // PART))
    assert attachments.blob_path(_workstation(county, tmp_path), sha).read_bytes() == payload


@pytest.mark.engines
def test_a_damaged_copy_on_a_workstation(county: Office, tmp_path: Path, engine: str) -> None:
    """On a server the workstation's copy is only a copy: a damaged one is replaced by the server's.
    A SQLite store has no other copy: the damage is reported."""
    source = tmp_path / "扫描件.pdf"
    source.write_bytes(b"%PDF-1.4 scan " * 100)
    with county.store.session() as s:
        sha = attachments.store_file(s, county.store.paths, source).sha256
    copy = attachments.cache_path(county.store.paths, sha)
    copy.write_bytes(b"changed")
    assert attachments.verify_blob(county.store.paths, sha) is (engine == "postgresql")
    assert (copy.read_bytes() == source.read_bytes()) is (engine == "postgresql")


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_content_damaged_on_the_server_is_never_handed_out(county: Office, tmp_path: Path) -> None:
    source = tmp_path / "会议记录.pdf"
    source.write_bytes(b"minutes " * 300)
    with county.store.session() as s:
        sha = attachments.store_file(s, county.store.paths, source).sha256
        s.execute(update(AttachmentContent).values(data=b"tampered"))
    other = _workstation(county, tmp_path)
    assert not attachments.blob_path(other, sha).exists()
    assert not attachments.verify_blob(other, sha)
    assert list(attachments.cache_path(other, sha).parent.iterdir()) == []  # no temporary file left


@pytest.mark.engines
def test_a_received_file_is_shared_once_the_import_commits(county: Office, tmp_path: Path, engine: str) -> None:
    payload = b"received minutes " * 500
    sha = hashlib.sha256(payload).hexdigest()
    store: Store = county.store
    with Staging(store.paths, store.read_session) as stage, store.session() as s:
        stage.put(sha, io.BytesIO(payload))
        s.add(Attachment(sha256=sha, size=len(payload)))
        s.flush()
        stage.keep(s, sha)
    assert attachments.blob_path(_workstation(county, tmp_path), sha).read_bytes() == payload
    assert (len(_parts(county, sha)) > 0) is (engine == "postgresql")


@pytest.mark.engines
def test_a_refused_import_leaves_no_content(county: Office, tmp_path: Path) -> None:
    payload = b"refused " * 500
    sha = hashlib.sha256(payload).hexdigest()
    store: Store = county.store
    with pytest.raises(RuntimeError, match="refused"), Staging(store.paths, store.read_session) as stage, \
            store.session() as s:
        stage.put(sha, io.BytesIO(payload))
        s.add(Attachment(sha256=sha, size=len(payload)))
        s.flush()
        stage.keep(s, sha)
        raise RuntimeError("package refused")
    assert _parts(county, sha) == []
    assert not attachments.blob_path(_workstation(county, tmp_path), sha).exists()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_files_stored_before_the_server_kept_them_are_shared_from_the_workstation_that_has_them(
        county: Office, tmp_path: Path) -> None:
    """Before migration 0015 a server office's attachments stayed on the workstation that stored them. That
    workstation puts them on the server (at start and before a backup), checked against their hashes: then
    they open on every workstation and the backup holds them. A damaged copy is not shared."""
    from sanlian_desktop.store import backup

    files = []
    for n in range(3):
        source = tmp_path / f"附件{n}.pdf"
        source.write_bytes(os.urandom(3000 + n))
        with county.store.session() as s:
            files.append(attachments.store_file(s, county.store.paths, source).sha256)
    with county.store.session() as s:  # as a store of before migration 0015 has them
        s.execute(AttachmentContent.__table__.delete())
    other = _workstation(county, tmp_path)
    assert not attachments.blob_path(other, files[0]).exists()
    damaged = attachments.cache_path(county.store.paths, files[2])
    damaged.write_bytes(b"not what was stored")

    assert attachments.share_cached(county.store) == 2
    assert attachments.share_cached(county.store) == 0  # once
    for sha in files[:2]:
        assert hashlib.sha256(attachments.blob_path(other, sha).read_bytes()).hexdigest() == sha
    assert not attachments.blob_path(other, files[2]).exists()
    path = backup.take(county.store, reason="manual", out=tmp_path / "b.zip")
    assert backup.verify(path, by=county.admin, home=county.home).missing_attachments == [files[2]]


def test_a_store_in_a_file_shares_nothing(county: Office) -> None:
    assert attachments.share_cached(county.store) == 0
