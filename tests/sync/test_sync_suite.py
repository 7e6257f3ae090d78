"""The algorithm suite: signatures, key agreement and the chunked AEAD stream."""

from __future__ import annotations

import pytest

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.trust.suite import DEFAULT_SUITE, ChunkSealer, get_suite, open_chunk

S = DEFAULT_SUITE


def test_named_suite() -> None:
    assert get_suite(S.name) is S
    with pytest.raises(UserError, match="算法套件") as err:
        get_suite("SM2-SM3-SM4")
    assert "unsupported" in err.value.en


def test_sign_verify() -> None:
    private = S.generate_signing_key()
    public = S.signing_public(private)
    sig = S.sign(private, b"msg")
    assert S.verify(public, b"msg", sig)
    assert not S.verify(public, b"msG", sig)
    assert not S.verify(b"short", b"msg", sig)
    assert S.hash(b"abc").hex().startswith("ba7816bf")


def test_key_agreement_binds_context() -> None:
    private = S.generate_encryption_key()
    public = S.encryption_public(private)
    enc, shared = S.encapsulate(public)
    assert S.decapsulate(enc, private) == shared
    k1 = S.derive_key(shared, enc, public, b"header")
    assert k1 == S.derive_key(S.decapsulate(enc, private), enc, public, b"header")
    assert k1 != S.derive_key(shared, enc, public, b"header!")
    with pytest.raises(UserError, match="加密信息无效"):
        S.decapsulate(bytes(32), private)  # low-order point


def test_chunks_detect_reorder_drop_and_truncation() -> None:
    key = bytes(range(32))
    sealer = ChunkSealer(S, key)
    chunks = [
        sealer.seal(b"a" * 10, final=False),
        sealer.seal(b"b" * 10, final=False),
        sealer.seal(b"c", final=True),
    ]
    assert [open_chunk(S, key, i, i == 2, c) for i, c in enumerate(chunks)] == [b"a" * 10, b"b" * 10, b"c"]
    with pytest.raises(UserError, match="第 1 个数据块"):
        open_chunk(S, key, 0, False, chunks[1])  # reordered
    with pytest.raises(UserError, match="已损坏或被篡改"):
        open_chunk(S, key, 1, True, chunks[1])  # stream cut after chunk 1
    with pytest.raises(RuntimeError):
        sealer.seal(b"more", final=True)
