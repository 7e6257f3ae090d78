"""Public notices (公示) of a batch's chosen projects: issuing, finding, and the notice as people read
and print it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import workflow
from sanlian_desktop.declarations.listing import region_names
from sanlian_desktop.kernel.errors import NotFound, UserError
from sanlian_desktop.kernel.money import from_fen
from sanlian_desktop.models import Batch, PublicNotice, utcnow
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.selection.scoring import require_province
from sanlian_desktop.selection.shortlist import rows
from sanlian_desktop.store import audit

# -- public notice (公示) ------------------------------------------------------------------------------

MAX_NOTICE_DAYS = 366


def notice_entries(session: Session, batch: Batch) -> list[dict[str, Any]]:
    """The chosen projects as a notice lists them, by region."""
    picked = [r for r in rows(session, batch, sort="region") if r.state != "pending"]
    names = region_names(session, {r.street_code for r in picked})
    return [{
        "declaration_id": r.id, "number": r.number, "title": r.title, "community_code": r.community_code,
        "community": r.community, "street_code": r.street_code, "street": names.get(r.street_code, r.street_code),
        "county_code": r.county_code, "county": r.county, "city_code": r.city_code, "city": r.city,
        "focus_areas": r.focus_areas, "amount_fen": r.amount_fen, "state": r.state,
    } for r in picked]


def issue_notice(session: Session, actor: Actor, batch: Batch, *, starts: date, ends: date,
                 title: str | None = None, now: datetime | None = None) -> PublicNotice:
    """Issue a 公示 of the batch's chosen projects for the period ``starts``…``ends``.

    The notice is frozen as issued; issuing again makes a new notice that supersedes the last one.
    """
    now = now or utcnow()
    require_province(actor, "发布公示")
    if ends < starts:
        raise UserError("公示截止日期应不早于开始日期", "the notice ends before it starts")
    if (ends - starts).days >= MAX_NOTICE_DAYS:
        raise UserError("公示期不能超过一年", "the notice period is longer than a year")
    entries = notice_entries(session, batch)
    if not entries:
        raise UserError(f"“{batch.name}”还没有入围或批准的项目，无法发布公示", "nothing is chosen yet")
    title = " ".join((title or f"{batch.name}入选项目公示").split())[:200]
    last = current_notice(session, batch)
    seq = (session.scalar(select(func.max(PublicNotice.seq)).where(PublicNotice.batch_id == batch.id)) or 0) + 1
    notice = PublicNotice(id=str(uuid.uuid4()), batch_id=batch.id, seq=seq, title=title, starts=starts, ends=ends,
                          issued_at=now, issued_by=actor.username, office_code=actor.office_code,
                          supersedes=last.id if last else None, entries=entries)
    session.add(notice)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="selection.notice",
                 entity="public_notice", entity_id=notice.id,
                 details={"batch": batch.code, "seq": seq, "starts": starts.isoformat(), "ends": ends.isoformat(),
                          "projects": len(entries), "supersedes": notice.supersedes}, at=now)
    return notice


def notices(session: Session, batch: Batch) -> list[PublicNotice]:
    """The batch's notices, newest first."""
    return list(session.scalars(select(PublicNotice).where(PublicNotice.batch_id == batch.id)
                                .order_by(PublicNotice.seq.desc())))


def current_notice(session: Session, batch: Batch) -> PublicNotice | None:
    """The batch's notice in force: the one no other supersedes."""
    superseded = set(session.scalars(select(PublicNotice.supersedes).where(
        PublicNotice.batch_id == batch.id, PublicNotice.supersedes.is_not(None))))
    for n in notices(session, batch):
        if n.id not in superseded:
            return n
    return None


def get_notice(session: Session, batch: Batch, seq: int | None = None) -> PublicNotice:
    """The notice ``seq`` of the batch, or the one in force."""
    if seq is None:
        found = current_notice(session, batch)
    else:
        found = session.scalar(select(PublicNotice).where(PublicNotice.batch_id == batch.id,
                                                          PublicNotice.seq == seq))
    if found is None:
        which = f"第 {seq} 号" if seq is not None else ""
        raise NotFound(f"“{batch.name}”没有{which}公示", f"no notice {seq or ''} for batch {batch.code}")
    return found


def notice_dict(n: PublicNotice) -> dict[str, Any]:
    """A notice as the command line's --json shows it."""
    return {"id": n.id, "seq": n.seq, "title": n.title, "starts": n.starts.isoformat(), "ends": n.ends.isoformat(),
            "issued_at": n.issued_at.isoformat(), "issued_by": n.issued_by, "supersedes": n.supersedes,
            "projects": len(n.entries),
            "total": str(from_fen(sum(int(e.get("amount_fen") or 0) for e in n.entries))),
            "entries": [{**e, "amount": str(from_fen(int(e.get("amount_fen") or 0)))} for e in n.entries]}


def in_force_label(n: PublicNotice, today: date) -> str:
    """公示中 / 公示期已满 / 尚未开始."""
    if today < n.starts:
        return "尚未开始"
    return "公示中" if today <= n.ends else "公示期已满"


def printable_notice(session: Session, n: PublicNotice) -> Any:
    """The notice as the PDF and Excel writers take it."""
    from sanlian_desktop.documents.printing.notice import PrintableNotice

    earlier = session.get(PublicNotice, n.supersedes) if n.supersedes else None
    return PrintableNotice(title=n.title, seq=n.seq, starts=n.starts, ends=n.ends,
                           issued_on=workflow.local_today(n.issued_at),
                           issuer=workflow.office_display_name(session, n.office_code), entries=list(n.entries),
                           supersedes_seq=earlier.seq if earlier else None)


def export_notice(session: Session, n: PublicNotice, *, pdf: Any = None, xlsx: Any = None) -> str | None:
    """Write the notice to a PDF and/or an Excel file; returns the font warning, if any."""
    from sanlian_desktop.documents.printing.notice import render_notice
    from sanlian_desktop.documents.spreadsheets.notice import write_notice_xlsx

    printable = printable_notice(session, n)
    warning = None
    if pdf is not None:
        warning = render_notice(pdf, printable).warning
    if xlsx is not None:
        write_notice_xlsx(xlsx, printable)
    return warning
