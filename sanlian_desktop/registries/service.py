"""Registries the pilot's indicators count: community social organisations, social workers, and the
facts kept per community (社会工作室, 联合会, volunteers, election) and per pilot area (社会工作协会).

Clerks and admins edit; everyone lists. Every record lies inside the acting office's jurisdiction and
every change is written to the audit log. Organisations and workers carry a stable ``uid`` and the office
that entered them (``office_code``); deleting one keeps a tombstone (``deleted_at``) so that the deletion
travels up in sync packages (``registrysync``). Deleted rows are left out of lists and indicators.

A refusal names the field it is about (``RegistryError.field``), so a form can show it beside the field
and an Excel import in the right column.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.checks import credit_code_problem, entered_text
from sanlian_desktop.kernel.errors import NotFound, PermissionDenied, UserError
from sanlian_desktop.kernel.vocab import CERTIFICATE_LEVELS, Level, Role
from sanlian_desktop.models import (
    AreaFacts,
    CommunityFacts,
    CommunityOrganisation,
    Region,
    SocialWorker,
    utcnow,
)
from sanlian_desktop.models.registries import new_uid
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import audit

ORGANISATION_KINDS = ["社区服务类", "公益慈善类", "文体娱乐类", "社区事务类", "专业社工机构", "其他"]
ELECTION_METHODS = {"direct": "直接选举", "indirect": "间接选举"}
_RECORD_NUMBER = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff()（）〔〕\[\]\-_/第号]{2,40}$")
_MAX_VOLUNTEERS = 10_000_000
# Facts that may be unrecorded (None, shown as 未登记), with the label a refusal names them by.
COMMUNITY_FACTS = {"has_workroom": "社会工作室", "in_federation": "社区社会组织联合会",
                   "registered_volunteers": "注册志愿者人数", "election": "居委会选举方式"}
AREA_FACTS = {"has_association": "社会工作协会"}


class RegistryError(UserError):
    """A refused registry entry, naming the field (``name``, ``credit_code``, ``community_code``…)."""

    def __init__(self, field: str, zh: str, en: str = "") -> None:
        super().__init__(zh, en)
        self.field = field


class RegistryNotFound(RegistryError, NotFound):
    """The record or community named does not exist here."""


class RegistryDenied(RegistryError, PermissionDenied):
    """The community lies outside the acting office's jurisdiction."""


def require_editor(actor: Actor) -> None:
    """Clerks and admins keep the registries."""
    actor.require(Role.CLERK, Role.ADMIN, action="维护台账")


_require_editor = require_editor


def _community_in_jurisdiction(session: Session, actor: Actor, code: str) -> Region:
    code = (code or "").strip()
    if not code:
        raise RegistryError("community_code", "所属社区：请填写社区代码", "community: required")
    region = session.get(Region, code)
    if region is None:
        raise RegistryNotFound("community_code", f"所属社区：没有代码为 {code} 的社区",
                               f"community: no region with code {code}")
    if region.level != Level.COMMUNITY:
        raise RegistryError("community_code", f"所属社区：{region.name}（{code}）不是社区",
                            f"community: {code} is not a community")
    if not regions.is_within(session, code, actor.office_code):
        raise RegistryDenied("community_code", f"所属社区：{region.name}（{code}）不在本单位辖区内",
                             f"community {code} is outside this office's jurisdiction")
    return region


def check_community(session: Session, actor: Actor, code: str) -> Region:
    """The community ``code``, refused (naming the field) unless it is a community of the jurisdiction."""
    return _community_in_jurisdiction(session, actor, code)


def can_edit(session: Session, actor: Actor, community_code: str) -> bool:
    """Whether the actor may change the registries of this community (role and jurisdiction)."""
    return (actor.role in (Role.CLERK, Role.ADMIN)
            and regions.is_within(session, community_code, actor.office_code))


def _text(value: str | None, label: str, field: str, *, max_len: int, required: bool = True) -> str:
    return entered_text(value, label, limit=max_len, required=required, name_en=field,
                        error=lambda zh, en: RegistryError(field, zh, en))


def _identifier(session: Session, credit_code: str | None, record_number: str | None,
                exclude_id: int | None = None) -> tuple[str | None, str | None]:
    credit = (credit_code or "").strip().upper() or None
    record = (record_number or "").strip() or None
    if (credit is None) == (record is None):
        raise RegistryError("credit_code",
                            "统一社会信用代码 / 备案编号：须填写其中一项（已登记的填信用代码，备案的填备案编号）",
                            "credit_code / record_number: give exactly one of the two")
    if credit is not None:
        problem = credit_code_problem(credit)
        if problem:
            raise RegistryError("credit_code", f"统一社会信用代码：{problem}", f"credit_code: invalid ({credit})")
        clash = credit_code_holder(session, credit, exclude_id=exclude_id)
        if clash is not None:
            raise RegistryError("credit_code", f"统一社会信用代码：{credit} 已登记在另一个组织名下（{clash.name}）",
                                f"credit_code: {credit} already belongs to another organisation")
    if record is not None and not _RECORD_NUMBER.match(record):
        raise RegistryError("record_number", "备案编号：应为2至40位数字、字母或汉字",
                            "record_number: 2-40 letters, digits or Chinese")
    return credit, record


def credit_code_holder(session: Session, credit: str, *, exclude_id: int | None = None
                       ) -> CommunityOrganisation | None:
    """The (not deleted) organisation registered under ``credit``, other than ``exclude_id``."""
    query = select(CommunityOrganisation).where(CommunityOrganisation.credit_code == credit,
                                                CommunityOrganisation.deleted_at.is_(None))
    if exclude_id is not None:
        query = query.where(CommunityOrganisation.id != exclude_id)
    return session.scalar(query.limit(1))


def _kind(kind: str) -> str:
    kind = (kind or "").strip()
    if kind not in ORGANISATION_KINDS:
        raise RegistryError("kind", f"组织类别：应为{'、'.join(ORGANISATION_KINDS)}之一",
                            f"kind: one of {ORGANISATION_KINDS}")
    return kind


def _certificate(level: str | None) -> str | None:
    if level is None or not level.strip() or level.strip() in ("无", "none"):
        return None
    if level.strip() not in CERTIFICATE_LEVELS:
        raise RegistryError("certificate_level", f"证书等级：应为{'、'.join(CERTIFICATE_LEVELS)}或“无”",
                            f"certificate_level: one of {CERTIFICATE_LEVELS} or none")
    return level.strip()


def _audit(session: Session, actor: Actor, action: str, entity: str, entity_id: str,
           details: dict[str, Any]) -> None:
    audit.record(session, office=actor.office_code, user=actor.username, action=action, entity=entity,
                 entity_id=entity_id, details=details)


# -- community social organisations -----------------------------------------------------------------


def add_organisation(session: Session, actor: Actor, *, name: str, community_code: str, kind: str,
                     credit_code: str | None = None, record_number: str | None = None,
                     has_social_workers: bool = False, hosts_agency: bool = False) -> CommunityOrganisation:
    """Register a community social organisation in a community of this office's jurisdiction."""
    _require_editor(actor)
    community = _community_in_jurisdiction(session, actor, community_code)
    org = CommunityOrganisation(
        name=_text(name, "组织名称", "name", max_len=100), kind=_kind(kind), community_code=community.code,
        has_social_workers=bool(has_social_workers), hosts_agency=bool(hosts_agency), created_by=actor.username,
        office_code=actor.office_code, uid=new_uid(), version=1,
    )
    org.credit_code, org.record_number = _identifier(session, credit_code, record_number)
    session.add(org)
    session.flush()
    _audit(session, actor, "registry.org.add", "community_organisation", org.uid,
           {"name": org.name, "community": org.community_code, "credit_code": org.credit_code,
            "record_number": org.record_number})
    return org


def update_organisation(session: Session, actor: Actor, org_id: int | str, **changes: Any) -> CommunityOrganisation:
    """Change an organisation's fields (name, kind, community_code, credit_code/record_number, flags)."""
    _require_editor(actor)
    org = find_organisation(session, org_id)
    _community_in_jurisdiction(session, actor, org.community_code)
    allowed = {"name", "kind", "community_code", "credit_code", "record_number", "has_social_workers",
               "hosts_agency"}
    unknown = set(changes) - allowed
    if unknown:
        raise RegistryError(sorted(unknown)[0], f"不能修改的字段：{'、'.join(sorted(unknown))}",
                            f"unknown fields: {sorted(unknown)}")
    if "name" in changes:
        org.name = _text(changes["name"], "组织名称", "name", max_len=100)
    if "kind" in changes:
        org.kind = _kind(changes["kind"])
    if "community_code" in changes:
        org.community_code = _community_in_jurisdiction(session, actor, changes["community_code"]).code
    if "credit_code" in changes or "record_number" in changes:
        org.credit_code, org.record_number = _identifier(
            session, changes.get("credit_code", org.credit_code if "record_number" not in changes else None),
            changes.get("record_number", org.record_number if "credit_code" not in changes else None),
            exclude_id=org.id)
    for flag in ("has_social_workers", "hosts_agency"):
        if flag in changes:
            setattr(org, flag, bool(changes[flag]))
    org.updated_at = utcnow()
    _changed(org, actor)
    session.flush()
    _audit(session, actor, "registry.org.update", "community_organisation", org.uid, dict(changes))
    return org


def find_organisation(session: Session, ref: int | str) -> CommunityOrganisation:
    """The organisation with this local number or uid; deleted ones are not found."""
    return _find(session, CommunityOrganisation, ref, "社区社会组织", "organisation")


def delete_organisation(session: Session, actor: Actor, ref: int | str) -> CommunityOrganisation:
    """Delete an organisation; its row stays as a tombstone so that the deletion reaches the offices above."""
    return _delete(session, actor, find_organisation(session, ref), "registry.org.delete", "community_organisation")


def list_organisations(session: Session, actor: Actor, *, within: str | None = None) -> list[CommunityOrganisation]:
    """Organisations in the communities under ``within`` (default: the whole jurisdiction), by community."""
    return _listing(session, actor, CommunityOrganisation, within)


_Row = TypeVar("_Row", CommunityOrganisation, SocialWorker)


def _find(session: Session, model: type[_Row], ref: int | str, zh: str, en: str) -> _Row:
    text = str(ref).strip()
    if text.isdigit():
        row = session.get(model, int(text))
    else:
        row = session.scalar(select(model).where(model.uid == text))
    if row is None or row.deleted_at is not None:
        raise RegistryNotFound("id", f"没有编号为 {text} 的{zh}", f"no {en} {text}")
    return row


def _delete(session: Session, actor: Actor, row: _Row, action: str, entity: str) -> _Row:
    """Mark a registry row deleted, keeping a tombstone that travels up."""
    _require_editor(actor)
    _community_in_jurisdiction(session, actor, row.community_code)
    row.deleted_at = row.updated_at = utcnow()
    _changed(row, actor)
    session.flush()
    _audit(session, actor, action, entity, row.uid, {"name": row.name, "community": row.community_code})
    return row


def _changed(row: CommunityOrganisation | SocialWorker, actor: Actor) -> None:
    """The owning office's change raises the row's version, so that every office above applies it over
    any older copy, whatever order the packages arrive in. An office above that edits a copy it keeps
    leaves the version alone: the owner's next change replaces that edit, an older copy never does."""
    if row.office_code == actor.office_code:
        row.version = (row.version or 0) + 1


def _facts_changed(facts: CommunityFacts | AreaFacts, actor: Actor) -> None:
    """Facts this office recorded itself (or that nobody recorded with a version yet) get its counter
    raised; facts whose copy came from an office closer to the region keep that office's version."""
    if facts.owner_code in (None, actor.office_code):
        facts.owner_code = actor.office_code
        facts.version = (facts.version or 0) + 1


def _listing(session: Session, actor: Actor, model: type[_Row], within: str | None) -> list[_Row]:
    codes = _communities_under(session, actor, within)
    rows = session.scalars(select(model).where(model.deleted_at.is_(None)).order_by(model.community_code, model.id))
    return [r for r in rows if r.community_code in codes]


# -- social workers -----------------------------------------------------------------------------------


def add_worker(session: Session, actor: Actor, *, name: str, community_code: str,
               certificate_level: str | None = None, certificate_number: str = "",
               employer: str = "") -> SocialWorker:
    """Register a social worker serving a community; certified workers need their certificate number."""
    _require_editor(actor)
    community = _community_in_jurisdiction(session, actor, community_code)
    level = _certificate(certificate_level)
    number = _text(certificate_number, "证书编号", "certificate_number", max_len=40, required=level is not None)
    worker = SocialWorker(name=_text(name, "姓名", "name", max_len=64), certificate_level=level,
                          certificate_number=number, employer=_text(employer, "工作单位", "employer", max_len=100,
                                                                    required=False),
                          community_code=community.code, created_by=actor.username, office_code=actor.office_code,
                          uid=new_uid(), version=1)
    session.add(worker)
    session.flush()
    _audit(session, actor, "registry.worker.add", "social_worker", worker.uid,
           {"name": worker.name, "community": worker.community_code, "certificate_level": level})
    return worker


def update_worker(session: Session, actor: Actor, worker_id: int | str, **changes: Any) -> SocialWorker:
    """Change a social worker's name, certificate, employer or community."""
    _require_editor(actor)
    worker = find_worker(session, worker_id)
    _community_in_jurisdiction(session, actor, worker.community_code)
    allowed = {"name", "certificate_level", "certificate_number", "employer", "community_code"}
    unknown = set(changes) - allowed
    if unknown:
        raise RegistryError(sorted(unknown)[0], f"不能修改的字段：{'、'.join(sorted(unknown))}",
                            f"unknown fields: {sorted(unknown)}")
    if "name" in changes:
        worker.name = _text(changes["name"], "姓名", "name", max_len=64)
    if "community_code" in changes:
        worker.community_code = _community_in_jurisdiction(session, actor, changes["community_code"]).code
    if "certificate_level" in changes:
        worker.certificate_level = _certificate(changes["certificate_level"])
    if "certificate_number" in changes:
        worker.certificate_number = _text(changes["certificate_number"], "证书编号", "certificate_number",
                                          max_len=40, required=False)
    if worker.certificate_level is not None and not worker.certificate_number:
        raise RegistryError("certificate_number", "证书编号：持证社工须填写证书编号",
                            "certificate_number: required for a certified worker")
    if "employer" in changes:
        worker.employer = _text(changes["employer"], "工作单位", "employer", max_len=100, required=False)
    worker.updated_at = utcnow()
    _changed(worker, actor)
    session.flush()
    _audit(session, actor, "registry.worker.update", "social_worker", worker.uid, dict(changes))
    return worker


def find_worker(session: Session, ref: int | str) -> SocialWorker:
    """The social worker with this local number or uid; deleted ones are not found."""
    return _find(session, SocialWorker, ref, "社会工作者", "social worker")


def delete_worker(session: Session, actor: Actor, ref: int | str) -> SocialWorker:
    """Delete a social worker, keeping a tombstone that travels up."""
    return _delete(session, actor, find_worker(session, ref), "registry.worker.delete", "social_worker")


def list_workers(session: Session, actor: Actor, *, within: str | None = None) -> list[SocialWorker]:
    """Social workers in the communities under ``within`` (default: the whole jurisdiction)."""
    return _listing(session, actor, SocialWorker, within)


# -- facts per community and per pilot area ---------------------------------------------------------


def _cleared(clear: Collection[str], known: dict[str, str], given: dict[str, Any]) -> list[str]:
    """The facts named in ``clear``, checked: known ones, none of them also given a value."""
    if isinstance(clear, str):
        clear = (clear,)
    out = []
    for key in clear:
        if key not in known:
            raise RegistryError(key, f"没有名为 {key} 的情况项，可清除的有：{'、'.join(known)}",
                                f"no fact named {key}")
        if given.get(key) is not None:
            raise RegistryError(key, f"{known[key]}：不能既登记又改回未登记", f"{key}: both set and cleared")
        out.append(key)
    return out


def set_community_facts(session: Session, actor: Actor, community_code: str, *,
                        has_workroom: bool | None = None, in_federation: bool | None = None,
                        registered_volunteers: int | None = None, election: str | None = None,
                        clear: Collection[str] = ()) -> CommunityFacts:
    """Record facts about a community; an argument left None keeps what was recorded before, and a fact
    named in ``clear`` (``has_workroom``, ``in_federation``, ``registered_volunteers``, ``election``) goes
    back to 未登记. The row stays (its facts None), so that the change travels up in sync packages."""
    _require_editor(actor)
    given = {"has_workroom": has_workroom, "in_federation": in_federation,
             "registered_volunteers": registered_volunteers, "election": election}
    cleared = _cleared(clear, COMMUNITY_FACTS, given)
    community = _community_in_jurisdiction(session, actor, community_code)
    if registered_volunteers is not None and (isinstance(registered_volunteers, bool)
                                              or not 0 <= registered_volunteers <= _MAX_VOLUNTEERS):
        raise RegistryError("registered_volunteers", "注册志愿者人数：应为0至1000万之间的整数",
                            "registered_volunteers: out of range")
    if election is not None and election not in ELECTION_METHODS:
        raise RegistryError("election", "居委会选举方式：应为 direct（直接选举）或 indirect（间接选举）",
                            "election: direct or indirect")
    if (registered_volunteers is not None and community.population is not None
            and registered_volunteers > community.population):
        raise RegistryError("registered_volunteers",
                            f"注册志愿者人数：{registered_volunteers} 超过了社区居民总数 {community.population}",
                            "registered_volunteers: more than the community's residents")
    facts = session.get(CommunityFacts, community.code)
    if facts is None:
        facts = CommunityFacts(community_code=community.code)
        session.add(facts)
    changes: dict[str, Any] = {}
    for key, value in given.items():
        if value is not None:
            setattr(facts, key, value)
            changes[key] = value
    for key in cleared:
        if getattr(facts, key) is not None:
            setattr(facts, key, None)
            changes[key] = None
    facts.updated_at = utcnow()
    facts.updated_by = actor.username
    _facts_changed(facts, actor)
    session.flush()
    _audit(session, actor, "registry.community.set", "community_facts", community.code, changes)
    return facts


def list_community_facts(session: Session, actor: Actor, *, within: str | None = None) -> list[CommunityFacts]:
    """Recorded facts of the communities under ``within`` (default: the whole jurisdiction)."""
    codes = _communities_under(session, actor, within)
    rows = session.scalars(select(CommunityFacts).order_by(CommunityFacts.community_code))
    return [r for r in rows if r.community_code in codes]


def is_pilot_area(session: Session, region: Region) -> bool:
    """Whether ``region`` is county level: a county, or a city without counties (嘉峪关市, special units)."""
    if region.level == Level.COUNTY:
        return True
    return region.level == Level.CITY and not regions.has_counties(session, region.code)


def set_area_facts(session: Session, actor: Actor, region_code: str, *, has_association: bool | None = None,
                   pilot: bool | None = None, clear: Collection[str] = ()) -> AreaFacts:
    """Record whether a county-level region in the jurisdiction has a 社会工作协会, and whether it is a
    pilot area at all (a new area is one unless told otherwise); None keeps what was recorded, and
    ``clear=("has_association",)`` sets the association back to 未登记."""
    _require_editor(actor)
    cleared = _cleared(clear, AREA_FACTS, {"has_association": has_association})
    region = session.get(Region, (region_code or "").strip())
    if region is None:
        raise RegistryNotFound("region_code", f"试点地区：没有代码为 {region_code} 的区划",
                               f"area: no region {region_code}")
    if not is_pilot_area(session, region):
        raise RegistryError("region_code", f"试点地区：{region.name}（{region.code}）不是县级区划",
                            f"area: {region.code} is not a county-level region")
    if not regions.is_within(session, region.code, actor.office_code):
        raise RegistryDenied("region_code", f"试点地区：{region.name}（{region.code}）不在本单位辖区内",
                             f"area {region.code} is outside this office's jurisdiction")
    facts = session.get(AreaFacts, region.code) or AreaFacts(region_code=region.code, pilot=True)
    session.add(facts)
    changes: dict[str, Any] = {}
    if has_association is not None:
        facts.has_association = changes["has_association"] = bool(has_association)
    if pilot is not None:
        facts.pilot = changes["pilot"] = bool(pilot)
    if cleared and facts.has_association is not None:
        facts.has_association = changes["has_association"] = None
    facts.updated_at = utcnow()
    facts.updated_by = actor.username
    _facts_changed(facts, actor)
    session.flush()
    _audit(session, actor, "registry.area.set", "area_facts", region.code, changes)
    return facts


def list_area_facts(session: Session, actor: Actor) -> list[AreaFacts]:
    """Recorded facts of the pilot areas in the jurisdiction."""
    codes = regions.subtree_codes(session, actor.office_code)
    return [r for r in session.scalars(select(AreaFacts).order_by(AreaFacts.region_code)) if r.region_code in codes]


def areas_in(session: Session, actor: Actor) -> list[Region]:
    """The county-level regions (possible pilot areas) in the actor's jurisdiction, by code."""
    codes = regions.subtree_codes(session, actor.office_code)
    found = session.scalars(select(Region).where(Region.level.in_([Level.COUNTY.value, Level.CITY.value]))
                            .order_by(Region.code))
    return [r for r in found if r.code in codes and is_pilot_area(session, r)]


def organisation_rows(session: Session, actor: Actor, *, within: str | None = None) -> list[tuple[Any, ...]]:
    """Like :func:`list_organisations`, as plain column tuples (a province lists tens of thousands):
    (id, community_code, name, kind, credit_code, record_number, has_social_workers, hosts_agency)."""
    codes = _communities_under(session, actor, within)
    o = CommunityOrganisation
    return [tuple(r) for r in session.execute(
        select(o.id, o.community_code, o.name, o.kind, o.credit_code, o.record_number, o.has_social_workers,
               o.hosts_agency).where(o.deleted_at.is_(None)).order_by(o.community_code, o.id))
        if r[1] in codes]


def worker_rows(session: Session, actor: Actor, *, within: str | None = None) -> list[tuple[Any, ...]]:
    """Like :func:`list_workers`, as plain column tuples:
    (id, community_code, name, certificate_level, certificate_number, employer)."""
    codes = _communities_under(session, actor, within)
    w = SocialWorker
    return [tuple(r) for r in session.execute(
        select(w.id, w.community_code, w.name, w.certificate_level, w.certificate_number, w.employer)
        .where(w.deleted_at.is_(None)).order_by(w.community_code, w.id)) if r[1] in codes]


def community_rows(session: Session, actor: Actor, *, within: str | None = None) -> list[tuple[Any, ...]]:
    """Every community under ``within`` with its facts (None where not recorded), as column tuples:
    (code, name, rural, population, has_workroom, in_federation, registered_volunteers, election)."""
    codes = _communities_under(session, actor, within)
    f = CommunityFacts
    return [tuple(r) for r in session.execute(
        select(Region.code, Region.name, Region.rural, Region.population, f.has_workroom, f.in_federation,
               f.registered_volunteers, f.election)
        .outerjoin(f, f.community_code == Region.code)
        .where(Region.level == Level.COMMUNITY.value).order_by(Region.code)) if r[0] in codes]


def counts(session: Session) -> dict[str, int]:
    """How many rows each registry holds in this store (deleted organisations and workers left out)."""
    tables: Sequence[Any] = (CommunityOrganisation, SocialWorker, CommunityFacts, AreaFacts)
    names = ("organisations", "workers", "community_facts", "area_facts")
    out = {}
    for name, table in zip(names, tables, strict=True):
        query = select(func.count()).select_from(table)
        if hasattr(table, "deleted_at"):
            query = query.where(table.deleted_at.is_(None))
        out[name] = int(session.scalar(query) or 0)
    return out


def _communities_under(session: Session, actor: Actor, within: str | None) -> set[str]:
    root = (within or actor.office_code).strip()
    if not regions.is_within(session, root, actor.office_code):
        raise PermissionDenied(f"区划 {root} 不在本单位辖区内", f"region {root} is outside this office's jurisdiction")
    return regions.subtree_codes(session, root)
