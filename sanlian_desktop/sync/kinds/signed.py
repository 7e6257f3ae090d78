"""Record kinds whose rows are signed by the office that wrote them (built on :mod:`sanlian_desktop.sync.kinds.registry`).

Progress reports, the project implementation records, public notices and the third-party evaluation
records share one shape. A row is written at one office; the first export that leaves that office signs
it (``sign_own``: a statement of the row's *body*, kept in the row's ``signature``/``signer_code``); the
row then travels as a record that carries the statement, and every office on the way passes it on
unchanged and keeps a read-only copy. On arrival the receiver checks who may have written the row, verifies
the statement against those offices, and then either adds the row, counts it as already held (the held
row's body equals the signed one), or keeps the record aside as a conflict (it differs): accepted rows are
never overwritten.

A module describes such a table with one :class:`SignedKind` and keeps only what is its own — the body and
record fields, who may sign and send, how a verified body becomes a row::

    NOTICES = SignedKind(
        kind="public_notice", model=PublicNotice,
        body=notice_body,      # row -> what the writing office signs
        record=notice_record,  # row -> the record as it travels (None while the row is unsigned)
        admit=_admit,          # (incoming, record) -> Admitted, or None when it dealt with the record itself
        insert=_insert,        # (incoming, admitted) -> the new row, without its statement and signer
        differs="同一份公示的内容与本单位保存的不同",  # the conflict's reason when the held row differs
    )
    NOTICES.register(_records, group=lambda r: r.key)

``admit`` does the checks in the order the kind needs them, verifies the statement with :func:`verify`
against the offices entitled to sign it, and returns the :class:`Admitted` body, statement, signer and key;
it raises as :class:`~sanlian_desktop.sync.kinds.registry.Incoming` describes (``ValueError``/``TypeError``/
``KeyError`` for a malformed record, ``UserError`` for a refusal a person should read); a record that is
valid but may not apply here is kept aside by naming the reason in ``Admitted.aside``. ``insert`` builds
the row from the body and may still refuse (a reference the row needs is missing), or deal with the record
itself and return None (count it, keep it aside); the new row gets the statement and the signer here.
The office that writes a row (and signs it) is named by its ``writer`` column, ``office_code`` unless the
kind says otherwise. Which records a neighbour gets (``records``) stays with the module: every kind
routes differently.

The record's body, its key and the signed body are the module's: this module adds no field of its own, so
it does not change what a package holds.
"""

from __future__ import annotations

import base64
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.sync.kinds.records import Record
from sanlian_desktop.sync.kinds.registry import Incoming, RecordKind, Route, register

Row = TypeVar("Row")
# sign(kind, body) -> the statement's bytes: what an export hands to ``sign_own``.
Signer = Callable[[str, dict[str, Any]], bytes]


@dataclass(frozen=True)
class Admitted:
    """A received record whose signer may write it and whose statement verified."""

    body: dict[str, Any]  # the signed body
    statement: bytes  # the statement itself, kept with the row
    signer: str | None  # the office the row names as its signer
    key: str  # the row's primary key
    declaration_id: str | None = None  # the project it belongs to, named with a conflict
    # Set when the record, valid as it is, may not apply here: the conflict's reason, should this office
    # not hold it already.
    aside: str | None = None


def statement(value: Any) -> bytes:
    """The statement a record carries (base64 text); ``TypeError``/``ValueError`` for anything else."""
    if not isinstance(value, str):
        raise TypeError("statement")
    return base64.b64decode(value, validate=True)


def verify(incoming: Incoming, kind: str, value: Any, signers: set[str]) -> tuple[bytes, dict[str, Any]]:
    """Decode the statement a record carries and verify it is of ``kind`` and signed by one of ``signers``:
    the statement and its body."""
    data = statement(value)
    return data, incoming.verify(data, kind, signers)


def signed_content(data: bytes) -> tuple[dict[str, Any], datetime]:
    """The body and the signed time of a statement this store holds (verified when it arrived, or signed
    here), without verifying it again: to compare a held statement with a received one."""
    inner = cj.loads(data, "签名记录", "signed statement")["statement"]
    return inner["body"], cj.parse_time(inner["signed_at"], "签名记录", "signed statement")


def signed_body(data: bytes) -> dict[str, Any]:
    """The body of a statement this store holds, as :func:`signed_content` reads it, without its signed
    time (a record read back for the ledger needs only the body)."""
    body: dict[str, Any] = cj.loads(data, "签名记录", "signed statement")["statement"]["body"]
    return body


def encoded(signature: bytes | None) -> str | None:
    """A row's statement as a record carries it (None while the row is unsigned)."""
    return base64.b64encode(signature).decode() if signature else None


@dataclass(frozen=True)
class SignedKind(Generic[Row]):
    """A table of rows signed by the office that wrote them; see the module docstring."""

    kind: str
    model: type[Row]
    body: Callable[[Row], dict[str, Any]]
    record: Callable[[Row], Record | None]
    admit: Callable[[Incoming, Record], Admitted | None]
    insert: Callable[[Incoming, Admitted], Row | None]
    differs: str
    # The column naming the office that wrote a row: that office signs it.
    writer: str = "office_code"
    # Optional: a further condition on the rows ``sign_own`` signs (model -> SQL condition).
    sign_only: Callable[[Any], Any] | None = None
    # Whether a held row's body and a received one are the same row.
    same: Callable[[dict[str, Any], dict[str, Any]], bool] = operator.eq
    # Flush each new row at once (a later record of the package may look it up).
    flush: bool = False

    def signed(self, rows: Iterable[Row]) -> Iterator[Record]:
        """The records of the signed ones among ``rows``."""
        for row in rows:
            if (record := self.record(row)) is not None:
                yield record

    def local(self, session: Session, key: str) -> Record | None:
        """This office's current form of the record ``key``."""
        row = session.get(self.model, key)
        return None if row is None else self.record(row)

    def sign_own(self, session: Session, self_code: str, sign: Signer) -> int:
        """Sign the rows this office wrote that are not signed yet; returns how many."""
        model: Any = self.model
        query = select(model).where(model.signature.is_(None), getattr(model, self.writer) == self_code)
        if self.sign_only is not None:
            query = query.where(self.sign_only(model))
        count = 0
        for row in session.scalars(query):
            row.signature, row.signer_code = sign(self.kind, self.body(row)), self_code
            count += 1
        return count

    def apply(self, incoming: Incoming, record: Record) -> None:
        """Admit a received record, then count it as held, keep it aside as a conflict, or add its row."""
        admitted = self.admit(incoming, record)
        if admitted is None:
            return
        held = incoming.s.get(self.model, admitted.key)
        if held is not None:
            if self.same(self.body(held), admitted.body):
                incoming.report.already += 1
            else:
                incoming.conflict(record, self.differs, admitted.declaration_id)
            return
        if admitted.aside is not None:
            incoming.conflict(record, admitted.aside, admitted.declaration_id)
            return
        row: Any = self.insert(incoming, admitted)
        if row is None:
            return
        row.signature, row.signer_code = admitted.statement, admitted.signer
        incoming.s.add(row)
        if self.flush:
            incoming.s.flush()
        incoming.report.applied += 1

    def register(self, records: Callable[[Session, Route], Iterator[Record]], *,
                 group: Callable[[Any], str | None] | None = None, joins_declaration: bool = False,
                 evaluator: bool = False) -> RecordKind:
        """Register the kind (:func:`sanlian_desktop.sync.kinds.registry.register`) with the records a neighbour gets
        and the options :class:`~sanlian_desktop.sync.kinds.registry.RecordKind` describes."""
        return register(RecordKind(self.kind, records, self.local, self.apply, group=group,
                                   joins_declaration=joins_declaration, sign_own=self.sign_own, evaluator=evaluator))
