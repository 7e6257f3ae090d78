"""The registries in Excel: a template workbook for the jurisdiction, and importing it all-or-nothing.

Every row is checked by the same registry services a form uses; a row the services refuse is reported with its sheet, row number, column and the Chinese reason. While any row
is wrong nothing is imported (``RegistryRowsInvalid`` carries every problem); otherwise all rows are
applied in one transaction and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.documents.spreadsheets.registrybook import (
    CellProblem,
    Sheet,
    SheetRow,
    read_workbook,
    sheets,
    write_error_copy,
    write_template,
)
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import CERTIFICATE_LEVELS, Level
from sanlian_desktop.models import AreaFacts, CommunityFacts, CommunityOrganisation, Region, SocialWorker
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.registries import service as registries
from sanlian_desktop.store import audit
from sanlian_desktop.store.engine import Store

_ELECTION_BY_LABEL = {label: key for key, label in registries.ELECTION_METHODS.items()}


def layout() -> tuple[Sheet, ...]:
    """The template's sheets with the vocabularies of the services."""
    return sheets(registries.ORGANISATION_KINDS, CERTIFICATE_LEVELS, list(registries.ELECTION_METHODS.values()))


def write_registry_template(session: Session, actor: Actor, out: Path) -> Path:
    """The template for the actor's jurisdiction: empty sheets for new organisations and workers, and
    the communities and county-level areas listed with what is recorded about them."""
    yes = {True: "是", False: "否", None: None}
    inside = regions.subtree_codes(session, actor.office_code)
    facts = {f.community_code: f for f in session.scalars(select(CommunityFacts))}
    communities = []
    for r in session.scalars(select(Region).where(Region.level == Level.COMMUNITY.value).order_by(Region.code)):
        if r.code in inside:
            f = facts.get(r.code)
            communities.append([r.code, r.name, yes[f.has_workroom] if f else None,
                                yes[f.in_federation] if f else None, f.registered_volunteers if f else None,
                                registries.ELECTION_METHODS.get(f.election or "") if f else None])
    area_facts = {a.region_code: a for a in session.scalars(select(AreaFacts))}
    areas = []
    for r in registries.areas_in(session, actor):
        a = area_facts.get(r.code)
        areas.append([r.code, r.name, yes[a.pilot] if a else "是", yes[a.has_association] if a else None])
    out = Path(out)
    write_template(out, layout(), {"communities": communities, "areas": areas},
                   title=f"{actor.office_name}“三社联动”台账模板")
    return out


@dataclass
class RegistryImport:
    """What an import did: rows applied per sheet."""

    file: str
    organisations: int = 0
    workers: int = 0
    communities: int = 0
    areas: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "organisations": self.organisations, "workers": self.workers,
                "communities": self.communities, "areas": self.areas}

    def lines(self) -> list[str]:
        return [f"已从 {self.file} 导入：社区社会组织 {self.organisations} 个，社会工作者 {self.workers} 名，"
                f"社区情况 {self.communities} 个，试点地区 {self.areas} 个"]


class RegistryRowsInvalid(UserError):
    """Rows of the workbook are wrong, so nothing was imported; ``problems`` lists every one and
    ``errors_file`` is the copy of the workbook with them marked (None if it could not be written)."""

    def __init__(self, file: str, problems: list[CellProblem], errors_file: Path | None = None) -> None:
        rows = len({(p.sheet, p.row) for p in problems})
        shown = "；".join(p.line() for p in problems[:3])
        more = f"（共 {len(problems)} 处）" if len(problems) > 3 else ""
        marked = f"；已在 {errors_file.name} 中标出" if errors_file is not None else ""
        super().__init__(f"{file} 有 {rows} 行填写有误，未导入任何内容{marked}：{shown}{more}",
                         f"{rows} rows of {file} have errors; nothing imported")
        self.problems = problems
        self.errors_file = errors_file


def import_registry_workbook(store: Store, actor: Actor, path: Path) -> RegistryImport:
    """Import a filled-in template in one transaction: everything, or nothing and every bad row."""
    path = Path(path)
    rows = read_workbook(path, layout())
    try:
        with store.session() as s:
            return apply_rows(s, actor, rows, path.name)
    except RegistryRowsInvalid as exc:
        target = path.with_name(path.stem.removesuffix("-错误标注") + "-错误标注.xlsx")
        try:
            write_error_copy(path, target, layout(), exc.problems)
        except Exception:  # openpyxl raises many kinds; the list of problems is there all the same
            raise exc from None
        raise RegistryRowsInvalid(path.name, exc.problems, target) from None


def apply_rows(session: Session, actor: Actor, rows: list[SheetRow], file: str) -> RegistryImport:
    """Apply read rows through the services; raises ``RegistryRowsInvalid`` (nothing applied) on any error."""
    registries.require_editor(actor)
    problems: list[CellProblem] = []
    counted = dict.fromkeys(("orgs", "workers", "communities", "areas"), 0)
    for row in rows:
        if row.problems:
            problems.extend(row.problems)
            continue
        # No savepoint per row: the services check before they change anything, and any refusal rolls
        # the whole import back (SQLite's driver would not keep a savepoint inside the transaction).
        try:
            applied = _apply_row(session, actor, row)
        except UserError as exc:
            problems.append(_problem(row, exc))
            continue
        counted[row.sheet.key] += applied
    if problems:
        raise RegistryRowsInvalid(file, problems)
    result = RegistryImport(file, counted["orgs"], counted["workers"], counted["communities"], counted["areas"])
    audit.record(session, office=actor.office_code, user=actor.username, action="registry.import_excel",
                 entity="registry", entity_id=file,
                 details={"organisations": result.organisations, "workers": result.workers,
                          "communities": result.communities, "areas": result.areas})
    return result


def _problem(row: SheetRow, exc: UserError) -> CellProblem:
    """The service's refusal placed in the column of the field it names (the whole row if none)."""
    from openpyxl.utils import get_column_letter

    found = row.sheet.by_field(getattr(exc, "field", ""))
    message = exc.zh
    label, sep, rest = message.partition("：")
    if sep and rest and len(label) <= 24:
        message = rest  # the column's header names the field already
    if found is None:
        return CellProblem(row.sheet.title, row.row, "", "整行", exc.zh)
    idx, col = found
    return CellProblem(row.sheet.title, row.row, get_column_letter(idx + 1), col.header, message)


def _apply_row(s: Session, actor: Actor, row: SheetRow) -> bool:
    """Apply one row through the services; False for a listed community or area left blank."""
    v = row.values
    key = row.sheet.key
    if key == "orgs":
        _refuse_duplicate_org(s, v)
        registries.add_organisation(s, actor, name=v["name"], community_code=v["community_code"], kind=v["kind"],
                                    credit_code=v["credit_code"], record_number=v["record_number"],
                                    has_social_workers=bool(v["has_social_workers"]),
                                    hosts_agency=bool(v["hosts_agency"]))
    elif key == "workers":
        _refuse_duplicate_worker(s, v)
        registries.add_worker(s, actor, name=v["name"], community_code=v["community_code"],
                              certificate_level=v["certificate_level"],
                              certificate_number=v["certificate_number"] or "", employer=v["employer"] or "")
    elif key == "communities":
        election = _ELECTION_BY_LABEL.get(v["election"]) if v["election"] else None
        if all(v[k] is None for k in ("has_workroom", "in_federation", "registered_volunteers", "election")):
            registries.check_community(s, actor, v["community_code"])  # a bare listed row: check only
            return False
        registries.set_community_facts(s, actor, v["community_code"], has_workroom=v["has_workroom"],
                                       in_federation=v["in_federation"],
                                       registered_volunteers=v["registered_volunteers"], election=election)
    else:
        if v["pilot"] is None and v["has_association"] is None:
            return False
        registries.set_area_facts(s, actor, v["region_code"], has_association=v["has_association"], pilot=v["pilot"])
    return True


def _refuse_duplicate_org(s: Session, v: dict[str, Any]) -> None:
    """An organisation on record under the same number in the same community is there already (a workbook
    imported twice); one with a credit code is refused by the service."""
    if v["record_number"] and not v["credit_code"]:
        held = s.scalar(select(CommunityOrganisation).where(
            CommunityOrganisation.community_code == v["community_code"],
            CommunityOrganisation.record_number == v["record_number"],
            CommunityOrganisation.deleted_at.is_(None)).limit(1))
        if held is not None:
            raise registries.RegistryError("record_number", f"备案编号：{v['record_number']} 在该社区已登记（{held.name}）",
                                           "record_number: already registered in this community")


def _refuse_duplicate_worker(s: Session, v: dict[str, Any]) -> None:
    held = s.scalar(select(SocialWorker).where(
        SocialWorker.community_code == v["community_code"], SocialWorker.name == v["name"],
        SocialWorker.certificate_number == (v["certificate_number"] or ""),
        SocialWorker.deleted_at.is_(None)).limit(1))
    if held is not None:
        raise registries.RegistryError("name", f"姓名：{v['name']} 已登记在该社区（证书编号相同）",
                                       "name: already registered in this community")
