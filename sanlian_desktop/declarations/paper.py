"""Paper: printing declarations from the store, and matching a printed, sealed copy to its record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from sanlian_desktop.declarations import listing, lookup
from sanlian_desktop.declarations.fields import FieldChange, diff
from sanlian_desktop.kernel.errors import NotFound, UserError
from sanlian_desktop.kernel.money import from_fen
from sanlian_desktop.kernel.vocab import Status
from sanlian_desktop.models import Declaration
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor

MAX_BATCH_PRINT = 5000


def printable(session: Session, decl: Declaration, version: int | None = None) -> object:
    """The declaration as the printed form shows it: a version's content and the opinions on record."""
    from sanlian_desktop.documents.printing import PrintableDeclaration, PrintableOpinion

    row = lookup.version_row(session, decl, version or decl.current_version)
    path = regions.region_path(session, decl.community_code)
    return PrintableDeclaration(
        number=decl.number,
        version=row.version,
        content_hash=row.content_hash,
        city=path.get("city", ""),
        county=path.get("county", ""),
        street=path.get("street", ""),
        community=path.get("community", ""),
        fields=row.fields,
        opinions=[
            PrintableOpinion(
                level=o.level, office_name=o.office_name, reviewer=o.reviewer_name or o.reviewer,
                decision=o.decision, text=o.text, decided_on=o.decided_on, from_paper=o.from_paper,
                granted=from_fen(o.granted_fen) if o.granted_fen is not None else None,
            )
            for o in decl.opinions
        ],
    )


def print_declarations(
    session: Session,
    actor: Actor,
    out: Path,
    *,
    keys: Sequence[str] = (),
    status: Status | None = None,
    font_file: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Print the named declarations (or all of a status in this jurisdiction) into one PDF.

    Returns warnings for the user (a font that could not be embedded, characters it cannot draw).
    """
    from sanlian_desktop.documents.printing import find_cjk_font, render_declarations

    if keys:
        chosen = [lookup.visible(session, actor, key) for key in keys]
    else:
        query = listing.list_query(actor, status=status)
        chosen = list(session.scalars(query.limit(MAX_BATCH_PRINT + 1)))
    if not chosen:
        raise UserError("没有符合条件的申报可打印", "nothing to print")
    if len(chosen) > MAX_BATCH_PRINT:
        raise UserError(f"一次最多打印 {MAX_BATCH_PRINT} 份申报，请缩小范围", "too many declarations for one file")
    pages = [printable(session, d) for d in chosen]
    return render_declarations(pages, Path(out), font=find_cjk_font(font_file), progress=progress)  # type: ignore[arg-type]


def print_blank(out: Path, *, font_file: str | Path | None = None) -> list[str]:
    """A blank form for communities that fill it by hand."""
    from sanlian_desktop.documents.printing import find_cjk_font, render_blank

    return render_blank(Path(out), font=find_cjk_font(font_file))


@dataclass
class PrintCheck:
    """What ``verify-print`` found for a code read from paper."""

    number: str
    printed_version: int
    current_version: int
    matches_record: bool
    is_current: bool
    changes: list[FieldChange] = field(default_factory=list)
    # The paper was printed from a draft that has been edited since (drafts change in place).
    draft_edited: bool = False

    def sentence(self) -> str:
        if self.draft_edited:
            return (f"纸质件打印于 {self.number} 的草稿阶段，此后草稿内容已修改，与当前记录不一致；"
                    "请重新打印后再盖章")
        if not self.matches_record:
            return (f"纸质件与记录不符：{self.number} 第 {self.printed_version} 版的内容与系统中保存的不一致，"
                    "可能是伪造或被改动过的纸质件")
        if self.is_current:
            return f"纸质件与当前记录一致：{self.number} 第 {self.printed_version} 版"
        return (f"纸质件是 {self.number} 的第 {self.printed_version} 版，当前为第 {self.current_version} 版，"
                f"此后有 {len(self.changes)} 处改动")


def verify_print(session: Session, actor: Actor, code: str) -> PrintCheck:
    """Match the QR code of a printed form to the record: same version? what changed since?"""
    from sanlian_desktop.documents.printing import parse_qr_payload

    number, version, hash_prefix = parse_qr_payload(code.strip())
    try:
        decl = lookup.visible(session, actor, number)
    except NotFound:
        raise NotFound(f"没有找到编号为 {number} 的申报", f"no declaration numbered {number}") from None
    try:
        printed = lookup.version_row(session, decl, version)
    except NotFound:
        return PrintCheck(number, version, decl.current_version, matches_record=False, is_current=False)
    matches = printed.content_hash.startswith(hash_prefix.lower())
    if not matches and not printed.frozen:
        return PrintCheck(number, version, decl.current_version, matches_record=False, is_current=False,
                          draft_edited=True)
    current = lookup.version_row(session, decl, decl.current_version)
    changes = diff(printed.fields, current.fields) if matches and version != decl.current_version else []
    return PrintCheck(number, version, decl.current_version, matches_record=matches,
                      is_current=matches and version == decl.current_version, changes=changes)
