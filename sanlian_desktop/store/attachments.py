"""Attachments (minutes, photos, scans): content stored once by SHA-256, names kept per use."""

from __future__ import annotations

import mimetypes
import re
import shutil
from pathlib import Path

from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import READ_PIECE, atomic_write, sha256_file
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.models import Attachment

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


def blob_path(paths: AppPaths, sha256: str) -> Path:
    """Where the content with this hash lives; an id that is not a SHA-256 in hex is never a path."""
    if not is_sha256(sha256):
        shown = sha256[:80] if isinstance(sha256, str) else type(sha256).__name__
        raise UserError(f"附件编号“{shown!r}”不是 SHA-256 摘要", f"attachment id {shown!r} is not a SHA-256")
    return ensure_inside(paths.attachments, paths.attachments / sha256[:2] / sha256)


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
