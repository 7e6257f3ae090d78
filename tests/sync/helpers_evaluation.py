"""Building an evaluator office beside the five-office chain, through the command line."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from tests.helpers import example_declaration
from tests.sync.helpers_cli import CHAIN, Offices

CODES = [code for _, code, _ in CHAIN]
UP = list(reversed(CODES))
PROVINCE, CITY, COMMUNITY = "620000", "620100", "620102001001"
EVAL, OTHER = "620000E001", "620000E002"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
POINTS = "需求回应=18,目标达成=22,服务质量=17,资金使用=18,三社联动=12"


def add_evaluator(o: Offices, code: str, name: str, *, certify_at: str = PROVINCE) -> None:
    """An evaluator office in its own home, certified by the province."""
    o.homes[code] = o.root / code
    o.ok(code, "init", "--level", "evaluator", "--code", code, "--name", name, "--admin", "admin", "--suite", o.suite,
         user=None)
    o.ok(code, "user", "add", "rev", "--role", "reviewer")
    o.ok(code, "user", "add", "clerk", "--role", "clerk")
    req, cert = o.files / f"{code}.req", o.files / f"{code}.cert"
    o.ok(code, "office", "request", "--out", str(req))
    o.ok(certify_at, "office", "certify", str(req), "--out", str(cert))
    o.ok(code, "office", "install", str(cert))


def approved_project(o: Offices, tmp_path: Path, title: str | None = None) -> str:
    """A declaration submitted by the community and approved by every level, decision carried down."""
    decl_file = tmp_path / "decl.json"
    data = example_declaration(**({"title": title} if title else {}))
    decl_file.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    decl_id = o.ok(COMMUNITY, "decl", "new", "--file", str(decl_file), user="clerk").strip()
    attachment = tmp_path / "minutes.txt"
    attachment.write_text("社区议事会会议记录", "utf-8")
    o.ok(COMMUNITY, "decl", "attach", decl_id, str(attachment), "--kind", "minutes", user="clerk")
    o.ok(COMMUNITY, "decl", "submit", decl_id, user="clerk")
    for lower, upper in itertools.pairwise(UP):
        o.carry(lower, upper)
        extra = ["--granted", "40000"] if upper == PROVINCE else []
        o.ok(upper, "review", decl_id, "--decision", "approve", "--opinion", "同意", *extra, user="rev")
    o.down(CODES)
    return decl_id
