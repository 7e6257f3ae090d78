"""Entering a project's implementation: every validation rule, who may enter what, and immutability."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sanlian_desktop.implementation import service as impl
from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.kernel.vocab import Level, Role
from sanlian_desktop.models import (
    AuditEntry,
    ProjectDisbursement,
    ProjectProgress,
    ProjectTender,
    ProjectWorker,
)
from tests.implementation.conftest import COMMUNITY, Project, actor_at

TODAY = date(2017, 3, 1)
CODE = "52620102MJ0000123U"
ORG = "城关区和煦社会工作服务中心"


def tender(p: Project, s: Any, **kw: Any) -> ProjectTender:
    args: dict[str, Any] = {"tendered_on": "2016-09-25", "bidders": [ORG, "兰州益民社工中心"], "winner": ORG,
                            "today": TODAY}
    args.update(kw)
    return impl.record_tender(s, p.office.clerk, p.decl(s), **args)


def undertake(p: Project, s: Any, **kw: Any) -> Any:
    args: dict[str, Any] = {"org_name": ORG, "credit_code": CODE, "amount": "45000", "starts_on": "2016-10-01",
                            "ends_on": "2017-09-30", "today": TODAY}
    args.update(kw)
    return impl.record_undertaking(s, p.office.clerk, p.decl(s), **args)


def refused(fn: Any, words: str) -> None:
    with pytest.raises(UserError) as info:
        fn()
    assert words in info.value.zh, info.value.zh


# -- tender -------------------------------------------------------------------------------------------


def test_tender_recorded_and_audited(project: Project) -> None:
    with project.office.session() as s:
        row = tender(project, s)
        assert row.winner == ORG and row.bidders == [ORG, "兰州益民社工中心"] and row.office_code == "620102"
        entry = s.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
        assert entry.action == "project.tender.add" and entry.entity_id == row.id


@pytest.mark.parametrize(("kw", "words"), [
    ({"winner": "别的机构"}, "不在投标单位之中"),
    ({"bidders": []}, "至少填写一个"),
    ({"bidders": [ORG, ORG]}, "重复列出"),
    ({"bidders": [ORG, " "]}, "第2个投标单位：请填写"),
    ({"bidders": [f"机构{i}" for i in range(21)], "winner": "机构1"}, "最多20个"),
    ({"winner": ""}, "中标单位：请填写"),
    ({"tendered_on": "2017-03-02"}, "不能晚于今天"),
    ({"tendered_on": "2016-09-19"}, "不能早于项目批准日期"),
    ({"tendered_on": "2016-13-01"}, "不是有效日期"),
])
def test_tender_rules(project: Project, kw: dict[str, Any], words: str) -> None:
    with project.office.session() as s:
        refused(lambda: tender(project, s, **kw), words)
        assert impl.history(s, ProjectTender, project.decl_id) == []


def test_a_second_tender_must_correct_the_first(project: Project) -> None:
    with project.office.session() as s:
        first = tender(project, s)
        refused(lambda: tender(project, s), "已有招标记录")
        refused(lambda: tender(project, s, supersedes=first.id[:8]), "必须说明原因")
        refused(lambda: tender(project, s, supersedes="ffffffff", reason="笔误"), "没有编号为")
        refused(lambda: tender(project, s, reason="笔误"), "只有更正已有记录时")
        second = tender(project, s, supersedes=first.id[:8], reason="投标单位名称笔误",
                        bidders=[ORG, "兰州益民社会工作中心"])
        assert second.supersedes == first.id
        assert [t.id for t in impl.current(s, ProjectTender, project.decl_id)] == [second.id]
        refused(lambda: tender(project, s, supersedes=first.id, reason="再改"), "已被更正过")


def test_records_are_immutable(project: Project) -> None:
    with project.office.session() as s:
        tender(project, s)
    with project.office.session() as s:
        row = impl.history(s, ProjectTender, project.decl_id)[0]
        row.winner = "兰州益民社工中心"
        refused(s.flush, "不能修改")
        s.rollback()
    with project.office.session() as s:
        row = impl.history(s, ProjectTender, project.decl_id)[0]
        s.delete(row)
        refused(s.flush, "不能删除")
        s.rollback()


def test_only_an_approved_project_takes_implementation_records(project: Project) -> None:
    with project.office.session() as s:
        decl = project.decl(s)
        decl.status = "under_review"
        refused(lambda: tender(project, s), "尚未批准立项")
        refused(lambda: impl.approved_project(s, project.office.clerk, decl.number), "尚未批准立项")


def test_who_may_enter_what(project: Project) -> None:
    street = actor_at("620102001", Level.STREET)
    community = actor_at(COMMUNITY, Level.COMMUNITY)
    with project.office.session() as s:
        decl = project.decl(s)
        with pytest.raises(PermissionDenied, match="不能登记"):
            impl.record_tender(s, street, decl, tendered_on="2016-09-25", bidders=[ORG], winner=ORG, today=TODAY)
        # The community records its own tender; the county entered the declaration for it, so it may too.
        impl.record_tender(s, community, decl, tendered_on="2016-09-25", bidders=[ORG], winner=ORG, today=TODAY)
        # Disbursements are the paying (county) office's: not the community's.
        with pytest.raises(PermissionDenied, match="拨付记录由城关区民政局登记"):
            impl.record_disbursement(s, community, decl, paid_on="2016-10-10", amount="1000", tranche=1,
                                     today=TODAY)
        with pytest.raises(PermissionDenied, match="审核人不能登记项目实施情况"):
            impl.add_worker(s, project.office.reviewer, decl, name="李娟", certificate_level="社会工作师")
        assert impl.paying_office(decl) == "620102" and impl.PAYING_LEVEL is Level.COUNTY
        assert impl.can_enter(actor_at("620102", Level.COUNTY, Role.CLERK), ProjectDisbursement, decl)


# -- undertaking --------------------------------------------------------------------------------------


def test_undertaking_needs_the_tender_first(project: Project) -> None:
    with project.office.session() as s:
        refused(lambda: undertake(project, s), "请先登记社区招标")


@pytest.mark.parametrize(("kw", "words"), [
    ({"org_name": "兰州益民社工中心"}, "应为招标的中标单位"),
    ({"credit_code": "52620102MJ0000123A"}, "校验码不正确"),
    ({"credit_code": "5262"}, "应为18位"),
    ({"amount": "0"}, "应大于0"),
    ({"amount": "abc"}, "承接金额"),
    ({"amount": "45000.01"}, "超过批准补助 45000.00 元"),
    ({"amount": "40000", "over_grant_reason": "另有配套"}, "无需填写"),
    ({"ends_on": "2016-09-30"}, "不能早于开始日期"),
    ({"starts_on": "2016-09-24", "ends_on": "2017-09-30"}, "不能早于招标日期"),
])
def test_undertaking_rules(project: Project, kw: dict[str, Any], words: str) -> None:
    with project.office.session() as s:
        tender(project, s)
        refused(lambda: undertake(project, s, **kw), words)


def test_undertaking_above_the_grant_with_a_reason(project: Project) -> None:
    with project.office.session() as s:
        tender(project, s)
        row = undertake(project, s, amount="60000", over_grant_reason="市县财政配套15000元", credit_code=CODE.lower())
        assert row.amount_fen == 60_000_00 and row.credit_code == CODE


# -- workers ------------------------------------------------------------------------------------------


def test_workers_added_corrected_and_removed(project: Project) -> None:
    with project.office.session() as s:
        decl = project.decl(s)
        clerk = project.office.clerk
        li = impl.add_worker(s, clerk, decl, name="李娟", certificate_level="社会工作师")
        refused(lambda: impl.add_worker(s, clerk, decl, name="李娟", certificate_level="社会工作师"), "已在本项目中")
        refused(lambda: impl.add_worker(s, clerk, decl, name="王芳", certificate_level="心理咨询师"), "证书等级")
        refused(lambda: impl.add_worker(s, clerk, decl, name="", certificate_level="社会工作师"), "社工姓名：请填写")
        li2 = impl.add_worker(s, clerk, decl, name="李娟", certificate_level="高级社会工作师", supersedes=li.id,
                              reason="证书等级登记有误")
        wang = impl.add_worker(s, clerk, decl, name="王芳", certificate_level="助理社会工作师")
        impl.remove_worker(s, clerk, decl, wang.id[:8], reason="调离")
        active = impl.active_workers(s, decl.id)
        assert [(w.name, w.certificate_level) for w in active] == [("李娟", "高级社会工作师")] and active[0].id == li2.id
        refused(lambda: impl.remove_worker(s, clerk, decl, li2.id, reason=""), "必须说明原因")
        assert len(impl.history(s, ProjectWorker, decl.id)) == 4


def test_a_worker_named_by_a_prefix_two_records_share(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = iter(["abcd1111-0000-4000-8000-000000000000", "abcd2222-0000-4000-8000-000000000000"])
    monkeypatch.setattr(impl.uuid, "uuid4", lambda: next(ids))
    with project.office.session() as s:
        decl = project.decl(s)
        clerk = project.office.clerk
        impl.add_worker(s, clerk, decl, name="李娟", certificate_level="社会工作师")
        impl.add_worker(s, clerk, decl, name="王芳", certificate_level="助理社会工作师")
        monkeypatch.undo()
        refused(lambda: impl.remove_worker(s, clerk, decl, "abcd", reason="调离"), "编号 abcd 对应多个项目社工")
        refused(lambda: impl.remove_worker(s, clerk, decl, "abc", reason="调离"), "本项目没有编号为 abc 的项目社工")
        assert impl.remove_worker(s, clerk, decl, "abcd2", reason="调离").name == "王芳"


# -- disbursements ------------------------------------------------------------------------------------


def pay(p: Project, s: Any, **kw: Any) -> Any:
    args: dict[str, Any] = {"paid_on": "2016-10-10", "amount": "20000", "tranche": 1, "today": TODAY}
    args.update(kw)
    return impl.record_disbursement(s, p.office.clerk, p.decl(s), **args)


def test_disbursements_never_exceed_the_grant(project: Project) -> None:
    with project.office.session() as s:
        first = pay(project, s)
        pay(project, s, tranche=2, amount="20000", paid_on="2017-01-05")
        refused(lambda: pay(project, s, tranche=3, amount="5000.01"), "拨付合计 45000.01 元将超过批准补助 45000.00 元")
        refused(lambda: pay(project, s, tranche=2, amount="100"), "第2批拨付已登记")
        # Correcting the first tranche frees its amount.
        pay(project, s, tranche=1, amount="25000", supersedes=first.id, reason="金额录错")
        assert impl.disbursed_fen(s, project.decl_id) == 45_000_00


@pytest.mark.parametrize(("kw", "words"), [
    ({"tranche": 0}, "从1开始"),
    ({"tranche": "x"}, "不小于0的整数"),
    ({"amount": "-5"}, "拨付金额"),
    ({"paid_on": "2017-03-02"}, "不能晚于今天"),
    ({"paid_on": "2016-09-01"}, "不能早于项目批准日期"),
    ({"paid_on": ""}, "拨付日期：请填写日期"),
])
def test_disbursement_rules(project: Project, kw: dict[str, Any], words: str) -> None:
    with project.office.session() as s:
        refused(lambda: pay(project, s, **kw), words)


# -- progress reports ---------------------------------------------------------------------------------


def report(p: Project, s: Any, **kw: Any) -> Any:
    args: dict[str, Any] = {"period_start": "2016-10-01", "period_end": "2016-12-31", "activities": "建档120户，小组活动6次",
                            "beneficiaries": 80, "spent": "9000", "today": TODAY}
    args.update(kw)
    return impl.record_progress(s, p.office.clerk, p.decl(s), p.office.store.paths, **args)


def test_progress_with_attachments(project: Project, tmp_path: Path) -> None:
    photo = tmp_path / "活动照片.jpg"
    photo.write_bytes(b"\xff\xd8photo")
    with project.office.session() as s:
        row = report(project, s, files=[photo], problems="志愿者不足")
        assert row.attachments[0]["name"] == "活动照片.jpg" and len(row.attachments[0]["sha256"]) == 64
        assert (project.office.store.paths.attachments / row.attachments[0]["sha256"][:2]
                / row.attachments[0]["sha256"]).read_bytes() == b"\xff\xd8photo"



def test_a_corrected_report_keeps_the_files_it_names(project: Project, tmp_path: Path) -> None:
    photo, minutes, receipt = (tmp_path / "活动照片.jpg", tmp_path / "会议纪要.pdf", tmp_path / "票据.pdf")
    for i, f in enumerate((photo, minutes, receipt)):
        f.write_bytes(b"file %d" % i)
    with project.office.session() as s:
        first = report(project, s, files=[photo, minutes])
        kept = first.attachments[1]["sha256"]
        refused(lambda: report(project, s, period_start="2017-01-01", period_end="2017-01-31", keep_attachments=[kept]),
                "只有更正已有报告时")
        refused(lambda: report(project, s, supersedes=first.id, reason="补充票据", keep_attachments=["0" * 64]),
                "不在被更正的报告中")
        refused(lambda: report(project, s, supersedes=first.id, reason="补充票据", keep_attachments=[kept],
                               files=[receipt] * 20), "最多20个")
        assert [p.id for p in impl.history(s, ProjectProgress, project.decl_id)] == [first.id]
        second = report(project, s, supersedes=first.id, reason="补充票据", keep_attachments=[kept], files=[receipt])
        assert [a["name"] for a in second.attachments] == ["会议纪要.pdf", "票据.pdf"]
        assert second.attachments[0] == first.attachments[1]

@pytest.mark.parametrize(("kw", "words"), [
    ({"period_end": "2016-09-30"}, "不能早于开始"),
    ({"period_end": "2017-03-02"}, "不能晚于今天"),
    ({"period_start": "2016-09-01"}, "不能早于项目批准日期"),
    ({"activities": " "}, "开展的活动：请填写"),
    ({"beneficiaries": -3}, "不小于0的整数"),
    ({"beneficiaries": True}, "应为整数"),
    ({"spent": "-1"}, "不能为负数"),
    ({"files": [Path("/nonexistent/x.pdf")]}, "找不到附件文件"),
    ({"activities": "字" * 3001}, "不能超过3000字"),
])
def test_progress_rules(project: Project, kw: dict[str, Any], words: str) -> None:
    with project.office.session() as s:
        refused(lambda: report(project, s, **kw), words)


def test_progress_periods_do_not_overlap_and_end_with_one_final_report(project: Project) -> None:
    with project.office.session() as s:
        first = report(project, s)
        refused(lambda: report(project, s, period_start="2016-12-01", period_end="2017-01-31"), "重叠")
        report(project, s, period_start="2016-10-01", period_end="2016-12-31", supersedes=first.id, reason="补充活动",
               beneficiaries=90)
        report(project, s, period_start="2017-01-01", period_end="2017-02-28", final=True)
        refused(lambda: report(project, s, period_start="2017-03-01", period_end="2017-03-01"), "结项报告之后")
