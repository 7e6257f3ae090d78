"""The one canonical encoder for whatever is hashed or signed, and strict parsing of signed records.

Canonical JSON here is always sorted keys, no spaces, no ASCII escaping of non-ASCII text, UTF-8. Four
families of stored hashes were made by four copies of that rule which differ only in what they do with
values plain JSON cannot say; each difference is kept as an explicit :class:`Variant`, because changing
one would change hashes already stored, signed or chained:

- :data:`SIGNED` (:func:`dumps`) — certificates, requests, revocations, manifests, receipts, statements:
  plain JSON only; NaN/Infinity raise ``ValueError``, a date, bytes or Decimal ``TypeError``.
- :data:`RECORD` — sync record bodies (``Record.hash``): dates and times as ``isoformat()``, bytes as
  base64, Decimal refused; NaN/Infinity written as ``NaN``/``Infinity``.
- :data:`FIELDS` — a declaration version's ``content_hash``: plain JSON only, NaN/Infinity written.
- :data:`AUDIT` — the audit chain: any other value as its ``str()`` (``2026-01-01 08:00:00``, ``b'\\x00'``,
  ``45000.00``), NaN/Infinity written.

Every signed object (certificate, request, revocation, manifest, receipt) is a JSON object whose
signature covers ``domain || dumps(object without its signature)``. Parsing is strict: no duplicate
keys, no floats, no NaN, exact key sets — so one object has exactly one encoding.
``tests/golden/test_golden_vectors.py`` pins every variant to the bytes the four old encoders made.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from sanlian_desktop.kernel.errors import UserError

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
MAX_DEPTH = 32  # our records nest 5 deep; a statement body a few more


class MalformedError(UserError):
    """A record read from a file or column does not have the expected shape."""

    def __init__(self, zh: str, en: str = "", *, what_zh: str = "", what_en: str = "", detail: str = "") -> None:
        super().__init__(zh, en)
        self.what_zh, self.what_en, self.detail = what_zh, what_en, detail


def _record_value(value: object) -> str:
    """How a sync record body writes the non-JSON values it may hold."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


@dataclass(frozen=True)
class Variant:
    """What one family of hashed bytes does with values plain JSON cannot say (see the module's table).

    ``allow_nan`` writes ``NaN``/``Infinity`` as :mod:`json` does; ``default`` turns any other value
    into JSON (``None``: refuse it with ``TypeError``). Fixed for good: a change alters stored hashes."""

    name: str
    allow_nan: bool
    default: Callable[[Any], Any] | None


SIGNED = Variant("signed", allow_nan=False, default=None)
"""Signed records: nothing but plain JSON (no NaN, dates, bytes or Decimal)."""
RECORD = Variant("record", allow_nan=True, default=_record_value)
"""Sync record bodies: dates and times as ISO text, bytes as base64; NaN written as ``NaN``."""
FIELDS = Variant("fields", allow_nan=True, default=None)
"""A declaration's fields: plain JSON, NaN written as ``NaN`` (validation keeps it out in practice)."""
AUDIT = Variant("audit", allow_nan=True, default=str)
"""Audit entries: anything else as its ``str()`` (a datetime with a space, bytes as ``b'...'``)."""


def text(obj: object, variant: Variant = SIGNED) -> str:
    """The canonical JSON text of ``obj`` (sorted keys, no spaces, non-ASCII kept) under ``variant``."""
    return json.dumps(
        obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=variant.allow_nan,
        default=variant.default,
    )


def encode(obj: object, variant: Variant = SIGNED) -> bytes:
    """:func:`text` as UTF-8 bytes (a lone surrogate raises ``UnicodeEncodeError``)."""
    return text(obj, variant).encode("utf-8")


def sha256_hex(obj: object, variant: Variant = SIGNED) -> str:
    """SHA-256 (hex) of :func:`encode`."""
    return hashlib.sha256(encode(obj, variant)).hexdigest()


def dumps(obj: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a signed record (:data:`SIGNED`: plain JSON only)."""
    return encode(obj, SIGNED)


def to_plain(obj: object, variant: Variant = AUDIT) -> Any:
    """``obj`` as the plain JSON value ``variant`` would write (keys in their own order, not sorted):
    what a JSON column then stores and reads back unchanged, so a later hash of it is the same."""
    return json.loads(json.dumps(obj, ensure_ascii=False, allow_nan=variant.allow_nan, default=variant.default))


def malformed(what_zh: str, what_en: str, detail: str) -> NoReturn:
    """Raise the standard refusal for a record whose shape is wrong (read from a file that may be damaged;
    where the bytes passed an integrity check first, the reader re-raises it as :func:`intact`)."""
    raise MalformedError(
        f"{what_zh}的内容格式不正确（{detail}），文件可能已损坏。", f"malformed {what_en}: {detail}",
        what_zh=what_zh, what_en=what_en, detail=detail,
    )


def intact(exc: MalformedError) -> MalformedError:
    """``exc`` for bytes that passed an integrity check before they were parsed (what a package's
    encryption authenticates): the file is whole, so the record was written that way — by a faulty
    program or on purpose — and saying "damaged" would send people to copy the file again for nothing."""
    if not exc.what_zh:
        return exc
    return MalformedError(
        f"{exc.what_zh}的内容格式不正确（{exc.detail}）。文件本身完好（已通过完整性校验），"
        "是发送单位的程序写入了不合格式的内容，或内容被有意改写；请与发送单位联系，重新拷贝无济于事。",
        f"malformed {exc.what_en}: {exc.detail} (the file is intact: it was written so)",
        what_zh=exc.what_zh, what_en=exc.what_en, detail=exc.detail,
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_float(text: str) -> NoReturn:
    raise ValueError(f"number {text!r} is not an integer")


def loads(data: bytes, what_zh: str, what_en: str) -> dict[str, Any]:
    """Parse canonical JSON strictly into a dict, refusing anything else with a :class:`UserError`."""
    try:
        text = bytes(data).decode("utf-8")
        obj = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_float=_no_float, parse_constant=_no_float
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        malformed(what_zh, what_en, str(exc)[:80])
    if not isinstance(obj, dict):
        malformed(what_zh, what_en, "not an object")
    if _depth(obj) > MAX_DEPTH:
        malformed(what_zh, what_en, "nested too deeply")
    return obj


def _depth(obj: object) -> int:
    """Nesting depth, without recursion (re-encoding a deep value later could hit the recursion limit).

    A scalar counts one level below its container; only containers go on the stack."""
    deepest = 1
    stack: list[tuple[dict[str, Any] | list[Any], int]] = []
    if isinstance(obj, dict | list):
        stack.append((obj, 1))
    while stack:
        value, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                break
        below = depth + 1
        for child in value.values() if isinstance(value, dict) else value:
            if isinstance(child, dict | list):
                stack.append((child, below))
            elif below > deepest:
                deepest = below
    return deepest


def b64(data: bytes) -> str:
    """Bytes as standard base64 text."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, what_zh: str, what_en: str) -> bytes:
    """Strict base64 text back to bytes."""
    if not isinstance(text, str):
        malformed(what_zh, what_en, "expected base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        malformed(what_zh, what_en, "bad base64")


def fmt_time(moment: datetime) -> str:
    """An aware datetime as UTC text to the second (``2026-11-25T18:00:00Z``)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC time")
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: object, what_zh: str, what_en: str) -> datetime:
    """UTC text written by :func:`fmt_time` back to an aware datetime."""
    if not isinstance(text, str) or len(text) != 20:
        malformed(what_zh, what_en, "bad time")
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        malformed(what_zh, what_en, "bad time")


def body_time(value: object) -> datetime:
    """A timezone-aware time from a record body's ISO text; ``ValueError`` for a naive or malformed one
    (an import refuses such a record as malformed)."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("bad time")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("naive time")
    return moment


def body_text(value: object, limit: int, *, blank: bool = True) -> str:
    """A text value of a record body, at most ``limit`` characters (and not blank unless ``blank``);
    ``ValueError`` otherwise."""
    if not isinstance(value, str) or len(value) > limit or (not blank and not value.strip()):
        raise ValueError("bad text")
    return value


def utc_now() -> datetime:
    """The current time in UTC, truncated to the second (what records store)."""
    return datetime.now(UTC).replace(microsecond=0)


def check_keys(obj: Mapping[str, Any], expected: set[str], what_zh: str, what_en: str) -> None:
    """Refuse an object whose key set is not exactly ``expected``."""
    if set(obj) != expected:
        extra = sorted(set(obj) - expected)
        missing = sorted(expected - set(obj))
        malformed(what_zh, what_en, f"missing {missing}, unexpected {extra}"[:120])


def get_str(obj: Mapping[str, Any], key: str, what_zh: str, what_en: str, max_len: int = 200) -> str:
    """A string field, bounded in length."""
    value = obj.get(key)
    if not isinstance(value, str) or len(value) > max_len:
        malformed(what_zh, what_en, f"field {key!r}")
    return value


def get_int(obj: Mapping[str, Any], key: str, what_zh: str, what_en: str, maximum: int = 2**62) -> int:
    """A non-negative integer field, bounded."""
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        malformed(what_zh, what_en, f"field {key!r}")
    return value
