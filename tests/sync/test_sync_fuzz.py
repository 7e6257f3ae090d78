"""Fuzzing the reader: random bytes and mutated valid packages only ever raise UserError."""

from __future__ import annotations

import json
import struct
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.transport.package import open_package, peek_header
from sanlian_desktop.sync.transport.packfmt import MAGIC, PREFIX, describe_header
from sanlian_desktop.sync.trust.certs import Cert
from tests.sync.helpers import T0, Office, seal_raw, write_package

NOW = T0 + timedelta(days=12)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory, offices: dict[str, Office]) -> bytes:
    path = tmp_path_factory.mktemp("fuzz") / "valid.sanlian"
    write_package(path, offices["620102"], offices["620100"], [("batch", "b", 1, b"{}" * 50)], chunk_size=256)
    return path.read_bytes()


def _must_refuse(data: bytes, city: Office, root: Cert) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.sanlian"
        path.write_bytes(data)
        with pytest.raises(UserError):
            peek_header(path)
            with open_package(path, city.keys, root, set(), NOW, recipient_code=city.code):
                pass


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(data: bytes, offices: dict[str, Office], root: Cert) -> None:
    _must_refuse(data, offices["620100"], root)


@FUZZ
@given(
    version=st.one_of(st.just(1), st.integers(0, 0xFFFF)),
    hlen=st.one_of(st.integers(0, 700), st.integers(0, 0xFFFFFFFF)),
    rest=st.binary(max_size=600),
)
def test_random_after_magic(
    version: int, hlen: int, rest: bytes, offices: dict[str, Office], root: Cert
) -> None:
    _must_refuse(PREFIX.pack(MAGIC, version, hlen) + rest, offices["620100"], root)


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 255), st.sampled_from(["set", "ins", "del"])),
        min_size=1,
        max_size=4,
    ),
    cut=st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_mutated_valid_package(
    valid: bytes, edits: list[tuple[int, int, str]], cut: int | None, offices: dict[str, Office], root: Cert
) -> None:
    data = bytearray(valid)
    for raw_pos, value, op in edits:
        pos = raw_pos % (len(data) + 1)
        if op == "ins":
            data[pos:pos] = bytes([value])
        elif pos < len(data) and op == "del":
            del data[pos]
        elif pos < len(data):
            data[pos] = value if data[pos] != value else value ^ 1
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    if bytes(data) == valid:
        return
    _must_refuse(bytes(data), offices["620100"], root)


# A hostile sender: the body decrypts fine, but what is inside is arbitrary.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def manifest_body(
    tmp_path_factory: pytest.TempPathFactory, valid: bytes, offices: dict[str, Office], root: Cert
) -> tuple[dict[str, Any], bytes]:
    path = tmp_path_factory.mktemp("body") / "v.sanlian"
    path.write_bytes(valid)
    city = offices["620100"]
    with open_package(path, city.keys, root, set(), NOW) as pkg:
        return pkg.manifest.body, pkg.manifest.signature


def _must_refuse_plain(plaintext: bytes, city: Office, root: Cert) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "h.sanlian"
        seal_raw(path, city, plaintext)
        with pytest.raises(UserError), open_package(path, city.keys, root, set(), NOW):
            pass


@FUZZ
@given(plaintext=st.binary(max_size=1500))
def test_hostile_random_body(plaintext: bytes, offices: dict[str, Office], root: Cert) -> None:
    _must_refuse_plain(plaintext, offices["620100"], root)


@FUZZ
@given(data=st.data())
def test_hostile_manifest_fields(
    data: st.DataObject,
    manifest_body: tuple[dict[str, Any], bytes],
    offices: dict[str, Office],
    root: Cert,
) -> None:
    body, signature = manifest_body
    mutated = json.loads(json.dumps(body))
    target = data.draw(st.sampled_from(["top", "chain", "entry"]))
    if target == "top":
        mutated[data.draw(st.sampled_from(sorted(mutated)))] = data.draw(JSON)
    elif target == "chain":
        cert = mutated["chain"][data.draw(st.integers(0, len(mutated["chain"]) - 1))]
        cert[data.draw(st.sampled_from(sorted(cert)))] = data.draw(JSON)
    else:
        entry = mutated["entries"][0]
        entry[data.draw(st.sampled_from(sorted(entry)))] = data.draw(JSON)
    raw = cj.dumps({"manifest": mutated, "signature": cj.b64(signature)})
    tail = data.draw(st.binary(max_size=200))
    _must_refuse_plain(struct.pack(">I", len(raw)) + raw + tail, offices["620100"], root)


def test_hostile_extreme_times(
    manifest_body: tuple[dict[str, Any], bytes], offices: dict[str, Office], root: Cert
) -> None:
    body, signature = manifest_body
    for stamp in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"):
        mutated = {**body, "created": stamp}
        raw = cj.dumps({"manifest": mutated, "signature": cj.b64(signature)})
        _must_refuse_plain(struct.pack(">I", len(raw)) + raw, offices["620100"], root)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "t.sanlian"
            seal_raw(path, offices["620100"], b"\x00" * 8, created=datetime(9999, 12, 31, 23, tzinfo=UTC))
            assert "9999-12-31" in describe_header(peek_header(path))


HEADER_KEYS = [
    "package_id",
    "suite",
    "created",
    "sender_code",
    "sender_name",
    "recipient_code",
    "recipient_name",
    "recipient_key",
    "chunk_size",
    "body_length",
    "enc",
]


@FUZZ
@given(key=st.sampled_from(HEADER_KEYS), value=JSON, drop=st.booleans())
def test_hostile_header_fields(
    valid: bytes, offices: dict[str, Office], root: Cert, *, key: str, value: object, drop: bool
) -> None:
    _, _, hlen = PREFIX.unpack(valid[: PREFIX.size])
    header = json.loads(valid[PREFIX.size : PREFIX.size + hlen])
    if drop:
        del header[key]
    else:
        header[key] = value
    raw = cj.dumps(header)
    data = PREFIX.pack(MAGIC, 1, len(raw)) + raw + valid[PREFIX.size + hlen :]
    if data != valid:
        _must_refuse(data, offices["620100"], root)


def test_deeply_nested_values(
    manifest_body: tuple[dict[str, Any], bytes], offices: dict[str, Office], root: Cert
) -> None:
    body, signature = manifest_body
    deep = "[" * 900 + "]" * 900
    raw = cj.dumps({"manifest": {**body, "entries": []}, "signature": cj.b64(signature)})
    raw = raw.replace(b'"entries":[]', b'"entries":[{"kind":' + deep.encode() + b"}]")
    _must_refuse_plain(struct.pack(">I", len(raw)) + raw, offices["620100"], root)
    with pytest.raises(UserError, match="格式不正确"):
        cj.loads(b'{"a":' + b"[" * 100 + b"]" * 100 + b"}", "记录", "record")
