"""Near-duplicate screening: each declaration's text sketch and the similar pairs found between them.

Sketches and pairs are derived data, recomputed from the declarations' content whenever it changes;
a clearance is a reviewer's finding, and the only row here that travels in packages.
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

    Written by a county, city or province office (audit-logged there), signed by it at its next export and
    sent upward (:mod:`sanlian_desktop.screening.records`), so the offices above see who found what. The
    declarations are named by id, without a foreign key: a mark may arrive before a declaration it names,
    and is kept until then. It counts only where both declarations are held and lie in the communities
    the mark names (``low_community``, ``high_community``, which its signer's territory must hold).
    """

    __tablename__ = "similarity_mark"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    low_id: Mapped[str] = mapped_column(String(36))
    high_id: Mapped[str] = mapped_column(String(36))
    low_community: Mapped[str] = mapped_column(String(12))
    high_community: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    office_code: Mapped[str] = mapped_column(String(12))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_similarity_mark_pair", "low_id", "high_id"),)
