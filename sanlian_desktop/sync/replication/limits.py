"""Limits on the shape of what a package carries, checked before anything is parsed deeply or written.

A package whose signature is valid may still come from an office that means harm, or from a program
with a bug. Whatever it carries, the import (and ``sync verify``, which runs the same import and rolls
it back) refuses the whole package, with a message naming the record and the rule, when:

- **from the manifest alone**, before any entry is read: an attachment's id is not a SHA-256 in
  lowercase hex (an id is never a path), or its content's digest is not that id; an attachment is
  larger than the form accepts (:data:`~sanlian_desktop.store.attachments.MAX_ATTACHMENT`); a record,
  certificate or receipt is larger than its bound; there are more records, more attachments or more
  bytes than a package may hold; the attachments would not fit on the store's disk
  (:func:`check_entries`);
- **as each record is read**, before it is applied: it nests deeper than :data:`MAX_DEPTH` (never a
  ``RecursionError``); a string is longer than the form allows it (an opinion's text
  ``workflow.MAX_OPINION``, a declaration's fields ``declarations.fields.MAX_TEXT``, the other strings
  of the core records :attr:`ShapeLimits.max_short`); a file name is not a label (no path separator, not
  ``.``/``..``, no control character, at most 255 characters); a digest that names an attachment is not
  a SHA-256 in hex (:func:`check_body`, :func:`parse_record`; a signed statement's body once it is
  verified, :func:`checked_statements` and :func:`checked_verifier`).

The checks cost a few microseconds a record (a version ~25 µs): a 10,000-declaration import spends well
under a second on them.

Every refusal is a :class:`ShapeRefused` (a ``UserError``): the import's transaction is rolled back and
the files staged so far are deleted (:mod:`sanlian_desktop.store.staging`).
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sanlian_desktop.declarations import fields as declfields
from sanlian_desktop.declarations import workflow
from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.store.attachments import MAX_ATTACHMENT, is_sha256
from sanlian_desktop.sync.kinds.records import Record
from sanlian_desktop.sync.transport.packfmt import DEFAULT_LIMITS, EntryInfo
from sanlian_desktop.sync.trust.statements import Statement

MAX_DEPTH = cj.MAX_DEPTH
MAX_NAME = 255


@dataclass(frozen=True)
class ShapeLimits:
    """The bounds a received package is held to (defaults: what an honest office's export can hold)."""

    max_record: int = 1024 * 1024  # bytes of one record (a version with every field full is < 64 KiB)
    max_certificate: int = 64 * 1024
    # A receipt names every entry of the package it acknowledges: 20,000 × at most ~300 bytes.
    max_receipt: int = 16 * 1024 * 1024
    max_attachment: int = MAX_ATTACHMENT  # what the form accepts
    max_records: int = DEFAULT_LIMITS.max_entries  # entries other than attachments, per package
    max_attachments: int = DEFAULT_LIMITS.max_entries
    max_total: int = DEFAULT_LIMITS.max_total  # bytes of every entry together
    max_depth: int = MAX_DEPTH
    max_short: int = 1000  # any other string of a core record (codes, numbers, names, reviewers)
    free_margin: int = 64 * 1024 * 1024  # disk space left over once the attachments are written


LIMITS = ShapeLimits()


class ShapeRefused(UserError):
    """A package refused whole because one entry breaks a limit on shape."""


def refuse(kind: str, key: str, rule_zh: str, rule_en: str) -> ShapeRefused:
    """The refusal naming the record and the rule it breaks."""
    shown = key if len(key) <= 80 else key[:77] + "…"
    return ShapeRefused(
        f"数据包中的记录“{kind} {shown!r}”{rule_zh}，整个数据包拒绝导入（本单位数据未作任何改动）",
        f"package refused: record {kind} {shown!r}: {rule_en}",
    )


def _limits(limits: ShapeLimits | None) -> ShapeLimits:
    return LIMITS if limits is None else limits


# -- from the manifest ------------------------------------------------------------------------------


def check_entries(entries: Sequence[EntryInfo], *, digest_is_sha256: bool, home: Path | None = None,
                  limits: ShapeLimits | None = None) -> None:
    """Refuse a package whose manifest breaks a limit (see the module docstring); nothing is read.

    ``digest_is_sha256``: the package's suite hashes entries with SHA-256, so an attachment's manifest
    digest must be its id. ``home``: the store's folder, whose disk must hold the attachments."""
    lim = _limits(limits)
    records = attachments = total = attachment_bytes = 0
    for e in entries:
        total += e.length
        if e.kind == "attachment":
            attachments += 1
            attachment_bytes += e.length
            if not is_sha256(e.id):
                raise refuse(e.kind, e.id, "的编号不是 64 位小写十六进制的 SHA-256 摘要（附件编号不能是文件路径）",
                             "an attachment id must be a SHA-256 in lowercase hex, never a path")
            if digest_is_sha256 and e.digest.hex() != e.id:
                raise refuse(e.kind, e.id, "的内容与其编号（SHA-256 摘要）不符", "content does not hash to its id")
            if e.length > lim.max_attachment:
                raise refuse(e.kind, e.id, f"有 {e.length} 字节，超过附件上限 {lim.max_attachment} 字节",
                             f"{e.length} bytes, over the limit of {lim.max_attachment}")
            continue
        records += 1
        cap = {"certificate": lim.max_certificate, "receipt": lim.max_receipt}.get(e.kind, lim.max_record)
        if e.length > cap:
            raise refuse(e.kind, e.id, f"有 {e.length} 字节，超过单条记录上限 {cap} 字节",
                         f"{e.length} bytes, over the limit of {cap} for one record")
    if records > lim.max_records:
        raise ShapeRefused(f"数据包中有 {records} 条记录，超过上限 {lim.max_records} 条，整个数据包拒绝导入",
                           f"package refused: {records} records, over the limit of {lim.max_records}")
    if attachments > lim.max_attachments:
        raise ShapeRefused(f"数据包中有 {attachments} 个附件，超过上限 {lim.max_attachments} 个，整个数据包拒绝导入",
                           f"package refused: {attachments} attachments, over the limit of {lim.max_attachments}")
    if total > lim.max_total:
        raise ShapeRefused(f"数据包内容共 {total} 字节，超过上限 {lim.max_total} 字节，整个数据包拒绝导入",
                           f"package refused: {total} bytes, over the limit of {lim.max_total}")
    if home is not None and attachment_bytes:
        try:
            free = shutil.disk_usage(home).free
        except OSError:
            return
        if attachment_bytes + lim.free_margin > free:
            raise ShapeRefused(
                f"数据包中的附件共 {attachment_bytes // 2**20} MB，本单位数据所在磁盘的剩余空间（{free // 2**20} MB）"
                "不足，整个数据包没有导入；请清理磁盘后再导入",
                f"package refused: {attachment_bytes} bytes of attachments do not fit in {free} free bytes",
            )


# -- as each record is read ---------------------------------------------------------------------------


def parse_record(data: bytes, kind: str, key: str, limits: ShapeLimits | None = None) -> dict[str, Any]:
    """A record's JSON body, refused if it is unreadable, nests too deeply or breaks a limit on its
    strings and names (:func:`check_body`). ``data`` is bounded already (:func:`check_entries`)."""
    lim = _limits(limits)
    try:
        body = json.loads(data)
    except RecursionError:
        raise refuse(kind, key, f"嵌套层数超过上限 {lim.max_depth} 层", f"nested deeper than {lim.max_depth}") from None
    except (ValueError, UnicodeDecodeError):
        raise UserError(f"数据包中的记录无法读取（{kind} {key}）", f"unreadable record {kind} {key}") from None
    if not isinstance(body, dict):
        raise UserError(f"数据包中的记录格式错误（{kind} {key}）", "malformed record")
    check_body(kind, key, body, lim)
    return body


def check_body(kind: str, key: str, body: dict[str, Any], limits: ShapeLimits | None = None) -> None:
    """Refuse a record body that nests too deeply, names a file with anything but a label, names an
    attachment with anything but a SHA-256, or (a core record) has a string longer than the form allows."""
    lim = _limits(limits)
    _walk(kind, key, body, lim)
    special = _CORE.get(kind)
    if special is not None:
        special(kind, key, body, lim)


# The keys whose values name an attachment (a SHA-256) or a file (a label), wherever they appear.
_DIGEST_KEYS = frozenset({"sha256", "scan_sha256", "report_sha256"})
_NAME_KEYS = frozenset({"original_name", "report_name"})
_SPECIAL_KEYS = _DIGEST_KEYS | _NAME_KEYS


def _walk(kind: str, key: str, body: dict[str, Any], lim: ShapeLimits) -> None:
    """Depth, digests and file names, without recursion (a few microseconds for a flat record)."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > lim.max_depth:
            raise refuse(kind, key, f"嵌套层数超过上限 {lim.max_depth} 层", f"nested deeper than {lim.max_depth}")
        if type(value) is dict:
            if not _SPECIAL_KEYS.isdisjoint(value):
                _check_special(kind, key, value)
            items = value.values()
        else:
            items = value
        for item in items:
            if type(item) is dict or type(item) is list:
                stack.append((item, depth + 1))


def _check_special(kind: str, key: str, value: dict[str, Any]) -> None:
    for name in _DIGEST_KEYS.intersection(value):
        item = value[name]
        if item is not None and not is_sha256(item):
            raise refuse(kind, key, f"中的“{name}”不是 SHA-256 摘要", f"{name!r} is not a SHA-256 in lowercase hex")
    for name in _NAME_KEYS.intersection(value):
        _check_label(kind, key, name, value[name])
    if "sha256" in value and "name" in value:  # a file as a record lists it: {"sha256": ..., "name": ...}
        _check_label(kind, key, "name", value["name"])


def is_label(name: object) -> bool:
    """Whether ``name`` is a file name as a label: at most 255 characters, no path separator, neither
    ``.`` nor ``..``, no control character."""
    return (isinstance(name, str) and len(name) <= MAX_NAME and "/" not in name and "\\" not in name
            and name not in (".", "..")
            and not any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in name))


def _check_label(kind: str, key: str, field: str, name: object) -> None:
    if name is None and field == "report_name":
        return
    if not is_label(name):
        raise refuse(kind, key, f"中的文件名“{str(name)[:40]!r}”不合规（文件名只是名称：不超过 {MAX_NAME} 个字符，"
                     "不能含路径分隔符、控制字符，不能是“.”或“..”）",
                     f"file name {str(name)[:40]!r} in {field!r} is not a plain label")


def _short_strings(kind: str, key: str, body: dict[str, Any], lim: ShapeLimits, skip: tuple[str, ...] = ()) -> None:
    short = lim.max_short
    for name, value in body.items():
        if type(value) is str and len(value) > short and name not in skip:
            raise refuse(kind, key, f"中的“{name}”有 {len(value)} 个字符，超过上限 {lim.max_short}",
                         f"{name!r} has {len(value)} characters, over the limit of {lim.max_short}")


def _opinion(kind: str, key: str, body: dict[str, Any], lim: ShapeLimits) -> None:
    scan = body.get("scan_sha256")
    if scan is not None and not is_sha256(scan):
        raise refuse(kind, key, "中的“scan_sha256”不是 SHA-256 摘要", "'scan_sha256' is not a SHA-256 in lowercase hex")
    text = body.get("text")
    if isinstance(text, str) and len(text) > workflow.MAX_OPINION:
        raise refuse(kind, key, f"的意见正文有 {len(text)} 个字符，超过表单上限 {workflow.MAX_OPINION} 字",
                     f"the opinion text has {len(text)} characters, over the form's limit of {workflow.MAX_OPINION}")
    _short_strings(kind, key, body, lim, skip=("text",))


# The form's bound for each text field of a declaration (declarations/fields.py); any other string of
# the fields is held to the form's longest, ``MAX_TEXT["text"]``.
_FIELD_LIMITS = {
    ("batch",): declfields.MAX_TEXT["short"],
    ("title",): declfields.MAX_TEXT["title"],
    ("community_profile", "text"): declfields.MAX_TEXT["text"],
    ("needs_analysis",): declfields.MAX_TEXT["text"],
    ("service_plan",): declfields.MAX_TEXT["text"],
    ("expected_effect", "text"): declfields.MAX_TEXT["text"],
    ("undertaker", "name"): declfields.MAX_TEXT["name"],
    ("undertaker", "lead_worker"): declfields.MAX_TEXT["short"],
}
_LONGEST_FIELD = max(declfields.MAX_TEXT.values())


_FIELD_CAPS = {path[0]: cap for path, cap in _FIELD_LIMITS.items() if len(path) == 1}
_NESTED_CAPS = {path: cap for path, cap in _FIELD_LIMITS.items() if len(path) == 2}


def _version(kind: str, key: str, body: dict[str, Any], lim: ShapeLimits) -> None:
    """Every string of a version's fields within the form's limit for it (tight: 10,000 per import)."""
    _short_strings(kind, key, body, lim)
    fields = body.get("fields")
    if type(fields) is not dict:
        return  # the shape is the version handler's to refuse
    longest, caps, nested = _LONGEST_FIELD, _FIELD_CAPS, _NESTED_CAPS
    for name, value in fields.items():
        kind_of = type(value)
        if kind_of is str:
            if len(value) > caps.get(name, longest):
                _field_length(kind, key, (name,), value, caps.get(name, longest))
        elif kind_of is dict:
            for inner, item in value.items():
                if type(item) is str:
                    if len(item) > nested.get((name, inner), longest):
                        _field_length(kind, key, (name, inner), item, nested.get((name, inner), longest))
                elif type(item) in (dict, list):
                    _deep_field_lengths(kind, key, (name, inner), item)
        elif kind_of is list:
            for item in value:
                if type(item) is str:
                    if len(item) > longest:
                        _field_length(kind, key, (name,), item, longest)
                elif type(item) in (dict, list):
                    _deep_field_lengths(kind, key, (name,), item)


def _field_length(kind: str, key: str, path: tuple[str, ...], value: str, cap: int) -> None:
    if len(value) > cap:
        shown = ".".join(path)
        raise refuse(kind, key, f"的“{declfields.label(shown)}”有 {len(value)} 个字符，超过表单上限 {cap} 字",
                     f"field {shown!r} has {len(value)} characters, over the form's limit of {cap}")


def _deep_field_lengths(kind: str, key: str, path: tuple[str, ...], value: Any) -> None:
    """Every string below ``value`` (lists of terms, the funding sources) within the form's longest."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is str:
            _field_length(kind, key, path, item, _LONGEST_FIELD)
        elif type(item) is dict:
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)


def _plain(kind: str, key: str, body: dict[str, Any], lim: ShapeLimits) -> None:
    _short_strings(kind, key, body, lim)


_MAX_BATCH_STATEMENT = 16 * 1024  # the province's statement of a batch, base64 (a few hundred bytes)


def _batch(kind: str, key: str, body: dict[str, Any], lim: ShapeLimits) -> None:
    signature = body.get("signature")
    if isinstance(signature, str) and len(signature) > _MAX_BATCH_STATEMENT:
        raise refuse(kind, key, f"的签名有 {len(signature)} 个字符，超过上限 {_MAX_BATCH_STATEMENT}",
                     f"its signature has {len(signature)} characters, over the limit of {_MAX_BATCH_STATEMENT}")
    _short_strings(kind, key, body, lim, skip=("signature",))


_CORE: dict[str, Callable[[str, str, dict[str, Any], ShapeLimits], None]] = {
    "opinion": _opinion, "version": _version, "region": _plain, "batch": _batch, "declaration": _plain,
    "attachment_link": _plain,
}


# -- signed statements, once verified ---------------------------------------------------------------


def check_statement_body(kind: str, key: str, body: dict[str, Any], limits: ShapeLimits | None = None) -> None:
    """:func:`check_body` for the body of a verified statement. Its depth was bounded when the statement
    was parsed (``canonical.loads``), so a version's or an opinion's body, whose shape is known, is
    checked field by field without walking it."""
    lim = _limits(limits)
    if kind in _STATEMENTS:
        _CORE[kind](kind, key, body, lim)
    else:
        check_body(kind, key, body, lim)


_STATEMENTS = frozenset({"version", "opinion"})


def checked_statements(check: Callable[[Record], Statement]) -> Callable[[Record], Statement]:
    """``check`` (which verifies a version's or an opinion's statement), then the limits on its body
    (unless the import's worker found them kept already: :func:`prechecked`)."""
    def checked(record: Record) -> Statement:
        statement = check(record)
        if getattr(statement, "facts", None) is None:
            check_statement_body(record.kind, record.key, statement.body)
        return statement

    return checked


def prechecked(kind: str, body: dict[str, Any], limits: ShapeLimits) -> bool:
    """What the import's verifying worker (sync/trust/ahead.py) finds of a verified statement's body, so
    that the import need not find it again: the body keeps ``limits`` (else this raises, and the import
    checks and refuses itself); the result is whether a version's fields are complete and match its
    content hash (what ``Applier._version`` asks), True for any other kind."""
    check_statement_body(kind, "", body, limits)
    if kind != "version":
        return True
    fields = body["fields"]
    return not declfields.normalise(fields, for_submit=True).errors and \
        declfields.content_hash(fields) == body["content_hash"]


def checked_verifier(verify: Callable[[bytes, str, set[str]], dict[str, Any]]
                     ) -> Callable[[bytes, str, set[str]], dict[str, Any]]:
    """``verify`` (the statement of a record of a kind another module registered), then the limits on
    its body."""
    def checked(data: bytes, kind: str, signers: set[str]) -> dict[str, Any]:
        body = verify(data, kind, signers)
        key = body.get("id") or body.get("uid") or body.get("declaration_id") or "?"
        check_statement_body(kind, str(key), body)
        return body

    return checked
