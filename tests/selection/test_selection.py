"""The selection view, the meters and their limits, shortlisting, approval and the public notice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from sanlian_desktop.declarations import lookup, workflow
from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.kernel.vocab import Decision, Status
from sanlian_desktop.models import AuditEntry, Batch, PublicNotice
from sanlian_desktop.selection import limits, notices, scoring, shortlist
from sanlian_desktop.selection.limits import LimitExceeded
from sanlian_desktop.store import audit
from tests.helpers import Office
from tests.selection.helpers import awaiting, province_office

FULL = "需求分析=18,项目设计=22,社工参与=17,预算合理性=12,预期成效=16"


@pytest.fixture
def province(tmp_path: Path) -> Iterator[Office]:
    office = province_office(tmp_path / "province")
    yield office
    office.store.close()


def _batch(s: object) -> Batch:
    return s.scalars(select(Batch)).one()  # type: ignore[attr-defined, no-any-return]


def _meters(office: Office) -> dict[str, tuple[int, int | None, str]]:
    with office.session() as s:
        return {m.key: (m.used, m.limit, m.state) for m in limits.meters(s, _batch(s))}


def test_meters_count_approved_and_shortlisted_and_warn_before_the_limit(province: Office) -> None:
    a = awaiting(province, "620102001001", title="项目甲", requested="60000")
    b = awaiting(province, "620102001001", title="项目乙", requested="40000")
    awaiting(province, "620402001001", title="项目丙", requested="30000")
    assert _meters(province) == {"projects": (0, 3, "ok"), "communities": (0, 2, "ok"),
                                 "budget": (0, 150_000_00, "ok")}
    with province.session() as s:
        shortlist.shortlist(s, province.reviewer, lookup.get(s, a), planned="55000")
        shortlist.approve(s, province.reviewer, lookup.get(s, b))
    # One community twice: two projects, one community; 55,000 planned + 40,000 granted.
    assert _meters(province) == {"projects": (2, 3, "ok"), "communities": (1, 2, "ok"),
                                 "budget": (95_000_00, 150_000_00, "ok")}
    with province.session() as s:
        decl = lookup.get(s, b)
        assert (decl.status, decl.granted_fen) == (Status.APPROVED, 40_000_00)
        # Approving the shortlisted one grants the planned amount; it is counted once.
        shortlist.approve(s, province.reviewer, lookup.get(s, a))
        assert lookup.get(s, a).granted_fen == 55_000_00
    assert _meters(province)["projects"] == (2, 3, "ok")
    with province.session() as s:
        ms = limits.meters_if_chosen(s, _batch(s), lookup.get(s, a), 55_000_00)
        assert ms[0].used == 2  # already chosen: not counted twice


def test_states_near_full_over() -> None:
    m = limits.Meter("projects", "入选项目", 179, 200)
    assert m.state == "ok"
    assert limits.Meter("projects", "入选项目", 180, 200).state == "near"
    assert limits.Meter("projects", "入选项目", 200, 200).state == "full"
    assert limits.Meter("projects", "入选项目", 201, 200).state == "over"
    assert limits.Meter("projects", "入选项目", 9, None).state == "ok"
    assert limits.warnings([limits.Meter("budget", "补助金额", 95_000_00, 100_000_00)]) == [
        "补助金额接近上限：还剩 5,000.00 元"]
    assert limits.warnings([limits.Meter("projects", "入选项目", 3, 3)]) == ["入选项目已达上限 3 个"]


def test_past_a_limit_is_refused_unless_overridden_with_a_reason(province: Office) -> None:
    a = awaiting(province, "620102001001", title="项目甲", requested="60000")
    b = awaiting(province, "620102001002", title="项目乙", requested="60000")
    c = awaiting(province, "620402001001", title="项目丙", requested="40000")
    with province.session() as s:
        shortlist.shortlist(s, province.reviewer, lookup.get(s, a))
        shortlist.shortlist(s, province.reviewer, lookup.get(s, b))
    # A third community passes the community quota (2); 160,000 the budget (150,000).
    with province.session() as s, pytest.raises(LimitExceeded) as caught:
        shortlist.shortlist(s, province.reviewer, lookup.get(s, c))
    assert set(caught.value.exceeded) == {"communities", "budget"}
    assert "入选社区将达 3 个，超过上限 2 个" in caught.value.zh and "--override" in caught.value.zh
    assert _meters(province)["projects"][0] == 2  # nothing changed
    # The province's ordinary review is held to the same limits.
    with province.session() as s, pytest.raises(LimitExceeded):
        workflow.review(s, province.reviewer, lookup.get(s, c), decision=Decision.APPROVE, text="同意")
    with province.session() as s, pytest.raises(LimitExceeded):
        shortlist.shortlist(s, province.reviewer, lookup.get(s, c), override_reason="   ")
    # A smaller amount still passes the community quota.
    with province.session() as s, pytest.raises(LimitExceeded) as caught:
        shortlist.shortlist(s, province.reviewer, lookup.get(s, c), planned="30000")
    assert caught.value.exceeded == ["communities"]
    with province.session() as s:
        row = shortlist.shortlist(s, province.reviewer, lookup.get(s, c), planned="30000",
                                  override_reason="该社区为革命老区，经厅务会研究同意")
        assert row.override_reason == "该社区为革命老区，经厅务会研究同意"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "selection.override")).one()
        assert entry.details["reason"] == "该社区为革命老区，经厅务会研究同意"
        assert entry.details["exceeded"] == {"communities": [3, 2]}
        assert audit.verify(s).ok
    assert _meters(province)["communities"] == (3, 2, "over")


def test_review_at_the_province_passes_the_override_through(province: Office) -> None:
    ids = [awaiting(province, "620102001001", title=f"项目{i}", requested="10000") for i in range(4)]
    with province.session() as s:
        for d in ids[:3]:
            workflow.review(s, province.reviewer, lookup.get(s, d), decision=Decision.APPROVE, text="同意")
    with province.session() as s, pytest.raises(LimitExceeded, match="入选项目将达 4 个"):
        workflow.review(s, province.reviewer, lookup.get(s, ids[3]), decision=Decision.APPROVE, text="同意")
    with province.session() as s:
        workflow.review(s, province.reviewer, lookup.get(s, ids[3]), decision=Decision.APPROVE, text="同意",
                        override_reason="追加名额")
        # Rejecting or returning is never limited.
    assert _meters(province)["projects"] == (4, 3, "over")


def test_shortlist_rules(province: Office) -> None:
    a = awaiting(province, requested="50000")
    with province.session() as s:
        decl = lookup.get(s, a)
        with pytest.raises(UserError, match="不能超过申请金额"):
            shortlist.shortlist(s, province.reviewer, decl, planned="50000.01")
        with pytest.raises(UserError, match="应大于0"):
            shortlist.shortlist(s, province.reviewer, decl, planned="0")
        with pytest.raises(PermissionDenied):
            shortlist.shortlist(s, province.clerk, decl)
        with pytest.raises(UserError, match="不在入围名单"):
            shortlist.unshortlist(s, province.reviewer, decl)
        shortlist.shortlist(s, province.reviewer, decl, planned="45000")
        shortlist.shortlist(s, province.reviewer, decl, planned="40000")  # a new planned amount
    assert _meters(province)["budget"][0] == 40_000_00
    with province.session() as s:
        shortlist.unshortlist(s, province.reviewer, lookup.get(s, a))
    assert _meters(province)["projects"][0] == 0
    with province.session() as s:
        decl = lookup.get(s, a)
        workflow.review(s, province.reviewer, decl, decision=Decision.REJECT, text="不予支持")
        with pytest.raises(UserError, match="不在省民政厅待遴选"):
            shortlist.shortlist(s, province.reviewer, decl)


def test_a_shortlisted_declaration_returned_leaves_the_meters(province: Office) -> None:
    a = awaiting(province)
    with province.session() as s:
        shortlist.shortlist(s, province.reviewer, lookup.get(s, a))
        workflow.review(s, province.reviewer, lookup.get(s, a), decision=Decision.RETURN, text="请补充")
    assert _meters(province)["projects"][0] == 0


def test_rows_sort_by_score_amount_region_and_area(province: Office) -> None:
    a = awaiting(province, "620402001001", title="白银项目", requested="30000", focus=["环境保护"])
    b = awaiting(province, "620102001001", title="兰州项目", requested="45000", focus=["扶老救孤"])
    c = awaiting(province, "620102001002", title="未评分项目", requested="20000", focus=["助残助学"])
    with province.session() as s:
        scoring.add_score(s, province.reviewer, lookup.get(s, a), scorer="张", points=scoring.parse_points(FULL))
        scoring.add_score(s, province.reviewer, lookup.get(s, b), scorer="张", points=scoring.parse_points(
            FULL.replace("=18", "=10")))
        batch = _batch(s)
        by = {k: [r.id for r in shortlist.rows(s, batch, sort=k)] for k in shortlist.SORTS}
        shown = {r.id: r for r in shortlist.rows(s, batch)}
    assert by["score"] == [a, b, c]
    assert by["amount"] == [b, a, c]
    assert by["region"] == [b, c, a]  # 620100 before 620400
    assert by["area"] == [c, b, a]  # 助残助学 < 扶老救孤 < 环境保护 (code points)
    row = shown[a]
    assert (row.community, row.county, row.city, row.state) == ("兴平路社区", "白银区", "白银市", "pending")
    assert row.as_dict()["average"] == "85.00" and row.as_dict()["requested"] == "30000.00"
    with province.session() as s, pytest.raises(UserError, match="排序方式"):
        shortlist.rows(s, _batch(s), sort="title")


def test_notice_lists_the_chosen_is_frozen_and_superseded(province: Office) -> None:
    a = awaiting(province, "620102001001", title="项目甲", requested="50000")
    b = awaiting(province, "620402001001", title="项目乙", requested="40000")
    awaiting(province, "620402001002", title="未入选", requested="40000")
    with province.session() as s:
        with pytest.raises(UserError, match="还没有入围或批准"):
            notices.issue_notice(s, province.reviewer, _batch(s), starts=date(2016, 10, 10), ends=date(2016, 10, 16))
        shortlist.approve(s, province.reviewer, lookup.get(s, a), granted="45000")
        shortlist.shortlist(s, province.reviewer, lookup.get(s, b))
        with pytest.raises(UserError, match="不早于"):
            notices.issue_notice(s, province.reviewer, _batch(s), starts=date(2016, 10, 10), ends=date(2016, 10, 9))
        first = notices.issue_notice(s, province.reviewer, _batch(s), starts=date(2016, 10, 10),
                                       ends=date(2016, 10, 16))
        assert [(e["title"], e["state"], e["amount_fen"]) for e in first.entries] == [
            ("项目甲", "approved", 45_000_00), ("项目乙", "shortlisted", 40_000_00)]
        assert first.title == "2016年“三社联动”试点项目申报入选项目公示" and first.seq == 1
        first_id = first.id
    with province.store.read_session() as s:
        n = s.get(PublicNotice, first_id)
        n.ends = date(2016, 11, 1)
        with pytest.raises(UserError, match="不能修改"):
            s.flush()
        s.rollback()
        s.delete(s.get(PublicNotice, first_id))
        with pytest.raises(UserError, match="不能修改或删除"):
            s.flush()
        s.rollback()
    with province.session() as s:
        shortlist.unshortlist(s, province.reviewer, lookup.get(s, b))
        second = notices.issue_notice(s, province.reviewer, _batch(s), starts=date(2016, 10, 12),
                                        ends=date(2016, 10, 18))
        assert second.supersedes == first_id and second.seq == 2 and len(second.entries) == 1
        assert notices.current_notice(s, _batch(s)).id == second.id  # type: ignore[union-attr]
        assert notices.get_notice(s, _batch(s), 1).id == first_id
        assert len(s.get(PublicNotice, first_id).entries) == 2  # the old notice is as issued
        shown = notices.notice_dict(second)
        assert shown["total"] == "45000.00" and shown["entries"][0]["amount"] == "45000.00"
        assert notices.in_force_label(second, date(2016, 10, 15)) == "公示中"
        assert notices.in_force_label(second, date(2016, 10, 19)) == "公示期已满"
        assert notices.in_force_label(second, date(2016, 10, 1)) == "尚未开始"
        assert audit.verify(s).ok


def test_granted_amount_defaults_and_meters_use_decimal_fen(province: Office) -> None:
    a = awaiting(province, requested="33333.33")
    with province.session() as s:
        shortlist.approve(s, province.reviewer, lookup.get(s, a))
        m = limits.meters(s, _batch(s))[2]
    assert m.used == 3_333_333 and m.text == "补助金额：33,333.33 元 / 150,000.00 元"
    assert Decimal(m.used) / 100 == Decimal("33333.33")


def test_an_ordinary_or_batch_approval_of_a_shortlisted_declaration_grants_the_planned_amount(
        province: Office) -> None:
    """The review dialog, shortlist.approve, `review` without --granted and 批量同意 all grant the
    shortlist's planned subsidy; an unlisted declaration gets what it asked for."""
    a = awaiting(province, "620102001001", title="项目甲", requested="60000")
    b = awaiting(province, "620402001001", title="项目乙", requested="40000")
    c = awaiting(province, "620102001001", title="项目丙", requested="30000")
    with province.session() as s:
        shortlist.shortlist(s, province.reviewer, lookup.get(s, a), planned="45000")
        shortlist.shortlist(s, province.reviewer, lookup.get(s, c), planned="20000")
        workflow.review(s, province.reviewer, lookup.get(s, a), decision=Decision.APPROVE, text="同意立项。")
    outcomes = workflow.review_each(province.store, province.reviewer, [b, c], decision=Decision.APPROVE,
                                    text="同意立项。")
    assert [o.ok for o in outcomes] == [True, True]
    with province.session() as s:
        assert [lookup.get(s, d).granted_fen for d in (a, b, c)] == [45_000_00, 40_000_00, 20_000_00]
