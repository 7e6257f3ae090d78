"""Several people of one office on one store at once (a PostgreSQL server; SQLite must hold too): numbers
are never given twice, the audit log stays one chain, and of two reviewers deciding the same declaration
the second is told who decided first and nothing of theirs is written."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from sanlian_desktop.declarations import drafts, lookup, workflow
from sanlian_desktop.kernel.vocab import Decision, Level, Role
from sanlian_desktop.models import AuditEntry, Batch, Declaration, Meta, Opinion
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store import audit
from tests.helpers import Office, example_declaration

pytestmark = pytest.mark.engines

COMMUNITY = "620102001001"
STREET = "620102001"


def _actor(code: str, level: Level, role: Role, username: str, name: str) -> Actor:
    return Actor(username=username, display_name=name, role=role, office_code=code, office_level=level,
                 office_name=f"office {code}")


def _together(count: int, work: Callable[[int, threading.Barrier], Any]) -> list[Any]:
    """Run ``work(i, barrier)`` in ``count`` threads at once; each result, or the exception it raised."""
    barrier = threading.Barrier(count, timeout=30)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            results[i] = work(i, barrier)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    return results


def test_numbers_are_never_given_twice(county: Office, engine: str) -> None:
    clerk = _actor(COMMUNITY, Level.COMMUNITY, Role.CLERK, "clerk-1", "王经办")

    def create(i: int, barrier: threading.Barrier) -> str:
        data = example_declaration(title=f"并发录入的项目{i}")
        with county.session() as s:
            barrier.wait()
            return drafts.create(s, clerk, data).number

    numbers = _together(6, create)
    assert all(isinstance(n, str) for n in numbers), numbers
    assert sorted(numbers) == [f"2016-{COMMUNITY}-{i:04d}" for i in range(1, 7)]
    with county.session() as s:
        report = audit.verify(s)
        assert report.ok, report.problems
        assert s.scalar(select(func.count()).select_from(Declaration)) == 6


def test_audit_log_stays_one_chain(county: Office, engine: str) -> None:
    def write(i: int, barrier: threading.Barrier) -> None:
        barrier.wait()
        for n in range(10):
            with county.session() as s:
                audit.record(s, office="620102", user=f"user{i}", action="test.write", entity="test",
                             entity_id=f"{i}-{n}")

    assert _together(4, write) == [None] * 4
    with county.session() as s:
        report = audit.verify(s)
        assert report.ok, report.problems
        seqs = list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
    assert seqs == list(range(1, len(seqs) + 1))
    assert report.entries >= 40


def test_a_chain_begun_by_writers_at_once_is_one_chain(county: Office, engine: str) -> None:
    """A store without a head row yet (no entry so far): the first writers take the chain's lock, the
    later ones the head row's, and the log is still one chain."""
    with county.session() as s:
        s.execute(delete(AuditEntry))
        s.execute(delete(Meta).where(Meta.key == audit.HEAD_KEY))

    def write(i: int, barrier: threading.Barrier) -> None:
        barrier.wait()
        for n in range(5):
            with county.session() as s:
                for k in range(2):  # two entries in one transaction
                    audit.record(s, office="620102", user=f"user{i}", action="test.write", entity="test",
                                 entity_id=f"{i}-{n}-{k}")

    assert _together(6, write) == [None] * 6
    with county.session() as s:
        report = audit.verify(s)
        assert report.ok, report.problems
        seqs = list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
        head = s.get(Meta, audit.HEAD_KEY)
    assert seqs == list(range(1, 61))
    assert head is not None and head.value.startswith("60:")


def test_second_reviewer_is_told_who_decided_first(county: Office, engine: str) -> None:
    clerk = _actor(COMMUNITY, Level.COMMUNITY, Role.CLERK, "clerk-1", "王经办")
    with county.session() as s:
        decl = drafts.create(s, clerk, example_declaration())
        drafts.submit(s, clerk, decl, county.store.paths)
        decl_id = decl.id
    reviewers = [_actor(STREET, Level.STREET, Role.REVIEWER, "street-a", "张审核"),
                 _actor(STREET, Level.STREET, Role.REVIEWER, "street-b", "赵审核")]
    decisions = [Decision.APPROVE, Decision.RETURN]

    def decide(i: int, barrier: threading.Barrier) -> str:
        with county.session() as s:
            d = lookup.get(s, decl_id)
            assert d.awaiting_office == STREET  # both looked at it while it awaited their office
            barrier.wait()
            workflow.review(s, reviewers[i], d, decision=decisions[i], text=f"意见{i}")
            return reviewers[i].username

    results = _together(2, decide)
    winners = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, workflow.AlreadyDecided)]
    assert len(winners) == 1 and len(refused) == 1, results
    first = refused[0].by
    assert first is not None and first.reviewer == winners[0]
    winner_name = {"street-a": "张审核", "street-b": "赵审核"}[winners[0]]
    assert winner_name in refused[0].zh and "您的决定未保存" in refused[0].zh
    with county.session() as s:
        opinions = list(s.scalars(select(Opinion).where(Opinion.declaration_id == decl_id)))
        assert [o.reviewer for o in opinions] == winners
        report = audit.verify(s)
        assert report.ok, report.problems


def test_second_clerk_saving_the_same_draft_is_refused(county: Office, engine: str) -> None:
    clerks = [_actor(COMMUNITY, Level.COMMUNITY, Role.CLERK, "clerk-a", "王经办"),
              _actor(COMMUNITY, Level.COMMUNITY, Role.CLERK, "clerk-b", "刘经办")]
    with county.session() as s:
        decl = drafts.create(s, clerks[0], example_declaration())
        decl_id, opened_at = decl.id, decl.updated_at  # both clerks opened this version of the draft

    def save(i: int, barrier: threading.Barrier) -> str:
        data = example_declaration(title=f"第{i}位经办人改过的项目")
        with county.session() as s:
            d = lookup.get(s, decl_id)
            barrier.wait()
            drafts.edit(s, clerks[i], d, data, based_on=opened_at)
            return clerks[i].username

    results = _together(2, save)
    winners = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, drafts.EditedMeanwhile)]
    assert len(winners) == 1 and len(refused) == 1, results
    assert f"由 {winners[0]} " in refused[0].zh and "您的修改未保存" in refused[0].zh
    with county.session() as s:
        d = lookup.get(s, decl_id)
        assert d.title == f"第{[c.username for c in clerks].index(winners[0])}位经办人改过的项目"
        # Saving again from what the winner's save left is accepted.
        drafts.edit(s, clerks[0], d, example_declaration(title="再次修改"), based_on=d.updated_at)
        assert audit.verify(s).ok


def _at_province(county: Office, title: str) -> str:
    clerk = _actor(COMMUNITY, Level.COMMUNITY, Role.CLERK, "clerk-1", "王经办")
    with county.session() as s:
        d = drafts.create(s, clerk, example_declaration(title=title))
        drafts.submit(s, clerk, d, county.store.paths)
        for level, code in ((Level.STREET, STREET), (Level.COUNTY, "620102"), (Level.CITY, "620100")):
            workflow.review(s, _actor(code, level, Role.REVIEWER, f"rev-{code}", "审核"), d,
                            decision=Decision.APPROVE, text="同意")
        return d.id


def test_two_approvals_at_once_do_not_pass_the_batch_quota(county: Office, engine: str) -> None:
    with county.session() as s:
        batch = s.scalars(select(Batch)).one()
        batch.quota_projects = 1
    ids = [_at_province(county, f"省级审批的项目{i}") for i in range(2)]
    province = [_actor("620000", Level.PROVINCE, Role.REVIEWER, f"prov-{i}", f"省审核{i}") for i in range(2)]

    def approve(i: int, barrier: threading.Barrier) -> str:
        with county.session() as s:
            d = lookup.get(s, ids[i])
            barrier.wait()
            workflow.review(s, province[i], d, decision=Decision.APPROVE, text="同意立项")
            return d.status

    results = _together(2, approve)
    assert sorted(map(type, results), key=str) == sorted([str, workflow.LimitExceeded], key=str), results
    with county.session() as s:
        assert s.scalar(select(func.count()).select_from(Declaration).where(Declaration.status == "approved")) == 1


def test_second_clerk_submitting_the_same_draft_is_refused(county: Office, engine: str) -> None:
    clerk = _actor(COMMUNITY, Level.COMMUNITY, Role.CLERK, "clerk-1", "王经办")
    with county.session() as s:
        decl_id = drafts.create(s, clerk, example_declaration()).id

    def submit(_i: int, barrier: threading.Barrier) -> str:
        with county.session() as s:
            d = lookup.get(s, decl_id)
            barrier.wait()
            drafts.submit(s, clerk, d, county.store.paths)
            return d.status

    results = _together(2, submit)
    refused = [r for r in results if isinstance(r, Exception)]
    assert results.count("under_review") == 1 and len(refused) == 1, results
    assert "不能提交" in str(refused[0])
    with county.session() as s:
        assert s.scalar(select(func.count()).select_from(Opinion).where(Opinion.declaration_id == decl_id)) == 0
        assert audit.verify(s).ok
