"""Tables of the sync machinery: keys, certificates, channels, what each neighbour acknowledged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sanlian_desktop.models.base import Base, UTCDateTime, utcnow


class OfficeKeyRing(Base):
    """This office's key pairs, sealed under a key-encryption key (never stored in plain form)."""

    __tablename__ = "office_keyring"
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    suite: Mapped[str] = mapped_column(String(80))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserKeyWrap(Base):
    """The key-encryption key wrapped under one user's password."""

    __tablename__ = "user_key_wrap"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CertificateRecord(Base):
    """A certificate this store knows: its own, its parent's chain, neighbours' and signers'."""

    __tablename__ = "certificate"
    serial: Mapped[str] = mapped_column(String(64), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    level: Mapped[str] = mapped_column(String(16))
    issuer_code: Mapped[str] = mapped_column(String(12))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    encoded: Mapped[bytes] = mapped_column(LargeBinary)
    is_root: Mapped[bool] = mapped_column(Boolean, default=False)
    is_own: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RevocationRecord(Base):
    """A revocation of a certificate, signed by the certificate's issuer."""

    __tablename__ = "revocation"
    serial: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer_code: Mapped[str] = mapped_column(String(12))
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    encoded: Mapped[bytes] = mapped_column(LargeBinary)


class SyncChannel(Base):
    """Sequence numbers between this office and one neighbour office."""

    __tablename__ = "sync_channel"
    neighbour_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    next_out_seq: Mapped[int] = mapped_column(Integer, default=1)
    received_seqs: Mapped[list[int]] = mapped_column(JSON, default=list)


class SyncItem(Base):
    """One record as a neighbour knows it: the content hash last sent and the one it acknowledged."""

    __tablename__ = "sync_item"
    neighbour_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    sent_hash: Mapped[str | None] = mapped_column(String(64))
    sent_package: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_hash: Mapped[str | None] = mapped_column(String(64))
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncPackage(Base):
    """A package this office wrote or imported."""

    __tablename__ = "sync_package"
    package_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))  # "out" or "in"
    neighbour_code: Mapped[str] = mapped_column(String(12), index=True)
    channel_seq: Mapped[int] = mapped_column(Integer)
    file_hash: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user: Mapped[str] = mapped_column(String(64), default="")
    file_name: Mapped[str] = mapped_column(String(255), default="")


class PendingReceipt(Base):
    """A receipt for an imported package, waiting to ride back in the next package to its sender."""

    __tablename__ = "pending_receipt"
    package_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    neighbour_code: Mapped[str] = mapped_column(String(12), index=True)
    # {"data": base64 of the signed receipt}
    acknowledged: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_in_package: Mapped[str | None] = mapped_column(String(64))


class SyncConflict(Base):
    """A received record that disagrees with local data: kept aside for a person to decide."""

    __tablename__ = "sync_conflict"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[str | None] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    key: Mapped[str] = mapped_column(String(200))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    from_office: Mapped[str] = mapped_column(String(12))
    package_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(String(16))
