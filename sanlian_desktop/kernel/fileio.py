"""Writing files safely: to ``name.tmp``, flushed and synced, then renamed over the target."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sanlian_desktop.kernel.errors import UserError


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
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
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
