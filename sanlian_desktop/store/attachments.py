"""Attachments (minutes, photos, scans): content stored once by SHA-256, names kept per use.

Where the content lives depends on the engine (:func:`dialects.keeps_attachment_content`):

* SQLite (one computer): files in the home folder, ``attachments/aa/<sha256>``;
* PostgreSQL (several workstations of one office): in the database, table ``attachment_content`` in
  parts of :data:`CONTENT_PART` bytes, written in the same transaction as the ``attachment`` row, so a
  file attached on one workstation opens on every other and the server's backups (``pg_dump``) hold
  it. Each workstation keeps the files it has opened in its home folder as a cache:
  :func:`blob_path` fetches a file missing there from the server, checked against its hash.

Callers see one API either way: :func:`store_file` to keep a file, :func:`blob_path` for a path to open.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import mimetypes
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, exists, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import READ_PIECE, atomic_write, sha256_file, sync_directory
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.models import Attachment, AttachmentContent
from sanlian_desktop.store import dialects

if TYPE_CHECKING:
    from sanlian_desktop.store.engine import Store

MAX_ATTACHMENT = 200 * 1024 * 1024
KINDS = {"minutes": "会议记录", "photo": "照片", "scan": "扫描件", "other": "其他"}


_SHA256 = re.compile(r"[0-9a-f]{64}")


def is_sha256(value: object) -> bool:
    """Whether ``value`` is a SHA-256 digest in lowercase hex: the only form an attachment id takes."""
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def ensure_inside(folder: Path, path: Path) -> Path:
    """``path``, once it is certain to lie inside ``folder`` (both resolved); anything else is refused."""
    base = Path(folder).resolve()
    resolved = Path(path).resolve()
    if resolved != base and base not in resolved.parents:
        raise UserError(f"拒绝写入本单位数据文件夹以外的位置：{path}", f"refusing a path outside {base}: {path}")
    return path


CONTENT_PART = 4 * 1024 * 1024
log = logging.getLogger(__name__)


def cache_path(paths: AppPaths, sha256: str) -> Path:
    """Where the file with this hash lives in the home folder (for a server store: this workstation's
    copy), whether or not it is there; an id that is not a SHA-256 in hex is never a path."""
    if not is_sha256(sha256):
        shown = sha256[:80] if isinstance(sha256, str) else type(sha256).__name__
        raise UserError(f"附件编号“{shown!r}”不是 SHA-256 摘要", f"attachment id {shown!r} is not a SHA-256")
    return ensure_inside(paths.attachments, paths.attachments / sha256[:2] / sha256)


def blob_path(paths: AppPaths, sha256: str) -> Path:
    """The file holding the content with this hash, to open or send. For a store on a server, a file
    this workstation does not have yet is fetched from the server first; a path that does not exist
    means the content is nowhere (or the server cannot be reached)."""
    target = cache_path(paths, sha256)
    if not target.exists() and paths.server_settings.exists():
        _fetch(paths, sha256, target)
    return target


def _fetch(paths: AppPaths, sha256: str, target: Path) -> None:
    """Copy the content with this hash from the server into ``target``, only if it hashes to its name."""
    from sanlian_desktop.store.engine import make_engine, read_server_url

    url = read_server_url(paths)
    if url is None:
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if fetch_into(conn, sha256, target):
                return
    except SQLAlchemyError as exc:
        log.warning("attachment %s not fetched from the server: %s", sha256[:12], exc)
    finally:
        engine.dispose()


def fetch_into(conn: Connection | Session, sha256: str, target: Path) -> bool:
    """Write the database's content with this hash to ``target`` (through a temporary name); False, and
    nothing written, when the database has none or what it has does not hash to its name."""
    rows = conn.execute(select(AttachmentContent.data).where(AttachmentContent.sha256 == sha256)
                        .order_by(AttachmentContent.part).execution_options(yield_per=1))
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own: two threads of one program may fetch the same file at once.
    tmp = target.with_name(f"{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    digest, found, renamed = hashlib.sha256(), False, False
    try:
        with tmp.open("wb") as out:
            for (data,) in rows:
                found = True
                digest.update(data)
                out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if not found or digest.hexdigest() != sha256:
            if found:
                log.warning("attachment %s on the server does not hash to its name", sha256[:12])
            return False
        tmp.replace(target)
        renamed = True
        sync_directory(target.parent)
        return True
    finally:
        if not renamed:
            with contextlib.suppress(OSError):
                tmp.unlink()


def keep_content(bind: Session | Connection, sha256: str, source: Path) -> bool:
    """On a store that keeps attachments' content in the database, put ``source``'s bytes there under
    ``sha256`` (its ``attachment`` row written already) unless they are there; a SQLite store keeps
    the file only. True when something was written."""
    if not dialects.keeps_attachment_content(bind):
        return False
    has = select(AttachmentContent.part).where(AttachmentContent.sha256 == sha256).limit(1)
    if bind.execute(has).first() is not None:
        return False
    table = AttachmentContent.__table__
    part = 0
    with Path(source).open("rb") as fh:
        while True:
            piece = fh.read(CONTENT_PART)
            if piece or part == 0:  # an empty file is one empty part
                # Two workstations storing the same file at once write the same bytes: the second is dropped.
                bind.execute(dialects.insert(dialects.name_of(bind), table)  # type: ignore[arg-type]
                             .values(sha256=sha256, part=part, data=piece).on_conflict_do_nothing())
                part += 1
            if len(piece) < CONTENT_PART:
                return True


def store_file(session: Session, paths: AppPaths, source: Path) -> Attachment:
    """Copy ``source`` into the attachment folder (once per content) and record it."""
    source = Path(source)
    try:
        size = source.stat().st_size
    except OSError:
        raise UserError(f"找不到附件文件 {source}", f"attachment file not found: {source}") from None
    if not source.is_file():
        raise UserError(f"{source} 不是文件", f"{source} is not a file")
    if size > MAX_ATTACHMENT:
        raise UserError("附件过大（单个不超过200MB）", "attachment larger than 200 MB")
    sha = sha256_file(source)
    target = cache_path(paths, sha)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as src, atomic_write(target) as dst:
            shutil.copyfileobj(src, dst, READ_PIECE)
    att = session.get(Attachment, sha)
    if att is None:
        media = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        att = Attachment(sha256=sha, size=size, media_type=media)
        session.add(att)
        session.flush()
    # Also when the row is there: a file stored on a server before its content was kept there is
    # shared once it is attached again.
    keep_content(session, sha, target)
    return att


def share_cached(store: Store) -> int:
    """On a store on a server, put the content of the attachments the server lacks (stored before it kept
    content, migration 0015) from this workstation's copies, each checked against its hash; how many.

    Run when the program starts on a workstation and before each server backup: a file that only the
    workstation that stored it had then opens on every other, and the backups hold it."""
    if not store.on_server:
        return 0
    with store.read_session() as s:
        missing = list(s.scalars(select(Attachment.sha256).where(
            ~exists().where(AttachmentContent.sha256 == Attachment.sha256)).order_by(Attachment.sha256)))
    shared = 0
    for sha in missing:
        path = cache_path(store.paths, sha)
        try:
            if not path.is_file() or sha256_file(path) != sha:
                continue
            if store.write(functools.partial(keep_content, sha256=sha, source=path)):
                shared += 1
        except OSError as exc:  # the copy went away or cannot be read: another workstation may have it
            log.warning("attachment %s not shared: %s", sha[:12], exc)
    if shared:
        log.info("shared %d attachment(s) the server lacked", shared)
    return shared


def verify_blob(paths: AppPaths, sha256: str) -> bool:
    """Whether the stored content still hashes to its name. For a store on a server, a damaged copy on
    this workstation is replaced by the server's (which is the one that counts) before answering."""
    target = blob_path(paths, sha256)
    if not target.exists():
        return False
    if sha256_file(target) == sha256:
        return True
    if not paths.server_settings.exists():
        return False
    with contextlib.suppress(OSError):
        target.unlink()
    target = blob_path(paths, sha256)
    return target.exists() and sha256_file(target) == sha256
