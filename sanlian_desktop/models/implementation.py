"""Tables of an approved project's implementation: tender, undertaking, social workers, disbursements and
progress reports.

Every row is immutable once written: a correction is a new row whose ``supersedes`` names the row it
replaces (the reason given in ``reason``), exactly as opinions are never edited. The office that wrote a
row signs it when it first leaves that office (``signer_code``/``signature``), so that the row stays
verifiable wherever it is forwarded.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, event, inspect
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models.base import Base, UTCDateTime, utcnow


class ProjectRecordMixin:
    """What every implementation record has: identity, project, who wrote it, what it corrects, signature."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office_code: Mapped[str] = mapped_column(String(12))
    entered_by: Mapped[str] = mapped_column(String(64), default="")
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The id of the row of the same kind (and project) this one corrects; None for an original.
    supersedes: Mapped[str | None] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(Text, default="")
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)

    @declared_attr
    def declaration_id(cls) -> Mapped[str]:  # noqa: N805  (SQLAlchemy's declared_attr takes the class)
        return mapped_column(ForeignKey("declaration.id"), index=True)


class ProjectTender(ProjectRecordMixin, Base):
    """社区招标: when the community tendered, who bid and who won."""

    __tablename__ = "project_tender"
    tendered_on: Mapped[date] = mapped_column(Date)
    bidders: Mapped[list[str]] = mapped_column(JSON)
    winner: Mapped[str] = mapped_column(String(100))


class ProjectUndertaking(ProjectRecordMixin, Base):
    """承接: the agreement with the organisation that undertakes the project."""

    __tablename__ = "project_undertaking"
    org_name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str] = mapped_column(String(18))
    amount_fen: Mapped[int] = mapped_column(Integer)
    # Why the agreed amount may exceed the granted subsidy (other funds); empty when it does not.
    over_grant_reason: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class ProjectWorker(ProjectRecordMixin, Base):
    """A social worker on the project; a superseding row with ``active`` False takes one off it."""

    __tablename__ = "project_worker"
    name: Mapped[str] = mapped_column(String(64))
    certificate_level: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ProjectDisbursement(ProjectRecordMixin, Base):
    """拨付: one tranche of the subsidy paid out, entered by the paying office."""

    __tablename__ = "project_disbursement"
    paid_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(Integer)
    tranche: Mapped[int] = mapped_column(Integer)


class ProjectProgress(ProjectRecordMixin, Base):
    """A periodic progress report (进展情况); ``final`` marks the closing report of the project."""

    __tablename__ = "project_progress"
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    activities: Mapped[str] = mapped_column(Text)
    beneficiaries: Mapped[int] = mapped_column(Integer)
    spent_fen: Mapped[int] = mapped_column(Integer)
    problems: Mapped[str] = mapped_column(Text, default="")
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"sha256": ..., "name": original file name}], the files stored by attachments.store_file.
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


PROJECT_MODELS: tuple[type[ProjectRecordMixin], ...] = (
    ProjectTender, ProjectUndertaking, ProjectWorker, ProjectDisbursement, ProjectProgress,
)


def table_name(model: type[ProjectRecordMixin]) -> str:
    """The table of a project record model (also its record kind's stem in packages)."""
    return str(inspect(model).local_table.name)


_SIGNATURE = {"signer_code", "signature"}


def _only_first_signature(obj: Any) -> bool:
    state: Any = inspect(obj)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    return bool(changed) and changed <= _SIGNATURE and all(not any(state.attrs[k].history.deleted) for k in changed)


@event.listens_for(Session, "before_flush")
def _guard_project_records(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, PROJECT_MODELS):
            raise UserError("项目实施记录一经写入不能删除（更正请新增一条记录）", "project records cannot be deleted")
    for obj in session.dirty:
        if (isinstance(obj, PROJECT_MODELS) and session.is_modified(obj, include_collections=False)
                and not _only_first_signature(obj)):
            raise UserError("项目实施记录一经写入不能修改（更正请新增一条记录）", "project records are immutable")
