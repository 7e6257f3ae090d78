"""The algorithm suites (SL1 and 国密): signatures, key encapsulation and the chunked AEAD stream."""

from __future__ import annotations

import pytest

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.trust.gm import GM_SUITE
from sanlian_desktop.sync.trust.suite import (
    DEFAULT_SUITE,
    ChunkSealer,
    Suite,
    get_suite,
    open_chunk,
    suite_by_short,
    suite_choices,
)

pytestmark = pytest.mark.suite_specific  # each test names the suites it checks

S = DEFAULT_SUITE
SUITES = pytest.mark.parametrize("suite", [DEFAULT_SUITE, GM_SUITE], ids=["sl1", "gm"])


def test_named_suite() -> None:
    assert get_suite(S.name) is S
    assert get_suite(GM_SUITE.name) is GM_SUITE
    with pytest.raises(UserError, match="算法套件") as err:
        get_suite("SM2-SM3-SM4")
    assert "unsupported" in err.value.en
    assert suite_choices() == ["sl1", "gm"]
    assert suite_by_short("gm") is GM_SUITE and suite_by_short("sl1") is S
    with pytest.raises(UserError, match=r"可选：sl1（.*gm（国密"):
        suite_by_short("sm9")


@SUITES
def test_sign_verify(suite: Suite) -> None:
    private = suite.generate_signing_key()
    public = suite.signing_public(private)
    sig = suite.sign(private, b"msg")
    assert suite.verify(public, b"msg", sig)
    assert not suite.verify(public, b"msG", sig)
    assert not suite.verify(b"short", b"msg", sig)
    assert not suite.verify(public, b"msg", sig[:-1])
    other = suite.signing_public(suite.generate_signing_key())
    assert not suite.verify(other, b"msg", sig)


def test_hashes() -> None:
    assert S.hash(b"abc").hex().startswith("ba7816bf")
    assert GM_SUITE.hash(b"abc").hex().startswith("66c7f0f4")


@SUITES
def test_key_agreement_binds_context(suite: Suite) -> None:
    private = suite.generate_encryption_key()
    public = suite.encryption_public(private)
    enc, shared = suite.encapsulate(public)
    assert suite.decapsulate(enc, private) == shared
    k1 = suite.derive_key(shared, enc, public, b"header")
    assert len(k1) == suite.key_size
    assert k1 == suite.derive_key(suite.decapsulate(enc, private), enc, public, b"header")
    assert k1 != suite.derive_key(shared, enc, public, b"header!")
    enc2, shared2 = suite.encapsulate(public)
    assert enc2 != enc and shared2 != shared  # a fresh ephemeral key / SM4 key every time


def test_low_order_point_refused() -> None:
    private = S.generate_encryption_key()
    with pytest.raises(UserError, match="加密信息无效"):
        S.decapsulate(bytes(32), private)  # low-order point


@SUITES
def test_sealing_the_office_keys_under_a_kek(suite: Suite) -> None:
    kek = bytes(range(32))
    key = suite.sealing_key(kek)
    assert len(key) == suite.key_size
    assert (key == kek) is (suite is S)  # SL1 seals under the KEK itself, as it always has


@SUITES
def test_chunks_detect_reorder_drop_truncation_and_append(suite: Suite) -> None:
    key = bytes(range(suite.key_size))
    sealer = ChunkSealer(suite, key)
    chunks = [
        sealer.seal(b"a" * 10, final=False),
        sealer.seal(b"b" * 10, final=False),
        sealer.seal(b"c", final=True),
    ]
    assert [len(c) for c in chunks] == [10 + suite.tag_size, 10 + suite.tag_size, 1 + suite.tag_size]
    assert [open_chunk(suite, key, i, i == 2, c) for i, c in enumerate(chunks)] == [b"a" * 10, b"b" * 10, b"c"]
    with pytest.raises(UserError, match="第 1 个数据块"):
        open_chunk(suite, key, 0, False, chunks[1])  # reordered
    with pytest.raises(UserError, match="第 2 个数据块"):
        open_chunk(suite, key, 1, False, chunks[2])  # chunk 1 dropped
    with pytest.raises(UserError, match="已损坏或被篡改"):
        open_chunk(suite, key, 1, True, chunks[1])  # stream cut after chunk 1
    with pytest.raises(UserError, match="第 3 个数据块"):
        open_chunk(suite, key, 2, False, chunks[2])  # something appended after the final chunk
    with pytest.raises(UserError, match="第 3 个数据块"):
        open_chunk(suite, key, 2, True, chunks[2][:-1])  # a cut tag
    with pytest.raises(RuntimeError):
        sealer.seal(b"more", final=True)
