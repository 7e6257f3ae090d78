"""Progress reports (进展情况): figures with known answers, refusals, PDF and Excel, and the way up."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from openpyxl import load_workbook

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models import ProgressReport
from sanlian_desktop.reports.records import _apply
from sanlian_desktop.reports.service import check_period
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.kinds.records import Record
from tests.helpers import example_declaration
from tests.sync.conftest import certified_chain
from tests.sync.helpers_cli import CHAIN, Offices

CODES = [code for _, code, _ in CHAIN]
PROVINCE, CITY, COUNTY, STREET, COMMUNITY = CODES
TODAY = date.today()
START = (TODAY - timedelta(days=40)).isoformat()


@pytest.fixture(autouse=True)
def _today() -> None:
    """Today as each test starts, not as the module was loaded: a run may pass midnight."""
    global TODAY, START  # noqa: PLW0603 - the module-level names the tests read
    TODAY = date.today()
    START = (TODAY - timedelta(days=40)).isoformat()


@pytest.fixture
def reviewed(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Offices:
    """One declaration approved by the street and returned by the county, another still at the street."""
    o = certified_chain(tmp_path, capsys, monkeypatch)
    o.down(CODES)
    decl_file = tmp_path / "decl.json"
    ids = []
    for title in ("东岗西路社区“银龄守望”空巢老人关爱服务项目", "东岗西路社区青少年课后服务项目"):
        decl_file.write_text(json.dumps(example_declaration(title=title), ensure_ascii=False), "utf-8")
        ids.append(o.ok(COMMUNITY, "decl", "new", "--file", str(decl_file), user="clerk").strip())
        o.ok(COMMUNITY, "decl", "submit", ids[-1], user="clerk")
    o.carry(COMMUNITY, STREET)
    o.ok(STREET, "review", ids[0], "--decision", "approve", "--opinion", "同意上报", user="rev")
    o.carry(STREET, COUNTY)
    o.ok(COUNTY, "review", ids[0], "--decision", "return", "--opinion", "请补充预算说明", user="rev")
    return o


def test_figures_have_known_answers(reviewed: Offices) -> None:
    o = reviewed
    county = o.json(COUNTY, "report", "preview", "--from", START, "--to", TODAY.isoformat(), user="rev")
    assert county["region"] == {"code": COUNTY, "name": "城关区", "level": "county"}
    # Everything submitted below travels up: the county sees the one still at the street too.
    assert county["by_status"] == {"returned": 1, "under_review": 1} and county["total"] == 2
    assert county["in_period"]["submitted"] == 2
    assert county["in_period"]["decisions"]["street"] == {"approve": 1, "return": 0, "reject": 0}
    assert county["in_period"]["decisions"]["county"] == {"approve": 0, "return": 1, "reject": 0}
    assert county["return_rate"] == "0.500" and county["approval_rate"] is None  # 1 of 2 returned, none decided
    street = o.json(STREET, "report", "preview", "--from", START, "--to", TODAY.isoformat(), user="rev")
    # The street has not yet received the county's return: to it, one waits at the county, one at itself.
    assert street["by_status"] == {"under_review": 2}
    assert street["awaiting_by_level"] == {"county": 1, "street": 1}
    assert street["median_days_waiting"] == {"county": "0.0", "street": "0.0"}
    # A period before anything happened counts nothing in the period, but the state is today's.
    early = (TODAY - timedelta(days=400)).isoformat(), (TODAY - timedelta(days=300)).isoformat()
    before = o.json(STREET, "report", "preview", "--from", early[0], "--to", early[1], user="rev")
    assert before["in_period"]["submitted"] == 0
    assert all(sum(d.values()) == 0 for d in before["in_period"]["decisions"].values())


def test_reports_are_carried_up_signed_and_read_only(reviewed: Offices, tmp_path: Path) -> None:
    o = reviewed
    street_id = o.json(STREET, "report", "issue", "--from", START, "--to", TODAY.isoformat(), user="rev")["id"]
    o.carry(STREET, COUNTY)
    county_id = o.json(COUNTY, "report", "issue", "--from", START, "--to", TODAY.isoformat(), user="rev")["id"]
    o.carry(COUNTY, CITY)
    report = o.carry(CITY, PROVINCE)
    assert report["applied"] >= 2
    held = {r["id"]: r for r in o.json(PROVINCE, "report", "list", user="rev")}
    assert set(held) == {street_id, county_id}
    assert held[street_id]["office"] == STREET and held[street_id]["received_from"] == CITY
    shown = o.json(PROVINCE, "report", "show", street_id[:8], user="rev")
    assert shown["signed"] and shown["figures"]["by_status"] == {"under_review": 2}
    # The same package again changes nothing; a later package carries nothing new of them.
    again = o.carry(CITY, PROVINCE)
    assert again["applied"] == 0
    # A correction supersedes the county's report; only the newest shows unless --all.
    new_id = o.json(COUNTY, "report", "issue", "--from", START, "--to", TODAY.isoformat(), "--supersedes",
                    county_id, user="rev")["id"]
    o.down([COUNTY, CITY, PROVINCE])
    listed = [r["id"] for r in o.json(PROVINCE, "report", "list", "--region", COUNTY, user="rev")]
    assert new_id in listed and county_id not in listed
    assert county_id in [r["id"] for r in o.json(PROVINCE, "report", "list", "--all", user="rev")]
    # Reports never travel down.
    o.carry(PROVINCE, CITY)
    assert {r["office"] for r in o.json(CITY, "report", "list", "--all", user="rev")} == {STREET, COUNTY}
    # Stored reports cannot be changed.
    store = Store.open(o.homes[PROVINCE])
    try:
        with pytest.raises(UserError), store.session() as s:
            row = s.get(ProgressReport, street_id)
            assert row is not None
            row.figures = {"total": 0}
    finally:
        store.close()


def test_pdf_and_workbook_hold_the_figures(reviewed: Offices, tmp_path: Path) -> None:
    o = reviewed
    pdf, xlsx = tmp_path / "进展.pdf", tmp_path / "进展.xlsx"
    issued = o.json(STREET, "report", "issue", "--from", START, "--to", TODAY.isoformat(), "--pdf", str(pdf),
                    "--xlsx", str(xlsx), user="rev")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "进展情况" in text and "第1页共1页" in text.replace(" ", "") and "东岗街道" in text
    assert "审核中" in text and "同意" in text
    wb = load_workbook(xlsx)
    cells = [c.value for row in wb["进展情况"].iter_rows() for c in row if c.value is not None]
    assert issued["id"] in " ".join(map(str, cells))
    assert "一、申报项目现状" in cells and "合计" in cells
    assert cells[cells.index("合计") + 1] == 2  # counts are numbers
    again = tmp_path / "again.xlsx"
    o.ok(STREET, "report", "export", issued["id"], "--xlsx", str(again), user="rev")
    assert again.exists()


def test_bad_input_is_refused_and_changes_nothing(reviewed: Offices, tmp_path: Path) -> None:
    o = reviewed
    today = TODAY.isoformat()
    cases = [
        (STREET, "rev", ["--from", today, "--to", START], "早于开始日期"),
        (STREET, "rev", ["--from", START, "--to", (TODAY + timedelta(days=1)).isoformat()], "还未到"),
        (STREET, "rev", ["--from", "2015-01-01", "--to", today], "不能超过一年"),
        (STREET, "clerk", ["--from", START, "--to", today], "审核人"),
        (COMMUNITY, "rev", ["--from", START, "--to", today], "社区不出具"),
        (STREET, "rev", ["--from", START, "--to", today, "--supersedes", "abcdef"], "没有编号为"),
        (STREET, "rev", ["--from", START, "--to", today, "--pdf", str(tmp_path / "nope" / "x.pdf")], "不存在"),
        (STREET, "rev", ["--from", "2016-13-01", "--to", today], "不是日期"),
    ]
    for code, user, args, message in cases:
        rc, _, err = o.run(code, "report", "issue", *args, user=user)
        assert rc == 2 and message in err, (args, err)
        assert "Traceback" not in err
    assert o.json(STREET, "report", "list", user="rev") == []
    rc, _, err = o.run(STREET, "report", "export", "abcdef0123", "--pdf", str(tmp_path / "x.pdf"), user="rev")
    assert rc == 2 and "没有编号为" in err


def test_check_period_rules() -> None:
    today = date(2016, 12, 31)
    check_period(date(2016, 1, 1), today, today=today)
    with pytest.raises(UserError):
        check_period(date(2015, 12, 30), today, today=today)


class _Incoming(SimpleNamespace):
    def conflict(self, record: Any, reason: str, declaration_id: str | None = None) -> None:
        self.conflicts.append(reason)

    def verify(self, data: bytes, kind: str, signers: set[str]) -> dict[str, Any]:  # pragma: no cover
        raise AssertionError("must not be reached")


def test_a_report_from_outside_the_senders_territory_or_from_above_is_refused() -> None:
    record = Record("progress_report", "a" * 32, {"office_code": "620200", "statement": "e30="})
    incoming = _Incoming(s=None, sender=COUNTY, from_parent=False, conflicts=[],
                         report=SimpleNamespace(applied=0, already=0))
    with pytest.raises(UserError, match="不在发送单位的辖区内"):
        _apply(incoming, record)
    incoming.from_parent = True
    _apply(incoming, Record("progress_report", "b" * 32, {"office_code": STREET, "statement": "e30="}))
    assert incoming.conflicts == ["进展情况报告只向上级报送，不接收上级发来的报告"]
    with pytest.raises(ValueError):
        _apply(incoming, Record("progress_report", "c" * 32, {"office_code": "62x", "statement": "e30="}))
