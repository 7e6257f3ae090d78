"""An office's key material, sealed under a key-encryption key (KEK) that each user unwraps with a password.

Storage (all JSON bytes, fit for a DB column):

* the office's keys: ``OfficeKeys.seal(kek)`` — both private keys AEAD-encrypted under the KEK with
  the keys' own suite (SM4-GCM under a key derived from the KEK for 国密), the public keys in clear
  beside them (bound as associated data);
* one wrap of the KEK per user: ``wrap_for_user(kek, password)`` — the KEK AEAD-encrypted under a key
  derived from the password with argon2id (random salt, parameters stored in the blob).

Signing in unwraps the user's KEK, which unseals the keys. An admin who is signed in holds the KEK and
can wrap it for a new user, or again for a user whose password was reset (``wrap_for_user`` with the
new password). Nobody can unseal without a password, and the private keys are never stored in clear.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from argon2.low_level import Type, hash_secret_raw

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.trust.custody import SOFTWARE_LOCATION, KeyLocation
from sanlian_desktop.sync.trust.suite import DEFAULT_SUITE, Suite, get_suite, random_bytes

SEALED_FORMAT = "sanlian-sealed-keys-1"
WRAP_FORMAT = "sanlian-kek-wrap-1"
KEK_SIZE = 32
_Z, _E = "本单位密钥", "office keys"
_WZ, _WE = "用户密钥包", "user key wrap"


@dataclass(frozen=True)
class Argon2Params:
    """argon2id cost parameters; the defaults take a few hundred milliseconds on an office PC."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 2

    def check(self) -> None:
        """Refuse parameters outside what this program will run (a crafted blob could ask for 100 GB)."""
        if not (
            1 <= self.time_cost <= 20 and 8 <= self.memory_kib <= 1024 * 1024 and 1 <= self.parallelism <= 16
        ):
            cj.malformed(_WZ, _WE, "argon2 parameters out of range")


DEFAULT_ARGON2 = Argon2Params()


class SoftwareVault:
    """The software key store as a :class:`~.custody.KeyVault`: keys made in memory, then sealed."""

    @property
    def location(self) -> KeyLocation:
        return SOFTWARE_LOCATION

    def generate(self, suite: Suite) -> OfficeKeys:
        return OfficeKeys.generate(suite)


@dataclass(frozen=True)
class OfficeKeys:
    """An office's private signing key and private encryption key, with the suite they belong to: the
    software key store's :class:`~.custody.KeyCustody` (sealed under the KEK when stored)."""

    sign_private: bytes = field(repr=False)
    enc_private: bytes = field(repr=False)
    suite: Suite = DEFAULT_SUITE

    @classmethod
    def generate(cls, suite: Suite = DEFAULT_SUITE) -> OfficeKeys:
        """Fresh signing and encryption key pairs."""
        return cls(suite.generate_signing_key(), suite.generate_encryption_key(), suite)

    @property
    def sign_public(self) -> bytes:
        """The public signing key (goes into the certificate)."""
        return self.suite.signing_public(self.sign_private)

    @property
    def enc_public(self) -> bytes:
        """The public encryption key (goes into the certificate)."""
        return self.suite.encryption_public(self.enc_private)

    @property
    def location(self) -> KeyLocation:
        """The software key store."""
        return SOFTWARE_LOCATION

    def sign(self, message: bytes) -> bytes:
        """Sign ``message`` with the office's signing key."""
        return self.suite.sign(self.sign_private, message)

    def decapsulate(self, encapsulated: bytes) -> bytes:
        """The shared secret of a package's encapsulated key, with the office's encryption key."""
        return self.suite.decapsulate(encapsulated, self.enc_private)

    def seal(self, kek: bytes) -> bytes:
        """The keys encrypted under ``kek``, as JSON bytes for storage."""
        _check_kek(kek)
        public = {
            "format": SEALED_FORMAT,
            "suite": self.suite.name,
            "sign_key": cj.b64(self.sign_public),
            "enc_key": cj.b64(self.enc_public),
        }
        nonce = random_bytes(self.suite.nonce_size)
        secret = cj.dumps({"sign": cj.b64(self.sign_private), "enc": cj.b64(self.enc_private)})
        sealed = self.suite.seal(self.suite.sealing_key(kek), nonce, secret, cj.dumps(public))
        return cj.dumps({**public, "nonce": cj.b64(nonce), "sealed": cj.b64(sealed)})

    @classmethod
    def unseal(cls, blob: bytes, kek: bytes) -> OfficeKeys:
        """The keys sealed by :meth:`seal`; a :class:`UserError` if ``kek`` is wrong or the blob damaged."""
        _check_kek(kek)
        obj = cj.loads(blob, _Z, _E)
        cj.check_keys(obj, {"format", "suite", "sign_key", "enc_key", "nonce", "sealed"}, _Z, _E)
        if obj["format"] != SEALED_FORMAT:
            cj.malformed(_Z, _E, "unknown format")
        suite = get_suite(obj["suite"])
        public = {k: obj[k] for k in ("format", "suite", "sign_key", "enc_key")}
        secret = suite.open(
            suite.sealing_key(kek),
            cj.unb64(obj["nonce"], _Z, _E),
            cj.unb64(obj["sealed"], _Z, _E),
            cj.dumps(public),
        )
        if secret is None:
            raise UserError(
                "无法解开本单位密钥：密钥加密密钥不正确或数据已损坏。",
                "cannot unseal office keys: wrong KEK or damaged",
            )
        inner = cj.loads(secret, _Z, _E)
        keys = cls(cj.unb64(inner.get("sign"), _Z, _E), cj.unb64(inner.get("enc"), _Z, _E), suite)
        if not suite.check_private(keys.sign_private, keys.enc_private):
            cj.malformed(_Z, _E, "private keys")
        if cj.b64(keys.sign_public) != obj["sign_key"] or cj.b64(keys.enc_public) != obj["enc_key"]:
            cj.malformed(_Z, _E, "public keys do not match")
        return keys


def new_kek() -> bytes:
    """A fresh random key-encryption key (made once per office, when its keys are generated)."""
    return random_bytes(KEK_SIZE)


def _check_kek(kek: bytes) -> None:
    if not isinstance(kek, bytes) or len(kek) != KEK_SIZE:
        raise ValueError("a KEK is 32 bytes")


def _password_key(password: str, salt: bytes, params: Argon2Params) -> bytes:
    params.check()
    secret = unicodedata.normalize("NFC", password).encode("utf-8")
    return hash_secret_raw(
        secret=secret,
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEK_SIZE,
        type=Type.ID,
    )


def wrap_for_user(kek: bytes, password: str, params: Argon2Params = DEFAULT_ARGON2) -> bytes:
    """The KEK encrypted under a key derived from ``password`` (argon2id), as JSON bytes for storage."""
    _check_kek(kek)
    if not password:
        raise UserError("密码不能为空。", "the password must not be empty")
    salt = random_bytes(16)
    public = {
        "format": WRAP_FORMAT,
        "kdf": "argon2id",
        "time_cost": params.time_cost,
        "memory_kib": params.memory_kib,
        "parallelism": params.parallelism,
        "salt": cj.b64(salt),
    }
    nonce = random_bytes(DEFAULT_SUITE.nonce_size)
    wrapped = DEFAULT_SUITE.seal(_password_key(password, salt, params), nonce, kek, cj.dumps(public))
    return cj.dumps({**public, "nonce": cj.b64(nonce), "wrapped": cj.b64(wrapped)})


def unwrap(blob: bytes, password: str) -> bytes:
    """The KEK from a user's wrap; a :class:`UserError` when the password is wrong."""
    obj = cj.loads(blob, _WZ, _WE)
    cj.check_keys(
        obj, {"format", "kdf", "time_cost", "memory_kib", "parallelism", "salt", "nonce", "wrapped"}, _WZ, _WE
    )
    if obj["format"] != WRAP_FORMAT or obj["kdf"] != "argon2id":
        cj.malformed(_WZ, _WE, "unknown format")
    params = Argon2Params(
        cj.get_int(obj, "time_cost", _WZ, _WE, 1000),
        cj.get_int(obj, "memory_kib", _WZ, _WE, 2**32),
        cj.get_int(obj, "parallelism", _WZ, _WE, 1000),
    )
    salt = cj.unb64(obj["salt"], _WZ, _WE)
    if not 8 <= len(salt) <= 64:
        cj.malformed(_WZ, _WE, "salt length")
    public = {k: obj[k] for k in ("format", "kdf", "time_cost", "memory_kib", "parallelism", "salt")}
    kek = DEFAULT_SUITE.open(
        _password_key(password, salt, params),
        cj.unb64(obj["nonce"], _WZ, _WE),
        cj.unb64(obj["wrapped"], _WZ, _WE),
        cj.dumps(public),
    )
    if kek is None:
        raise UserError("密码不正确，无法解开本单位密钥。", "wrong password: cannot unwrap the office key")
    if len(kek) != KEK_SIZE:
        cj.malformed(_WZ, _WE, "KEK length")
    return kek
