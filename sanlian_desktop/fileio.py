"""Writing files safely: to ``name.tmp``, flushed and synced, then renamed over the target."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_write(target: Path | str) -> Iterator[BinaryIO]:
    """Yield a binary file at ``target.tmp``; on success it is synced and renamed onto ``target``.

    On any exception the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    tmp = target.with_name(target.name + ".tmp")
    fh = tmp.open("wb")
    try:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        tmp.replace(target)
    except BaseException:
        fh.close()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_write(target) as fh:
        fh.write(data)
