"""Near-duplicate screening: each declaration's text sketch and the similar pairs found between them.

Sketches and pairs are derived data, recomputed from the declarations' content whenever it changes;
a clearance is a reviewer's finding. Nothing here travels in packages.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sanlian_desktop.models.base import Base, UTCDateTime, utcnow


class SimilaritySketch(Base):
    """The MinHash signature of a declaration's long texts, as they stood at ``content_hash``."""

    __tablename__ = "similarity_sketch"
    declaration_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    # num_perm unsigned 32-bit hash values, little-endian; empty when the texts are too short to judge.
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SimilarityPair(Base):
    """Two declarations whose long texts are alike: ``low_id`` < ``high_id``; ``score`` in percent."""

    __tablename__ = "similar_pair"
    low_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), primary_key=True)
    high_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_similar_pair_high", "high_id"),)


class SimilarityClearance(Base):
    """A reviewer's finding that two similar declarations are not a copy ("已核实，不是抄袭"), with the reason.

    Kept by the office that found it (audit-logged); it does not travel in packages yet.
    """

    __tablename__ = "similarity_clearance"
    low_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), primary_key=True)
    high_id: Mapped[str] = mapped_column(ForeignKey("declaration.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    office_code: Mapped[str] = mapped_column(String(12))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
