"""A verified package's entries read as records, in the order they are applied (a stream: only a
window of them is in memory)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.kinds.records import KINDS, STATEMENT_KINDS, Record, record_kinds
from sanlian_desktop.sync.kinds.registry import extra_kinds
from sanlian_desktop.sync.replication import limits
from sanlian_desktop.sync.transport.packfmt import EntryInfo
from sanlian_desktop.sync.transport.reader import VerifiedPackage
from sanlian_desktop.sync.trust.suite import get_suite


def b64(record: Record) -> bytes:
    """The bytes a JSON record carries base64-encoded under ``data`` (a revocation); malformed ones refused."""
    data = record.body.get("data")
    if not isinstance(data, str):
        raise UserError(f"数据包中的记录格式错误（{record.kind} {record.key}）", "malformed record")
    try:
        return base64.b64decode(data, validate=True)
    except ValueError:
        raise UserError(f"数据包中的记录格式错误（{record.kind} {record.key}）", "malformed record") from None


def _entry_opener(pkg: VerifiedPackage, entry: EntryInfo) -> Callable[[], BinaryIO]:
    def open_entry() -> BinaryIO:
        return pkg.open_entry(entry)

    return open_entry


# Entries that are not records: read before the records are applied.
_AROUND = ("certificate", "revocation", "receipt", "succession")
# Records that refer to nothing in the package and that others refer to: applied first, kind by kind.
_HEADS = ("region", "batch")


def check_kinds(pkg: VerifiedPackage) -> None:
    """Refuse a package holding a kind this program does not know (one from a newer version)."""
    known = {*record_kinds(), *_AROUND}
    for entry in pkg.entries:
        if entry.kind not in known:
            raise UserError(f"数据包中有本程序不认识的记录类型“{entry.kind}”（可能来自更新版本的程序）",
                            f"unknown record kind {entry.kind!r}")


def read_json(pkg: VerifiedPackage, entry: EntryInfo) -> dict[str, Any]:
    """An entry's JSON object, its depth, strings and names bounded (sync/replication/limits.py); one that
    does not read as one is refused."""
    return limits.parse_record(pkg.read_entry(entry, 8 * 1024 * 1024), entry.kind, entry.id)


def _record(pkg: VerifiedPackage, entry: EntryInfo, sha256: bool) -> Record:
    """One entry as a record. A version or an opinion is its signed statement, verified when it is
    applied (unless the store holds that very statement already). Where the package's suite hashes
    entries with SHA-256, the manifest's digest is the record's hash as it travelled."""
    carried = entry.digest.hex() if sha256 else None
    if entry.kind == "attachment":
        return Record("attachment", entry.id, {"sha256": entry.id, "size": entry.length},
                      blob=_entry_opener(pkg, entry), version=entry.version)
    if entry.kind in STATEMENT_KINDS:
        return Record(entry.kind, entry.id, {}, version=entry.version, raw=pkg.read_entry(entry, 8 * 1024 * 1024),
                      carried=carried)
    return Record(entry.kind, entry.id, read_json(pkg, entry), version=entry.version, carried=carried)


def records_of(pkg: VerifiedPackage) -> Iterator[Record]:
    """The package's records as a stream, in the order they are applied: regions, then batches, then
    every declaration with its attachments, versions, opinions and links in the sender's order (each
    declaration's records together, after those they refer to), then the records of the kinds other
    modules registered (sync/kinds.py), kind by kind. Only a window of them is in memory."""
    sha256 = getattr(get_suite(pkg.manifest.suite).hasher(), "name", None) == "sha256"
    for kind in _HEADS:
        for entry in pkg.manifest.entries:
            if entry.kind == kind:
                yield _record(pkg, entry, sha256)
    for entry in pkg.manifest.entries:
        if entry.kind in KINDS and entry.kind not in _HEADS:
            yield _record(pkg, entry, sha256)
    # The kinds other modules registered, after the core kinds, in the order they were registered.
    for extra in extra_kinds():
        for entry in pkg.manifest.entries:
            if entry.kind == extra.name:
                yield _record(pkg, entry, sha256)
