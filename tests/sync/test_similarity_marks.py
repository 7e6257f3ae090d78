"""Reviewers' "已核实，不是抄袭" marks travel up (issue 19): signed by the marking office, kept by the office
above, applied in any order — a mark that arrives before the declarations it names is kept and counts once
they arrive — and shown there with who marked the pair and why.

Offices come from the template chain (tests/sync/conftest.py), made in the tests' suite (tests.suites).
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sanlian_desktop.declarations import drafts, lookup, workflow
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Decision, Level
from sanlian_desktop.models import Declaration, SimilarityClearance, SyncConflict
from sanlian_desktop.screening import records, service
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import import_package
from sanlian_desktop.sync.kinds.registry import Route
from tests.helpers import example_declaration
from tests.screening.corpus import original
from tests.sync import helpers_insider as insider
from tests.sync.helpers_service import CODES, ServiceOffice, open_chain

PROVINCE, CITY, COUNTY, STREET, COMMUNITY = CODES
REASON = "两个项目由同一街道社工站统一撰写，服务对象和地点不同"


@pytest.fixture
def chain(template: Path, tmp_path: Path) -> Iterator[dict[str, ServiceOffice]]:
    offices = open_chain(template, tmp_path / "chain")
    yield offices
    for office in offices.values():
        office.store.close()
    shutil.rmtree(tmp_path / "chain", ignore_errors=True)


def _texts(seed: int) -> dict[str, Any]:
    """The corpus's long texts, merged into the example's complete fields (so the form can be submitted)."""
    fields = original(random.Random(seed), "x", "养老", "东岗西路社区").fields
    base = example_declaration()
    return {key: {**base[key], **value} if isinstance(value, dict) else value for key, value in fields.items()}


def _pair_at_the_county(county: ServiceOffice) -> tuple[str, str]:
    """Two near-identical declarations keyed in at the county, submitted and passed on to the city."""
    ids = []
    with county.store.session() as s:
        for title in ("东岗西路社区老人关爱项目", "东岗西路社区老人关爱项目（第二期）"):
            decl = drafts.create(s, county.clerk, example_declaration(title=title, **_texts(7)))
            paper = {Level.STREET: drafts.PaperOpinion("同意上报。", date.today())}
            drafts.submit(s, county.clerk, decl, county.store.paths, paper_opinions=paper)
            workflow.review(s, county.rev, lookup.get(s, decl.id), decision=Decision.APPROVE, text="同意上报")
            ids.append(decl.id)
    with county.store.session() as s:
        assert [x.declaration_id for x in service.similar_to(s, ids[0])] == [ids[1]]
    low, high = sorted(ids)
    return low, high


def _mark(office: ServiceOffice, low: str, high: str, reason: str = REASON) -> str:
    with office.store.session() as s:
        row = service.clear(s, office.rev, lookup.get(s, low), lookup.get(s, high), reason)
        return row.id


def _import(office: ServiceOffice, path: Path) -> Any:
    result = import_package(office.store, office.admin, path, backup=False)
    service.refresh_store(office.store)  # as the CLI and the GUI do after an import
    return result


def _shown(office: ServiceOffice, low: str, high: str) -> service.Similar | None:
    with office.store.read_session() as s:
        found = [x for x in service.similar_to(s, low) if x.declaration_id == high]
        return found[0] if found else None


def test_a_mark_travels_up_and_shows_who_marked_and_why(chain: dict[str, ServiceOffice], tmp_path: Path) -> None:
    county, city, province = chain[COUNTY], chain[CITY], chain[PROVINCE]
    low, high = _pair_at_the_county(county)
    mark_id = _mark(county, low, high)
    export_package(county.store, county.admin, CITY, tmp_path / "up.sanlian")
    with county.store.read_session() as s:  # the export signed the county's own mark
        row = s.get(SimilarityClearance, mark_id)
        assert row is not None and row.signer_code == COUNTY and row.signature is not None
    assert _import(city, tmp_path / "up.sanlian").report.applied > 0
    shown = _shown(city, low, high)
    assert shown is not None and shown.cleared == REASON
    assert shown.cleared_by is not None and "城关区" in shown.cleared_by and " rev " in shown.cleared_by
    with city.store.read_session() as s:
        assert service.best_scores(s, [low, high]) == {}  # the badge is down at the city too
        with pytest.raises(UserError, match="已核实过"):
            service.clear(s, city.rev, lookup.get(s, low), lookup.get(s, high), "再核实一次")
    # ... and on up to the province, with the county's signature.
    export_package(city.store, city.admin, PROVINCE, tmp_path / "up2.sanlian")
    _import(province, tmp_path / "up2.sanlian")
    shown = _shown(province, low, high)
    assert shown is not None and shown.cleared == REASON and "城关区" in (shown.cleared_by or "")
    with province.store.read_session() as s:
        held = s.get(SimilarityClearance, mark_id)
        assert held is not None and held.signer_code == COUNTY
    # Marks never come down.
    with city.store.read_session() as s:
        route = Route(CITY, Level.CITY, COUNTY, Level.COUNTY, Path)
        assert list(records._records(s, route)) == []


def test_a_mark_that_arrives_before_its_declarations_waits_for_them(chain: dict[str, ServiceOffice],
                                                                   tmp_path: Path) -> None:
    county, city = chain[COUNTY], chain[CITY]
    low, high = _pair_at_the_county(county)
    mark_id = _mark(county, low, high)
    export_package(county.store, county.admin, CITY, tmp_path / "full.sanlian")  # signs the mark
    with county.store.read_session() as s:
        record = records.MARKS.local(s, mark_id)
        assert record is not None
    signer = insider.real(county)
    alone = insider.write(tmp_path / "mark.sanlian", signer, insider.recipient_cert(city.store),
                          [insider.entry(record)], signer.chain)
    assert _import(city, alone).report.applied == 1
    with city.store.read_session() as s:
        assert s.get(SimilarityClearance, mark_id) is not None  # kept ...
        assert s.get(Declaration, low) is None and service.valid_marks(s, [(low, high)]) == {}  # ... unseen
    result = _import(city, tmp_path / "full.sanlian")
    assert result.report.already >= 1  # the mark again, counted as held
    shown = _shown(city, low, high)
    assert shown is not None and shown.cleared == REASON
    # The same mark a third time changes nothing.
    again = insider.write(tmp_path / "again.sanlian", signer, insider.recipient_cert(city.store),
                          [insider.entry(record)], signer.chain)
    assert _import(city, again).report.already == 1
    with city.store.read_session() as s:
        assert s.scalar(select(func.count()).select_from(SimilarityClearance)) == 1
        assert s.scalar(select(func.count()).select_from(SyncConflict)) == 0


def test_a_mark_naming_a_declaration_of_another_community_is_refused(chain: dict[str, ServiceOffice],
                                                                     tmp_path: Path) -> None:
    """A county's signed mark that names a community its held declaration does not lie in: the whole
    package is refused; the same mark held before the declaration arrived never counts."""
    county, city = chain[COUNTY], chain[CITY]
    low, high = _pair_at_the_county(county)
    signer = insider.real(county)
    body = {"id": "00000000-0000-4000-8000-000000000001", "low_id": low, "high_id": high,
            "low_community": COMMUNITY, "high_community": "620102001002", "reason": "无关", "office_code": COUNTY,
            "by": "rev", "at": "2026-01-05T08:00:00+00:00"}
    lying = insider.signed_entry(records.KIND, body["id"], body, signer)
    export_package(county.store, county.admin, CITY, tmp_path / "full.sanlian")
    # Before the declarations: kept, as its communities lie in the county ...
    path = insider.write(tmp_path / "lying.sanlian", signer, insider.recipient_cert(city.store), [lying], signer.chain)
    assert _import(city, path).report.applied == 1
    _import(city, tmp_path / "full.sanlian")
    with city.store.read_session() as s:  # ... but never counts against the declaration that arrived
        assert service.valid_marks(s, [(low, high)]) == {}
        assert service.best_scores(s, [low, high]) != {}
    # After them: the package is refused whole.
    body2 = {**body, "id": "00000000-0000-4000-8000-000000000002"}
    path = insider.write(tmp_path / "lying2.sanlian", signer, insider.recipient_cert(city.store),
                         [insider.signed_entry(records.KIND, body2["id"], body2, signer)], signer.chain)
    with pytest.raises(UserError, match="越权"):
        import_package(city.store, city.admin, path, backup=False)


def test_only_county_and_higher_reviewers_mark(chain: dict[str, ServiceOffice]) -> None:
    street = chain[STREET]
    with street.store.session() as s:
        a = drafts.create(s, street.clerk, example_declaration(title="甲", **_texts(8)))
        b = drafts.create(s, street.clerk, example_declaration(title="乙", **_texts(8)))
        with pytest.raises(UserError, match="县级及以上"):
            service.clear(s, street.rev, a, b, REASON)
