"""Office keys in a real SoftHSM2 token: made or imported there, used there, never read back out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.transport.reader import open_package
from sanlian_desktop.sync.trust import tokens
from sanlian_desktop.sync.trust.certs import OfficeInfo, certify, make_request
from sanlian_desktop.sync.trust.custody import PKCS11, SOFTWARE, KeyCustody
from sanlian_desktop.sync.trust.gm import GM_SUITE
from sanlian_desktop.sync.trust.keys import OfficeKeys, new_kek
from sanlian_desktop.sync.trust.suite import DEFAULT_SUITE
from tests.sync.helpers import T0, Office, make_province, write_package
from tests.sync.helpers_token import SoftToken, pull_out, softhsm

pytestmark = pytest.mark.suite_specific  # PKCS#11 tokens hold only SL1 keys; the 国密 refusal is tested by name

ENTRIES = [("declaration", "d-1", 1, "申报书正文".encode() * 50)]


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftToken:
    return softhsm(tmp_path, monkeypatch)


def _city(parent: Office, keys: KeyCustody) -> Office:
    request = make_request(OfficeInfo("620100", Level.CITY, "兰州市民政局"), keys, now=T0)
    cert = certify(request, parent.cert, parent.keys, now=T0, valid_days=400)
    return Office(keys, cert, [cert, *parent.chain])  # type: ignore[arg-type]


def test_moved_keys_sign_and_open_exactly_as_the_software_store_did(token: SoftToken) -> None:
    software = OfficeKeys.generate()
    moved = token.vault().move_in(software)
    assert moved.location.kind == PKCS11 and moved.location.label == "硬件令牌“sanlian-test”"
    assert software.location.kind == SOFTWARE
    assert (moved.sign_public, moved.enc_public, moved.suite) == (software.sign_public, software.enc_public,
                                                                  software.suite)
    message = "同一份声明".encode()
    assert moved.sign(message) == software.sign(message)  # Ed25519 is deterministic: the same bytes
    encapsulated, shared = DEFAULT_SUITE.encapsulate(software.enc_public)
    assert moved.decapsulate(encapsulated) == shared == software.decapsulate(encapsulated)


def test_private_keys_in_the_token_cannot_be_read_out(token: SoftToken) -> None:
    import pkcs11

    moved = token.vault().move_in(OfficeKeys.generate())
    generated = token.vault().generate(DEFAULT_SUITE)
    with tokens.token_session(token.module, token.label, token.pin) as session:
        private = list(session.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY}))
        assert len(private) == 4
        for key in private:
            assert key[pkcs11.Attribute.SENSITIVE] and not key[pkcs11.Attribute.EXTRACTABLE]
            with pytest.raises(pkcs11.exceptions.AttributeSensitive):
                key[pkcs11.Attribute.VALUE]
    for keys in (moved, generated):
        probe = b"probe"
        assert DEFAULT_SUITE.verify(keys.sign_public, probe, keys.sign(probe))


def test_packages_travel_to_and_from_an_office_whose_keys_are_in_the_token(token: SoftToken, tmp_path: Path) -> None:
    province = make_province()
    city = _city(province, token.vault().generate(DEFAULT_SUITE))
    up = tmp_path / "up.sanlian"
    write_package(up, city, province, ENTRIES, seq=1)  # manifest signed in the token
    with open_package(up, province.keys, province.cert, set(), T0.replace(day=20), recipient_code="620000") as pkg:
        assert pkg.manifest.sender_code == "620100"
        assert [pkg.read_entry(e) for e in pkg.entries] == [ENTRIES[0][3]]
    down = tmp_path / "down.sanlian"
    write_package(down, province, city, ENTRIES, seq=1)
    with open_package(down, city.keys, province.cert, set(), T0.replace(day=20), recipient_code="620100") as pkg:
        assert [pkg.read_entry(e) for e in pkg.entries] == [ENTRIES[0][3]]  # opened by the token's X25519


def test_the_reference_keeps_the_pin_sealed_and_finds_the_keys_again(token: SoftToken) -> None:
    keys = token.vault().generate(DEFAULT_SUITE)
    kek = new_kek()
    blob = keys.reference(kek)
    stored = json.loads(blob)
    assert stored["token"] == token.label and stored["format"] == tokens.TOKEN_FORMAT
    assert token.pin not in blob.decode() and tokens.is_reference(blob)
    again = tokens.open_reference(blob, kek)
    assert again.sign(b"x") == keys.sign(b"x")
    with pytest.raises(UserError, match="无法解开硬件令牌的 PIN 码"):
        tokens.open_reference(blob, new_kek())
    stored["token"] = "another"  # the public part is bound to the sealed PIN
    with pytest.raises(UserError):
        tokens.open_reference(json.dumps(stored).encode(), kek)


def test_wrong_pin_refused_in_chinese_and_the_token_is_unchanged(token: SoftToken) -> None:
    with pytest.raises(UserError, match="PIN 码不正确") as err:
        token.vault(pin="000000").move_in(OfficeKeys.generate())
    assert "数据没有任何改变" in err.value.zh
    keys = token.vault().generate(DEFAULT_SUITE)
    wrong = tokens.TokenKeys(token.module, token.label, keys.key_id, keys.sign_public, keys.enc_public, "111111")
    with pytest.raises(UserError, match="PIN 码不正确"):
        wrong.sign(b"x")
    with tokens.token_session(token.module, token.label, token.pin) as session:
        assert len(list(session.get_objects())) == 4  # the generated pairs only; nothing was imported


def test_an_absent_token_is_refused_in_chinese(token: SoftToken, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    keys = token.vault().generate(DEFAULT_SUITE)
    with pytest.raises(UserError, match="未找到硬件令牌“别的令牌”"):
        token.vault(label="别的令牌").move_in(OfficeKeys.generate())
    pull_out(token, monkeypatch, tmp_path)
    with pytest.raises(UserError, match="未找到硬件令牌“sanlian-test”：请插入本单位的硬件令牌后重试"):
        keys.sign(b"x")
    encapsulated, _ = DEFAULT_SUITE.encapsulate(keys.enc_public)
    with pytest.raises(UserError, match="未找到硬件令牌"):
        keys.decapsulate(encapsulated)


def test_a_locked_token_is_refused_in_chinese(token: SoftToken, monkeypatch: pytest.MonkeyPatch) -> None:
    """SoftHSM2 never locks a PIN (it counts no failed logins), so the module's CKR_PIN_LOCKED is raised
    where the token would raise it: at login."""
    import pkcs11

    real = tokens._find_token(token.module, token.label)

    class Locked:
        label = real.label

        def open(self, **kwargs: object) -> None:
            raise pkcs11.exceptions.PinLocked()

    tokens.close_sessions()
    monkeypatch.setattr(tokens, "_find_token", lambda module, label: Locked())
    with pytest.raises(UserError, match="硬件令牌“sanlian-test”已被锁定") as err:
        token.vault().move_in(OfficeKeys.generate())
    assert "数据没有任何改变" in err.value.zh


def test_a_token_with_other_keys_under_the_label_is_refused(token: SoftToken) -> None:
    keys = token.vault().generate(DEFAULT_SUITE)
    other = OfficeKeys.generate()
    impostor = tokens.TokenKeys(token.module, token.label, keys.key_id, other.sign_public, other.enc_public, token.pin)
    with pytest.raises(UserError, match="与本单位证书的密钥不一致"):
        impostor.check()


def test_gm_keys_stay_in_the_software_store(token: SoftToken) -> None:
    with pytest.raises(UserError, match="不支持国密算法（SM2/SM3/SM4）的密钥") as err:
        token.vault().move_in(OfficeKeys.generate(GM_SUITE))
    assert "本机密钥库" in err.value.zh
    with pytest.raises(UserError, match="SM2"):
        token.vault().generate(GM_SUITE)
    with tokens.token_session(token.module, token.label, token.pin) as session:
        assert list(session.get_objects()) == []


def test_moving_the_same_keys_twice_is_refused(token: SoftToken) -> None:
    keys = OfficeKeys.generate()
    token.vault().move_in(keys)
    with pytest.raises(UserError, match="已有本单位的这把密钥"):
        token.vault().move_in(keys)


def test_a_session_gone_stale_is_opened_afresh(token: SoftToken) -> None:
    """A token pulled out and put back invalidates the cached session; the next use logs in again."""
    keys = token.vault().generate(DEFAULT_SUITE)
    keys.sign(b"x")
    held = tokens._SESSIONS[(token.module, token.label)][1]
    held.close()  # what the module does to sessions of a removed token
    assert DEFAULT_SUITE.verify(keys.sign_public, b"y", keys.sign(b"y"))
    assert tokens._SESSIONS[(token.module, token.label)][1] is not held
