"""Registry services: what they accept, what they refuse (in Chinese, naming the field) and the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sanlian_desktop.kernel.checks import credit_code_check_char
from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.models import AuditEntry
from sanlian_desktop.offices import regions
from sanlian_desktop.registries import service as registries
from sanlian_desktop.store import audit
from tests.helpers import Office

COMMUNITY = "620102001001"
BODY = "52620102MJ0000001"
CREDIT = BODY + credit_code_check_char(BODY)


def _add_org(office: Office, **overrides: object) -> int:
    args: dict[str, object] = {"name": "东岗夕阳红服务队", "community_code": COMMUNITY, "kind": "社区服务类",
                               "credit_code": CREDIT}
    args.update(overrides)
    with office.session() as s:
        return registries.add_organisation(s, office.clerk, **args).id  # type: ignore[arg-type]


def test_organisation_with_credit_code_or_record_number(county: Office) -> None:
    _add_org(county, has_social_workers=True)
    _add_org(county, name="东岗书画社", credit_code=None, record_number="城关备字第002号", kind="文体娱乐类")
    with county.session() as s:
        orgs = registries.list_organisations(s, county.reviewer)
        assert [(o.credit_code, o.record_number) for o in orgs] == [(CREDIT, None), (None, "城关备字第002号")]
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.action == "registry.org.add")).all() == [
            "registry.org.add", "registry.org.add"]
        assert audit.verify(s).ok


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"credit_code": None}, "须填写其中一项"),
        ({"record_number": "备001"}, "须填写其中一项"),
        ({"credit_code": BODY + ("0" if CREDIT[-1] != "0" else "1")}, "校验码不正确"),
        ({"credit_code": "123"}, "应为18位"),
        ({"kind": "兴趣小组"}, "组织类别"),
        ({"name": "  "}, "组织名称：请填写"),
        ({"community_code": "620102001"}, "不是社区"),
        ({"community_code": "620102999999"}, "没有代码为"),
        ({"credit_code": None, "record_number": "x"}, "备案编号"),
    ],
)
def test_organisation_refusals(county: Office, overrides: dict[str, object], words: str) -> None:
    with pytest.raises(UserError, match=words):
        _add_org(county, **overrides)


def test_duplicate_credit_code_is_refused(county: Office) -> None:
    _add_org(county)
    with pytest.raises(UserError, match="已登记在另一个组织名下"):
        _add_org(county, name="另一个组织")


def test_outside_jurisdiction_and_reviewer_are_refused(county: Office) -> None:
    with county.session() as s:
        regions.add_region(s, code="620103001", name="七里河街道", within=regions.PROVINCE_CODE)
        regions.add_region(s, code="620103001001", name="七里河社区", within=regions.PROVINCE_CODE)
    with pytest.raises(PermissionDenied, match="不在本单位辖区内"):
        _add_org(county, community_code="620103001001")
    with pytest.raises(PermissionDenied, match="审核人不能维护台账"), county.session() as s:
        registries.add_organisation(s, county.reviewer, name="x", community_code=COMMUNITY, kind="其他",
                                    record_number="备001")


def test_update_organisation_switches_identifier(county: Office) -> None:
    org_id = _add_org(county)
    with county.session() as s:
        org = registries.update_organisation(s, county.admin, org_id, credit_code=None, record_number="备002",
                                             hosts_agency=True)
        assert (org.credit_code, org.record_number, org.hosts_agency) == (None, "备002", True)
    with pytest.raises(UserError, match="不能修改的字段"), county.session() as s:
        registries.update_organisation(s, county.admin, org_id, created_by="x")


def test_workers(county: Office) -> None:
    with county.session() as s:
        registries.add_worker(s, county.clerk, name="张敏", community_code=COMMUNITY,
                              certificate_level="社会工作师", certificate_number="S001")
        registries.add_worker(s, county.clerk, name="李强", community_code=COMMUNITY, certificate_level="无")
        assert [w.certificate_level for w in registries.list_workers(s, county.clerk)] == ["社会工作师", None]
    with pytest.raises(UserError, match="证书等级"), county.session() as s:
        registries.add_worker(s, county.clerk, name="王芳", community_code=COMMUNITY, certificate_level="社工")
    with pytest.raises(UserError, match="证书编号：请填写"), county.session() as s:
        registries.add_worker(s, county.clerk, name="王芳", community_code=COMMUNITY, certificate_level="社会工作师")


def test_community_facts_keep_what_is_not_given(county: Office) -> None:
    with county.session() as s:
        registries.set_community_facts(s, county.clerk, COMMUNITY, has_workroom=True, registered_volunteers=900)
        facts = registries.set_community_facts(s, county.clerk, COMMUNITY, election="direct")
        assert (facts.has_workroom, facts.registered_volunteers, facts.election) == (True, 900, "direct")
    with pytest.raises(UserError, match="超过了社区居民总数"), county.session() as s:
        registries.set_community_facts(s, county.clerk, COMMUNITY, registered_volunteers=9000)
    with pytest.raises(UserError, match="注册志愿者人数"), county.session() as s:
        registries.set_community_facts(s, county.clerk, COMMUNITY, registered_volunteers=-1)
    with pytest.raises(UserError, match="选举方式"), county.session() as s:
        registries.set_community_facts(s, county.clerk, COMMUNITY, election="appointed")


def _facts_audit(office: Office, action: str) -> list[dict[str, object]]:
    with office.store.read_session() as s:
        return [e.details for e in s.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                               .order_by(AuditEntry.seq))]


def test_community_facts_go_back_to_unrecorded(county: Office) -> None:
    from sanlian_desktop.models import CommunityFacts

    with county.session() as s:
        registries.set_community_facts(s, county.clerk, COMMUNITY, has_workroom=True, in_federation=False,
                                       registered_volunteers=900, election="direct")
        facts = registries.set_community_facts(s, county.clerk, COMMUNITY, in_federation=True,
                                               clear=["has_workroom", "registered_volunteers"])
        assert (facts.has_workroom, facts.in_federation, facts.registered_volunteers, facts.election) == (
            None, True, None, "direct")
        # Clearing what is not recorded changes nothing and is not logged as a change.
        registries.set_community_facts(s, county.clerk, COMMUNITY, clear=("has_workroom", "election"))
    with county.store.read_session() as s:
        row = s.get(CommunityFacts, COMMUNITY)  # the row stays, so that the change travels up
        assert row is not None and (row.has_workroom, row.election) == (None, None)
    assert _facts_audit(county, "registry.community.set")[1:] == [
        {"in_federation": True, "has_workroom": None, "registered_volunteers": None}, {"election": None}]
    with pytest.raises(UserError, match="社会工作室：不能既登记又改回未登记"), county.session() as s:
        registries.set_community_facts(s, county.clerk, COMMUNITY, has_workroom=True, clear=["has_workroom"])
    with pytest.raises(UserError, match="没有名为 population 的情况项"), county.session() as s:
        registries.set_community_facts(s, county.clerk, COMMUNITY, clear=["population"])
    with pytest.raises(PermissionDenied), county.session() as s:
        registries.set_community_facts(s, county.reviewer, COMMUNITY, clear=["in_federation"])
    with county.store.read_session() as s:
        assert registries.list_community_facts(s, county.clerk)[0].in_federation is True


def test_area_association_goes_back_to_unrecorded(county: Office) -> None:
    with county.session() as s:
        registries.set_area_facts(s, county.clerk, "620102", has_association=False, pilot=False)
        facts = registries.set_area_facts(s, county.clerk, "620102", clear=["has_association"])
        assert (facts.has_association, facts.pilot) == (None, False)
    assert _facts_audit(county, "registry.area.set")[-1] == {"has_association": None}
    with pytest.raises(UserError, match="没有名为 pilot 的情况项"), county.session() as s:
        registries.set_area_facts(s, county.clerk, "620102", clear=["pilot"])


def test_area_facts_only_for_county_level(county: Office) -> None:
    with county.session() as s:
        assert registries.set_area_facts(s, county.clerk, "620102", has_association=True).has_association
        assert [a.region_code for a in registries.list_area_facts(s, county.clerk)] == ["620102"]
    with pytest.raises(UserError, match="不是县级区划"), county.session() as s:
        registries.set_area_facts(s, county.clerk, "620102001", has_association=True)
    with pytest.raises(PermissionDenied, match="不在本单位辖区内"), county.session() as s:
        registries.set_area_facts(s, county.clerk, "620103", has_association=True)


def test_update_worker(county: Office) -> None:
    with county.session() as s:
        worker_id = registries.add_worker(s, county.clerk, name="李强", community_code=COMMUNITY).id
    with pytest.raises(UserError, match="持证社工须填写证书编号"), county.session() as s:
        registries.update_worker(s, county.clerk, worker_id, certificate_level="社会工作师")
    with county.session() as s:
        worker = registries.update_worker(s, county.clerk, worker_id, certificate_level="社会工作师",
                                          certificate_number="S002", employer="东岗西路社区居委会")
        assert (worker.certificate_level, worker.certificate_number) == ("社会工作师", "S002")
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "social_worker")).all() == [
            "registry.worker.add", "registry.worker.update"]
