"""Package files on disk: their extension and the name of the next one to a neighbour."""

from __future__ import annotations

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
