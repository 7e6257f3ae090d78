"""Receiving project records: what the receiver refuses, keeps aside or applies (the apply hook directly)."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from sanlian_desktop.implementation import service as impl
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models import ProjectProgress, ProjectTender
from sanlian_desktop.sync.kinds import registry as kinds
from sanlian_desktop.sync.kinds.records import Record
from tests.implementation.conftest import Project
from tests.implementation.test_implementation import TODAY, report, tender


def fake_sign(code: str) -> Any:
    def sign(kind: str, body: dict[str, Any]) -> bytes:
        return json.dumps({"signer": code, "kind": kind, "body": body}, ensure_ascii=False).encode()

    return sign


@dataclass
class FakeIncoming:
    s: Any
    sender: str
    from_parent: bool = False
    self_code: str = "620100"
    paths: Any = None
    package_id: str = "pkg"
    preview: bool = False
    report: Any = field(default_factory=lambda: SimpleNamespace(applied=0, already=0))
    conflicts: list[str] = field(default_factory=list)

    def conflict(self, record: Any, reason: str, declaration_id: str | None = None) -> None:
        self.conflicts.append(reason)

    def verify(self, data: bytes, kind: str, signers: set[str]) -> dict[str, Any]:
        statement = json.loads(data)
        if statement["signer"] not in signers or statement["kind"] != kind:
            raise UserError("记录的签名单位无权签署", "bad signer")
        body: dict[str, Any] = statement["body"]
        return body


def resigned(record: Record, body: dict[str, Any], signer: str) -> Record:
    """The record with another body, signed (by the fake) as ``signer``."""
    statement = fake_sign(signer)(record.kind, body)
    return Record(record.kind, body["id"], {"body": body, "signer": signer,
                                            "signature": base64.b64encode(statement).decode()})


def own_record(project: Project, s: Any, kind: str) -> Record:
    kinds.get(kind).sign_own(s, "620102", fake_sign("620102"))  # type: ignore[union-attr]
    model = ProjectTender if kind == "project_tender" else ProjectProgress
    row = impl.history(s, model, project.decl_id)[0]
    assert row.signer_code == "620102" and row.signature is not None
    record: Record = kinds.get(kind).local(s, row.id)  # type: ignore[union-attr]
    return record


def fresh(record: Record, **changes: Any) -> Record:
    body = copy.deepcopy(record.body["body"])
    body.update(id=str(uuid.uuid4()), **changes)
    return resigned(record, body, body["office_code"])


def apply(incoming: FakeIncoming, record: Record) -> None:
    kinds.get(record.kind).apply(incoming, record)  # type: ignore[union-attr]


def test_a_child_s_record_is_applied_and_an_identical_copy_counted_once(project: Project) -> None:
    with project.office.session() as s:
        tender(project, s)
        record = own_record(project, s, "project_tender")
        incoming = FakeIncoming(s, sender="620102")
        apply(incoming, record)
        assert incoming.report.already == 1
        new = fresh(record)
        apply(incoming, new)
        row = s.get(ProjectTender, new.key)
        assert incoming.report.applied == 1 and row.tendered_on.isoformat() == "2016-09-25"
        assert row.signer_code == "620102" and row.bidders == record.body["body"]["bidders"]


def test_a_differing_copy_is_a_conflict(project: Project) -> None:
    with project.office.session() as s:
        tender(project, s)
        record = own_record(project, s, "project_tender")
        body = dict(record.body["body"], winner="兰州益民社工中心")
        incoming = FakeIncoming(s, sender="620102")
        apply(incoming, resigned(record, body, "620102"))
        assert incoming.conflicts == ["同一条招标记录的内容与本单位保存的不同"]
        assert s.get(ProjectTender, record.key).winner != "兰州益民社工中心"


@pytest.mark.parametrize(("sender", "from_parent", "words"), [
    ("620103", False, "不属于发送单位辖区"),      # another county
    ("620102002", False, "不属于发送单位辖区"),   # another street
    ("620000", True, "不属于发送单位辖区"),       # a tender never comes down from above
])
def test_records_outside_the_sender_s_jurisdiction_are_refused(project: Project, sender: str, from_parent: bool,
                                                               words: str) -> None:
    with project.office.session() as s:
        tender(project, s)
        record = fresh(own_record(project, s, "project_tender"))
        with pytest.raises(UserError, match=words):
            apply(FakeIncoming(s, sender=sender, from_parent=from_parent), record)


def test_only_the_originating_office_s_signature_counts(project: Project) -> None:
    with project.office.session() as s:
        tender(project, s)
        record = own_record(project, s, "project_tender")
        street_written = fresh(record, office_code="620102001")
        with pytest.raises(UserError, match="不应由 620102001 登记"):
            apply(FakeIncoming(s, sender="620102"), street_written)
        forged = resigned(record, dict(record.body["body"], id=str(uuid.uuid4())), "620102001")
        with pytest.raises(UserError, match="无权签署"):
            apply(FakeIncoming(s, sender="620102"), forged)
        unknown = fresh(record, declaration_id=str(uuid.uuid4()))
        with pytest.raises(UserError, match="尚未收到"):
            apply(FakeIncoming(s, sender="620102"), unknown)


@pytest.mark.parametrize("changes", [
    {"beneficiaries": "many"}, {"beneficiaries": True}, {"period_start": "2016-02-30"}, {"final": "yes"},
    {"attachments": "photo.jpg"}, {"attachments": [{"sha256": "../../etc/passwd", "name": "x"}]},
    {"attachments": [{"sha256": "a" * 64}]}, {"entered_at": "2016-10-01T00:00:00"}, {"activities": None},
])
def test_malformed_bodies_raise_for_the_package_to_be_refused(project: Project, changes: dict[str, Any]) -> None:
    with project.office.session() as s:
        report(project, s, today=TODAY)
        record = fresh(own_record(project, s, "project_progress"), **changes)
        with pytest.raises((TypeError, ValueError)):
            apply(FakeIncoming(s, sender="620102"), record)


@pytest.mark.parametrize("changes", [{"bidders": [1]}, {"bidders": [""]}, {"tendered_on": 20160925},
                                     {"winner": "名" * 101}])
def test_malformed_tenders_raise(project: Project, changes: dict[str, Any]) -> None:
    with project.office.session() as s:
        tender(project, s)
        record = fresh(own_record(project, s, "project_tender"), **changes)
        with pytest.raises((TypeError, ValueError)):
            apply(FakeIncoming(s, sender="620102"), record)
