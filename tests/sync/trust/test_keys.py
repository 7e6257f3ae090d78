"""Office keys sealed under a KEK; the KEK wrapped per user with argon2id."""

from __future__ import annotations

import json

import pytest

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.trust.keys import Argon2Params, OfficeKeys, new_kek, unwrap, wrap_for_user
from tests.suites import chosen_suite

FAST = Argon2Params(time_cost=1, memory_kib=8 * 1024, parallelism=1)


def test_seal_unseal_roundtrip() -> None:
    keys = OfficeKeys.generate(chosen_suite())
    kek = new_kek()
    blob = keys.seal(kek)
    stored = json.loads(blob)
    assert set(stored) == {"format", "suite", "sign_key", "enc_key", "nonce", "sealed"}
    assert keys.sign_private.hex() not in blob.decode() and "sign_private" not in repr(keys)
    again = OfficeKeys.unseal(blob, kek)
    assert (again.sign_public, again.enc_public) == (keys.sign_public, keys.enc_public)
    with pytest.raises(UserError, match="无法解开本单位密钥"):
        OfficeKeys.unseal(blob, new_kek())


def test_sealed_public_part_is_bound() -> None:
    keys, other = OfficeKeys.generate(chosen_suite()), OfficeKeys.generate(chosen_suite())
    kek = new_kek()
    stored = json.loads(keys.seal(kek))
    stored["sign_key"] = json.loads(other.seal(kek))["sign_key"]
    with pytest.raises(UserError):
        OfficeKeys.unseal(json.dumps(stored).encode(), kek)


def test_wrap_unwrap_and_admin_rewrap() -> None:
    kek = new_kek()
    alice = wrap_for_user(kek, "科员甲-2026", FAST)
    assert unwrap(alice, "科员甲-2026") == kek
    with pytest.raises(UserError, match="密码不正确"):
        unwrap(alice, "wrong")
    # Alice forgot her password: the admin, signed in (holding the KEK), wraps it for her new one.
    admin = wrap_for_user(kek, "admin-pass", FAST)
    reset = wrap_for_user(unwrap(admin, "admin-pass"), "新密码", FAST)
    assert unwrap(reset, "新密码") == kek
    assert json.loads(reset)["salt"] != json.loads(alice)["salt"]


def test_unicode_password_normalised() -> None:
    kek = new_kek()
    blob = wrap_for_user(kek, "e\u0301", FAST)
    assert unwrap(blob, "\u00e9") == kek


def test_crafted_parameters_refused_before_running() -> None:
    stored = json.loads(wrap_for_user(new_kek(), "pw", FAST))
    stored["memory_kib"] = 100 * 1024 * 1024
    with pytest.raises(UserError, match="格式不正确"):
        unwrap(json.dumps(stored).encode(), "pw")
    with pytest.raises(UserError):
        unwrap(b"not json", "pw")
    with pytest.raises(UserError, match="密码不能为空"):
        wrap_for_user(new_kek(), "", FAST)
