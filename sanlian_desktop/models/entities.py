"""Tables of the local store (SQLAlchemy 2 declarative mapping)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sanlian_desktop.models.base import Base, UTCDateTime, utcnow


class Meta(Base):
    """Key/value facts about the store itself (audit head, counters)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Region(Base):
    """A node of the administrative tree: province, city, county, street/township or community."""

    __tablename__ = "region"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    # True for units the notice addresses but GB/T 2260 does not list (兰州新区, 甘肃矿区, 东风场区).
    special: Mapped[bool] = mapped_column(Boolean, default=False)
    rural: Mapped[bool | None] = mapped_column(Boolean)
    population: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    pinyin: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Retired by a region update (merged away, abolished): kept for the declarations made with it, never
    # offered for new ones.
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class RegionUpdate(Base):
    """Changes to the region tree the province published (renames, additions, retirements).

    Signed by the province when it first leaves it and passed down unchanged; each office applies the
    changes inside its jurisdiction when it receives the update (``applied``: what changed here).
    """

    __tablename__ = "region_update"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office_code: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(64), default="")
    # [{"op": "add"|"rename"|"retire", "code": ..., "name": ..., "old_name": ...}], by code.
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    applied: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    received_from: Mapped[str | None] = mapped_column(String(12))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class Office(Base):
    """A civil-affairs office known to this store; exactly one row has ``is_self``.

    ``region_code`` is the office's code: a region's code, or an evaluator office's code
    (``620000E001``, level ``evaluator``), which names no region — hence no foreign key.
    """

    __tablename__ = "office"
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    is_self: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    """A person who signs in at this office."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class Batch(Base):
    """A 申报批次 defined by the province: submission window, budget and quota."""

    __tablename__ = "batch"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    opens: Mapped[date] = mapped_column(Date)
    closes: Mapped[date] = mapped_column(Date)
    budget_fen: Mapped[int | None] = mapped_column(Integer)
    quota_projects: Mapped[int | None] = mapped_column(Integer)
    quota_communities: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    # The province's signed statement of the batch (sync/kinds/batches.py), kept as it arrived so that
    # every office passes it on; None for a batch made before batches were signed, or not signed yet.
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class Declaration(Base):
    """A community's declared project: identity, where it stands, and the figures lists need.

    The form itself lives in :class:`DeclarationVersion`; the columns here that repeat it (title,
    amounts, focus areas) are copies of the current version kept for fast lists and filters.
    """

    __tablename__ = "declaration"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(40), index=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    # The offices above the community, fixed at creation: lists filter a jurisdiction by these.
    street_code: Mapped[str] = mapped_column(String(12), index=True)
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    city_code: Mapped[str] = mapped_column(String(12), index=True)
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batch.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    awaiting_level: Mapped[str | None] = mapped_column(String(16))
    awaiting_office: Mapped[str | None] = mapped_column(String(12), index=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    entered_by_office: Mapped[str] = mapped_column(String(12))
    from_paper: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    # Pinyin initials of the title, for search by 拼音首字母.
    title_pinyin: Mapped[str] = mapped_column(String(200), default="")
    focus_areas: Mapped[str] = mapped_column(String(300), default="")
    budget_fen: Mapped[int] = mapped_column(Integer, default=0)
    requested_fen: Mapped[int] = mapped_column(Integer, default=0)
    granted_fen: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the declaration reached the office now holding it (for "days waiting").
    awaiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    versions: Mapped[list[DeclarationVersion]] = relationship(
        back_populates="declaration", order_by="DeclarationVersion.version", cascade="all, delete-orphan"
    )
    opinions: Mapped[list[Opinion]] = relationship(
        back_populates="declaration", order_by="Opinion.seq", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_declaration_status_updated", "status", "updated_at"),
        Index("ix_declaration_community_batch", "community_code", "batch_id"),
        # Lists sort by days waiting and filter the overdue.
        Index("ix_declaration_status_awaiting_since", "status", "awaiting_since"),
    )


class DeclarationVersion(Base):
    """One version of the form's content; frozen once submitted."""

    __tablename__ = "declaration_version"
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The entering office's signature over the submitted content.
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)

    declaration: Mapped[Declaration] = relationship(back_populates="versions")


class Opinion(Base):
    """A level's written opinion on one version of a declaration. Never changed once written."""

    __tablename__ = "opinion"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))
    office_code: Mapped[str] = mapped_column(String(12))
    office_name: Mapped[str] = mapped_column(String(100))
    reviewer: Mapped[str] = mapped_column(String(64))
    reviewer_name: Mapped[str] = mapped_column(String(64), default="")
    decision: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    decided_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_fen: Mapped[int | None] = mapped_column(Integer)
    from_paper: Mapped[bool] = mapped_column(Boolean, default=False)
    scan_sha256: Mapped[str | None] = mapped_column(ForeignKey("attachment.sha256"))
    # The writing office's signature over the opinion (made when it first leaves that office), so the
    # opinion stays verifiable when forwarded; for a paper opinion the entering office signs.
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)

    declaration: Mapped[Declaration] = relationship(back_populates="opinions")

    __table_args__ = (
        UniqueConstraint("declaration_id", "seq", name="uq_opinion_decl_seq"),
        # "What this office returned / passed on" lists look opinions up by office and decision.
        Index("ix_opinion_office_decision", "office_code", "decision", "declaration_id", "at"),
    )


class Attachment(Base):
    """File content, stored once by its SHA-256."""

    __tablename__ = "attachment"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttachmentContent(Base):
    """An attachment's bytes kept in the database, in parts of a few MiB (a store on a PostgreSQL server,
    so that every workstation of the office reads the same files). A SQLite store keeps them as files in
    its home folder and leaves this table empty (see store/attachments.py)."""

    __tablename__ = "attachment_content"
    sha256: Mapped[str] = mapped_column(ForeignKey("attachment.sha256"), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DeclarationAttachment(Base):
    """An attachment as a declaration uses it: original name and what it is (minutes, photo, scan)."""

    __tablename__ = "declaration_attachment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("attachment.sha256"))
    original_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32), default="other")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(64), default="")


class AuditEntry(Base):
    """One line of the append-only, hash-chained audit log."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    office_code: Mapped[str] = mapped_column(String(12))
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
