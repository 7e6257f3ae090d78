"""The review chain at service level: every transition allowed and refused, by level and role."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from sanlian_desktop.declarations import drafts, listing, lookup, workflow
from sanlian_desktop.declarations.drafts import PaperOpinion
from sanlian_desktop.kernel.errors import PermissionDenied, UserError, ValidationFailed
from sanlian_desktop.kernel.vocab import Decision, Level, Role, Status
from sanlian_desktop.models import Opinion
from sanlian_desktop.offices import regions
from sanlian_desktop.offices.auth import Actor
from tests.helpers import Office, example_declaration, receive_open_batch


def actor(code: str, level: Level, role: Role, name: str = "") -> Actor:
    return Actor(username=f"{role.value}-{code}", display_name=name or f"{role.label}{code}", role=role,
                 office_code=code, office_level=level, office_name=f"office {code}")


COMMUNITY = "620102001001"
OFFICES = {
    Level.COMMUNITY: COMMUNITY,
    Level.STREET: "620102001",
    Level.COUNTY: "620102",
    Level.CITY: "620100",
    Level.PROVINCE: "620000",
}


def clerk(level: Level) -> Actor:
    return actor(OFFICES[level], level, Role.CLERK)


def reviewer(level: Level) -> Actor:
    return actor(OFFICES[level], level, Role.REVIEWER)


def new_submitted(county: Office, **overrides: object) -> str:
    with county.session() as s:
        d = drafts.create(s, clerk(Level.COMMUNITY), example_declaration(**overrides))
        drafts.submit(s, clerk(Level.COMMUNITY), d, county.store.paths)
        return d.id


def review(county: Office, decl_id: str, level: Level, decision: Decision, text: str = "同意",
           granted: str | None = None) -> None:
    with county.session() as s:
        d = lookup.get(s, decl_id)
        workflow.review(s, reviewer(level), d, decision=decision, text=text, granted=granted)


def status(county: Office, decl_id: str) -> tuple[str, str | None, str | None]:
    with county.session() as s:
        d = lookup.get(s, decl_id)
        return d.status, d.awaiting_level, d.awaiting_office


@pytest.mark.engines
def test_whole_chain_with_return_and_resubmit(county: Office) -> None:
    decl_id = new_submitted(county)
    assert status(county, decl_id) == ("under_review", "street", "620102001")
    review(county, decl_id, Level.STREET, Decision.APPROVE, "同意上报")
    assert status(county, decl_id) == ("under_review", "county", "620102")
    review(county, decl_id, Level.COUNTY, Decision.RETURN, "请补充资金来源说明")
    assert status(county, decl_id) == ("returned", "community", COMMUNITY)

    with county.session() as s:
        d = lookup.get(s, decl_id)
        data = example_declaration(title="东岗西路社区空巢老人关爱服务项目（修订）")
        drafts.edit(s, clerk(Level.COMMUNITY), d, data)
        assert d.current_version == 2
        drafts.submit(s, clerk(Level.COMMUNITY), d, county.store.paths)
        changes = lookup.diff_versions(s, d)
        assert [c.field for c in changes] == ["title"]
    for level in (Level.STREET, Level.COUNTY, Level.CITY):
        review(county, decl_id, level, Decision.APPROVE)
    assert status(county, decl_id) == ("under_review", "province", "620000")
    review(county, decl_id, Level.PROVINCE, Decision.APPROVE, "同意立项", granted="45000")
    assert status(county, decl_id) == ("approved", None, None)

    with county.session() as s:
        shown = lookup.as_dict(s, lookup.get(s, decl_id))
    assert shown["granted"] == "45000.00"
    assert [(o["level"], o["decision"], o["version"]) for o in shown["opinions"]] == [
        ("street", "approve", 1), ("county", "return", 1),
        ("street", "approve", 2), ("county", "approve", 2), ("city", "approve", 2), ("province", "approve", 2),
    ]


@pytest.mark.engines
def test_granted_defaults_to_requested_and_is_bounded(county: Office) -> None:
    decl_id = new_submitted(county)
    for level in (Level.STREET, Level.COUNTY, Level.CITY):
        review(county, decl_id, level, Decision.APPROVE)
    with pytest.raises(UserError, match="不能超过申请金额"):
        review(county, decl_id, Level.PROVINCE, Decision.APPROVE, granted="50000.01")
    with pytest.raises(UserError, match="应大于0"):
        review(county, decl_id, Level.PROVINCE, Decision.APPROVE, granted="0")
    review(county, decl_id, Level.PROVINCE, Decision.APPROVE)
    with county.session() as s:
        assert lookup.get(s, decl_id).granted_fen == 5_000_000


def test_granted_only_at_province(county: Office) -> None:
    decl_id = new_submitted(county)
    with pytest.raises(UserError, match="只有省民政厅"):
        review(county, decl_id, Level.STREET, Decision.APPROVE, granted="100")


@pytest.mark.engines
def test_reject_ends_the_chain(county: Office) -> None:
    decl_id = new_submitted(county)
    review(county, decl_id, Level.STREET, Decision.REJECT, "不符合试点方向")
    assert status(county, decl_id) == ("rejected", None, None)
    with pytest.raises(UserError, match="不在审核中"):
        review(county, decl_id, Level.COUNTY, Decision.APPROVE)


@pytest.mark.parametrize("level", [Level.COUNTY, Level.CITY, Level.PROVINCE])
def test_only_the_current_level_may_act(county: Office, level: Level) -> None:
    decl_id = new_submitted(county)
    with pytest.raises(PermissionDenied, match="本单位不能处理"):
        review(county, decl_id, level, Decision.APPROVE)
    assert status(county, decl_id)[1] == "street"


def test_clerk_cannot_review_and_reviewer_cannot_edit(county: Office) -> None:
    decl_id = new_submitted(county)
    with county.session() as s, pytest.raises(PermissionDenied, match="经办人不能审核"):
        workflow.review(s, clerk(Level.STREET), lookup.get(s, decl_id), decision=Decision.APPROVE, text="x")
    with county.session() as s, pytest.raises(PermissionDenied, match="审核人不能"):
        drafts.create(s, reviewer(Level.COMMUNITY), example_declaration(title="另一个项目"))


def test_admin_cannot_review_or_edit(county: Office) -> None:
    admin = actor(COMMUNITY, Level.COMMUNITY, Role.ADMIN)
    with county.session() as s, pytest.raises(PermissionDenied):
        drafts.create(s, admin, example_declaration())


def test_submitted_declaration_is_frozen(county: Office) -> None:
    decl_id = new_submitted(county)
    with county.session() as s, pytest.raises(UserError, match="不能修改"):
        drafts.edit(s, clerk(Level.COMMUNITY), lookup.get(s, decl_id), example_declaration(title="改"))


def test_another_office_cannot_edit_a_draft(county: Office) -> None:
    with county.session() as s:
        d = drafts.create(s, clerk(Level.COMMUNITY), example_declaration())
        with pytest.raises(PermissionDenied, match="其他单位录入"):
            drafts.edit(s, clerk(Level.STREET), d, example_declaration(title="x"))


def test_opinion_text_required(county: Office) -> None:
    decl_id = new_submitted(county)
    with pytest.raises(UserError, match="请填写审核意见"):
        review(county, decl_id, Level.STREET, Decision.APPROVE, "   ")


@pytest.mark.engines
def test_duplicate_title_in_batch_refused(county: Office) -> None:
    with county.session() as s:
        drafts.create(s, clerk(Level.COMMUNITY), example_declaration())
    with county.session() as s, pytest.raises(ValidationFailed, match="同名项目"):
        drafts.create(s, clerk(Level.COMMUNITY), example_declaration())
    # Another community may use the same title.
    with county.session() as s:
        drafts.create(s, clerk(Level.STREET), example_declaration(community="620102001002"))


def test_community_outside_jurisdiction_refused(county: Office) -> None:
    with county.session() as s:
        regions.add_region(s, code="620103001", name="七里河街道", within="620000")
        regions.add_region(s, code="620103001001", name="七里河社区", within="620000", rural=False)
    with county.session() as s, pytest.raises(ValidationFailed, match="不在本单位辖区内"):
        drafts.create(s, clerk(Level.COUNTY), example_declaration(community="620103001001"))
    with county.session() as s, pytest.raises(ValidationFailed, match="尚未登记"):
        drafts.create(s, clerk(Level.COUNTY), example_declaration(community="620102009009"))


def test_submission_needs_open_batch(county: Office) -> None:
    with county.session() as s:
        receive_open_batch(s, "2015", opens=date(2015, 7, 1), closes=date(2015, 9, 30))
        d = drafts.create(s, clerk(Level.COMMUNITY), example_declaration(batch="2015"))
        decl_id = d.id
    with county.session() as s, pytest.raises(UserError, match="今天不能提交"):
        drafts.submit(s, clerk(Level.COMMUNITY), lookup.get(s, decl_id), county.store.paths)
    admin = actor(COMMUNITY, Level.COMMUNITY, Role.ADMIN)
    with county.session() as s, pytest.raises(PermissionDenied):
        drafts.submit(s, clerk(Level.COMMUNITY), lookup.get(s, decl_id), county.store.paths,
                            override_reason="补报")
    with county.session() as s:
        drafts.submit(s, admin, lookup.get(s, decl_id), county.store.paths,
                            override_reason="因系统故障延误，经省厅同意补报")
        assert lookup.get(s, decl_id).status == Status.UNDER_REVIEW


def test_draft_without_batch_cannot_be_submitted(county: Office) -> None:
    data = example_declaration()
    del data["batch"]
    with county.session() as s:
        d = drafts.create(s, clerk(Level.COMMUNITY), data)
        with pytest.raises(ValidationFailed, match="申报批次"):
            drafts.submit(s, clerk(Level.COMMUNITY), d, county.store.paths)


def test_pre_steps_after_today_refused_at_submit(county: Office) -> None:
    data = example_declaration()
    data["pre_steps"]["notice_end"] = (date.today() + timedelta(days=3)).isoformat()
    with county.session() as s:
        d = drafts.create(s, clerk(Level.COMMUNITY), data)
        with pytest.raises(ValidationFailed, match="晚于提交日期"):
            drafts.submit(s, clerk(Level.COMMUNITY), d, county.store.paths)


@pytest.mark.engines
def test_county_keys_in_paper_declaration(county: Office, tmp_path: object) -> None:
    from pathlib import Path

    scan = Path(str(tmp_path)) / "street-opinion.jpg"
    scan.write_bytes(b"\xff\xd8fake jpeg")
    with county.session() as s:
        d = drafts.create(s, county.clerk, example_declaration())
        assert d.from_paper
        with pytest.raises(UserError, match="纸质意见"):
            drafts.submit(s, county.clerk, d, county.store.paths)
    with county.session() as s:
        d = lookup.get(s, d.id)
        drafts.submit(s, county.clerk, d, county.store.paths, paper_opinions={
            Level.STREET: PaperOpinion("同意上报（见纸质意见）", date.today() - timedelta(days=1), scan)})
        assert (d.awaiting_level, d.awaiting_office) == ("county", "620102")
        shown = lookup.as_dict(s, d)
    street = shown["opinions"][0]
    assert street["level"] == "street" and street["from_paper"] and street["office_code"] == "620102001"
    assert shown["attachments"][0]["name"] == "street-opinion.jpg"
    review(county, d.id, Level.COUNTY, Decision.RETURN, "请补充")
    assert status(county, d.id) == ("returned", "community", "620102")


def test_city_without_counties_reviews_once_for_both_levels(county: Office) -> None:
    with county.session() as s:
        regions.add_region(s, code="620201001", name="雄关街道", within="620000")
        regions.add_region(s, code="620201001001", name="胜利社区", within="620000", rural=False)
        d = drafts.create(s, actor("620201001001", Level.COMMUNITY, Role.CLERK),
                                example_declaration(community="620201001001"))
        drafts.submit(s, actor("620201001001", Level.COMMUNITY, Role.CLERK), d, county.store.paths)
        # numbered under the community that entered it, like every declaration
        assert (d.county_code, d.city_code, d.number.split("-")[1]) == ("620200", "620200", "620201001001")
        workflow.review(s, actor("620201001", Level.STREET, Role.REVIEWER), d, decision=Decision.APPROVE, text="同意")
        assert (d.awaiting_level, d.awaiting_office) == ("county", "620200")
        opinions = workflow.review(s, actor("620200", Level.CITY, Role.REVIEWER), d, decision=Decision.APPROVE,
                                   text="同意")
        assert [o.level for o in opinions] == ["county", "city"]
        assert (d.awaiting_level, d.awaiting_office) == ("province", "620000")


@pytest.mark.engines
def test_opinions_are_immutable(county: Office) -> None:
    decl_id = new_submitted(county)
    review(county, decl_id, Level.STREET, Decision.APPROVE)
    with county.store.read_session() as s:
        op = s.scalars(select(Opinion)).first()
        assert op is not None
        op.text = "改过的意见"
        with pytest.raises(UserError, match="不能修改"):
            s.flush()
        s.rollback()
        s.delete(s.scalars(select(Opinion)).one())
        with pytest.raises(UserError, match="不能修改或删除"):
            s.flush()


@pytest.mark.engines
def test_lists_follow_jurisdiction(county: Office) -> None:
    decl_id = new_submitted(county)
    with county.session() as s:
        for level in OFFICES:
            q = listing.list_query(clerk(level))
            assert listing.count(s, q) == 1, level
        other = actor("620103", Level.COUNTY, Role.CLERK)
        assert listing.count(s, listing.list_query(other)) == 0
        assert listing.count(s, listing.inbox_query(reviewer(Level.STREET))) == 1
        assert listing.count(s, listing.inbox_query(reviewer(Level.COUNTY))) == 0
        with pytest.raises(UserError):
            lookup.visible(s, other, decl_id)


@pytest.mark.engines
def test_numbers_are_sequential_per_batch_and_entering_office(county: Office) -> None:
    """Each office numbers under its own code: the community, the street (代录) and the county (代录) all
    number on their own PCs before hearing from one another, and their declarations meet at the county."""
    with county.session() as s:
        a = drafts.create(s, clerk(Level.COMMUNITY), example_declaration(title="项目甲"))
        b = drafts.create(s, clerk(Level.COMMUNITY), example_declaration(title="项目乙"))
        c = drafts.create(s, clerk(Level.STREET), example_declaration(title="项目丙"))
        d = drafts.create(s, clerk(Level.COUNTY), example_declaration(title="项目丁"))
        e = drafts.create(s, clerk(Level.COUNTY), example_declaration(title="项目戊"))
        assert (a.number, b.number) == (f"2016-{COMMUNITY}-0001", f"2016-{COMMUNITY}-0002")
        assert c.number == "2016-620102001-0001"
        assert (d.number, e.number) == ("2016-620102-0001", "2016-620102-0002")  # not counting the others
        assert lookup.get(s, a.id[:8]).id == a.id
        assert lookup.get(s, f"2016-{COMMUNITY}-0002").id == b.id
        assert lookup.get(s, "2016-620102-0001").id == d.id


@pytest.mark.engines
def test_requested_amount_copied_exactly(county: Office) -> None:
    with county.session() as s:
        d = drafts.create(s, clerk(Level.COMMUNITY), example_declaration())
        assert d.requested_fen == 5_000_000 and d.budget_fen == 8_000_000
        assert lookup.as_dict(s, d)["requested"] == str(Decimal("50000.00"))


@pytest.mark.engines
def test_returned_declaration_must_be_revised_before_resubmitting(county: Office) -> None:
    decl_id = new_submitted(county)
    review(county, decl_id, Level.STREET, Decision.RETURN, "请补充")
    with county.session() as s, pytest.raises(UserError, match="请按审核意见修改后再提交"):
        drafts.submit(s, clerk(Level.COMMUNITY), lookup.get(s, decl_id), county.store.paths)
    with county.session() as s:
        d = lookup.get(s, decl_id)
        drafts.edit(s, clerk(Level.COMMUNITY), d, example_declaration(title="修改后的项目"))
        drafts.submit(s, clerk(Level.COMMUNITY), d, county.store.paths)
        assert (d.status, d.current_version) == ("under_review", 2)
