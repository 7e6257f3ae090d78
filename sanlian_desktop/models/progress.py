"""Periodic progress reports (进展情况): what an office reports up about its jurisdiction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, LargeBinary, String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models.base import Base, UTCDateTime, utcnow


class ProgressReport(Base):
    """One office's report on its jurisdiction for a period, signed by that office.

    Never changed once issued (only signed, once, when it first leaves the office); a corrected report is
    a new one that names the report it supersedes.
    """

    __tablename__ = "progress_report"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    office_code: Mapped[str] = mapped_column(String(12), index=True)
    office_name: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(64))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    supersedes: Mapped[str | None] = mapped_column(String(32))
    # The statement signed by the issuing office (sync/statements.py), set when it is first exported.
    signer_code: Mapped[str | None] = mapped_column(String(12))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    received_from: Mapped[str | None] = mapped_column(String(12))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


_SIGNING = {"signer_code", "signature"}


@event.listens_for(Session, "before_flush")
def _reports_are_immutable(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, ProgressReport):
            raise UserError("进展情况报告一经出具不能删除", "a progress report cannot be deleted")
    for obj in session.dirty:
        if not isinstance(obj, ProgressReport) or not session.is_modified(obj, include_collections=False):
            continue
        state: Any = inspect(obj)
        changed = {a.key for a in state.attrs if a.history.has_changes()}
        first_signature = changed <= _SIGNING and not any(any(state.attrs[k].history.deleted) for k in changed)
        if not first_signature:
            raise UserError("进展情况报告一经出具不能修改，请出具新的报告", "a progress report is immutable")
