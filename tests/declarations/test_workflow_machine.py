"""A Hypothesis state machine: any sequence of actions by any office and role keeps the workflow sound."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from sanlian_desktop.declarations import drafts, lookup, workflow
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Decision, Level, Role, Status
from tests.declarations.test_workflow import OFFICES, actor
from tests.helpers import example_declaration, make_office

CHAIN = [Level.STREET, Level.COUNTY, Level.CITY, Level.PROVINCE]
levels = st.sampled_from(list(OFFICES))
roles = st.sampled_from(list(Role))


class WorkflowMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp())
        self.office = make_office(self.tmp / "h", "county", "620102", "城关区民政局")
        self.ids: list[str] = []
        # The model: where each declaration should be.
        self.model: dict[str, tuple[str, Level | None, int]] = {}
        self.titles = 0
        # Returned declarations revised since their return (only those may be resubmitted).
        self.revised: set[str] = set()

    def teardown(self) -> None:
        self.office.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _act(self, fn: object) -> bool:
        try:
            with self.office.session() as s:
                fn(s)  # type: ignore[operator]
            return True
        except UserError:
            return False

    @rule(level=levels, role=roles)
    def create(self, level: Level, role: Role) -> None:
        self.titles += 1
        who = actor(OFFICES[level], level, role)
        created: list[str] = []
        ok = self._act(lambda s: created.append(
            drafts.create(s, who, example_declaration(title=f"项目{self.titles}")).id))
        allowed = role is Role.CLERK and level in (Level.COMMUNITY, Level.STREET, Level.COUNTY)
        assert ok == allowed
        if ok:
            self.ids.append(created[0])
            self.model[created[0]] = ("draft", None, 1)

    @rule(data=st.data(), role=roles)
    def submit(self, data: st.DataObject, role: Role) -> None:
        if not self.ids:
            return
        decl_id = data.draw(st.sampled_from(self.ids))
        with self.office.session() as s:
            owner = lookup.get(s, decl_id).entered_by_office
        level = next(lv for lv, code in OFFICES.items() if code == owner)
        who = actor(owner, level, role)
        paper = {Level.STREET: drafts.PaperOpinion("同意", __import__("datetime").date.today())}
        ok = self._act(lambda s: drafts.submit(s, who, lookup.get(s, decl_id), self.office.store.paths,
                                                     paper_opinions=paper))
        status, _, version = self.model[decl_id]
        allowed = role is Role.CLERK and (status == "draft" or (status == "returned" and decl_id in self.revised))
        assert ok == allowed, (status, role)
        if ok:
            first = Level.COUNTY if level is Level.COUNTY else Level.STREET
            self.model[decl_id] = ("under_review", first, version)

    @rule(data=st.data(), level=levels, role=roles, decision=st.sampled_from(list(Decision)))
    def review(self, data: st.DataObject, level: Level, role: Role, decision: Decision) -> None:
        if not self.ids:
            return
        decl_id = data.draw(st.sampled_from(self.ids))
        who = actor(OFFICES[level], level, role)
        ok = self._act(lambda s: workflow.review(s, who, lookup.get(s, decl_id), decision=decision, text="意见"))
        status, awaiting, version = self.model[decl_id]
        allowed = role is Role.REVIEWER and status == "under_review" and awaiting is level
        assert ok == allowed, (status, awaiting, level, role)
        if not ok:
            return
        if decision is Decision.APPROVE:
            nxt = CHAIN.index(level) + 1
            self.model[decl_id] = ("approved", None, version) if nxt == len(CHAIN) else (
                "under_review", CHAIN[nxt], version)
        elif decision is Decision.REJECT:
            self.model[decl_id] = ("rejected", None, version)
        else:
            self.model[decl_id] = ("returned", Level.COMMUNITY, version)
            self.revised.discard(decl_id)

    @rule(data=st.data())
    def revise(self, data: st.DataObject) -> None:
        if not self.ids:
            return
        decl_id = data.draw(st.sampled_from(self.ids))
        with self.office.session() as s:
            owner = lookup.get(s, decl_id).entered_by_office
        level = next(lv for lv, code in OFFICES.items() if code == owner)
        who = actor(owner, level, Role.CLERK)
        self.titles += 1
        ok = self._act(lambda s: drafts.edit(s, who, lookup.get(s, decl_id),
                                                   example_declaration(title=f"修订{self.titles}")))
        status, awaiting, version = self.model[decl_id]
        assert ok == (status in ("draft", "returned"))
        if ok and status == "returned":
            # The first edit after a return opens a new version; later edits change it in place.
            with self.office.session() as s:
                version = lookup.get(s, decl_id).current_version
            self.model[decl_id] = (status, awaiting, version)
            self.revised.add(decl_id)

    @invariant()
    def store_matches_model(self) -> None:
        with self.office.session() as s:
            for decl_id, (status, awaiting, version) in self.model.items():
                d = lookup.get(s, decl_id)
                assert d.status == status
                assert d.current_version == version
                if status == "under_review":
                    assert awaiting is not None and d.awaiting_level == awaiting.value
                    assert d.awaiting_office == OFFICES[awaiting]
                if status in (Status.APPROVED, Status.REJECTED, Status.DRAFT):
                    assert d.awaiting_office is None
                # Replaying versions and opinions (what a receiving office does) gives the same state.
                derived = workflow.derive_state(
                    d, [(v.version, v.submitted_at) for v in d.versions if v.frozen and v.submitted_at],
                    list(d.opinions))
                assert (derived.status.value, derived.awaiting_level, derived.awaiting_office) == (
                    d.status, d.awaiting_level, d.awaiting_office)
                assert derived.granted_fen == d.granted_fen
                # Opinions only ever judge versions that exist and were submitted.
                for o in d.opinions:
                    assert 1 <= o.version <= d.current_version


TestWorkflowMachine = WorkflowMachine.TestCase
TestWorkflowMachine.settings = settings(max_examples=25, stateful_step_count=25, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
