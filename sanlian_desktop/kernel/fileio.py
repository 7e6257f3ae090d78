"""Writing files safely (to ``name.tmp``, flushed and synced, then renamed over the target) and hashing
them a piece at a time."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, BinaryIO

from sanlian_desktop.kernel.errors import UserError

READ_PIECE = 1 << 20  # what a streaming read or copy takes at a time


@contextlib.contextmanager
def atomic_write(target: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file ``name.tmp``; on success flush, fsync and rename it onto ``target``.

    A failure leaves the target untouched and removes the temporary file. Operating-system errors
    (no permission, disk full, a file held open by another program on Windows) become a ``UserError``.
    """
    path = Path(target)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(
            f"无法写入文件“{path}”：{exc.strerror or exc}。请检查文件夹是否可写、磁盘空间是否充足，"
            "以及该文件是否正被其他程序（如 Excel、PDF 阅读器）打开。",
            f"cannot write {path}: {exc}",
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """Make the rename itself durable where the platform allows it (not on Windows)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_write(target) as fh:
        fh.write(data)


def sha256_stream(source: IO[bytes], sink: Callable[[bytes], object] | None = None) -> str:
    """SHA-256 (hex) of what ``source`` reads until its end, a piece at a time; each piece also goes to
    ``sink`` (a file's ``write``, say) when one is given, so a copy is hashed as it is made."""
    digest = hashlib.sha256()
    for piece in iter(lambda: source.read(READ_PIECE), b""):
        digest.update(piece)
        if sink is not None:
            sink(piece)
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of a file's content, read a piece at a time."""
    with Path(path).open("rb") as fh:
        return sha256_stream(fh)
