"""Finding one declaration and reading it out: by number, UUID or prefix, within the office's
jurisdiction; its stored versions, its ``decl show --json`` form, and what changed between versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import fields as declfields
from sanlian_desktop.kernel import idprefix
from sanlian_desktop.kernel.errors import NotFound
from sanlian_desktop.kernel.money import from_fen
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import (
    Batch,
    Declaration,
    DeclarationAttachment,
    DeclarationVersion,
    Opinion,
)
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor

# -- looking up -------------------------------------------------------------------------------------


def get(session: Session, key: str) -> Declaration:
    """A declaration by UUID, readable number or a unique UUID prefix (at least 8 characters)."""
    key = key.strip()
    decl = session.get(Declaration, key)
    if decl is not None:
        return decl
    matches = list(session.scalars(select(Declaration).where(Declaration.number == key).limit(2)))
    if not matches:
        matches = idprefix.prefix_matches(session, select(Declaration), Declaration.id, key, shortest=8)
    return idprefix.one(matches, key, "申报", "declaration",
                        missing=(f"没有找到申报“{key}”", f"no declaration '{key}'"))


def current_fields(session: Session, decl: Declaration) -> dict[str, Any]:
    """The form content of the declaration's current version."""
    return version_row(session, decl, decl.current_version).fields


def version_row(session: Session, decl: Declaration, version: int) -> DeclarationVersion:
    """One stored version of the declaration."""
    row = session.get(DeclarationVersion, (decl.id, version))
    if row is None:
        raise NotFound(
            f"申报 {decl.number} 没有第 {version} 版（共 {decl.current_version} 版）",
            f"declaration {decl.number} has no version {version}",
        )
    return row


def in_jurisdiction(actor: Actor, decl: Declaration) -> bool:
    """Whether the declaration lies in the actor's office's jurisdiction.

    An evaluator office holds read-only copies of the projects assigned to it, and only those.
    """
    column = {
        Level.EVALUATOR: None,
        Level.PROVINCE: None,
        Level.CITY: decl.city_code,
        Level.COUNTY: decl.county_code,
        Level.STREET: decl.street_code,
        Level.COMMUNITY: decl.community_code,
    }[actor.office_level]
    return column is None or column == actor.office_code


def visible(session: Session, actor: Actor, key: str) -> Declaration:
    """A declaration the actor's office may see."""
    decl = get(session, key)
    if not in_jurisdiction(actor, decl):
        raise NotFound(f"没有找到申报“{key}”", f"no declaration '{key}' in this office's jurisdiction")
    return decl


# -- reading out ------------------------------------------------------------------------------------


def as_dict(session: Session, decl: Declaration) -> dict[str, Any]:
    """The declaration as ``decl show --json`` gives it."""
    batch = session.get(Batch, decl.batch_id) if decl.batch_id else None
    return {
        "id": decl.id,
        "number": decl.number,
        "version": decl.current_version,
        "status": decl.status,
        "awaiting_level": decl.awaiting_level,
        "awaiting_office": decl.awaiting_office,
        "community": decl.community_code,
        "region": regions.region_path(session, decl.community_code),
        "batch": batch.code if batch else None,
        "title": decl.title,
        "from_paper": decl.from_paper,
        "entered_by_office": decl.entered_by_office,
        "requested": str(from_fen(decl.requested_fen)),
        "granted": str(from_fen(decl.granted_fen)) if decl.granted_fen is not None else None,
        "fields": current_fields(session, decl),
        "opinions": [
            {
                "level": o.level,
                "office": o.office_name,
                "office_code": o.office_code,
                "reviewer": o.reviewer_name or o.reviewer,
                "decision": o.decision,
                "opinion": o.text,
                "version": o.version,
                "at": o.at.isoformat(),
                "date": o.decided_on.isoformat(),
                "from_paper": o.from_paper,
                "granted": str(from_fen(o.granted_fen)) if o.granted_fen is not None else None,
            }
            for o in decl.opinions
        ],
        "attachments": [
            {"name": a.original_name, "kind": a.kind, "sha256": a.sha256}
            for a in session.scalars(select(DeclarationAttachment).where(
                DeclarationAttachment.declaration_id == decl.id).order_by(DeclarationAttachment.id))
        ],
        "created_at": decl.created_at.isoformat(),
        "updated_at": decl.updated_at.isoformat(),
    }


def diff_versions(session: Session, decl: Declaration, from_version: int | None = None,
                  to_version: int | None = None) -> list[declfields.FieldChange]:
    """Field-by-field changes between two versions (default: the previous and the current one)."""
    to_version = to_version or decl.current_version
    from_version = from_version or max(1, to_version - 1)
    old = version_row(session, decl, from_version).fields
    new = version_row(session, decl, to_version).fields
    return declfields.diff(old, new)


# -- comparing for a reviewer -----------------------------------------------------------------------


def last_seen_version(session: Session, decl: Declaration, office_code: str) -> int | None:
    """The version on which ``office_code`` last wrote an opinion (its own, not one keyed from paper)."""
    return session.scalar(
        select(Opinion.version)
        .where(Opinion.declaration_id == decl.id, Opinion.office_code == office_code,
               Opinion.from_paper.is_(False))
        .order_by(Opinion.seq.desc())
        .limit(1)
    )


def changes_for_reviewer(session: Session, decl: Declaration, office_code: str) -> tuple[int, list[declfields.FieldChange]]:
    """What changed since the version this office last saw (else since the previous version).

    Returns the version compared against and the field-by-field changes; no changes for a
    declaration with a single version that this office has not seen.
    """
    seen = last_seen_version(session, decl, office_code)
    base = seen if seen is not None and seen < decl.current_version else decl.current_version - 1
    if base < 1:
        return decl.current_version, []
    return base, diff_versions(session, decl, base, decl.current_version)
