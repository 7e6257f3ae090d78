"""``sanlian decl similar ID`` and ``sanlian --json similar --batch CODE`` on the demo's near-copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import Cli


def test_similar_pairs_of_the_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    c = Cli(tmp_path / "county", capsys, monkeypatch)
    c.ok("init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin", user=None)
    summary = c.json("demo", "--count", "90")
    assert summary["screened"] == 90
    batch = c.json("batch", "list")[0]["code"]

    found = c.json("similar", "--batch", batch)
    # The demo makes every 41st declaration a near-copy of the one before (declarations 40 and 81).
    assert found["threshold"] == 72 and len(found["pairs"]) == 2
    assert all(p["score"] >= 72 for p in found["pairs"])
    pair = found["pairs"][0]
    assert pair["a"]["community"] != pair["b"]["community"]

    listed = c.json("decl", "similar", pair["a"]["number"])
    assert pair["b"]["number"] in [s["number"] for s in listed["similar"]]
    text = c.ok("decl", "similar", pair["b"]["number"])
    assert f"相似 {pair['score']}%" in text and pair["a"]["number"] in text

    assert len(c.json("similar", "--batch", batch, "--min", "60")["pairs"]) > 2  # shared demo boilerplate

    c.ok("user", "add", "rev", "--role", "reviewer")
    assert "理由" in c.refused("decl", "similar", pair["a"]["number"], "--clear", pair["b"]["number"], user="rev")
    cleared = c.json("decl", "similar", pair["a"]["number"], "--clear", pair["b"]["number"],
                     "--reason", "同一街道统一撰写", user="rev")
    assert [s["cleared"] for s in cleared["similar"] if s["number"] == pair["b"]["number"]] == ["同一街道统一撰写"]
    again = c.json("similar", "--batch", batch)["pairs"]
    assert [p["cleared"] for p in again if p["a"]["number"] == pair["a"]["number"]] == ["同一街道统一撰写"]
    assert "没有申报批次" in c.refused("similar", "--batch", "1999")
    code, _out, err = c.run("similar", "--batch", batch, "--min", "120")
    assert code == 2 and "不是 0 到 100" in err


def test_the_threshold_is_the_offices(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    c = Cli(tmp_path / "county", capsys, monkeypatch)
    c.ok("init", "--level", "county", "--region", "620102", "--name", "城关区民政局", "--admin", "admin", user=None)
    c.ok("user", "add", "clerk", "--role", "clerk")
    assert c.json("similar-threshold") == {"threshold": 72, "default": 72}
    c.refused("similar-threshold", "80", user="clerk")  # an admin's setting
    assert c.json("similar-threshold", "80")["threshold"] == 80
    assert "80%" in c.ok("similar-threshold")
    assert "之间" in c.refused("similar-threshold", "40")
    from sanlian_desktop.models import AuditEntry
    from sanlian_desktop.store.engine import Store

    store = Store.open(c.home)
    try:
        with store.read_session() as s:
            logged = [e.details for e in s.query(AuditEntry).filter_by(action="screening.threshold")]
    finally:
        store.close()
    assert logged == [{"from": 72, "to": 80}]
