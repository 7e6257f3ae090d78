"""The form's 申报社区 at a county lists the county's real communities — the store's, then the official
ones it lacks, in their short form — and a declaration saved for an official one keeps its code."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Declaration, Region
from sanlian_desktop.offices.regiondata import official_tree
from sanlian_desktop.ui.form.dialog import DeclarationDialog
from sanlian_desktop.ui.jobs import JobRunner
from tests.helpers import Office
from tests.ui.helpers import Modals, modals_fixture, writes_done  # noqa: F401

LONGXILU = "620102002001"  # 陇西路社区居委会, 张掖路街道: official, not in the test store


def test_the_community_box_lists_the_countys_real_communities(qtbot: Any, county: Office, modals: Modals,
                                                              jobs: JobRunner, example: dict[str, Any]) -> None:
    dialog = DeclarationDialog(county.store, county.clerk, None, jobs=jobs)
    qtbot.addWidget(dialog)
    box = dialog.form.community
    listed = {box.itemData(i): box.itemText(i) for i in range(1, box.count())}
    official = {r.code for r in official_tree().subtree("620102") if r.level is Level.COMMUNITY}
    assert len(official) > 150 and official <= set(listed)  # every official community of 城关区
    assert listed["620102001001"] == "东岗西路社区（东岗街道）"  # the store's own name wins
    assert listed[LONGXILU] == "陇西路社区（张掖路街道）"  # short form of 陇西路社区居委会
    assert not any("居委会（" in text or "村民委员会（" in text for text in listed.values())

    dialog.form.load({**example, "community": None})
    box.setCurrentIndex(box.findData(LONGXILU))
    assert box.currentText() == "陇西路社区（张掖路街道）"
    dialog.save()
    writes_done(qtbot, jobs)
    assert dialog.decl_id is not None
    with county.store.read_session() as s:
        decl = s.get(Declaration, dialog.decl_id)
        assert decl is not None and decl.community_code == LONGXILU
        region = s.get(Region, LONGXILU)  # copied into the store when first used
        assert region is not None and region.name == "陇西路社区居委会" and region.parent_code == "620102002"
        assert s.scalar(select(Region.name).where(Region.code == "620102002")) == "张掖路街道"
