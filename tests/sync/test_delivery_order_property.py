"""Property: whatever order a courier delivers a sender's packages in — permuted, some twice, one held
back and delivered after the later ones — the receiver ends with the very store that delivery in order
gives, table by table (issue 14, section 1).

Four series of packages are made once per module through the services, on a copy of the five-office
chain: upward, county → city, with the street's registries passed on (organisations and workers added,
edited and deleted; a community's facts changed), the county's own organisation and area facts, and
declarations with their versions and the street's and county's opinions, and the county's mark of the
two as a checked similar pair; downward, city → county, with
the city's decisions; province → city, with the province's approval, a new batch, a public notice and
the one superseding it, and a certificate revocation; community → street, with a project's
implementation records (a tender and its correction, workers put on and taken off, a progress report
with a file). Each example copies the receiver's store as it was before the series, imports the
packages in the drawn order and compares every table with the in-order result, leaving out only the
receiver's local bookkeeping (see :data:`BOOKKEEPING`). Two more series carry the evaluation records:
province → evaluator, an evaluation assignment, its withdrawal and the project assigned again; and
evaluator → province, two follow-up visits and the effect evaluation with its report.

``make test`` runs a bounded number of examples; ``pytest --hypothesis-profile=nightly`` runs many more.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from sanlian_desktop.declarations import batches, drafts, lookup, workflow
from sanlian_desktop.evaluation import service as evaluation
from sanlian_desktop.implementation import service as implementation
from sanlian_desktop.kernel.vocab import Decision, Level
from sanlian_desktop.models import Declaration
from sanlian_desktop.offices import auth, custody
from sanlian_desktop.offices.office import init_office
from sanlian_desktop.registries import service as registry
from sanlian_desktop.screening import service as screening
from sanlian_desktop.selection import notices
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import import_package
from tests.helpers import PASSWORD, example_declaration
from tests.suites import suite_short
from tests.sync.helpers import examples
from tests.sync.helpers_evaluation import PDF, POINTS
from tests.sync.helpers_service import CODES, ServiceOffice, open_chain

PROVINCE, CITY, COUNTY, STREET, COMMUNITY = CODES
OTHER_CITY = "620500"
EVALUATOR = "620000E001"

# The receiver's own bookkeeping, which differs with the order of imports by design: which packages it
# took and when, what it acknowledged, its audit log; the local row numbers; the time of the import.
BOOKKEEPING_TABLES = {"alembic_version", "audit_log", "meta", "sync_package", "sync_item", "sync_channel",
                      "pending_receipt"}
BOOKKEEPING = {
    "community_organisation": {"id"}, "social_worker": {"id"},  # local row numbers (rows carry a uid)
    "declaration": {"updated_at"},  # when this store last wrote the row
    "declaration_version": {"created_at", "updated_at"},  # when this store wrote a received version
    "region": {"created_at"}, "certificate": {"received_at"}, "batch": {"created_at"},  # when first stored here
    "attachment": {"created_at"},
    "sync_conflict": {"id", "package_id", "at"},  # which package brought a conflict, and when
}


def tables(home: Path) -> dict[str, list[dict[str, Any]]]:
    """Every table of a store, rows sorted, without the bookkeeping."""
    conn = sqlite3.connect(f"file:{home / 'sanlian.db'}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = {}
        for name in sorted(set(names) - BOOKKEEPING_TABLES):
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({name})")
                       if r[1] not in BOOKKEEPING.get(name, set())]
            rows = conn.execute(f"SELECT {', '.join(columns)} FROM {name}").fetchall()
            found[name] = sorted((dict(zip(columns, row, strict=True)) for row in rows), key=repr)
        return found
    finally:
        conn.close()


def differences(got: dict[str, list[dict[str, Any]]], wanted: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Table → (rows only in ``got``, rows only in ``wanted``), for the tables that differ."""
    found = {}
    for name in sorted(got.keys() | wanted.keys()):
        mine, theirs = got.get(name, []), wanted.get(name, [])
        if mine != theirs:
            found[name] = ([r for r in mine if r not in theirs], [r for r in theirs if r not in mine])
    return found


@dataclass
class Series:
    """A sender's packages to one receiver, and the receiver's home as it was before them."""

    receiver: str
    base: Path
    packages: list[Path]
    in_order: dict[str, list[dict[str, Any]]]


def _import(home: Path, code: str, packages: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """Copy ``home``, import ``packages`` into the copy in turn, and return its tables."""
    work = Path(tempfile.mkdtemp(prefix="sanlian-order-"))
    try:
        shutil.copytree(home, work / code)
        store = Store.open(work / code)
        try:
            with store.session() as s:
                admin = auth.sign_in(s, "admin", PASSWORD)
            for path in packages:
                import_package(store, admin, path, backup=False)
        finally:
            store.close()
        return tables(work / code)
    finally:
        shutil.rmtree(work, ignore_errors=True)


class _Scenario:
    """The offices' work, step by step, with the packages it leaves."""

    def __init__(self, root: Path, offices: dict[str, ServiceOffice]) -> None:
        self.root, self.o, self.count = root, offices, 0
        self.uids: dict[str, str] = {}

    def file(self, sender: str, recipient: str) -> Path:
        self.count += 1
        return self.root / "packages" / f"{self.count:03d}-{sender}-{recipient}.sanlian"

    def export(self, sender: str, recipient: str) -> Path:
        office = self.o[sender]
        result = export_package(office.store, office.admin, recipient, self.file(sender, recipient))
        assert result.path is not None
        return result.path

    def carry(self, sender: str, recipient: str) -> None:
        office = self.o[recipient]
        import_package(office.store, office.admin, self.export(sender, recipient), backup=False)

    def declare(self, title: str) -> None:
        office = self.o[COMMUNITY]
        with office.store.session() as s:
            decl = drafts.create(s, office.clerk, example_declaration(title=title))
            drafts.submit(s, office.clerk, decl, office.store.paths)

    def review(self, code: str, decision: Decision, granted: str | None = None) -> None:
        """The office decides everything awaiting it."""
        me = self.o[code]
        with me.store.session() as s:
            waiting = list(s.scalars(select(Declaration).where(Declaration.awaiting_office == code,
                                                               Declaration.status == "under_review")))
            for decl in waiting:
                self.count += 1
                workflow.review(s, me.rev, decl, decision=decision, text=f"{code} 意见 {self.count}",
                                granted=granted)

    def decide(self, step: int) -> Path:
        """The province's work, ending with a package to the city: its approval, a new batch, a public
        notice of the chosen projects and a certificate for another city (step 1); a second notice
        superseding the first, and that certificate revoked (step 2)."""
        me = self.o[PROVINCE]
        if step == 1:
            self.certify_other_city()
        with me.store.session() as s:
            if step == 2:
                custody.revoke_child(s, me.admin, OTHER_CITY, "证书所在电脑遗失")
            if step == 1:
                self.review(PROVINCE, Decision.APPROVE, "30000")
                today = date.today()
                batches.add_batch(s, me.admin, name="2017年试点项目申报", code="2017", opens=today,
                                  closes=today + timedelta(days=30), budget=Decimal("5000000"))
            batch = batches.find_batch(s, "2016")
            notices.issue_notice(s, me.admin, batch, starts=date.today(), ends=date.today() + timedelta(days=7 * step),
                                 title=f"第{step}次公示")
        return self.export(PROVINCE, CITY)

    def certify_other_city(self) -> None:
        other = init_office(self.root / OTHER_CITY, level=Level.CITY, region_code=OTHER_CITY, name="天水市民政局",
                            admin="admin", admin_password=PASSWORD, suite=suite_short())
        request, bundle = self.root / "other.req", self.root / "other.cert"
        try:
            with other.session() as s:
                custody.request_certificate(s, auth.sign_in(s, "admin", PASSWORD), request)
        finally:
            other.close()
        me = self.o[PROVINCE]
        with me.store.session() as s:
            custody.certify_child(s, me.admin, request, bundle)

    def implement(self, step: int) -> Path:
        """The community's records of its approved project, ending with a package to the street: a tender
        and a worker (step 1); the tender corrected and a progress report with a file (step 2); the
        worker taken off and another put on (step 3)."""
        me = self.o[COMMUNITY]
        today = date.today()
        with me.store.session() as s:
            decl = s.scalar(select(Declaration).where(Declaration.status == "approved"))
            assert decl is not None
            if step == 1:
                self.uids["tender"] = implementation.record_tender(
                    s, me.clerk, decl, tendered_on=today, bidders=["甲社工机构", "乙社工机构"], winner="甲社工机构").id
                self.uids["on"] = implementation.add_worker(s, me.clerk, decl, name="王芳",
                                                            certificate_level="社会工作师").id
            elif step == 2:
                implementation.record_tender(s, me.clerk, decl, tendered_on=today, bidders=["甲社工机构", "乙社工机构"],
                                             winner="乙社工机构", supersedes=self.uids["tender"], reason="中标单位填错")
                photo = self.root / "activity.txt"
                photo.write_text("活动签到表", "utf-8")
                implementation.record_progress(s, me.clerk, decl, me.store.paths, period_start=today,
                                               period_end=today, activities="开展助老活动三次", beneficiaries=40,
                                               spent="1200.50", files=[photo])
            else:
                implementation.remove_worker(s, me.clerk, decl, self.uids["on"], reason="调离本社区")
                implementation.add_worker(s, me.clerk, decl, name="赵磊", certificate_level="助理社会工作师")
        return self.export(COMMUNITY, STREET)

    def revise(self) -> None:
        office = self.o[COMMUNITY]
        with office.store.session() as s:
            for decl in s.scalars(select(Declaration).where(Declaration.status == "returned")):
                fields = lookup.current_fields(s, decl)
                fields["title"] = f"{fields['title']}（修订）"
                drafts.edit(s, office.clerk, decl, fields)
                drafts.submit(s, office.clerk, decl, office.store.paths)

    def registries(self, code: str, step: int) -> None:
        """The registry work of one step at the street (the community's organisations, worker and facts)
        or at the county (its own organisation and its area's facts)."""
        me = self.o[code]
        with me.store.session() as s:
            clerk = me.clerk
            if code == STREET:
                if step == 1:
                    for name, number in (("kept", "城关备001"), ("doomed", "城关备002")):
                        self.uids[name] = registry.add_organisation(
                            s, clerk, name=f"东岗{name}服务队", community_code=COMMUNITY, kind="社区服务类",
                            record_number=number).uid
                    self.uids["worker"] = registry.add_worker(s, clerk, name="张敏", community_code=COMMUNITY).uid
                    registry.set_community_facts(s, clerk, COMMUNITY, registered_volunteers=100, has_workroom=False)
                elif step == 2:
                    registry.update_organisation(s, clerk, self.uids["kept"], name="东岗夕阳红志愿服务队",
                                                 kind="公益慈善类")
                    registry.update_worker(s, clerk, self.uids["worker"], certificate_level="助理社会工作师",
                                           certificate_number="2016001")
                    registry.set_community_facts(s, clerk, COMMUNITY, registered_volunteers=180)
                elif step == 3:
                    registry.delete_organisation(s, clerk, self.uids["doomed"])
                    registry.update_worker(s, clerk, self.uids["worker"], certificate_level="社会工作师")
                    registry.set_community_facts(s, clerk, COMMUNITY, has_workroom=True, election="direct")
                else:
                    registry.update_organisation(s, clerk, self.uids["kept"], name="东岗银龄志愿服务队",
                                                 kind="社区服务类")
                    registry.set_community_facts(s, clerk, COMMUNITY, registered_volunteers=250)
                    registry.delete_worker(s, clerk, self.uids["worker"])
            elif step == 1:
                self.uids["county"] = registry.add_organisation(
                    s, clerk, name="城关社工服务中心", community_code=COMMUNITY, kind="专业社工机构",
                    record_number="城关备100").uid
                registry.set_area_facts(s, clerk, COUNTY, has_association=True)
            elif step == 2:
                registry.set_area_facts(s, clerk, COUNTY, has_association=False)
            elif step == 3:
                registry.update_organisation(s, clerk, self.uids["county"], name="城关区社工服务中心")
                registry.set_area_facts(s, clerk, COUNTY, pilot=False)
            else:
                registry.delete_organisation(s, clerk, self.uids["county"])
                registry.set_area_facts(s, clerk, COUNTY, pilot=True, has_association=True)

    def add_evaluator(self) -> ServiceOffice:
        """An evaluator office certified by the province (its own home, beside the chain)."""
        store = init_office(self.root / EVALUATOR, level=Level.EVALUATOR, region_code=EVALUATOR,
                            name="甘肃省社会工作评估中心", admin="admin", admin_password=PASSWORD,
                            suite=suite_short())  # the chain's suite (tests/suites.py)
        request, bundle = self.root / "evaluator.req", self.root / "evaluator.cert"
        with store.session() as s:
            admin = auth.sign_in(s, "admin", PASSWORD)
            custody.request_certificate(s, admin, request)
        with self.o[PROVINCE].store.session() as s:
            custody.certify_child(s, self.o[PROVINCE].admin, request, bundle)
        with store.session() as s:
            custody.install_certificate(s, admin, bundle)
        self.o[EVALUATOR] = ServiceOffice(EVALUATOR, store, admin, admin, admin)
        return self.o[EVALUATOR]

    def approved(self, s: Any) -> Declaration:
        decl = s.scalar(select(Declaration).where(Declaration.status == "approved"))
        assert decl is not None
        return decl

    def assignments(self, step: int) -> Path:
        """The province assigns the approved project to the evaluator (step 1), withdraws the assignment
        (step 2) and assigns the project again (step 3); a package to the evaluator after each."""
        me = self.o[PROVINCE]
        with me.store.session() as s:
            decl = self.approved(s)
            if step == 2:
                evaluation.withdraw(s, me.rev, decl, reason="指派有误，重新指派")
            else:
                evaluation.assign(s, me.rev, decl, EVALUATOR, note=f"第{step}次指派")
        return self.export(PROVINCE, EVALUATOR)

    def evaluate(self, step: int) -> Path:
        """The evaluator's work on the assigned project: a follow-up visit (steps 1 and 2), the effect
        evaluation with its report (step 3); a package to the province after each."""
        me = self.o[EVALUATOR]
        with me.store.session() as s:
            decl = self.approved(s)
            if step < 3:
                evaluation.record_visit(s, me.admin, decl, visited_on=date.today(), who=f"回访员{step}",
                                        findings=f"第{step}次回访：活动按计划开展")
            else:
                report = self.root / "评估报告.pdf"
                report.write_bytes(PDF)
                evaluation.record_evaluation(s, me.admin, me.store.paths, decl,
                                             points=evaluation.parse_points(POINTS), report=report)
        return self.export(EVALUATOR, PROVINCE)

    def up(self, step: int) -> Path:
        """One day's work below the city, ending with a package from the county to the city."""
        if step in (1, 2):
            self.declare(f"试点项目第{step}号")
        if step == 3:
            self.revise()
        self.carry(COMMUNITY, STREET)
        self.registries(STREET, step)
        self.review(STREET, Decision.RETURN if step == 2 else Decision.APPROVE)
        if step == 2:
            self.carry(STREET, COMMUNITY)
        self.carry(STREET, COUNTY)
        self.registries(COUNTY, step)
        if step == 3:
            self.mark_checked(COUNTY)
        self.review(COUNTY, Decision.APPROVE)
        return self.export(COUNTY, CITY)

    def mark_checked(self, code: str) -> None:
        """The office's reviewer marks its two declarations (the same example's texts: a similar pair) as
        checked and no copy; the mark is signed at the next export and travels up."""
        me = self.o[code]
        screening.refresh_store(me.store)  # as the program screens what an import brought
        with me.store.session() as s:
            first, second = s.scalars(select(Declaration).order_by(Declaration.number)).all()
            screening.clear(s, me.rev, first, second, "两个项目由同一社工机构承接，文本相近属正常")


def _snapshot(office: ServiceOffice, where: Path) -> Path:
    """A copy of an office's home as it is now (its store closed and opened again around the copy)."""
    office.store.close()
    shutil.copytree(office.store.paths.home, where)
    office.store = Store.open(office.store.paths.home)
    return where


@pytest.fixture(scope="module")
def series(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Series]]:
    root = tmp_path_factory.mktemp("delivery-order")
    (root / "packages").mkdir()
    offices = open_chain(template, root / "chain")
    try:
        work = _Scenario(root, offices)
        city_before = _snapshot(offices[CITY], root / "city-before")
        up = [work.up(step) for step in range(1, 5)]
        county_before = _snapshot(offices[COUNTY], root / "county-before")
        city = offices[CITY]
        down = []
        for n, path in enumerate(up):
            import_package(city.store, city.admin, path, backup=False)
            if n in (1, 3):  # the city decides twice: approves the first project, returns the second
                work.review(CITY, Decision.APPROVE if n == 1 else Decision.RETURN)
                down.append(work.export(CITY, COUNTY))
        work.carry(CITY, PROVINCE)
        city_then = _snapshot(city, root / "city-then")
        decided = []
        for step in (1, 2):
            decided.append(work.decide(step))
            import_package(city.store, city.admin, decided[-1], backup=False)
        for sender, recipient in itertools.pairwise(CODES[1:]):  # the approval reaches the community
            work.carry(sender, recipient)
        street_before = _snapshot(offices[STREET], root / "street-before")
        implemented = [work.implement(step) for step in (1, 2, 3)]
        evaluator = work.add_evaluator()
        evaluator_before = _snapshot(evaluator, root / "evaluator-before")
        assigned = [work.assignments(step) for step in (1, 2, 3)]
        for path in assigned:
            import_package(evaluator.store, evaluator.admin, path, backup=False)
        province_before = _snapshot(offices[PROVINCE], root / "province-before")
        evaluated = [work.evaluate(step) for step in (1, 2, 3)]
        made = {"up": Series(CITY, city_before, up, {}), "down": Series(COUNTY, county_before, down, {}),
                "decisions": Series(CITY, city_then, decided, {}),
                "implementation": Series(STREET, street_before, implemented, {}),
                "assignments": Series(EVALUATOR, evaluator_before, assigned, {}),
                "evaluations": Series(PROVINCE, province_before, evaluated, {})}
        for one in made.values():
            one.in_order = _import(one.base, one.receiver, one.packages)
        yield made
    finally:
        for office in offices.values():
            office.store.close()


def test_the_series_carry_every_registry_change_and_the_declarations(series: dict[str, Series]) -> None:
    """The packages hold what the property is about: without it, the property would prove little."""
    up = series["up"].in_order
    names = {row["name"] for row in up["community_organisation"]}
    assert {"东岗银龄志愿服务队", "东岗doomed服务队", "城关区社工服务中心"} <= names
    assert len(up["declaration"]) == 2 and len(up["declaration_version"]) == 3 and len(up["opinion"]) >= 5
    assert len(up["community_facts"]) == 1 and len(up["area_facts"]) == 1
    assert len(up["similarity_mark"]) == 1 and up["similarity_mark"][0]["signature"]
    assert len(series["up"].packages) == 4 and len(series["down"].packages) == 2
    decided = series["decisions"].in_order
    assert len(decided["public_notice"]) == 2 and len(decided["batch"]) == 2
    assert any(row["granted_fen"] == 3000000 for row in decided["opinion"])
    assert len(decided["revocation"]) == 1
    done = series["implementation"].in_order
    assert len(done["project_tender"]) == 2 and len(done["project_worker"]) == 3
    assert len(done["project_progress"]) == 1 and len(done["attachment"]) >= 1
    down = series["down"].in_order
    assert {row["id"] for row in down["opinion"]} > {row["id"] for row in up["opinion"]}
    assigned = series["assignments"].in_order
    assert len(assigned["evaluation_assignment"]) == 1 and len(assigned["evaluation_withdrawal"]) == 1
    assert assigned["evaluation_assignment"][0]["note"] == "第3次指派"
    evaluated = series["evaluations"].in_order
    assert len(evaluated["followup_visit"]) == 2 and len(evaluated["effect_evaluation"]) == 1
    # Delivered newest first, the receiver ends as delivered in order.
    for one in series.values():
        assert differences(_import(one.base, one.receiver, one.packages[::-1]), one.in_order) == {}


@st.composite
def deliveries(draw: st.DrawFn, count: int) -> list[int]:
    """Every package delivered at least once: in any order, one or more held back and delivered after
    all the others, some delivered twice."""
    order = draw(st.permutations(range(count)))
    late = draw(st.lists(st.sampled_from(range(count)), unique=True, max_size=2))
    order = [n for n in order if n not in late] + late
    for n, where in draw(st.lists(st.tuples(st.sampled_from(range(count)), st.integers(0, count)), max_size=3)):
        order.insert(where, n)
    return order


@pytest.mark.parametrize("name", ["up", "down", "decisions", "implementation", "assignments", "evaluations"])
@settings(max_examples=examples(6), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_delivery_order_ends_with_the_in_order_store(series: dict[str, Series], name: str,
                                                          data: st.DataObject) -> None:
    one = series[name]
    order = data.draw(deliveries(len(one.packages)), label="order")
    got = _import(one.base, one.receiver, [one.packages[n] for n in order])
    assert differences(got, one.in_order) == {}, order

