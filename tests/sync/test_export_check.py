"""An export never writes a package its receiver would refuse (issue 14 §3b): the receiver's shape,
authority and signature rules are run on the records before the file is written; a refusal names the
record and the rule, and nothing is written or marked as sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from sanlian_desktop.demo.generate import generate
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models import Batch, Declaration, Opinion
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import import_package
from tests.sync.helpers_service import CODES, ServiceOffice, fingerprint, open_chain

STREET, COUNTY = CODES[3], CODES[2]


@pytest.fixture
def chain(template: Path, tmp_path: Path) -> Iterator[dict[str, ServiceOffice]]:
    offices = open_chain(template, tmp_path / "chain")
    yield offices
    for office in offices.values():
        office.store.close()


def _submitted(office: ServiceOffice) -> Declaration:
    with office.store.read_session() as s:
        decl = s.scalars(select(Declaration).where(Declaration.status == "under_review",
                                                   Declaration.awaiting_level == "county")).first()
        assert decl is not None
        s.expunge(decl)
        return decl


def _add_opinion(office: ServiceOffice, decl: Declaration, *, level: str, office_code: str, paper: bool) -> str:
    """An opinion written into the store directly, the way the old demo wrote its opinions."""
    opinion_id = str(uuid.uuid4())
    at = datetime.now().astimezone() - timedelta(hours=1)
    with office.store.session() as s:
        seq = len(list(s.scalars(select(Opinion.id).where(Opinion.declaration_id == decl.id)))) + 1
        s.execute(insert(Opinion), [{
            "id": opinion_id, "declaration_id": decl.id, "seq": seq, "version": decl.current_version,
            "level": level, "office_code": office_code, "office_name": "城关区民政局", "reviewer": "rev",
            "reviewer_name": "李审核", "decision": "approve", "text": "同意上报。", "decided_on": at.date(), "at": at,
            "granted_fen": None, "from_paper": paper, "scan_sha256": None}])
    return opinion_id


def _refused_without_a_trace(chain: dict[str, ServiceOffice], tmp_path: Path) -> UserError:
    street, county = chain[STREET], chain[COUNTY]
    before, above = fingerprint(street.store), fingerprint(county.store)
    out = tmp_path / "up.sanlian"
    with pytest.raises(UserError) as refused:
        export_package(street.store, street.admin, COUNTY, out)
    assert not out.exists() and list(tmp_path.glob("up*")) == []
    after = fingerprint(street.store)
    # Nothing marked as sent, no channel number used, no package recorded (own rows may be signed).
    for part in ("items", "packages", "channels", "receipts"):
        assert after[part] == before[part], part
    assert fingerprint(county.store) == above
    return refused.value


def test_an_unsigned_opinion_of_the_office_above_is_named_not_sent(chain: dict[str, ServiceOffice],
                                                                   tmp_path: Path) -> None:
    street = chain[STREET]
    generate(street.store, street.admin, count=40, seed=5)
    opinion_id = _add_opinion(street, _submitted(street), level="county", office_code=COUNTY, paper=False)
    error = _refused_without_a_trace(chain, tmp_path)
    assert f"审核意见记录 {opinion_id}" in error.zh and "没有签名" in error.zh and COUNTY in error.zh
    assert "城关区民政局会拒收" in error.zh and "损坏" not in error.zh
    assert f"opinion {opinion_id}" in error.en and "unsigned" in error.en


def test_an_opinion_this_office_may_not_sign_is_named_by_its_rule(chain: dict[str, ServiceOffice],
                                                                  tmp_path: Path) -> None:
    """A county opinion 'from paper' at the street: the street signs it at export (it entered the
    declaration), but a paper opinion is transcribed only above its level — the county would refuse it."""
    street = chain[STREET]
    generate(street.store, street.admin, count=40, seed=5)
    opinion_id = _add_opinion(street, _submitted(street), level="county", office_code=COUNTY, paper=True)
    error = _refused_without_a_trace(chain, tmp_path)
    assert f"审核意见记录 {opinion_id}" in error.zh and "越权" in error.zh and "纸质意见" in error.zh
    assert "损坏" not in error.zh


def test_a_declaration_in_a_batch_made_here_is_named_not_sent(chain: dict[str, ServiceOffice],
                                                              tmp_path: Path) -> None:
    street = chain[STREET]
    today = date.today()
    with street.store.session() as s:  # a batch the province never sent (what the old demo made)
        s.add(Batch(id=str(uuid.uuid4()), code="local", name="本地批次", opens=today - timedelta(days=1),
                    closes=today + timedelta(days=1), created_by="admin"))
        for old in s.scalars(select(Batch).where(Batch.code != "local")):
            old.closes = today - timedelta(days=2)  # the received one is not open: the demo takes the local one
    generate(street.store, street.admin, count=10, seed=5)
    error = _refused_without_a_trace(chain, tmp_path)
    assert "申报记录 local-" in error.zh  # named by its number
    assert "所属申报批次是本单位自建的" in error.zh and "申报批次只能由省民政厅设立" in error.zh


def test_a_clean_package_still_goes(chain: dict[str, ServiceOffice], tmp_path: Path) -> None:
    street, county = chain[STREET], chain[COUNTY]
    generate(street.store, street.admin, count=40, seed=5)
    sent = export_package(street.store, street.admin, COUNTY, tmp_path / "up.sanlian")
    assert import_package(county.store, county.admin, tmp_path / "up.sanlian").report.applied == sent.records


def test_an_unsigned_record_received_is_not_called_damage(chain: dict[str, ServiceOffice], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """(issue 14 §3c) A package from an older program that exported an unsigned opinion: the package is
    whole, so the refusal names the record and says the sender wrote it so — never "damaged"."""
    from sanlian_desktop.sync.exchange import export

    street, county = chain[STREET], chain[COUNTY]
    generate(street.store, street.admin, count=20, seed=5)
    opinion_id = _add_opinion(street, _submitted(street), level="county", office_code=COUNTY, paper=False)
    monkeypatch.setattr(export, "check_outgoing", lambda *args: None)  # what the old export did
    export_package(street.store, street.admin, COUNTY, tmp_path / "old.sanlian")
    before = fingerprint(county.store)
    with pytest.raises(UserError) as refused:
        import_package(county.store, county.admin, tmp_path / "old.sanlian")
    error = refused.value
    assert "损坏" not in error.zh and "damaged" not in error.en
    assert f"审核意见记录 {opinion_id} 不是有效的签名记录" in error.zh and "数据包本身完好" in error.zh
    assert f"opinion {opinion_id}" in error.en and "intact" in error.en
    assert fingerprint(county.store) == before
