"""Deterministic encoding of signed records: sorted-key compact UTF-8 JSON, base64 bytes, UTC times.

Every signed object (certificate, request, revocation, manifest, receipt) is a JSON object whose
signature covers ``domain || canonical_json(object without its signature)``. Parsing is strict: no
duplicate keys, no floats, no NaN, exact key sets — so one object has exactly one encoding.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn

from sanlian_desktop.kernel.errors import UserError

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
MAX_DEPTH = 32  # our records nest 5 deep; a statement body a few more


class MalformedError(UserError):
    """A record read from a file or column does not have the expected shape."""


def dumps(obj: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a JSON-compatible mapping (sorted keys, no spaces, UTF-8)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def malformed(what_zh: str, what_en: str, detail: str) -> NoReturn:
    """Raise the standard refusal for a record whose shape is wrong."""
    raise MalformedError(
        f"{what_zh}的内容格式不正确（{detail}），文件可能已损坏。", f"malformed {what_en}: {detail}"
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
