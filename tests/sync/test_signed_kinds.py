"""The shared steps of the kinds whose rows are signed by the office that wrote them (sync/signedkinds.py):
a received row is added once, counted as held when it is the same, kept aside when it differs."""

from __future__ import annotations

import binascii
import dataclasses
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from sanlian_desktop.sync.kinds.records import Record
from sanlian_desktop.sync.kinds.signed import Admitted, SignedKind, encoded, statement, verify
from tests.helpers import Office


@dataclass
class Note:
    id: str
    text: str
    signature: bytes | None = None
    signer_code: str | None = None


class _Session:
    def __init__(self) -> None:
        self.rows: dict[str, Note] = {}
        self.flushed = 0

    def get(self, model: type[Note], key: str) -> Note | None:
        assert model is Note
        return self.rows.get(key)

    def add(self, row: Note) -> None:
        self.rows[row.id] = row

    def flush(self) -> None:
        self.flushed += 1


class _Incoming(SimpleNamespace):
    def conflict(self, record: Any, reason: str, declaration_id: str | None = None) -> None:
        self.conflicts.append((record.key, reason, declaration_id))

    def verify(self, data: bytes, kind: str, signers: set[str]) -> dict[str, Any]:
        self.verified.append((data, kind, signers))
        return {"id": "n1", "text": data.decode()}


def _incoming() -> _Incoming:
    return _Incoming(s=_Session(), conflicts=[], verified=[], report=SimpleNamespace(applied=0, already=0))


def _record(n: Note) -> Record | None:
    return None if n.signature is None else Record("note", n.id, {"signature": encoded(n.signature)})


def _admit(incoming: Any, record: Record) -> Admitted | None:
    if record.body.get("aside"):
        incoming.conflict(record, "不收")
        return None
    data, body = verify(incoming, "note", record.body["signature"], {"620000"})
    return Admitted(body, data, "620000", record.key, "d1")


NOTES = SignedKind(kind="note", model=Note, body=lambda n: {"id": n.id, "text": n.text}, record=_record,
                   admit=_admit, insert=lambda incoming, a: Note(a.key, a.body["text"]), differs="内容不同",
                   flush=True)


def test_a_new_row_is_added_with_its_statement_and_signer_then_counted_as_held() -> None:
    incoming = _incoming()
    record = Record("note", "n1", {"signature": encoded(b"hello")})
    NOTES.apply(incoming, record)
    row = incoming.s.rows["n1"]
    assert (row.text, row.signature, row.signer_code) == ("hello", b"hello", "620000")
    assert incoming.verified == [(b"hello", "note", {"620000"})]
    assert incoming.report.applied == 1 and incoming.s.flushed == 1
    NOTES.apply(incoming, record)
    assert incoming.report.already == 1 and incoming.report.applied == 1 and incoming.conflicts == []
    assert NOTES.local(incoming.s, "n1") == record and NOTES.local(incoming.s, "n2") is None


def test_a_differing_copy_is_kept_aside_and_the_held_row_stays() -> None:
    incoming = _incoming()
    incoming.s.rows["n1"] = Note("n1", "held", b"held", "620000")
    NOTES.apply(incoming, Record("note", "n1", {"signature": encoded(b"other")}))
    assert incoming.conflicts == [("n1", "内容不同", "d1")]
    assert incoming.s.rows["n1"].text == "held" and incoming.report.applied == incoming.report.already == 0


def test_a_record_the_kind_dealt_with_itself_is_not_applied() -> None:
    incoming = _incoming()
    NOTES.apply(incoming, Record("note", "n1", {"aside": True}))
    assert incoming.conflicts == [("n1", "不收", None)] and incoming.s.rows == {} and incoming.verified == []


def test_only_signed_rows_travel() -> None:
    rows = [Note("a", "x"), Note("b", "y", b"sig", "620000")]
    assert [r.key for r in NOTES.signed(rows)] == ["b"]
    assert encoded(None) is None


@pytest.mark.parametrize("value, error", [(None, TypeError), (12, TypeError), (["e30="], TypeError),
                                          ("e30", binascii.Error), ("e3 0=", binascii.Error),
                                          ("e30=!", binascii.Error)])
def test_a_statement_must_be_base64_text(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        statement(value)
    assert issubclass(error, TypeError | ValueError)  # what an import refuses as a malformed record
    assert statement("e30=") == b"{}"


def test_a_valid_record_that_may_not_apply_here_is_kept_aside_unless_held() -> None:
    aside = SignedKind(kind="note", model=Note, body=lambda n: {"id": n.id, "text": n.text}, record=_record,
                       admit=lambda incoming, record: Admitted({"id": record.key, "text": "x"}, b"x", "620000",
                                                               record.key, "d1", aside="指派已撤回"),
                       insert=lambda incoming, a: Note(a.key, "x"), differs="内容不同")
    incoming = _incoming()
    aside.apply(incoming, Record("note", "n1", {}))
    assert incoming.conflicts == [("n1", "指派已撤回", "d1")] and incoming.s.rows == {}
    incoming.s.rows["n1"] = Note("n1", "x")
    aside.apply(incoming, Record("note", "n1", {}))
    assert incoming.report.already == 1 and len(incoming.conflicts) == 1


def test_an_insert_that_dealt_with_the_record_adds_nothing() -> None:
    def counted(incoming: Any, admitted: Admitted) -> Note | None:
        incoming.report.already += 1
        return None

    kind = SignedKind(kind="note", model=Note, body=lambda n: {}, record=_record, admit=_admit, insert=counted,
                      differs="内容不同", flush=True)
    incoming = _incoming()
    kind.apply(incoming, Record("note", "n1", {"signature": encoded(b"late")}))
    assert incoming.s.rows == {} and incoming.report.already == 1 and incoming.report.applied == 0
    assert incoming.s.flushed == 0


def test_an_office_signs_its_own_unsigned_rows_once(county: Office) -> None:
    from sqlalchemy import select

    from sanlian_desktop.models import ProgressReport
    from sanlian_desktop.reports.records import REPORTS
    from sanlian_desktop.reports.service import signed_body

    with county.session() as s:
        for report_id, office in (("r1", "620102"), ("r2", "620102"), ("r3", "620102001")):
            s.add(ProgressReport(id=report_id, office_code=office, office_name="某单位", period_start=date(2016, 1, 1),
                                 period_end=date(2016, 3, 31), issued_by="reviewer", figures={}))
    signed: list[tuple[str, dict[str, Any]]] = []

    def sign(kind: str, body: dict[str, Any]) -> bytes:
        signed.append((kind, body))
        return f"sig-{body['id']}".encode()

    only_r2 = dataclasses.replace(REPORTS, sign_only=lambda model: model.id == "r2")
    with county.session() as s:
        assert only_r2.sign_own(s, "620102", sign) == 1
        assert REPORTS.sign_own(s, "620102", sign) == 1
        assert REPORTS.sign_own(s, "620102", sign) == 0
        rows = {r.id: r for r in s.scalars(select(ProgressReport))}
        assert [(k, b["id"]) for k, b in signed] == [("progress_report", "r2"), ("progress_report", "r1")]
        assert signed[1][1] == signed_body(rows["r1"])
        assert (rows["r1"].signature, rows["r1"].signer_code) == (b"sig-r1", "620102")
        assert rows["r3"].signature is None
        assert REPORTS.local(s, "r3") is None and REPORTS.local(s, "r1") is not None
