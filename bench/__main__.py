"""Run every benchmark module (or those named on the command line) and write the results."""

from __future__ import annotations

import importlib
import json
import platform
import sys
import traceback
from datetime import UTC, datetime

from bench.common import ROOT, Result

BENCH = ROOT / "bench"


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in BENCH.glob("bench_*.py"))
    results_path = BENCH / "results.json"
    previous = json.loads(results_path.read_text("utf-8")) if results_path.exists() else {}
    results: dict[str, dict[str, object]] = dict(previous)
    failed = False
    for name in names:
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            figures: list[Result] = module.run()
        except Exception:
            traceback.print_exc()
            failed = True
            continue
        for r in figures:
            results[r.name] = r.as_json()
            mark = {True: "met", False: "MISSED", None: ""}[r.met]
            floor = f" (floor {r.floor} {r.unit})" if r.floor is not None else ""
            print(f"  {r.name}: {r.value} {r.unit}{floor}  goal {r.goal}  {mark}", flush=True)
    results_path.write_text(json.dumps(results, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
    write_markdown(results)
    return 1 if failed else 0


def write_markdown(results: dict[str, dict[str, object]]) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"Python {platform.python_version()}. Figures are medians of repeated runs on a shared, noisy "
        "2-core machine; a floor is a baseline measured in the same run.",
        "",
        "| figure | value | floor | goal | met | note |",
        "|---|---|---|---|---|---|",
    ]
    for name in sorted(results):
        r = results[name]
        met = {True: "yes", False: "**no**"}.get(r.get("met"), "")  # type: ignore[arg-type]
        floor = f"{r['floor']} {r['unit']}" if "floor" in r else ""
        lines.append(f"| {name} | {r['value']} {r['unit']} | {floor} | {r['goal']} | {met} | {r.get('note', '')} |")
    # Written by hand, kept across runs: where the time of a figure goes (bench/profiles/*.md).
    for profile in sorted((BENCH / "profiles").glob("*.md")):
        lines += ["", profile.read_text("utf-8").strip()]
    (BENCH / "RESULTS.md").write_text("\n".join(lines) + "\n", "utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
