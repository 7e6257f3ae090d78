"""Every single-byte change, every truncation and appended data are refused with a UserError."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sanlian_desktop.errors import UserError
from sanlian_desktop.sync.certs import Cert
from sanlian_desktop.sync.package import open_package, peek_header
from tests.sync.synchelpers import T0, Office, write_package

NOW = T0 + timedelta(days=12)
SMALL = [("batch", "b1", 1, b'{"n":1}'), ("opinion", "o1", 2, b"approve" * 40)]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, offices: dict[str, Office]) -> bytes:
    """A small valid package (county → city, 512-byte chunks so the body has several chunks)."""
    path = tmp_path_factory.mktemp("adv") / "small.sanlian"
    write_package(path, offices["620102"], offices["620100"], SMALL, chunk_size=512)
    return path.read_bytes()


def _open_bytes(path: Path, data: bytes, city: Office, root: Cert) -> None:
    # A new file each time: truncating a written file makes ext4 flush it (auto_da_alloc), 3 ms a go.
    path.unlink(missing_ok=True)
    path.write_bytes(data)
    with open_package(path, city.keys, root, set(), NOW, recipient_code=city.code):
        pass


def _refused(path: Path, data: bytes, city: Office, root: Cert) -> UserError:
    try:
        _open_bytes(path, data, city, root)
    except UserError as exc:
        assert exc.zh and exc.en
        return exc
    raise AssertionError("a damaged package was accepted")


def test_the_unmodified_package_opens(
    tmp_path: Path, small: bytes, offices: dict[str, Office], root: Cert
) -> None:
    _open_bytes(tmp_path / "ok.sanlian", small, offices["620100"], root)
    assert 2000 < len(small) < 8000


def test_every_single_byte_change_is_refused(
    tmp_path: Path, small: bytes, offices: dict[str, Office], root: Cert
) -> None:
    path = tmp_path / "flip.sanlian"
    city = offices["620100"]
    kinds: set[str] = set()
    for pos in range(len(small)):
        for mask in (0x01, 0x80, 0xFF):
            damaged = bytearray(small)
            damaged[pos] ^= mask
            kinds.add(_refused(path, bytes(damaged), city, root).en.split(":")[0])
    assert len(kinds) >= 3  # refused at different stages: magic, header, chunks …


def test_every_truncation_is_refused(
    tmp_path: Path, small: bytes, offices: dict[str, Office], root: Cert
) -> None:
    path = tmp_path / "cut.sanlian"
    header_length = len(peek_header_bytes(tmp_path, small))
    for length in range(len(small)):
        err = _refused(path, small[:length], offices["620100"], root)
        if length >= header_length:
            assert "不完整" in err.zh and f"{len(small) - length} 字节" in err.zh


def peek_header_bytes(tmp_path: Path, data: bytes) -> bytes:
    path = tmp_path / "peek.sanlian"
    path.write_bytes(data)
    return peek_header(path).raw


@pytest.mark.parametrize("extra", [b"\x00", b"A" * 17, b"\xff" * 528, None])
def test_appended_data_is_refused(
    tmp_path: Path, small: bytes, offices: dict[str, Office], root: Cert, extra: bytes | None
) -> None:
    tail = small if extra is None else extra
    err = _refused(tmp_path / "app.sanlian", small + tail, offices["620100"], root)
    assert f"末尾多出 {len(tail)} 字节" in err.zh


def test_chunks_cannot_be_reordered_or_dropped(
    tmp_path: Path, small: bytes, offices: dict[str, Office], root: Cert
) -> None:
    start = len(peek_header_bytes(tmp_path, small))
    sealed = 512 + 16
    body = small[start:]
    chunks = [body[i : i + sealed] for i in range(0, len(body), sealed)]
    assert len(chunks) >= 3
    swapped = small[:start] + chunks[1] + chunks[0] + b"".join(chunks[2:])
    assert "第 1 个数据块" in _refused(tmp_path / "s.sanlian", swapped, offices["620100"], root).zh
    # Drop a middle chunk and append a copy of the last so the length still fits: still refused.
    spliced = small[:start] + chunks[0] + b"".join(chunks[2:]) + chunks[1]
    _refused(tmp_path / "d.sanlian", spliced, offices["620100"], root)
