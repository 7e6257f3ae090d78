"""Attachments (minutes, photos, scans): content stored once by SHA-256, names kept per use."""

from __future__ import annotations

import mimetypes
import shutil
from pathlib import Path

from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import READ_PIECE, atomic_write, sha256_file
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.models import Attachment

MAX_ATTACHMENT = 200 * 1024 * 1024
KINDS = {"minutes": "会议记录", "photo": "照片", "scan": "扫描件", "other": "其他"}


def blob_path(paths: AppPaths, sha256: str) -> Path:
    """Where the content with this hash lives."""
    return paths.attachments / sha256[:2] / sha256


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
    target = blob_path(paths, sha)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as src, atomic_write(target) as dst:
            shutil.copyfileobj(src, dst, READ_PIECE)
    existing = session.get(Attachment, sha)
    if existing is not None:
        return existing
    media = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    att = Attachment(sha256=sha, size=size, media_type=media)
    session.add(att)
    session.flush()
    return att


def verify_blob(paths: AppPaths, sha256: str) -> bool:
    """Whether the stored content still hashes to its name."""
    target = blob_path(paths, sha256)
    if not target.exists():
        return False
    return sha256_file(target) == sha256
