"""Make the golden vectors and fixtures in ``tests/data/golden`` — run on the PRE-REFACTOR code.

Kept for the record: it shows how the files were made, with the code as it stood before the layout
refactor that merged the four canonical-JSON encoders (commit 4463ec5; its imports have followed the
layout since). Running it again after that refactor would only
prove the new code agrees with itself; the point of the files is that the old code made them.

    .venv/bin/python scripts/make_golden_fixtures.py [--out tests/data/golden]

What it writes:

* ``vectors.json`` — for each input (tagged JSON, see ``tests/golden/helpers.py: decode``) the output
  of each encoder: ``sync/records.py: canonical`` (+ ``Record.hash``), ``sync/canonical.py: dumps``,
  ``declfields.py: canonical_json`` / ``content_hash``, ``audit.py: _entry_hash`` (+ the bytes it hashed).
* ``homes/<code>/`` — four of the five offices of a chain (province → city → county → street →
  community; the province's store is not kept) made through the services: two declarations entered and submitted by the community (one with an
  attachment), approved by the street, one approved and one returned by the county. Stores are
  vacuumed single files; backups and logs are left out.
* ``packages/county-to-city.sanlian`` — the county's export to the city, NOT imported by the city.
* ``manifest.json`` — users and passwords, office codes, what each file is.
* ``expected.json`` — SHA-256 of the package, its manifest entries and digests, every store's
  hashes/signatures/audit links, and what importing the package into the city gives.

Not byte-deterministic (the code does not allow it): office keys, UUIDs, package ids, the packages'
ephemeral X25519 keys and the wall clock (signed times, audit times, dates in the declaration relative to
the day it was made) differ per run. The encoders themselves are deterministic, so ``vectors.json`` is.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import itertools
import json
import os
import shutil
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import cheaphash  # noqa: E402

cheaphash.install()  # cheap argon2: the tests sign in quickly

from tests.golden.helpers import (  # noqa: E402
    AUDIT_CONTEXT,
    ENCODERS,
    decode,
    run_encoder,
    sha256_file,
    store_snapshot,
    vacuum_copy,
)

PASSWORD = "golden-pass-2016"
CHAIN = [
    ("province", "620000", "甘肃省民政厅"),
    ("city", "620100", "兰州市民政局"),
    ("county", "620102", "城关区民政局"),
    ("street", "620102001", "东岗街道办事处"),
    ("community", "620102001001", "东岗西路社区居委会"),
]
CODES = [code for _, code, _ in CHAIN]
# The province's store holds nothing the package needs but its root key (a megabyte of empty pages):
# it is left out to keep the fixtures small.
KEPT = CODES[1:]
USERS = {"admin": "admin", "clerk": "clerk", "reviewer": "rev"}
CERT_DAYS = 3650  # the longest an office certificate may run: the fixtures stay verifiable for years
PACKAGE_NAME = "county-to-city.sanlian"

# -- vectors ----------------------------------------------------------------------------------------

DICT_INPUTS: list[tuple[str, Any]] = [
    ("empty dict", {}),
    ("chinese text", {"title": "东岗西路社区“银龄守望”空巢老人关爱服务项目", "office": "城关区民政局"}),
    ("nested", {"b": {"y": [1, {"z": None, "a": True}], "x": []}, "a": [[], {}, [[]]], "c": {"": ""}}),
    ("key order: upper, lower, digits, CJK", {"b": 1, "B": 2, "a": 3, "10": 4, "9": 5, "中": 6, "_": 7}),
    ("key order: BMP private use vs astral (code points, not UTF-16 units)",
     {"\uff01": 1, "\U0001f600": 2, "\ue000": 3, "\ud7ff": 4}),
    ("ints", {"zero": 0, "neg": -1, "i64max": 2**63 - 1, "i64min": -(2**63), "u64": 2**64, "big": 10**30}),
    ("fen amounts", {"budget_fen": 1_000_000_000, "granted_fen": 4_500_000, "none": None}),
    ("decimal-like strings", {"amount": "45000.00", "neg": "-0.01", "sci": "1E+3", "plain": "12.5"}),
    ("booleans and null", {"t": True, "f": False, "n": None}),
    ("empty containers", {"l": [], "d": {}, "s": ""}),
    ("ideographic space and friends", {"\u3000": "\u3000前后\u3000", "nbsp": "a\u00a0b", "zwsp": "a\u200bb",
                                       "bom": "\ufeff", "line sep": "a\u2028b\u2029c"}),
    ("emoji", {"emoji": "👍🏽👨‍👩‍👧", "flag": "🇨🇳", "astral": "𠀀𪚥"}),
    ("escapes", {"nl": "a\nb", "quote": 'say "hi"', "backslash": "C:\\path\\", "nul": "a\u0000b",
                 "tab": "\t", "cr": "\r", "ctl": "\u0001\u001f\u007f", "slash": "a/b", "html": "<&>'"}),
    ("combining vs precomposed", {"e": "e\u0301", "é": "\u00e9"}),
    ("dates as text (what records carry)", {"opens": "2016-09-01", "at": "2026-01-01T08:00:00+08:00"}),
    ("date and datetime objects", {"d": {"$date": "2016-09-01"},
                                   "dt": {"$datetime": "2026-01-01T08:00:00.123456+08:00"},
                                   "naive": {"$datetime": "2026-01-01T08:00:00"}}),
    ("Decimal object", {"amount": {"$decimal": "45000.00"}}),
    ("bytes object", {"sig": {"$bytes": "AAEC/w=="}}),
    ("tuple", {"t": {"$tuple": [1, "二", None]}}),
    ("floats", {"half": {"$float": "1.5"}, "big": {"$float": "1e16"}, "negzero": {"$float": "-0.0"}}),
    ("nan", {"x": {"$float": "nan"}}),
    ("infinity", {"x": {"$float": "inf"}}),
    ("int keys (sorted as numbers, then written as text)", {"$keys": [[10, "a"], [9, "b"], [100, "c"]]}),
    ("bool and None keys", {"$keys": [[True, "t"], [None, "n"]]}),
    ("mixed key types", {"$keys": [[1, "a"], ["b", 2]]}),
    ("StrEnum value", {"level": {"$level": "COUNTY"}, "levels": [{"$level": "STREET"}, "community"]}),
    ("lone surrogate", {"s": "\ud800"}),
    ("int of 4300 digits (10**4299)", {"n": {"$pow10": 4299}}),
    ("int of 4301 digits (10**4300)", {"n": {"$pow10": 4300}}),
    ("deep nesting", {"a": [[[[[[[[[[{"b": [[[[[[[[[[]]]]]]]]]]}]]]]]]]]]]}),
    ("declaration example", "EXAMPLE"),
]
NON_DICT_INPUTS: list[tuple[str, Any]] = [
    ("top-level list", [1, "二", None, True, [], {}]),
    ("top-level string", "三社联动\u3000\n"),
    ("top-level None", None),
    ("top-level int", 2**70),
    ("top-level date", {"$date": "2016-09-01"}),
]
AUDIT_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("genesis, aware UTC, no microseconds", {"at": {"$datetime": "2026-01-01T00:00:00+00:00"}}),
    ("naive time", {"at": {"$datetime": "2026-01-01T08:00:00"}}),
    ("chained", {"prev_hash": hashlib.sha256(b"golden").hexdigest(), "seq": 123456789}),
    ("chinese user and entity", {"user": "王经办", "entity": "申报", "entity_id": "2016-620102-0001"}),
]
AUDIT_DETAILS = {"number": "2016-620102-0001", "title": "东岗西路社区“银龄守望”", "from_paper": False}


def make_vectors(example: dict[str, Any]) -> dict[str, Any]:
    """Every encoder on every input, and the audit hash in a few entry contexts."""
    vectors = []
    for name, raw in [*DICT_INPUTS, *NON_DICT_INPUTS]:
        written = example if raw == "EXAMPLE" else raw
        value = decode(written)
        vectors.append({"name": name, "input": written,
                        "outputs": {encoder: run_encoder(encoder, value) for encoder in ENCODERS}})
    audit_vectors = []
    for name, overrides in AUDIT_VARIANTS:
        context = {**AUDIT_CONTEXT, **overrides}
        audit_vectors.append({"name": name, "context": context, "details": AUDIT_DETAILS,
                              "output": run_encoder("audit._entry_hash", AUDIT_DETAILS, context)})
    return {"about": "Outputs of the four canonical-JSON encoders before the layout refactor; inputs are tagged "
                     "JSON (tests/golden/helpers.py: decode). bytes_hex is the encoder's output as UTF-8; "
                     "'error' names the exception it raised.",
            "encoders": list(ENCODERS), "audit_context": AUDIT_CONTEXT, "vectors": vectors,
            "audit_vectors": audit_vectors}


# -- fixtures ---------------------------------------------------------------------------------------


def example_declaration(**overrides: Any) -> dict[str, Any]:
    """The example declaration, dated so it can be submitted today (as tests/helpers.py does)."""
    data = json.loads((ROOT / "tests" / "data" / "declaration.example.json").read_text("utf-8"))
    today = date.today()
    base = today - timedelta(days=25)
    data["pre_steps"] = {
        "solicitation_date": base.isoformat(), "hearing_date": (base + timedelta(days=5)).isoformat(),
        "council_date": (base + timedelta(days=10)).isoformat(), "notice_start": (base + timedelta(days=11)).isoformat(),
        "notice_end": (base + timedelta(days=18)).isoformat(),
    }
    data["period_start"] = (today + timedelta(days=30)).isoformat()
    data["period_end"] = (today + timedelta(days=390)).isoformat()
    data = copy.deepcopy(data)
    data.update(overrides)
    return data


def build_chain(work: Path) -> dict[str, Any]:
    """The five offices, two declarations up to the county, and the county's package to the city."""
    from sanlian_desktop.declarations import batches, drafts, lookup, workflow
    from sanlian_desktop.kernel.vocab import Decision, Level, Role
    from sanlian_desktop.offices import auth
    from sanlian_desktop.offices import custody as trust
    from sanlian_desktop.offices.office import init_office
    from sanlian_desktop.sync.exchange.export import export_package
    from sanlian_desktop.sync.exchange.importing import import_package

    homes = work / "homes"
    usb = work / "usb"
    usb.mkdir(parents=True)
    stores = {}
    admins = {}
    try:
        for level, code, name in CHAIN:
            region_name = {"street": "东岗街道", "community": "东岗西路社区"}.get(level)
            store = init_office(homes / code, level=Level(level), region_code=code, name=name, admin="admin",
                                admin_password=PASSWORD, region_name=region_name)
            stores[code] = store
            with store.session() as s:
                admin = auth.sign_in(s, "admin", PASSWORD)
                auth.add_user(s, admin, username="clerk", role=Role.CLERK, password=PASSWORD, display_name="王经办")
                auth.add_user(s, admin, username="rev", role=Role.REVIEWER, password=PASSWORD, display_name="李审核")
            admins[code] = admin
        for parent, child in itertools.pairwise(CODES):
            req, cert = usb / f"{child}.req", usb / f"{child}.cert"
            with stores[child].session() as s:
                trust.request_certificate(s, admins[child], req)
            with stores[parent].session() as s:
                trust.certify_child(s, admins[parent], req, cert, valid_days=CERT_DAYS)
            with stores[child].session() as s:
                trust.install_certificate(s, admins[child], cert)
        today = date.today()
        with stores["620000"].session() as s:
            batches.add_batch(s, admins["620000"], name="2016年试点项目申报", code="2016",
                              opens=today - timedelta(days=30), closes=today + timedelta(days=30),
                              budget=Decimal("10000000"), quota_projects=200, quota_communities=100)

        def carry(sender: str, receiver: str, name: str) -> None:
            package = usb / name
            export_package(stores[sender], admins[sender], receiver, package)
            import_package(stores[receiver], admins[receiver], package, backup=False)

        for n, (parent, child) in enumerate(itertools.pairwise(CODES)):
            carry(parent, child, f"batch-{n}.sanlian")

        community = stores["620102001001"]
        attachment = usb / "居民议事会会议纪要.txt"
        attachment.write_text("东岗西路社区居民议事会会议纪要\n时间：2016年8月\n议题：“银龄守望”项目\u3000同意申报。\n",
                              "utf-8")
        with community.session() as s:
            clerk = auth.sign_in(s, "clerk", PASSWORD)
            first = drafts.create(s, clerk, example_declaration())
            drafts.attach(s, clerk, first, community.paths, attachment, kind="minutes")
            second = drafts.create(s, clerk, example_declaration(
                title="东岗西路社区“邻里守望·四点半课堂”青少年服务项目（含😀与\u3000全角空格）"))
            ids = [first.id, second.id]
            for decl in (first, second):
                drafts.submit(s, clerk, decl, community.paths)
        carry("620102001001", "620102001", "community-to-street.sanlian")
        with stores["620102001"].session() as s:
            rev = auth.sign_in(s, "rev", PASSWORD)
            for decl_id in ids:
                workflow.review(s, rev, lookup.get(s, decl_id), decision=Decision.APPROVE,
                                text="经审核，项目符合申报条件，同意上报。")
        carry("620102001", "620102", "street-to-county.sanlian")
        with stores["620102"].session() as s:
            rev = auth.sign_in(s, "rev", PASSWORD)
            workflow.review(s, rev, lookup.get(s, ids[0]), decision=Decision.APPROVE,
                            text="同意上报市局。\n资金来源清楚，\"银龄守望\"可行。")
            workflow.review(s, rev, lookup.get(s, ids[1]), decision=Decision.RETURN,
                            text="请补充资金来源说明\u3000（附件）")
        package = work / "packages" / PACKAGE_NAME
        package.parent.mkdir()
        exported = export_package(stores["620102"], admins["620102"], "620100", package)
        return {"declarations": ids, "exported": exported}
    finally:
        for store in stores.values():
            store.close()


def copy_home(source: Path, target: Path) -> None:
    """A store's home without its backups and logs, the database vacuumed into one file."""
    from sanlian_desktop.kernel.paths import AppPaths

    paths = AppPaths(source)
    target.mkdir(parents=True)
    vacuum_copy(paths.database, target / paths.database.name)
    if paths.attachments.exists() and any(paths.attachments.rglob("*")):
        shutil.copytree(paths.attachments, target / paths.attachments.name)


def package_facts(path: Path, city_home: Path) -> dict[str, Any]:
    """The package as the city reads it: id, sender, channel and every manifest entry's digest."""
    from sanlian_desktop.models.base import utcnow
    from sanlian_desktop.offices import auth
    from sanlian_desktop.offices import custody as trust
    from sanlian_desktop.store.engine import Store
    from sanlian_desktop.sync.transport.reader import open_package

    store = Store.open(city_home)
    try:
        with store.session() as s:
            admin = auth.sign_in(s, "admin", PASSWORD)
            keys = trust.office_keys(s, admin)
            roots = trust.pinned_roots(s)
            revoked = trust.revoked_map(s)
            with open_package(path, keys, roots, revoked, utcnow(), recipient_code="620100",
                              parent_of=trust.parent_of(s)) as pkg:
                return {
                    "package_id": pkg.package_id, "sender": pkg.sender.code, "channel_seq": pkg.channel_seq,
                    "suite": pkg.manifest.suite, "manifest_signature_b64": _b64(pkg.manifest.signature),
                    "entries": [[e.kind, e.id, e.version, e.length, e.digest.hex()] for e in pkg.entries],
                }
    finally:
        store.close()


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def import_facts(package: Path, city_home: Path) -> dict[str, Any]:
    """What verifying and importing the package into (a copy of) the city gives."""
    from sanlian_desktop.offices import auth
    from sanlian_desktop.store import audit, health
    from sanlian_desktop.store.engine import Store
    from sanlian_desktop.sync.exchange.importing import import_package

    store = Store.open(city_home)
    try:
        with store.session() as s:
            admin = auth.sign_in(s, "admin", PASSWORD)
        preview = import_package(store, admin, package, preview=True)
        result = import_package(store, admin, package, backup=False)
        snapshot = store_snapshot(store)
        with store.read_session() as s:
            assert audit.verify(s).ok
        assert health.check(store).ok
        return {"preview": preview.as_dict(), "result": result.as_dict(), "after": snapshot}
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "golden")
    args = parser.parse_args()
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    example = json.loads((ROOT / "tests" / "data" / "declaration.example.json").read_text("utf-8"))
    (out / "vectors.json").write_text(json.dumps(make_vectors(example), ensure_ascii=True, indent=1) + "\n", "utf-8")

    from sanlian_desktop.store.engine import HEAD_REVISION, Store

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        made = build_chain(work)
        for code in KEPT:
            copy_home(work / "homes" / code, out / "homes" / code)
        shutil.copytree(work / "packages", out / "packages")
    package = out / "packages" / PACKAGE_NAME

    stores: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for code in KEPT:  # read from copies: opening a store adds folders and files to its home
            shutil.copytree(out / "homes" / code, Path(tmp) / code)
            store = Store.open(Path(tmp) / code, migrate=False)
            try:
                stores[code] = {"schema_revision": store.schema_revision(), "snapshot": store_snapshot(store)}
            finally:
                store.close()
    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "620100"
        shutil.copytree(out / "homes" / "620100", city)
        facts = package_facts(package, city)
        imported = import_facts(package, city)

    exported = made["exported"]
    expected = {
        "schema_revision": HEAD_REVISION,
        "package": {"file": f"packages/{PACKAGE_NAME}", "sha256": sha256_file(package),
                    "size": package.stat().st_size, "records": exported.records, "receipts": exported.receipts,
                    "by_kind": exported.by_kind, **facts},
        "stores": stores,
        "import": imported,
    }
    (out / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", "utf-8")
    manifest = {
        "about": "Golden fixtures made by scripts/make_golden_fixtures.py on the pre-refactor code. Copy before "
                 "use: never open the stores here in place.",
        "made_on": date.today().isoformat(),
        "password": PASSWORD, "users": {"admin": "admin", "clerk": "clerk", "reviewer": "rev"},
        "argon2": "cheap parameters (tests/cheaphash.py; hashes carry their parameters)",
        "offices": {code: {"level": level, "name": name, "home": f"homes/{code}" if code in KEPT else None}
                    for level, code, name in CHAIN},
        "declarations": made["declarations"],
        "package": {"file": f"packages/{PACKAGE_NAME}", "from": "620102", "to": "620100",
                    "imported_by_receiver": False},
        "certificate_days": CERT_DAYS,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
