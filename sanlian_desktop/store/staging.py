"""Attachment files received in a sync package: staged inside the store's folder, moved into place only
once the import has committed.

An import writes each received file to a staging folder of its own, ``<home>/incoming/<random>/``, under
the name of its verified SHA-256, and holds a lock on ``.lock`` in that folder while it runs. After the
import's transaction ends — committed or rolled back — :meth:`Staging.settle` asks the store which of
the staged files a committed ``attachment`` row names: those are moved into the attachment folder, the
others deleted, and the folder removed. A refused package therefore leaves no file behind, and a
program that stops between the commit and the move loses nothing: the next import (or anything that
calls :func:`recover`) settles every staging folder whose lock nobody holds the same way, by what the
store committed.

The lock (``flock`` on Linux, ``msvcrt.locking`` on Windows) belongs to the open file, so a second
import in the same process and one in another process both see a running import's folder as taken,
and the operating system drops it when the process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, BinaryIO, Self

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import atomic_write, sync_directory
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.models import Attachment
from sanlian_desktop.store.attachments import cache_path, ensure_inside, is_sha256, keep_content
from sanlian_desktop.store.instance import _lock, _unlock

INCOMING = "incoming"
LOCK_NAME = ".lock"
PIECE = 1 << 20


def staging_root(paths: AppPaths) -> Path:
    """The folder every import's staging folder lives in (inside the store's folder)."""
    return paths.home / INCOMING


class AttachmentMismatch(UserError):
    """A received file whose content does not hash to the id it travelled under."""


class Staging:
    """One import's staging folder (made when the first file is staged). Use it as a context manager:
    leaving the block settles the folder as :func:`settle_folder` does, whatever happened."""

    def __init__(self, paths: AppPaths, sessions: Callable[[], Session]) -> None:
        self.paths = paths
        self._sessions = sessions
        self.folder: Path | None = None
        self._handle: IO[bytes] | None = None
        self.staged: set[str] = set()

    def _open(self) -> Path:
        if self.folder is None:
            root = staging_root(self.paths)
            folder = ensure_inside(self.paths.home, root / uuid.uuid4().hex)
            for attempt in range(3):  # another import may remove the empty root meanwhile
                root.mkdir(parents=True, exist_ok=True)
                try:
                    folder.mkdir()
                    break
                except FileNotFoundError:
                    if attempt == 2:
                        raise
            handle = (folder / LOCK_NAME).open("a+b")
            try:
                _lock(handle)
            except OSError:
                handle.close()
                raise
            self.folder, self._handle = folder, handle
        return self.folder

    def put(self, sha256: str, source: BinaryIO) -> int:
        """Copy ``source`` into the staging folder as ``sha256``, checking that its content hashes to
        that; returns its size. The file is synced to disk before it takes its name."""
        if not is_sha256(sha256):
            raise AttachmentMismatch(f"附件编号“{sha256[:80]!r}”不是 SHA-256 摘要", "an attachment id is not a SHA-256")
        target = ensure_inside(self.paths.home, self._open() / sha256)
        if sha256 in self.staged:
            return target.stat().st_size
        size = 0
        with atomic_write(target) as out:
            size = copy_hashed(source, sha256, out)
        self.staged.add(sha256)
        return size

    def keep(self, session: Session, sha256: str) -> None:
        """Put the staged file ``sha256`` into the database too, in the import's transaction, where the
        store keeps attachments' content there (a server); nothing on SQLite."""
        if self.folder is None or sha256 not in self.staged:
            raise RuntimeError(f"{sha256} was not staged")
        keep_content(session, sha256, self.folder / sha256)

    def settle(self) -> None:
        """Move the staged files a committed attachment row names into place, delete the rest."""
        if self.folder is None:
            return
        folder, handle = self.folder, self._handle
        self.folder, self._handle = None, None
        try:
            settle_folder(self.paths, folder, self._sessions)
        finally:
            if handle is not None:
                with contextlib.suppress(OSError):
                    _unlock(handle)
                handle.close()
            _remove_folder(folder)
            _remove_empty_root(self.paths)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.settle()


def copy_hashed(source: BinaryIO, sha256: str, out: BinaryIO | None = None) -> int:
    """Read ``source`` to its end (writing it to ``out`` if given); refuse content that does not hash to
    ``sha256``. Returns its size."""
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: source.read(PIECE), b""):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    if digest.hexdigest() != sha256:
        # The same words as the manifest check (sync/replication/limits.py), which catches this first
        # where the package's suite hashes with SHA-256; under 国密 (SM3) this is where it is caught.
        shown = sha256 if len(sha256) <= 80 else sha256[:77] + "…"
        raise AttachmentMismatch(
            f"数据包中的记录“attachment {shown!r}”的内容与其编号（SHA-256 摘要）不符，整个数据包拒绝导入（本单位数据未作任何改动）",
            f"package refused: record attachment {shown!r}: content does not hash to its id")
    return size


def _committed(sessions: Callable[[], Session], shas: list[str]) -> set[str]:
    found: set[str] = set()
    session = sessions()
    try:
        for i in range(0, len(shas), 500):
            found.update(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(shas[i:i + 500]))))
    finally:
        session.close()
    return found


def settle_folder(paths: AppPaths, folder: Path, sessions: Callable[[], Session]) -> None:
    """Move the files of ``folder`` that a committed attachment row names into place; delete the others
    (partial ``.tmp`` files, files of a refused package). If the store cannot be asked, nothing is
    deleted: a later :func:`recover` asks again."""
    files = [f for f in folder.iterdir() if f.name != LOCK_NAME] if folder.is_dir() else []
    if not files:
        return
    names = sorted(f.name for f in files if is_sha256(f.name))
    keep = _committed(sessions, names) if names else set()
    for f in files:
        if f.name in keep:
            _move_into_place(paths, f)
        else:
            with contextlib.suppress(OSError):
                f.unlink()


def _move_into_place(paths: AppPaths, staged: Path) -> None:
    target = cache_path(paths, staged.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():  # the same content (same digest) is there already
        staged.unlink()
        return
    staged.replace(target)
    sync_directory(target.parent)


def _remove_folder(folder: Path) -> None:
    """Remove a settled staging folder (its lock file and whatever could not be deleted)."""
    leftovers = [f for f in folder.iterdir() if f.name != LOCK_NAME] if folder.is_dir() else []
    if leftovers:  # the store could not be asked: keep the files for the next recovery
        return
    with contextlib.suppress(OSError):
        (folder / LOCK_NAME).unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()


def _abandoned(root: Path) -> Iterable[tuple[Path, IO[bytes]]]:
    """Staging folders no running import holds, each with its lock taken (the caller releases it)."""
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir()):
        lock = folder / LOCK_NAME
        if not folder.is_dir() or folder.is_symlink() or not lock.is_file():
            continue
        try:
            handle = lock.open("a+b")
        except OSError:
            continue
        try:
            _lock(handle)
        except OSError:  # a running import's folder
            handle.close()
            continue
        yield folder, handle


def recover(paths: AppPaths, sessions: Callable[[], Session]) -> int:
    """Settle the staging folders of imports that ended without settling them (the program stopped
    between the commit and the move); returns how many folders were settled."""
    count = 0
    for folder, handle in list(_abandoned(staging_root(paths))):
        try:
            settle_folder(paths, folder, sessions)
        finally:
            with contextlib.suppress(OSError):
                _unlock(handle)
            handle.close()
        _remove_folder(folder)
        count += 1
    _remove_empty_root(paths)
    return count


def _remove_empty_root(paths: AppPaths) -> None:
    with contextlib.suppress(OSError):
        staging_root(paths).rmdir()  # only when empty
