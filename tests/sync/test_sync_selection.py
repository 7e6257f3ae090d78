"""The public notice travels down through signed packages to every office with a project in it; scores
and the shortlist stay at the province."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from tests.helpers import example_declaration
from tests.sync.helpers_cli import CHAIN, Offices

CODES = [code for _, code, _ in CHAIN]
UP = list(reversed(CODES))
FULL = "需求分析=18,项目设计=22,社工参与=17,预算合理性=12,预期成效=16"


def _to_province(o: Offices, tmp_path: Path, title: str) -> str:
    decl_file = tmp_path / f"{title}.json"
    decl_file.write_text(json.dumps(example_declaration(title=title), ensure_ascii=False), "utf-8")
    decl_id = o.ok("620102001001", "decl", "new", "--file", str(decl_file), user="clerk").strip()
    o.ok("620102001001", "decl", "submit", decl_id, user="clerk")
    for lower, upper in itertools.pairwise(UP):
        o.carry(lower, upper)
        if upper != "620000":
            o.ok(upper, "review", decl_id, "--decision", "approve", "--opinion", "同意上报", user="rev")
    return decl_id


def test_notice_reaches_the_community_and_scores_stay_at_the_province(chain: Offices, tmp_path: Path) -> None:
    o = chain
    o.down(CODES)
    first = _to_province(o, tmp_path, "东岗西路社区“银龄守望”空巢老人关爱服务项目")
    second = _to_province(o, tmp_path, "东岗西路社区青少年成长护航项目")
    o.ok("620000", "score", "add", first, "--scorer", "张教授", "--points", FULL, user="rev")
    o.ok("620000", "select", "approve", first, "--granted", "45000", user="rev")
    o.ok("620000", "select", "shortlist", second, "--amount", "30000", user="rev")
    issued = o.json("620000", "select", "notice", "--from", "2016-10-10", "--to", "2016-10-16", user="rev")
    assert issued["projects"] == 2
    o.down(CODES)
    for code in CODES[1:]:
        [held] = o.json(code, "select", "notices", user="rev")
        assert (held["id"], held["seq"], held["projects"], held["total"]) == (issued["id"], 1, 2, "75000.00"), code
    pdf = tmp_path / "社区公示.pdf"
    o.ok("620102001001", "select", "export", "--pdf", str(pdf), user="clerk")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    # A superseding notice follows the first one down; the first stays as issued.
    o.ok("620000", "select", "unshortlist", second, user="rev")
    o.ok("620000", "select", "notice", "--from", "2016-10-12", "--to", "2016-10-18", user="rev")
    o.down(CODES)
    held = o.json("620102001001", "select", "notices", user="clerk")
    assert [(n["seq"], n["projects"], n["current"]) for n in held] == [(2, 1, True), (1, 2, False)]
    # Scores and the shortlist never left the province.
    for code in CODES[1:]:
        assert _count(o, code, "expert_score") == 0 and _count(o, code, "shortlisting") == 0
        assert _count(o, code, "scoring_criterion") == 0
    assert _count(o, "620000", "expert_score") == 1
    # Receipts flow back: nothing is left waiting or unacknowledged.
    o.down(UP)
    o.down(CODES)
    for code in CODES:
        for row in o.json(code, "sync", "status"):
            assert row["waiting"] == 0 and row["sent_unacknowledged"] == 0, (code, row)
        assert "审计日志完好" in o.ok(code, "audit", "verify")


def _count(o: Offices, code: str, table: str) -> int:
    from sqlalchemy import text

    from sanlian_desktop.store.engine import Store

    store = Store.open(o.homes[code])
    try:
        with store.read_session() as s:
            return int(s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        store.close()


def test_a_notice_altered_on_the_way_is_refused(chain: Offices, tmp_path: Path) -> None:
    from sanlian_desktop.models import PublicNotice
    from sanlian_desktop.selection import records as selection_sync
    from sanlian_desktop.store.engine import Store

    o = chain
    o.down(CODES)
    decl = _to_province(o, tmp_path, "东岗西路社区“银龄守望”空巢老人关爱服务项目")
    o.ok("620000", "select", "approve", decl, user="rev")
    o.ok("620000", "select", "notice", "--from", "2016-10-10", "--to", "2016-10-16", user="rev")
    o.carry("620000", "620100")
    # The city's copy is changed behind the program's back (raw SQL, past the guard) and sent on.
    store = Store.open(o.homes["620100"])
    try:
        with store.session() as s:
            n = s.query(PublicNotice).one()
            entries = [dict(e, amount_fen=99_000_00) for e in n.entries]
            from sqlalchemy import update

            s.execute(update(PublicNotice).where(PublicNotice.id == n.id).values(entries=entries))
            assert selection_sync.notice_record(s.get(PublicNotice, n.id)).body["body"]["entries"][0][
                "amount_fen"] == 99_000_00
    finally:
        store.close()
    path = o.files / "forged.sanlian"
    o.ok("620100", "sync", "export", "--to", "620102", "--out", str(path))
    rc, _, err = o.run("620102", "sync", "import", str(path))
    assert rc == 2 and "格式错误（public_notice" in err, err
    assert o.json("620102", "select", "notices", user="rev") == []
