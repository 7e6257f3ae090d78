"""The ORM: every table of the local store."""

from sanlian_desktop.models import guards as _guards  # noqa: F401  (registers the immutability guard)
from sanlian_desktop.models.base import Base, UTCDateTime, utcnow
from sanlian_desktop.models.entities import (
    Attachment,
    AttachmentContent,
    AuditEntry,
    Batch,
    Declaration,
    DeclarationAttachment,
    DeclarationVersion,
    Meta,
    Office,
    Opinion,
    Region,
    RegionUpdate,
    User,
)
from sanlian_desktop.models.evaluation import (
    EffectEvaluation,
    EvaluationAssignment,
    EvaluationWithdrawal,
    FollowUpVisit,
)
from sanlian_desktop.models.implementation import (
    ProjectDisbursement,
    ProjectProgress,
    ProjectTender,
    ProjectUndertaking,
    ProjectWorker,
)
from sanlian_desktop.models.progress import ProgressReport
from sanlian_desktop.models.registries import AreaFacts, CommunityFacts, CommunityOrganisation, SocialWorker
from sanlian_desktop.models.screening import SimilarityClearance, SimilarityPair, SimilaritySketch
from sanlian_desktop.models.selection import ExpertScore, PublicNotice, ScoringCriterion, Shortlisting
from sanlian_desktop.models.syncstate import (
    CertificateRecord,
    OfficeKeyRing,
    PendingReceipt,
    RevocationRecord,
    SyncChannel,
    SyncConflict,
    SyncItem,
    SyncPackage,
    UserKeyWrap,
)

__all__ = [
    "AreaFacts",
    "Attachment",
    "AttachmentContent",
    "AuditEntry",
    "Base",
    "Batch",
    "CertificateRecord",
    "CommunityFacts",
    "CommunityOrganisation",
    "Declaration",
    "DeclarationAttachment",
    "DeclarationVersion",
    "EffectEvaluation",
    "EvaluationAssignment",
    "EvaluationWithdrawal",
    "ExpertScore",
    "FollowUpVisit",
    "Meta",
    "Office",
    "OfficeKeyRing",
    "Opinion",
    "PendingReceipt",
    "ProgressReport",
    "ProjectDisbursement",
    "ProjectProgress",
    "ProjectTender",
    "ProjectUndertaking",
    "ProjectWorker",
    "PublicNotice",
    "Region",
    "RegionUpdate",
    "RevocationRecord",
    "ScoringCriterion",
    "Shortlisting",
    "SimilarityClearance",
    "SimilarityPair",
    "SimilaritySketch",
    "SocialWorker",
    "SyncChannel",
    "SyncConflict",
    "SyncItem",
    "SyncPackage",
    "UTCDateTime",
    "User",
    "UserKeyWrap",
    "utcnow",
]
