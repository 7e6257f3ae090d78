"""A state machine over the five offices and an unreliable courier between neighbours.

Communities create, submit and revise declarations; each level's reviewer decides what awaits it;
offices export packages to a neighbour and the courier carries them: delivering in any order (an
older file after a newer one), dropping, delivering twice, truncating or corrupting them. After every
step: a damaged file is refused and changes nothing, a second import changes nothing, and no two
offices both hold a declaration as theirs to act on. At the end, after clean exchanges until nothing
is pending, every office agrees on every declaration it holds and every opinion written anywhere is
at the province and at the community.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from sanlian_desktop.declarations import drafts, lookup, workflow
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Decision, Status
from sanlian_desktop.models import Declaration, Opinion, SyncConflict
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import ImportResult, import_package
from tests.helpers import example_declaration
from tests.sync.helpers_service import (
    CODES,
    COMMUNITY,
    PROVINCE,
    ServiceOffice,
    fingerprint,
    open_chain,
)

MAX_DECLARATIONS = 5
EDGES = [*itertools.pairwise(CODES), *itertools.pairwise(reversed(CODES))]


@dataclass
class Parcel:
    """A package file in the courier's bag."""

    sender: str
    recipient: str
    path: Path


class Courier(RuleBasedStateMachine):
    """Five offices, one bag of files, and a courier who makes every mistake a person can."""

    template: Path

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="sanlian-machine-"))
        self.offices: dict[str, ServiceOffice] = open_chain(self.template, self.dir)
        self.bag: list[Parcel] = []
        self.delivered: list[Parcel] = []
        self.count = 0
        self.created = 0

    def teardown(self) -> None:
        for office in self.offices.values():
            office.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------------------

    def _file(self, sender: str, recipient: str) -> Path:
        self.count += 1
        return self.dir / f"{self.count:04d}-{sender}-{recipient}.sanlian"

    def _export(self, sender: str, recipient: str, *, allow_empty: bool = True) -> Parcel | None:
        office = self.offices[sender]
        result = export_package(office.store, office.admin, recipient, self._file(sender, recipient),
                                        allow_empty=allow_empty)
        return None if result.path is None else Parcel(sender, recipient, result.path)

    def _import(self, parcel: Parcel) -> ImportResult:
        office = self.offices[parcel.recipient]
        # Hundreds of imports: the before-import backup is tested on its own (test_sync_stream.py).
        return import_package(office.store, office.admin, parcel.path, backup=False)

    def _awaiting(self, code: str, *statuses: Status) -> list[str]:
        with self.offices[code].store.read_session() as s:
            query = select(Declaration.id).where(Declaration.status.in_([x.value for x in statuses]),
                                                 Declaration.awaiting_office == code).order_by(Declaration.number)
            return list(s.scalars(query))

    # -- the offices' work --------------------------------------------------------------------------

    @initialize(count=st.integers(1, 3))
    def first_declarations(self, count: int) -> None:
        """Declarations to work on from the start (random runs rarely build them up step by step)."""
        for _ in range(count):
            self.create_and_submit()

    @precondition(lambda self: self.created < MAX_DECLARATIONS)
    @rule()
    def create_and_submit(self) -> None:
        office = self.offices[COMMUNITY]
        self.created += 1
        with office.store.session() as s:
            decl = drafts.create(s, office.clerk, example_declaration(title=f"试点项目第{self.created}号"))
            drafts.submit(s, office.clerk, decl, office.store.paths)

    @rule(office=st.sampled_from(CODES[:-1]), decisions=st.lists(st.sampled_from(
        [Decision.APPROVE, Decision.APPROVE, Decision.RETURN, Decision.REJECT]), min_size=1, max_size=3),
          granted=st.sampled_from([None, "30000", "45000.50"]))
    def review(self, office: str, decisions: list[Decision], granted: str | None) -> None:
        """The office's reviewer decides everything awaiting it (the drawn decisions in turn)."""
        me = self.offices[office]
        for decl_id, decision in zip(self._awaiting(office, Status.UNDER_REVIEW), itertools.cycle(decisions),
                                     strict=False):
            with me.store.session() as s:
                decl = s.get(Declaration, decl_id)
                assert decl is not None
                amount = granted if office == PROVINCE and decision is Decision.APPROVE else None
                self.count += 1
                workflow.review(s, me.rev, decl, decision=decision, text=f"{office} 意见 {self.count}",
                                granted=amount)

    @rule(decisions=st.lists(st.sampled_from([Decision.APPROVE, Decision.APPROVE, Decision.APPROVE, Decision.RETURN,
                                               Decision.REJECT]), min_size=1, max_size=4))
    def workday(self, decisions: list[Decision]) -> None:
        """Packages carried up the chain, each office deciding what awaits it before passing it on, then
        carried down, and the community revises what came back."""
        for sender, office in itertools.pairwise(reversed(CODES)):
            self._carry(sender, office)
            self.review(office, decisions, "30000")
        self.sweep(upward=False)
        self.revise_and_resubmit()

    @rule()
    def revise_and_resubmit(self) -> None:
        """The community revises every returned declaration and submits it again."""
        office = self.offices[COMMUNITY]
        for decl_id in self._awaiting(COMMUNITY, Status.RETURNED):
            with office.store.session() as s:
                decl = s.get(Declaration, decl_id)
                assert decl is not None
                fields = lookup.current_fields(s, decl)
                self.count += 1
                fields["title"] = f"{fields['title']}（修订{self.count}）"
                drafts.edit(s, office.clerk, decl, fields)
                drafts.submit(s, office.clerk, decl, office.store.paths)

    @rule(edge=st.sampled_from(EDGES))
    def export(self, edge: tuple[str, str]) -> None:
        parcel = self._export(*edge)
        assert parcel is not None
        self.bag.append(parcel)

    @rule(upward=st.booleans())
    def sweep(self, upward: bool) -> None:
        """A careful courier carries one package along every link, up or down the chain in turn."""
        codes = list(reversed(CODES)) if upward else CODES
        for sender, recipient in itertools.pairwise(codes):
            self._carry(sender, recipient)

    def _carry(self, sender: str, recipient: str) -> None:
        parcel = self._export(sender, recipient)
        assert parcel is not None
        self._import(parcel)
        self.delivered.append(parcel)

    # -- the courier --------------------------------------------------------------------------------

    @precondition(lambda self: self.bag)
    @rule(pick=st.integers(0, 100))
    def deliver(self, pick: int) -> None:
        """Any file in the bag, not only the oldest: files arrive out of order."""
        parcel = self.bag.pop(pick % len(self.bag))
        result = self._import(parcel)
        assert not result.already_imported
        self.delivered.append(parcel)

    @precondition(lambda self: self.bag)
    @rule(pick=st.integers(0, 100))
    def drop(self, pick: int) -> None:
        self.bag.pop(pick % len(self.bag))

    @precondition(lambda self: self.delivered)
    @rule(pick=st.integers(0, 100))
    def deliver_again(self, pick: int) -> None:
        parcel = self.delivered[pick % len(self.delivered)]
        store = self.offices[parcel.recipient].store
        before = fingerprint(store)
        assert self._import(parcel).already_imported
        assert fingerprint(store) == before

    @precondition(lambda self: self.bag)
    @rule(pick=st.integers(0, 100), where=st.integers(0, 10**9), flip=st.integers(1, 255),
          truncate=st.booleans())
    def damage(self, pick: int, where: int, flip: int, truncate: bool) -> None:
        """A damaged copy is refused and changes nothing; the good file stays in the bag."""
        parcel = self.bag[pick % len(self.bag)]
        data = parcel.path.read_bytes()
        pos = where % len(data)
        bad = data[:pos] if truncate else data[:pos] + bytes([data[pos] ^ flip]) + data[pos + 1:]
        copy = self.dir / f"damaged-{parcel.path.name}"
        copy.write_bytes(bad)
        store = self.offices[parcel.recipient].store
        before = fingerprint(store)
        with pytest.raises(UserError):
            self._import(Parcel(parcel.sender, parcel.recipient, copy))
        assert fingerprint(store) == before
        copy.unlink()

    # -- invariants ---------------------------------------------------------------------------------

    @invariant()
    def one_owner_per_declaration(self) -> None:
        """At most one office holds a declaration as its own to act on."""
        owners: dict[str, list[str]] = {}
        for code, office in self.offices.items():
            with office.store.read_session() as s:
                for decl_id, status, awaiting in s.execute(select(
                        Declaration.id, Declaration.status, Declaration.awaiting_office)):
                    actionable = (status == Status.UNDER_REVIEW and awaiting == code) or (
                        status in (Status.DRAFT, Status.RETURNED) and code == COMMUNITY)
                    if actionable:
                        owners.setdefault(decl_id, []).append(code)
        assert all(len(v) == 1 for v in owners.values()), owners

    @invariant()
    def no_conflicts(self) -> None:
        """Honest offices and a clumsy courier never produce a conflict."""
        for office in self.offices.values():
            with office.store.read_session() as s:
                assert s.scalar(select(SyncConflict.id).limit(1)) is None

    # -- the end: deliver everything cleanly and compare --------------------------------------------

    def flush(self) -> None:
        """Clean exchanges up and down the chain until no office has anything left to send."""
        for _ in range(12):
            sent = 0
            for edge in EDGES:
                parcel = self._export(*edge, allow_empty=False)
                if parcel is not None:
                    sent += 1
                    self._import(parcel)
            if sent == 0:
                return
        raise AssertionError("the offices kept sending packages after twelve clean rounds")

    def check_converged(self) -> None:
        self.flush()
        for parcel in self.delivered[-8:]:
            store = self.offices[parcel.recipient].store
            before = fingerprint(store)
            assert self._import(parcel).already_imported
            assert fingerprint(store) == before
        views: dict[str, dict[str, tuple[object, ...]]] = {}
        opinions: dict[str, set[str]] = {}
        for code, office in self.offices.items():
            with office.store.read_session() as s:
                views[code] = {
                    d.id: (d.status, d.current_version, d.awaiting_office, d.granted_fen,
                           tuple(sorted((o.id, o.version, o.level, o.decision) for o in s.scalars(
                               select(Opinion).where(Opinion.declaration_id == d.id)))))
                    for d in s.scalars(select(Declaration).where(Declaration.submitted_at.is_not(None)))
                }
                opinions[code] = set(s.scalars(select(Opinion.id)))
        everything = set().union(*opinions.values())
        assert opinions[PROVINCE] == everything
        assert opinions[COMMUNITY] == everything
        reference = views[COMMUNITY]
        for status in sorted({str(v[0]) for v in reference.values()}):
            event(f"a declaration ends {status}")
        for code, view in views.items():
            assert view.keys() == reference.keys(), code
            for decl_id, seen in view.items():
                assert seen == reference[decl_id], (code, decl_id)


def test_courier_state_machine(template: Path) -> None:
    Courier.template = template

    class Checked(Courier):
        def teardown(self) -> None:
            try:
                self.check_converged()
                self.one_owner_per_declaration()
                self.no_conflicts()
            finally:
                super().teardown()

    run_state_machine_as_test(Checked, settings=settings(
        max_examples=15, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
