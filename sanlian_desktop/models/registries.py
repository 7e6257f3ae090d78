"""Registries behind the pilot's indicators: community social organisations, social workers, and facts
kept per community and per pilot area (county level).

Organisations and workers travel up in sync packages under a stable ``uid``; ``office_code`` is the
office that entered the record and owns it; a deleted one keeps its row with ``deleted_at`` set, so that
the deletion travels too (a tombstone).

Every row that travels carries ``version``, a counter its owning office raises with each change of its
own (organisations and workers: ``office_code``; facts: ``owner_code``, the office that last recorded
them, the closest to the region winning). A receiving office applies a copy only when it is newer by
that counter, never by arrival: an older copy delivered late, or a stale edit after a deletion, changes
nothing. Version 0 (with no owner on facts) marks a row kept before versions existed; its record travels
as it did then."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, true
from sqlalchemy.orm import Mapped, mapped_column

from sanlian_desktop.models.base import Base, UTCDateTime, utcnow


def new_uid() -> str:
    """A fresh record identity, the same in every office the record reaches."""
    return str(uuid.uuid4())


class CommunityOrganisation(Base):
    """A community social organisation (社区社会组织), registered (信用代码) or on record (备案)."""

    __tablename__ = "community_organisation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    office_code: Mapped[str] = mapped_column(String(12), default="")
    name: Mapped[str] = mapped_column(String(100))
    # Exactly one of the two identifies the organisation: a registered one has a 统一社会信用代码,
    # one only put on record with the street or county (备案制) has a record number.
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    record_number: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    community_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    has_social_workers: Mapped[bool] = mapped_column(Boolean, default=False)
    hosts_agency: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The owning office's counter of its changes (0: kept before versions existed).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="0")
    # The owning office's signed statement of the row as it last sent it (registries/records.py): what
    # every office passes on. None while the owner has not signed it (or for a row kept from before).
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class SocialWorker(Base):
    """A social worker on a community's staff or serving it; ``certificate_level`` None when uncertified."""

    __tablename__ = "social_worker"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    office_code: Mapped[str] = mapped_column(String(12), default="")
    name: Mapped[str] = mapped_column(String(64))
    certificate_level: Mapped[str | None] = mapped_column(String(16))
    certificate_number: Mapped[str] = mapped_column(String(40), default="")
    employer: Mapped[str] = mapped_column(String(100), default="")
    community_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The owning office's counter of its changes (0: kept before versions existed).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="0")
    # The owning office's signed statement of the row as it last sent it (registries/records.py): what
    # every office passes on. None while the owner has not signed it (or for a row kept from before).
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class CommunityFacts(Base):
    """What the indicators need to know about one community; None where nobody recorded it yet."""

    __tablename__ = "community_facts"
    community_code: Mapped[str] = mapped_column(ForeignKey("region.code"), primary_key=True)
    has_workroom: Mapped[bool | None] = mapped_column(Boolean)
    in_federation: Mapped[bool | None] = mapped_column(Boolean)
    registered_volunteers: Mapped[int | None] = mapped_column(Integer)
    # "direct" or "indirect": how the residents' (villagers') committee was last elected.
    election: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    # The office whose counter ``version`` is: the one that last recorded these facts itself, or the one
    # closest to the region whose copy arrived from below (None, version 0: kept before versions existed).
    owner_code: Mapped[str | None] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The owner's signed statement of the facts as it last sent them (registries/records.py).
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class AreaFacts(Base):
    """Facts about a county-level region: whether it is a pilot area at all (``pilot``, true unless the
    province says otherwise) and whether it has a 社会工作协会."""

    __tablename__ = "area_facts"
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), primary_key=True)
    has_association: Mapped[bool | None] = mapped_column(Boolean)
    pilot: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    # The office whose counter ``version`` is: the one that last recorded these facts itself, or the one
    # closest to the region whose copy arrived from below (None, version 0: kept before versions existed).
    owner_code: Mapped[str | None] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The owner's signed statement of the facts as it last sent them (registries/records.py).
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
