"""Spreadsheets from and into the store: the ledger (台账), the fill-in template and Excel intake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sanlian_desktop.declarations import drafts, listing
from sanlian_desktop.kernel.errors import FieldError, UserError
from sanlian_desktop.kernel.money import from_fen
from sanlian_desktop.kernel.vocab import Decision, Level, Status
from sanlian_desktop.models import Declaration, Opinion, Region
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import audit


def _region_names(session: Session) -> dict[str, tuple[str, str | None, str]]:
    return {code: (name, parent, level) for code, name, parent, level in session.execute(
        select(Region.code, Region.name, Region.parent_code, Region.level))}


def ledger_rows(session: Session, query: Select[Any]) -> Iterator[Any]:
    """The ledger's rows for the declarations ``query`` selects, streamed, with each level's last say."""
    from sanlian_desktop.documents.spreadsheets import LedgerRow, ReviewMark

    names = _region_names(session)

    def path_of(code: str) -> dict[str, str]:
        out: dict[str, str] = {}
        current: str | None = code
        while current is not None and current in names:
            name, parent, level = names[current]
            out[level] = name
            current = parent
        return out

    ids = list(session.scalars(query.with_only_columns(Declaration.id)))
    labels = {s.value: s.label for s in Status}
    decisions = {d.value: d.label for d in Decision}
    level_of = {lv.value: lv for lv in Level}
    paths: dict[str, dict[str, str]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        marks: dict[str, dict[Level, Any]] = {}
        for decl_id, level, decision, decided_on in session.execute(
                select(Opinion.declaration_id, Opinion.level, Opinion.decision, Opinion.decided_on)
                .where(Opinion.declaration_id.in_(chunk)).order_by(Opinion.declaration_id, Opinion.at, Opinion.seq)):
            marks.setdefault(decl_id, {})[level_of[level]] = ReviewMark(decisions[decision], decided_on)
        # Plain column tuples: building ORM objects for 100,000 rows would double the time.
        rows = {r[0]: r for r in session.execute(select(
            Declaration.id, Declaration.number, Declaration.community_code, Declaration.title,
            Declaration.focus_areas, Declaration.budget_fen, Declaration.requested_fen, Declaration.granted_fen,
            Declaration.status).where(Declaration.id.in_(chunk)))}
        for decl_id in chunk:
            _, number, community, title, focus, budget, requested, granted, status = rows[decl_id]
            if community not in paths:
                paths[community] = path_of(community)
            p = paths[community]
            yield LedgerRow(
                number=number, city=p.get("city", ""), county=p.get("county", ""), street=p.get("street", ""),
                community=p.get("community", ""), title=title,
                focus_areas=[a for a in focus.split("、") if a], budget_total=from_fen(budget),
                requested=from_fen(requested), granted=from_fen(granted) if granted is not None else None,
                status=labels[status], reviews=marks.get(decl_id, {}),
            )


def export_ledger(session: Session, actor: Actor, out: Path, *, status: Status | None = None,
                  query: Select[Any] | None = None) -> int:
    """Write the ledger of this office's jurisdiction (or of ``query``, e.g. the inbox view)."""
    from sanlian_desktop.documents.spreadsheets import write_ledger

    query = query if query is not None else listing.list_query(actor, status=status)
    return write_ledger(ledger_rows(session, query), Path(out), title=f"{actor.office_name}“三社联动”试点项目台账",
                        generated_at=datetime.now(UTC))


def write_template(out: Path) -> None:
    """The fill-in workbook for communities without the program."""
    from sanlian_desktop.documents.spreadsheets import write_template as write

    write(Path(out))


@dataclass
class ExcelIntake:
    """What ``decl import-excel`` found and did."""

    rows: int
    valid: int
    invalid_rows: list[int]
    created: list[str] = field(default_factory=list)
    errors_file: Path | None = None
    messages: list[str] = field(default_factory=list)


class ExcelRowsInvalid(UserError):
    """Rows of the workbook broke the form's rules, so nothing was imported; ``intake`` tells which."""

    def __init__(self, zh: str, en: str, intake: ExcelIntake) -> None:
        super().__init__(zh, en)
        self.intake = intake


def import_excel(session: Session, actor: Actor, path: Path, *, accept_valid: bool = False,
                 errors_out: Path | None = None) -> ExcelIntake:
    """Read a filled-in template, check every row with the form's rules, and create drafts.

    Nothing is imported while any row has an error, unless ``accept_valid`` says to take the valid
    rows; the errors go back as a copy of the workbook with the bad cells marked and commented, and
    the refusal (``ExcelRowsInvalid``, a ``UserError``) carries the intake with the row messages.
    """
    from sanlian_desktop.documents.spreadsheets import read_declarations

    codes_inside: dict[str, bool] = {}

    def validate(data: dict[str, Any]) -> list[FieldError]:
        errors = drafts.validate(data, for_submit=False)
        code = data.get("community")
        if isinstance(code, str) and len(code) == 12 and not any(e.field == "community" for e in errors):
            if code not in codes_inside:
                region = session.get(Region, code)
                codes_inside[code] = (region is not None and region.level == Level.COMMUNITY
                                      and regions.is_within(session, code, actor.office_code))
            if not codes_inside[code]:
                errors.append(FieldError("community", "申报社区", f"社区 {code} 未登记或不在本单位辖区内"))
        return errors

    result = read_declarations(Path(path), validate)
    invalid = sorted(result.errors_by_row())
    intake = ExcelIntake(rows=len(result.valid) + len(invalid), valid=len(result.valid), invalid_rows=invalid)
    if invalid:
        target = errors_out or Path(path).with_name(Path(path).stem + "-错误标注.xlsx")
        result.write_error_copy(target)
        intake.errors_file = target
        intake.messages = [e.line() for e in result.errors[:20]]
        if not accept_valid:
            raise ExcelRowsInvalid(
                f"有 {len(invalid)} 行填写有误，未导入任何申报；已在 {target.name} 中标出错误，改正后重新导入"
                "（或选择只导入正确的行）",
                f"{len(invalid)} rows have errors; nothing imported; see {target.name}",
                intake,
            )
    with session.begin_nested():
        for row in result.valid:
            try:
                decl = drafts.create(session, actor, row.data)
            except UserError as exc:
                raise UserError(f"第{row.row}行：{exc.zh}", f"row {row.row}: {exc.en}") from None
            intake.created.append(decl.number)
    audit.record(session, office=actor.office_code, user=actor.username, action="decl.import_excel",
                 entity="declaration", entity_id=Path(path).name,
                 details={"created": len(intake.created), "invalid_rows": invalid})
    return intake
