"""Writing an output file as ``name.tmp``, synced, then renamed over the target."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_output(target: str | Path) -> Iterator[BinaryIO]:
    """Yield a binary file at ``target.tmp``; on success it is flushed, synced and renamed to ``target``.

    On any exception the temporary file is removed and an existing ``target`` is left untouched.
    """
    target = Path(target)
    tmp = target.with_name(target.name + ".tmp")
    fh = tmp.open("wb")
    try:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        tmp.replace(target)  # atomic rename (os.replace)
    except BaseException:
        fh.close()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
