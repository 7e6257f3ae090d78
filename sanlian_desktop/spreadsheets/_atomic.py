"""Write a file beside its target, make it durable, then rename it over the target."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sanlian_desktop.errors import UserError


@contextlib.contextmanager
def atomic_output(out_path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file ``name.tmp``; on success flush, fsync and ``os.replace`` it onto ``out_path``.

    A failure leaves the target untouched and removes the temporary file. Operating-system errors
    (no permission, disk full, file open in Excel on Windows) become a ``UserError``.
    """
    target = Path(out_path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        with tmp.open("wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(
            f"无法写入文件“{target}”：{exc.strerror or exc}。请检查文件夹是否可写、磁盘空间是否充足，"
            "以及该文件是否正在 Excel 中打开。",
            f"cannot write {target}: {exc}",
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)


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
