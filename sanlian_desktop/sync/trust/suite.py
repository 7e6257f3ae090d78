"""Named algorithm suites: signatures, encryption to a recipient, AEAD and hashing behind one interface.

Every certificate and package records its suite's name. Two suites are registered: :class:`Sl1Suite`
(Ed25519, X25519, ChaCha20-Poly1305, SHA-256; the default) and :class:`GmSuite` (国密: SM2 signatures,
the package key in an SM2 digital envelope, SM4-GCM, SM3). A province chooses one when it creates its
root; every certificate below it, and every package between its offices, uses the same one.

Encryption to a recipient is a key encapsulation: SL1 agrees a secret with an ephemeral X25519 key pair
(HPKE-like, base mode); 国密 sends a fresh SM4 key in an SM2 envelope. Either way the symmetric key is
derived with HKDF over the secret, both public values and a caller-supplied context (the package
header), so every header byte is authenticated by the first chunk. The
body is then sealed in chunks by :class:`ChunkSealer`, whose nonces bind the chunk index and a
final-chunk flag so reordering, dropping and truncating chunks are all detected.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from typing import Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sanlian_desktop.kernel.errors import UserError


class Hasher(Protocol):
    """An incremental hash (what :func:`hashlib.sha256` returns)."""

    def update(self, data: bytes | memoryview, /) -> None: ...
    def digest(self) -> bytes: ...


class Suite(ABC):
    """One coherent set of algorithms, identified by :attr:`name` in every file that uses it."""

    name: str
    short: str  # what ``init --suite`` takes
    label: str  # what a user reads
    key_size: int  # symmetric key length
    nonce_size: int
    tag_size: int
    sign_public_size: int
    enc_public_size: int
    private_size: int  # both private keys, as this suite stores them

    @abstractmethod
    def generate_signing_key(self) -> bytes:
        """A new private signing key, raw bytes."""

    @abstractmethod
    def signing_public(self, private: bytes) -> bytes:
        """The public key of a private signing key."""

    @abstractmethod
    def sign(self, private: bytes, message: bytes) -> bytes:
        """Sign ``message``."""

    @abstractmethod
    def verify(self, public: bytes, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is valid for ``message`` under ``public`` (False for malformed keys)."""

    @abstractmethod
    def generate_encryption_key(self) -> bytes:
        """A new private key-agreement key, raw bytes."""

    @abstractmethod
    def encryption_public(self, private: bytes) -> bytes:
        """The public key of a private key-agreement key."""

    @abstractmethod
    def encapsulate(self, recipient_public: bytes) -> tuple[bytes, bytes]:
        """``(encapsulated, shared)``: a fresh ephemeral public value and the secret agreed with it."""

    @abstractmethod
    def decapsulate(self, encapsulated: bytes, recipient_private: bytes) -> bytes:
        """The shared secret for ``encapsulated``; a :class:`UserError` when it cannot be agreed."""

    @abstractmethod
    def derive_key(
        self, shared: bytes, encapsulated: bytes, recipient_public: bytes, context: bytes
    ) -> bytes:
        """The symmetric key from a shared secret, bound to both public values and ``context``."""

    @abstractmethod
    def seal(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """AEAD-encrypt ``plaintext``; the result is ``len(plaintext) + tag_size`` bytes."""

    @abstractmethod
    def open(self, key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes | None:
        """AEAD-decrypt, or None when the tag does not verify."""

    @abstractmethod
    def hasher(self) -> Hasher:
        """A fresh incremental hash object."""

    def hash(self, data: bytes) -> bytes:
        """The suite's hash of ``data``."""
        h = self.hasher()
        h.update(data)
        return h.digest()

    def key_id(self, public: bytes) -> str:
        """A short hex fingerprint of a public key (first 16 bytes of its hash)."""
        return self.hash(public)[:16].hex()

    def valid_public(self, public: bytes, *, signing: bool) -> bool:
        """Whether ``public`` has the shape of one of this suite's public keys (a point on the curve)."""
        return len(public) == (self.sign_public_size if signing else self.enc_public_size)

    def check_private(self, sign_private: bytes, enc_private: bytes) -> bool:
        """Whether two private keys are well formed (each consistent with its public key)."""
        return len(sign_private) == len(enc_private) == self.private_size

    def sealing_key(self, kek: bytes) -> bytes:
        """The AEAD key this suite seals an office's keys with under a 32-byte key-encryption key."""
        if len(kek) == self.key_size:
            return kek
        info = b"sanlian-kek\x00" + self.name.encode()
        return HKDF(algorithm=self.hkdf_hash(), length=self.key_size, salt=None, info=info).derive(kek)

    def hkdf_hash(self) -> hashes.HashAlgorithm:
        """The hash HKDF runs on in this suite."""
        return hashes.SHA256()


class Sl1Suite(Suite):
    """Ed25519 signatures; X25519 + HKDF-SHA256 key agreement; ChaCha20-Poly1305 AEAD; SHA-256."""

    name = "SL1-ED25519-X25519-HKDF-SHA256-CHACHA20POLY1305"
    short = "sl1"
    label = "国际通用算法（Ed25519/X25519/ChaCha20-Poly1305/SHA-256）"
    key_size = 32
    nonce_size = 12
    sign_public_size = 32
    enc_public_size = 32
    private_size = 32
    tag_size = 16

    def generate_signing_key(self) -> bytes:
        return Ed25519PrivateKey.generate().private_bytes_raw()

    def signing_public(self, private: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()

    def sign(self, private: bytes, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(private).sign(message)

    def verify(self, public: bytes, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def generate_encryption_key(self) -> bytes:
        return X25519PrivateKey.generate().private_bytes_raw()

    def encryption_public(self, private: bytes) -> bytes:
        return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()

    def derive_key(
        self, shared: bytes, encapsulated: bytes, recipient_public: bytes, context: bytes
    ) -> bytes:
        info = b"sanlian-sl1-kem\x00" + encapsulated + recipient_public + self.hash(context)
        return HKDF(algorithm=hashes.SHA256(), length=self.key_size, salt=None, info=info).derive(shared)

    def encapsulate(self, recipient_public: bytes) -> tuple[bytes, bytes]:
        ephemeral = X25519PrivateKey.generate()
        encapsulated = ephemeral.public_key().public_bytes_raw()
        return encapsulated, ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))

    def decapsulate(self, encapsulated: bytes, recipient_private: bytes) -> bytes:
        private = X25519PrivateKey.from_private_bytes(recipient_private)
        try:
            return private.exchange(X25519PublicKey.from_public_bytes(encapsulated))
        except ValueError as exc:  # wrong length or a low-order point
            raise UserError(
                "文件的加密信息无效，无法解密，文件可能已损坏或被篡改。", "invalid encapsulated key"
            ) from exc

    def seal(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        return ChaCha20Poly1305(key).encrypt(nonce, plaintext, aad)

    def open(self, key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes | None:
        if len(key) != self.key_size or len(nonce) != self.nonce_size:
            return None
        try:
            return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            return None

    def hasher(self) -> Hasher:
        return hashlib.sha256()


DEFAULT_SUITE = Sl1Suite()
_SUITES: dict[str, Suite] = {DEFAULT_SUITE.name: DEFAULT_SUITE}


def register_suite(suite: Suite) -> Suite:
    """Make ``suite`` known under its name (done once, below, for each suite this program ships)."""
    _SUITES[suite.name] = suite
    return suite


def suite_by_short(short: str) -> Suite:
    """The suite ``init --suite`` names (``sl1``, ``gm``); a :class:`UserError` listing them otherwise."""
    for suite in _SUITES.values():
        if suite.short == short:
            return suite
    known = "、".join(f"{s.short}（{s.label}）" for s in _SUITES.values())
    raise UserError(f"没有名为“{short[:40]}”的算法套件，可选：{known}。", f"unknown suite {short[:40]!r}")


def suite_choices() -> list[str]:
    """The short names of every registered suite, for the command line."""
    return [s.short for s in _SUITES.values()]


def suite_label(name: str) -> str:
    """What a user reads for a suite's name (the name itself for one this program does not know)."""
    suite = _SUITES.get(name)
    return suite.label if suite is not None else name[:80]


def get_suite(name: object) -> Suite:
    """The suite registered under ``name``; a :class:`UserError` for one this program does not know."""
    suite = _SUITES.get(name) if isinstance(name, str) else None
    if suite is None:
        shown = name[:80] if isinstance(name, str) else "?"
        raise UserError(
            f"文件使用的算法套件“{shown}”本程序不支持，请升级程序后再试。",
            f"unsupported algorithm suite {shown!r}",
        )
    return suite


def chunk_nonce(index: int, final: bool) -> bytes:
    """The 12-byte nonce of chunk ``index``: 11-byte big-endian counter, then the final flag."""
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


class ChunkSealer:
    """Seals a stream chunk by chunk under one key; each chunk's nonce and AAD carry index and final flag."""

    def __init__(self, suite: Suite, key: bytes, aad: bytes = b"") -> None:
        self._suite = suite
        self._key = key
        self._aad = aad
        self._index = 0
        self._finished = False

    def seal(self, plaintext: bytes, final: bool) -> bytes:
        """Seal the next chunk; after the final one no more may follow."""
        if self._finished:
            raise RuntimeError("stream already finished")
        nonce = chunk_nonce(self._index, final)
        sealed = self._suite.seal(self._key, nonce, plaintext, self._aad + nonce)
        self._index += 1
        self._finished = final
        return sealed


def open_chunk(
    suite: Suite, key: bytes, index: int, final: bool, ciphertext: bytes, *, aad: bytes = b""
) -> bytes:
    """Open chunk ``index`` of a :class:`ChunkSealer` stream; a :class:`UserError` if it was altered."""
    nonce = chunk_nonce(index, final)
    plaintext = suite.open(key, nonce, ciphertext, aad + nonce)
    if plaintext is None:
        raise UserError(
            f"文件内容校验失败（第 {index + 1} 个数据块），文件已损坏或被篡改，请重新拷贝。",
            f"authentication failed on chunk {index}: the file is damaged or was altered",
        )
    return plaintext


def random_bytes(size: int) -> bytes:
    """Cryptographically random bytes."""
    return os.urandom(size)
