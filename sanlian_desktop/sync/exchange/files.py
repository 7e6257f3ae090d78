"""Package files on disk: their extension, the name of the next one to a neighbour, and the
SHA-256 of a file that the package's row records."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from sanlian_desktop.models import SyncChannel
from sanlian_desktop.offices.auth import this_office

EXTENSION = ".sanlian"


def package_file_name(session: Session, to: str) -> str:
    """The file name of the next package to the neighbour ``to``: sender, recipient and sequence number."""
    me = this_office(session).region_code
    channel = session.get(SyncChannel, to)
    seq = channel.next_out_seq if channel else 1
    return f"{me}-至-{to}-{seq:04d}{EXTENSION}"


def hash_file(path: Path) -> str:
    """The SHA-256 of a package file, as its row in the packages list records it."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
