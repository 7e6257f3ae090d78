"""Records named by a typed id or a prefix of it (sanlian_desktop/kernel/idprefix.py): declarations, progress
reports and the implementation records a correction replaces say the same for several matches and none."""

from __future__ import annotations

from datetime import date

import pytest

from sanlian_desktop.declarations import drafts, lookup
from sanlian_desktop.kernel import idprefix
from sanlian_desktop.kernel.errors import NotFound, UserError
from sanlian_desktop.models import ProgressReport
from sanlian_desktop.reports import service as progress
from tests.helpers import Office, example_declaration

IDS = ("abcdef01" + "0" * 24, "abcdef02" + "0" * 24, "abc99900" + "0" * 24)


def _reports(county: Office) -> None:
    with county.session() as s:
        for report_id in IDS:
            s.add(ProgressReport(id=report_id, office_code="620102", office_name="城关区民政局",
                                 period_start=date(2016, 1, 1), period_end=date(2016, 3, 31), issued_by="reviewer",
                                 figures={}))


def test_a_report_by_its_id_or_a_prefix_only_it_has(county: Office) -> None:
    _reports(county)
    with county.session() as s:
        assert progress.get(s, IDS[0]).id == IDS[0]
        assert progress.get(s, "abcdef01").id == IDS[0]
        assert progress.get(s, "abc999").id == IDS[2]  # six characters are enough


@pytest.mark.parametrize("typed", ["abcdef", "abcdef0"])
def test_a_prefix_several_reports_have_is_refused_as_such(county: Office, typed: str) -> None:
    _reports(county)
    with county.session() as s, pytest.raises(UserError) as caught:
        progress.get(s, typed)
    assert not isinstance(caught.value, NotFound)
    assert caught.value.zh == f"编号 {typed} 对应多个进展情况报告，请写完整编号"


@pytest.mark.parametrize("typed", ["abc99", "ABC999", "abcdef03", "", IDS[0] + "0"])
def test_a_short_a_wrong_or_an_unknown_prefix_names_no_report(county: Office, typed: str) -> None:
    _reports(county)
    with county.session() as s, pytest.raises(NotFound) as caught:
        progress.get(s, typed)
    assert caught.value.zh == f"没有编号为 {typed} 的进展情况报告"
    assert caught.value.en == f"no progress report {typed}"


def test_a_declaration_by_id_number_or_eight_characters(county: Office) -> None:
    with county.session() as s:
        decl = drafts.create(s, county.clerk, example_declaration())
        assert lookup.get(s, decl.id) is decl
        assert lookup.get(s, decl.number) is decl
        assert lookup.get(s, decl.id[:8]) is decl
        assert lookup.get(s, f"  {decl.id[:8]} ") is decl
        for typed in (decl.id[:7], "ffffffff"):
            with pytest.raises(NotFound, match=f"没有找到申报“{typed}”"):
                lookup.get(s, typed)


def test_one_of_the_matches() -> None:
    assert idprefix.one(["a"], "ab12", "拨付记录", "disbursement") == "a"
    with pytest.raises(UserError, match="编号 ab12 对应多个拨付记录，请写完整编号") as several:
        idprefix.one(["a", "b"], "ab12", "拨付记录", "disbursement")
    assert several.value.en == "ab12 matches more than one disbursement; use the full id"
    with pytest.raises(NotFound) as none:
        idprefix.one([], "ab12", "拨付记录", "disbursement", within="本项目")
    assert (none.value.zh, none.value.en) == ("本项目没有编号为 ab12 的拨付记录", "no disbursement ab12")
    with pytest.raises(NotFound) as none:
        idprefix.one([], "ab12", "申报", "declaration", missing=("没有找到申报“ab12”", "no declaration 'ab12'"))
    assert none.value.zh == "没有找到申报“ab12”"
