"""A declaration while its office holds it: validating, creating and editing drafts, attaching files,
and submitting it up the review chain (with the paper opinions of a 代录 declaration)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import batches
from sanlian_desktop.declarations import fields as declfields
from sanlian_desktop.declarations.lookup import current_fields, version_row
from sanlian_desktop.declarations.workflow import (
    Stage,
    add_opinion,
    clean_opinion_text,
    jurisdiction_of,
    local_today,
    stages_for,
)
from sanlian_desktop.kernel.errors import FieldError, NotFound, PermissionDenied, UserError, ValidationFailed
from sanlian_desktop.kernel.money import parse_money, to_fen
from sanlian_desktop.kernel.paths import AppPaths
from sanlian_desktop.kernel.vocab import Decision, Level, Role, Status
from sanlian_desktop.models import (
    AuditEntry,
    Batch,
    Declaration,
    DeclarationAttachment,
    DeclarationVersion,
    SyncItem,
    utcnow,
)
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import audit, dialects
from sanlian_desktop.store.attachments import KINDS, store_file
from sanlian_desktop.sync.kinds.records import link_key


@dataclass(frozen=True)
class PaperOpinion:
    """A lower level's opinion on paper, keyed in by the office entering a paper declaration (代录)."""

    text: str
    decided_on: Any  # date
    scan: Path | None = None


# -- after a save -----------------------------------------------------------------------------------

# Called with the session and the declaration after its content was created or changed, in the same
# transaction (the composition root adds near-duplicate screening here).
_saved_hooks: list[Callable[[Session, Declaration], None]] = []


def add_saved_hook(hook: Callable[[Session, Declaration], None]) -> None:
    """Run ``hook`` after every save of a declaration's content (idempotent per hook)."""
    if hook not in _saved_hooks:
        _saved_hooks.append(hook)


def _saved(session: Session, decl: Declaration) -> None:
    for hook in _saved_hooks:
        hook(session, decl)


# -- creating and editing ---------------------------------------------------------------------------


def _validated(raw: Any, *, for_submit: bool) -> dict[str, Any]:
    result = declfields.normalise(raw, for_submit=for_submit)
    if result.errors:
        raise ValidationFailed(result.errors)
    return result.fields


def validate(raw: Any, *, for_submit: bool = True) -> list[FieldError]:
    """Every rule the content breaks (what the form and the Excel intake show)."""
    return declfields.normalise(raw, for_submit=for_submit).errors


def _acts_as_county(session: Session, actor: Actor) -> bool:
    return actor.office_level is Level.CITY and not regions.has_counties(session, actor.office_code)


def _check_community(session: Session, actor: Actor, code: str) -> None:
    # An official community the store has not used yet is copied in now (the declaration refers to it).
    community = session.get(regions.Region, code)
    if community is None and regions.official_tree().within(code, actor.office_code):
        community = regions.ensure_region(session, code)
    if community is None or community.level != Level.COMMUNITY:
        raise ValidationFailed(
            [FieldError("community", "申报社区", f"社区代码 {code} 尚未登记（请先用 region add 添加）")]
        )
    if not regions.is_within(session, code, actor.office_code):
        raise ValidationFailed([FieldError("community", "申报社区", f"{community.name}（{code}）不在本单位辖区内")])
    if community.retired:
        raise ValidationFailed([FieldError("community", "申报社区", f"{community.name}（{code}）已撤销，不能再申报")])


def _resolve_batch(session: Session, key: str | None) -> Batch | None:
    if not key:
        return None
    try:
        return batches.find_batch(session, key)
    except NotFound as exc:
        raise ValidationFailed([FieldError("batch", "申报批次", exc.zh)]) from None


def _check_duplicate(session: Session, decl_id: str | None, community: str, batch: Batch | None, title: str) -> None:
    if batch is None:
        return
    clash = session.scalar(
        select(Declaration.number).where(
            Declaration.community_code == community,
            Declaration.batch_id == batch.id,
            Declaration.title == title,
            Declaration.id != (decl_id or ""),
        )
    )
    if clash is not None:
        raise ValidationFailed(
            [FieldError("title", "项目名称", f"本社区在“{batch.name}”中已有同名项目（{clash}）")]
        )


def _allocate_number(session: Session, prefix: str) -> str:
    """The next free number under ``prefix``; a second clerk numbering under the same prefix at the
    same time (PostgreSQL) waits for this transaction, so no number is given twice."""
    dialects.serialise(session, f"declaration-number:{prefix}")
    last = session.scalar(
        select(func.max(Declaration.number)).where(
            Declaration.number >= prefix + "-", Declaration.number < prefix + "."
        )
    )
    seq = 1
    if last:
        tail = last.rsplit("-", 1)[-1]
        seq = int(tail) + 1 if tail.isdigit() else 1
    return f"{prefix}-{seq:04d}"


def _copy_columns(decl: Declaration, fields: dict[str, Any], batch: Batch | None) -> None:
    if decl.title != fields["title"]:
        decl.title = fields["title"]
        decl.title_pinyin = regions.pinyin_initials(fields["title"])
    decl.batch_id = batch.id if batch else None
    decl.focus_areas = "、".join(fields.get("focus_areas") or [])
    decl.budget_fen = to_fen(parse_money(fields["budget_total"])) if fields.get("budget_total") else 0
    decl.requested_fen = to_fen(parse_money(fields["subsidy_requested"])) if fields.get("subsidy_requested") else 0


def can_create(session: Session, actor: Actor) -> bool:
    """Whether the actor may enter new declarations (a clerk of a community, street or county office)."""
    if actor.role is not Role.CLERK or actor.office_level is Level.EVALUATOR:
        return False
    return actor.office_level not in (Level.PROVINCE, Level.CITY) or _acts_as_county(session, actor)


def create(session: Session, actor: Actor, raw: Any, *, now: datetime | None = None) -> Declaration:
    """Create a draft declaration from form content; numbers it and records who entered it.

    An office above the community (street, county) enters it on the community's behalf (代录): the
    declaration is flagged as entered from paper.
    """
    now = now or utcnow()
    actor.require(Role.CLERK, action="新建申报")
    if actor.office_level is Level.EVALUATOR:
        raise PermissionDenied("第三方评估机构不录入申报，只查看指派给本机构的项目",
                               "an evaluator office enters no declarations")
    if actor.office_level in (Level.PROVINCE, Level.CITY) and not _acts_as_county(session, actor):
        raise PermissionDenied(
            "申报由社区填报，或由街道(乡镇)、县级民政部门代录；本单位不录入申报",
            "declarations are entered by communities, streets or county offices",
        )
    fields = _validated(raw, for_submit=False)
    _check_community(session, actor, fields["community"])
    batch = _resolve_batch(session, fields.get("batch"))
    _check_duplicate(session, None, fields["community"], batch, fields["title"])
    j = jurisdiction_of(session, fields["community"])
    # Numbered under the entering office's own code: every office (community, street, county) numbers
    # on its own PC without hearing from the others, so a shared prefix (the county's) would give two
    # declarations the same number at the county and above. A county's own entries keep the short form.
    prefix = f"{batch.code if batch else local_today(now).year}-{actor.office_code}"
    decl = Declaration(
        id=str(uuid.uuid4()), number=_allocate_number(session, prefix), community_code=fields["community"],
        title="",
        street_code=j.street, county_code=j.county, city_code=j.city, status=Status.DRAFT.value,
        current_version=1, entered_by_office=actor.office_code,
        from_paper=actor.office_level is not Level.COMMUNITY, created_at=now, created_by=actor.username,
        updated_at=now,
    )
    _copy_columns(decl, fields, batch)
    session.add(decl)
    session.add(DeclarationVersion(
        declaration_id=decl.id, version=1, fields=fields, content_hash=declfields.content_hash(fields),
        created_at=now, created_by=actor.username, updated_at=now,
    ))
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="decl.create",
                 entity="declaration", entity_id=decl.id,
                 details={"number": decl.number, "title": decl.title, "from_paper": decl.from_paper}, at=now)
    _saved(session, decl)
    return decl


def _require_owner(actor: Actor, decl: Declaration, action: str) -> None:
    if decl.status not in (Status.DRAFT, Status.RETURNED):
        raise UserError(
            f"申报 {decl.number} 当前为“{Status(decl.status).label}”，不能{action}",
            f"declaration {decl.number} is {decl.status}; it cannot be changed now",
        )
    if decl.entered_by_office != actor.office_code:
        raise PermissionDenied(
            f"申报 {decl.number} 由其他单位录入，本单位不能{action}",
            f"declaration {decl.number} belongs to office {decl.entered_by_office}",
        )


class EditedMeanwhile(UserError):
    """The declaration was saved by someone else after this clerk opened it; nothing was saved."""


def _refuse_if_edited_meanwhile(session: Session, decl: Declaration, based_on: datetime) -> None:
    dialects.lock_row(session, decl)
    if decl.updated_at == based_on:
        return
    last = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "declaration", AuditEntry.entity_id == decl.id)
        .order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    who = f"由 {last.username} " if last is not None else ""
    when = decl.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
    raise EditedMeanwhile(
        f"申报 {decl.number} 在您打开后已{who}于 {when} 保存过，您的修改未保存；请关闭后重新打开，再作修改",
        f"declaration {decl.number} was saved by someone else after it was opened; this edit was not saved",
    )


def edit(session: Session, actor: Actor, decl: Declaration, raw: Any, *, now: datetime | None = None,
         based_on: datetime | None = None) -> Declaration:
    """Replace the draft's content. A returned declaration gets a new version on its first edit.

    ``based_on`` is the declaration's ``updated_at`` when the clerk opened it: if someone saved it since
    (another clerk of the office on a shared store), the edit is refused (:class:`EditedMeanwhile`)
    rather than overwriting theirs.
    """
    now = now or utcnow()
    actor.require(Role.CLERK, action="编辑申报")
    if based_on is not None:
        _refuse_if_edited_meanwhile(session, decl, based_on)
    _require_owner(actor, decl, "修改")
    fields = _validated(raw, for_submit=False)
    if fields["community"] != decl.community_code:
        raise ValidationFailed([FieldError("community", "申报社区", "申报社区不能更改（如需更换请新建申报）")])
    batch = _resolve_batch(session, fields.get("batch"))
    _check_duplicate(session, decl.id, decl.community_code, batch, fields["title"])
    current = version_row(session, decl, decl.current_version)
    changes = declfields.diff(current.fields, fields)
    if not changes:
        return decl
    if current.frozen:
        decl.current_version += 1
        session.add(DeclarationVersion(
            declaration_id=decl.id, version=decl.current_version, fields=fields,
            content_hash=declfields.content_hash(fields), created_at=now, created_by=actor.username,
            updated_at=now,
        ))
    else:
        current.fields = fields
        current.content_hash = declfields.content_hash(fields)
        current.updated_at = now
    _copy_columns(decl, fields, batch)
    decl.updated_at = now
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="decl.edit",
                 entity="declaration", entity_id=decl.id,
                 details={"version": decl.current_version, "changed": [c.field for c in changes]}, at=now)
    _saved(session, decl)
    return decl


def submit(
    session: Session,
    actor: Actor,
    decl: Declaration,
    paths: AppPaths,
    *,
    now: datetime | None = None,
    override_reason: str | None = None,
    paper_opinions: dict[Level, PaperOpinion] | None = None,
) -> Declaration:
    """Send the declaration up the chain.

    Needs complete content, an open batch (an admin may override a closed window with a written
    reason), pre-declaration steps dated on or before today, and, for a declaration entered above the
    community, the paper opinions of the levels below this office.
    """
    now = now or utcnow()
    today = local_today(now)
    override_reason = (override_reason or "").strip() or None
    if override_reason is None:
        actor.require(Role.CLERK, action="提交申报")
    else:
        actor.require(Role.ADMIN, action="在申报期外提交申报")
    dialects.lock_row(session, decl)  # a second clerk submitting it at the same time waits, then is refused
    _require_owner(actor, decl, "提交")
    if decl.status == Status.RETURNED and version_row(session, decl, decl.current_version).frozen:
        # The levels judge versions: what was returned comes back as a new, revised version.
        raise UserError(
            f"申报 {decl.number} 已被退回，请按审核意见修改后再提交（内容与退回的第 {decl.current_version} 版相同）",
            f"declaration {decl.number} was returned; revise it before resubmitting",
        )
    fields = current_fields(session, decl)
    errors = declfields.normalise(fields, for_submit=True).errors + declfields.check_before(fields, today)
    if errors:
        raise ValidationFailed(errors)
    batch = _resolve_batch(session, fields.get("batch"))
    if batch is None:
        raise ValidationFailed([FieldError("batch", "申报批次", "提交前请选择申报批次")])
    _check_duplicate(session, decl.id, decl.community_code, batch, fields["title"])
    if not batches.is_open(batch, today) and override_reason is None:
        raise UserError(
            f"“{batch.name}”的申报时间为 {batch.opens} 至 {batch.closes}，今天不能提交（管理员可填写理由后补交）",
            f"batch '{batch.code}' accepts submissions {batch.opens} to {batch.closes} only",
        )
    stages = stages_for(decl)
    below = paper_stages(actor, decl)
    first = len(below)
    paper_opinions = paper_opinions or {}
    for stage in below:
        if stage.level not in paper_opinions:
            raise UserError(
                f"代录申报需要填写{stage.level.label}的纸质意见（内容和日期）",
                f"a paper declaration needs the {stage.level.value} office's paper opinion",
            )
    version = version_row(session, decl, decl.current_version)
    version.frozen = True
    version.submitted_at = now
    for stage in below:
        paper = paper_opinions[stage.level]
        scan_sha = store_file(session, paths, paper.scan).sha256 if paper.scan else None
        if paper.decided_on > today:
            raise UserError("纸质意见的日期不能晚于今天", "the paper opinion is dated in the future")
        add_opinion(
            session, decl, level=stage.level, office_code=stage.office_code, reviewer=actor.username,
            reviewer_name=f"{actor.display_name}（纸质意见代录）", decision=Decision.APPROVE,
            text=clean_opinion_text(paper.text), decided_on=paper.decided_on, at=now, from_paper=True,
            scan_sha256=scan_sha,
        )
        if scan_sha:
            session.add(DeclarationAttachment(declaration_id=decl.id, sha256=scan_sha,
                                              original_name=Path(paper.scan or "").name, kind="scan",
                                              added_by=actor.username))
    stage = stages[first]
    decl.status = Status.UNDER_REVIEW.value
    decl.awaiting_level, decl.awaiting_office = stage.level.value, stage.office_code
    decl.awaiting_since = now
    decl.submitted_at = now
    decl.updated_at = now
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="decl.submit",
                 entity="declaration", entity_id=decl.id,
                 details={"number": decl.number, "version": decl.current_version, "override": override_reason,
                          "paper_levels": [s.level.value for s in below]}, at=now)
    return decl


def paper_stages(actor: Actor, decl: Declaration) -> list[Stage]:
    """The review stages below the actor's office, whose paper opinions a 代录 submission needs."""
    stages = stages_for(decl)
    own = [i for i, s in enumerate(stages) if s.office_code == actor.office_code]
    return list(stages[: own[0] if own else 0])


def can_edit(actor: Actor, decl: Declaration) -> bool:
    """Whether the actor may change (and submit) the declaration now: its office's clerk, draft or returned."""
    return (actor.role is Role.CLERK and decl.entered_by_office == actor.office_code
            and decl.status in (Status.DRAFT, Status.RETURNED))


def attach(session: Session, actor: Actor, decl: Declaration, paths: AppPaths, source: Path, *,
           kind: str = "other") -> DeclarationAttachment:
    """Attach a file (minutes, photo, scan) to a draft or returned declaration."""
    actor.require(Role.CLERK, action="编辑申报")
    _require_owner(actor, decl, "添加附件")
    check_kind(kind)
    att = store_file(session, paths, source)
    link = DeclarationAttachment(declaration_id=decl.id, sha256=att.sha256, original_name=Path(source).name,
                                 kind=kind, added_by=actor.username)
    session.add(link)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="decl.attach",
                 entity="declaration", entity_id=decl.id, details={"sha256": att.sha256, "name": link.original_name})
    return link


def _links(session: Session, decl: Declaration) -> list[DeclarationAttachment]:
    return list(session.scalars(select(DeclarationAttachment).where(
        DeclarationAttachment.declaration_id == decl.id).order_by(DeclarationAttachment.id)))


def _sent_links(session: Session, links: list[DeclarationAttachment]) -> set[int]:
    """The links a neighbour was already sent: they are part of what the offices above hold."""
    keys = {link_key(a.declaration_id, a.sha256, a.original_name): a.id for a in links}
    if not keys:
        return set()
    sent = session.scalars(select(SyncItem.key).where(
        SyncItem.kind == "attachment_link", SyncItem.key.in_(list(keys)), SyncItem.sent_hash.is_not(None)))
    return {keys[key] for key in sent}


def attachment_links(session: Session, actor: Actor, decl: Declaration) -> list[dict[str, Any]]:
    """The declaration's attachments as the form lists them: each with its link id, category and whether
    the actor may still remove it (see :func:`detach`)."""
    links = _links(session, decl)
    editable = can_edit(actor, decl)
    sent = _sent_links(session, links) if editable else set()
    return [{"id": a.id, "name": a.original_name, "kind": a.kind, "sha256": a.sha256,
             "removable": editable and a.id not in sent} for a in links]


def detach(session: Session, actor: Actor, decl: Declaration, link_id: int) -> DeclarationAttachment:
    """Remove an attachment the clerk added by mistake, while the declaration is a draft or returned.

    An attachment that already travelled with the declaration stays: the offices above hold it, and a
    removal would not reach them. The file's content stays in the store (other links may use it)."""
    actor.require(Role.CLERK, action="编辑申报")
    _require_owner(actor, decl, "删除附件")
    link = session.get(DeclarationAttachment, link_id)
    if link is None or link.declaration_id != decl.id:
        raise NotFound(f"申报 {decl.number} 没有这个附件", f"declaration {decl.number} has no attachment {link_id}")
    if link.id in _sent_links(session, [link]):
        raise UserError(
            f"附件“{link.original_name}”已随申报报送上级，不能删除；如需更正，请添加正确的附件，并在申报内容中说明。",
            f"attachment {link.original_name!r} was already sent with the declaration; it cannot be removed",
        )
    session.delete(link)
    session.flush()
    audit.record(session, office=actor.office_code, user=actor.username, action="decl.detach",
                 entity="declaration", entity_id=decl.id,
                 details={"sha256": link.sha256, "name": link.original_name, "kind": link.kind})
    return link


def check_kind(kind: str) -> str:
    """An attachment category (``KINDS``), refused with a clear message otherwise."""
    if kind not in KINDS:
        raise UserError(f"附件类别“{kind}”无效，应为：{'、'.join(KINDS.values())}",
                        f"unknown attachment kind {kind!r}; use one of {', '.join(KINDS)}")
    return kind


