"""The QR payload: compact, round-trips, and refuses anything malformed with a clear message."""

from __future__ import annotations

import pytest

from sanlian_desktop.documents.printing import parse_qr_payload, qr_payload
from sanlian_desktop.kernel.errors import UserError

HASH = "AB12cd34ef56ab78" + "0" * 48


def test_payload_round_trip() -> None:
    text = qr_payload("2016-620102-0001", 3, HASH)
    assert text == "SL1|2016-620102-0001|3|ab12cd34ef56ab78"
    assert parse_qr_payload(text) == ("2016-620102-0001", 3, "ab12cd34ef56ab78")
    assert parse_qr_payload(f"  {text}\n") == ("2016-620102-0001", 3, "ab12cd34ef56ab78")
    assert qr_payload("2016-620102-0001", 3, "sha256:" + HASH) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "SL2|2016-0001|3|ab12cd34ef56ab78",
        "SL1|2016-0001|3",
        "SL1|2016-0001|3|ab12cd34ef56ab78|extra",
        "SL1||3|ab12cd34ef56ab78",
        "SL1|2016 0001|3|ab12cd34ef56ab78",
        "SL1|2016-0001|0|ab12cd34ef56ab78",
        "SL1|2016-0001|-1|ab12cd34ef56ab78",
        "SL1|2016-0001|三|ab12cd34ef56ab78",
        "SL1|2016-0001|3|ab12cd34ef56ab7",
        "SL1|2016-0001|3|AB12CD34EF56AB78",
        "SL1|2016-0001|3|zz12cd34ef56ab78",
    ],
)
def test_malformed_payloads_raise_user_error(text: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_qr_payload(text)
    assert "二维码" in caught.value.zh
    assert caught.value.en


@pytest.mark.parametrize(
    ("number", "version", "content_hash"),
    [("2016|1", 1, HASH), ("", 1, HASH), ("2016-1", 0, HASH), ("2016-1", 1, "abc"), ("2016-1", 1, "g" * 64)],
)
def test_payload_refuses_bad_parts(number: str, version: int, content_hash: str) -> None:
    with pytest.raises(UserError):
        qr_payload(number, version, content_hash)
