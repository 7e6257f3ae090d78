"""From a confirmed reading to a draft: what the command line's ``decl read-scan --create-draft`` does.

The desktop program fills the open, unsaved form with the reading and lets the clerk check every field
beside the scan before 保存; the command line has no such view, so it prints the fields with their
confidences and creates the draft only when asked explicitly. Either way the draft takes the reading's
fields, the community the clerk chose (or the one community of this office printed on the 申报单位 line),
the batch chosen (by default the newest, as the form preselects it), and the scan as an attachment of
kind "scan".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sanlian_desktop.declarations import batches, drafts
from sanlian_desktop.declarations.fields import label
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.models import Declaration
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.paperread.mapping import Proposal


def community_named(session: Session, office_code: str, names: dict[str, str]) -> str | None:
    """The one community inside ``office_code`` whose name (full or short: 桃树坪社区居委会, 桃树坪社区) and
    street are those printed on the form's 申报单位 line; None when none or several match."""
    name, street = names.get("community", ""), names.get("street", "")
    if not name:
        return None
    matches = [c.code for c in regions.communities_within(session, office_code) if name in (c.name, c.short)
               and (not street or c.street == street)]
    return matches[0] if len(matches) == 1 else None


def create_draft(session: Session, actor: Actor, paths: AppPaths, scan: Path, proposal: Proposal, *,
                 community: str | None = None, batch: str | None = None) -> Declaration:
    """A new draft from a reading the clerk confirmed, with the scan attached (kind "scan")."""
    community = community or community_named(session, actor.office_code, proposal.unit_names)
    if community is None:
        printed = proposal.unit_names.get("community") or "（未读出）"
        raise UserError(f"扫描件上的申报社区“{printed}”不能唯一对应本单位辖区内的社区，请用 --community 指定社区代码",
                        "the community could not be told from the scan: give --community")
    if batch is None:
        held = batches.list_batches(session)
        batch = held[0].code if held else None
    decl = drafts.create(session, actor, {**proposal.fields, "community": community, "batch": batch})
    drafts.attach(session, actor, decl, paths, scan, kind="scan")
    return decl


@dataclass(frozen=True)
class Row:
    """One field as the command line lists it."""

    path: str
    label: str
    value: Any
    text: str
    confidence: float
    low: bool
    problem: str | None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def draft_json(proposal: Proposal, *, community: str | None, batch: str | None) -> bytes:
    """The reading as a declaration file for ``decl new --file`` (to correct by hand first)."""
    import json

    data = {**_plain(proposal.fields), "community": community, "batch": batch}
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def rows(proposal: Proposal) -> list[Row]:
    """The fields read, in reading order, each with its label, its value as plain data and its confidence."""
    return [Row(r.path, label(r.path), _plain(r.value), r.text, round(r.confidence, 3), r.low, r.problem)
            for r in proposal.readings]
