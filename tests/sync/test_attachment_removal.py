"""Attachments a clerk added by mistake can be removed before they travel; those that travelled stay
(issue 15 §2 item 10). Played through the services at a street and its county, with real packages."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from sanlian_desktop.declarations import drafts, lookup, workflow
from sanlian_desktop.kernel.errors import PermissionDenied, UserError
from sanlian_desktop.kernel.vocab import Decision, Status
from sanlian_desktop.models import AuditEntry, DeclarationAttachment
from sanlian_desktop.sync.exchange.export import export_package
from sanlian_desktop.sync.exchange.importing import import_package
from tests.helpers import example_declaration
from tests.sync.helpers_cli import CHAIN
from tests.sync.helpers_service import open_chain

PROVINCE, CITY, COUNTY, STREET = (code for _, code, _ in CHAIN[:4])


def _file(where: Path, name: str, text: str) -> Path:
    path = where / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_link_that_travelled_stays_and_one_added_since_can_go(template: Path, tmp_path: Path) -> None:
    offices = open_chain(template, tmp_path / "chain")
    street, county = offices[STREET], offices[COUNTY]
    minutes = _file(tmp_path, "会议纪要.txt", "居民议事会会议纪要")
    wrong = _file(tmp_path, "别的社区的照片.txt", "不是本项目的文件")
    with street.store.session() as s:
        decl = drafts.create(s, street.clerk, example_declaration(title="附件可以删除的项目"))
        drafts.attach(s, street.clerk, decl, street.store.paths, minutes, kind="minutes")
        mistake = drafts.attach(s, street.clerk, decl, street.store.paths, wrong, kind="photo").id
        listed = drafts.attachment_links(s, street.clerk, decl)
        assert [(a["name"], a["kind"], a["removable"]) for a in listed] == [
            ("会议纪要.txt", "minutes", True), ("别的社区的照片.txt", "photo", True)]
        with pytest.raises(UserError, match="附件类别"):
            drafts.attach(s, street.clerk, decl, street.store.paths, wrong, kind="../x")
        with pytest.raises(PermissionDenied):
            drafts.detach(s, street.rev, decl, mistake)
        drafts.detach(s, street.clerk, decl, mistake)
        assert [a.original_name for a in s.scalars(select(DeclarationAttachment))] == ["会议纪要.txt"]
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "decl.detach")).one()
        assert entry.details["name"] == "别的社区的照片.txt" and entry.details["kind"] == "photo"
        decl = drafts.submit(s, street.clerk, decl, street.store.paths)
        workflow.review(s, street.rev, decl, decision=Decision.APPROVE, text="同意上报")
        decl_id = decl.id
        with pytest.raises(UserError, match="不能删除附件"):
            drafts.detach(s, street.clerk, decl, listed[0]["id"])  # under review: nothing changes now
    export_package(street.store, street.admin, COUNTY, tmp_path / "up.sanlian")
    import_package(county.store, county.admin, tmp_path / "up.sanlian")
    with county.store.session() as s:
        workflow.review(s, county.rev, lookup.get(s, decl_id), decision=Decision.RETURN, text="请补充居民意见")
    export_package(county.store, county.admin, STREET, tmp_path / "down.sanlian")
    import_package(street.store, street.admin, tmp_path / "down.sanlian")

    late = _file(tmp_path, "居民意见.txt", "补充的居民意见")
    with street.store.session() as s:
        decl = lookup.get(s, decl_id)
        assert decl.status == Status.RETURNED
        drafts.attach(s, street.clerk, decl, street.store.paths, late, kind="minutes")
        listed = drafts.attachment_links(s, street.clerk, decl)
        assert [(a["name"], a["removable"]) for a in listed] == [("会议纪要.txt", False), ("居民意见.txt", True)]
        with pytest.raises(UserError, match="已随申报报送上级"):
            drafts.detach(s, street.clerk, decl, listed[0]["id"])
        drafts.detach(s, street.clerk, decl, listed[1]["id"])
        assert [a["name"] for a in drafts.attachment_links(s, street.clerk, decl)] == ["会议纪要.txt"]
        # The reviewer sees the list, but may remove nothing.
        assert not any(a["removable"] for a in drafts.attachment_links(s, street.rev, decl))
