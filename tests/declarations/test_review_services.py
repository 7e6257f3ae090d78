"""Services added for the desktop lists and the review dialog."""

from __future__ import annotations

from datetime import date

from sanlian_desktop.declarations import drafts, lookup, workflow
from sanlian_desktop.kernel.vocab import Decision, Level
from tests.helpers import Office, example_declaration


def test_permissions_and_paper_stages(county: Office) -> None:
    with county.session() as s:
        assert drafts.can_create(s, county.clerk)
        assert not drafts.can_create(s, county.reviewer)
        decl = drafts.create(s, county.clerk, example_declaration())
        assert drafts.can_edit(county.clerk, decl)
        assert not drafts.can_edit(county.reviewer, decl)
        assert [st.level for st in drafts.paper_stages(county.clerk, decl)] == [Level.STREET]


def test_changes_for_reviewer_since_last_seen(county: Office) -> None:
    paper = {Level.STREET: drafts.PaperOpinion("同意上报。", date.today())}
    with county.session() as s:
        decl = drafts.create(s, county.clerk, example_declaration())
        drafts.submit(s, county.clerk, decl, county.store.paths, paper_opinions=paper)
        assert lookup.changes_for_reviewer(s, decl, "620102") == (1, [])
        workflow.review(s, county.reviewer, decl, decision=Decision.RETURN, text="请修改")
        assert lookup.last_seen_version(s, decl, "620102") == 1
        assert lookup.last_seen_version(s, decl, "620102001") is None  # paper opinions do not count
        fields = lookup.current_fields(s, decl)
        fields["needs_analysis"] = "补充了入户调查数据。"
        drafts.edit(s, county.clerk, decl, fields)
        base, changes = lookup.changes_for_reviewer(s, decl, "620102")
        assert base == 1 and [c.field for c in changes] == ["needs_analysis"]
        assert not drafts.can_edit(county.reviewer, decl)
        assert drafts.can_edit(county.clerk, decl)


def test_review_each_reports_refusals(county: Office) -> None:
    paper = {Level.STREET: drafts.PaperOpinion("同意上报。", date.today())}
    with county.session() as s:
        first = drafts.create(s, county.clerk, example_declaration())
        drafts.submit(s, county.clerk, first, county.store.paths, paper_opinions=paper)
        draft = drafts.create(s, county.clerk, example_declaration(title="另一个项目"))
        ids = [first.id, draft.id, "no-such-id"]
    outcomes = workflow.review_each(county.store, county.reviewer, ids, decision=Decision.APPROVE, text="同意")
    assert [o.ok for o in outcomes] == [True, False, False]
    assert outcomes[2].message == "没有找到这份申报"
    refused = workflow.review_each(county.store, county.clerk, [first.id], decision=Decision.APPROVE, text="同意")
    assert not refused[0].ok and "审核人" in refused[0].message
