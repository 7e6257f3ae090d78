"""The neighbour offices this office exchanges packages with: its parent and the children it certified."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import CertificateRecord, Office
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.offices.auth import this_office


@dataclass(frozen=True)
class Neighbour:
    """A parent or child office this office exchanges packages with."""

    code: str
    level: Level
    name: str
    is_parent: bool


def neighbours(session: Session) -> list[Neighbour]:
    """The parent office (from this office's certificate) and the child offices it certified."""
    me = this_office(session)
    own = trust.own_certificate(session)
    found: list[Neighbour] = []
    if own is not None and not own.is_self_signed:
        parent = trust.cert_for(session, own.issuer_code)
        if parent is not None:
            found.append(Neighbour(parent.code, parent.level, parent.office.name, True))
    children = session.scalars(select(CertificateRecord).where(
        CertificateRecord.issuer_code == me.region_code, CertificateRecord.region_code != me.region_code))
    seen = set()
    for row in children:
        if row.region_code in seen:
            continue
        seen.add(row.region_code)
        office = session.get(Office, row.region_code)
        found.append(Neighbour(row.region_code, Level(row.level), office.name if office else row.region_code, False))
    return found


def neighbour(session: Session, code: str) -> Neighbour:
    """The neighbour office at ``code``; a clear refusal for any other office."""
    for n in neighbours(session):
        if n.code == code:
            return n
    raise UserError(
        f"{code} 不是本单位的上级或已签发证书的下级单位，不能直接交换数据包",
        f"{code} is not a neighbour office (the parent, or a child this office certified)",
    )
