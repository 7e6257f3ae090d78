"""Signing this office's own opinions and submitted versions, the province's batches (and the kinds other
modules registered) before they leave it in a package."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from sanlian_desktop.kernel.chunks import chunks
from sanlian_desktop.models import Batch, Declaration, DeclarationVersion, Opinion
from sanlian_desktop.sync.kinds import registry as extensions
from sanlian_desktop.sync.kinds.authority import PROVINCE_CODE
from sanlian_desktop.sync.kinds.records import batch_body, opinion_body, version_body
from sanlian_desktop.sync.kinds.signed import signed_content

_OPINIONS = Opinion.metadata.tables["opinion"]
_VERSIONS = DeclarationVersion.metadata.tables["declaration_version"]

_SIGN_OPINION = update(_OPINIONS).where(
    _OPINIONS.c.id == bindparam("b_id"), _OPINIONS.c.signature.is_(None),
).values(signature=bindparam("b_signature"), signer_code=bindparam("b_signer"))
_SIGN_VERSION = update(_VERSIONS).where(
    _VERSIONS.c.declaration_id == bindparam("b_id"), _VERSIONS.c.version == bindparam("b_version"),
    _VERSIONS.c.signature.is_(None),
).values(signature=bindparam("b_signature"), signer_code=bindparam("b_signer"))


def sign_own_records(session: Session, self_code: str, sign: Callable[[str, dict[str, Any]], bytes]) -> int:
    """Sign this office's opinions and submitted versions that have not left it yet.

    A first signature is the one change an opinion or a submitted version ever takes (see
    models/guards.py); it is written with one bulk update per few hundred rows, and only where the
    row is still unsigned."""
    session.flush()
    conn = session.connection()
    count = 0
    unsigned = session.execute(select(Opinion.id, Opinion.office_code, Opinion.from_paper, Declaration.entered_by_office)
                               .outerjoin(Declaration, Declaration.id == Opinion.declaration_id)
                               .where(Opinion.signature.is_(None)).order_by(Opinion.id)).all()
    mine = [o for o, office, paper, entered_by in unsigned
            if (entered_by if (paper and entered_by is not None) else office) == self_code]
    for chunk in chunks(mine):
        signed: list[dict[str, Any]] = [
            {"b_id": o.id, "b_signature": sign("opinion", opinion_body(o)), "b_signer": self_code}
            for o in session.scalars(select(Opinion).where(Opinion.id.in_(chunk)).order_by(Opinion.id))]
        conn.execute(_SIGN_OPINION, signed)
        count += len(signed)
    keys = session.execute(select(DeclarationVersion.declaration_id, DeclarationVersion.version).join(
        Declaration, Declaration.id == DeclarationVersion.declaration_id).where(
        DeclarationVersion.signature.is_(None), DeclarationVersion.frozen.is_(True),
        Declaration.entered_by_office == self_code).order_by(DeclarationVersion.declaration_id,
                                                            DeclarationVersion.version)).all()
    for part in chunks(list(keys)):
        wanted = {(d, n) for d, n in part}
        rows = [{"b_id": v.declaration_id, "b_version": v.version, "b_signature": sign("version", version_body(v)),
                 "b_signer": self_code} for v in session.scalars(select(DeclarationVersion).where(
                     DeclarationVersion.declaration_id.in_(sorted({d for d, _ in part})),
                     DeclarationVersion.signature.is_(None), DeclarationVersion.frozen.is_(True)))
                if (v.declaration_id, v.version) in wanted]
        conn.execute(_SIGN_VERSION, rows)
        count += len(rows)
    if count:
        session.expire_all()  # rows already loaded in this session now hold stale signatures
    if self_code == PROVINCE_CODE:
        count += _sign_batches(session, self_code, sign)
    for kind in extensions.extra_kinds():
        if kind.sign_own is not None:
            count += kind.sign_own(session, self_code, sign)
    session.flush()
    return count


def _sign_batches(session: Session, self_code: str, sign: Callable[[str, dict[str, Any]], bytes]) -> int:
    """The province signs its batches (issue 20: a batch is the province's, and every office below checks
    its signature): each one not signed yet, or changed since it was signed. A few rows: one by one."""
    count = 0
    for batch in session.scalars(select(Batch).order_by(Batch.code)):
        body = batch_body(batch)
        if batch.signature is None or signed_content(batch.signature)[0] != body:
            batch.signature, batch.signer_code = sign("batch", body), self_code
            count += 1
    return count
