"""The 国密 suite: SM2 signatures and digital envelopes (GB/T 32918), SM3 (GB/T 32905), SM4-GCM (GB/T 32907).

* **Signatures**: SM2 over ``e = SM3(Z || message)``, ``Z`` the SM3 of the signer ID, the curve and the
  signer's public key (GB/T 32918.2 §5.5). The signer ID is stated here, never left to a library's
  default: :data:`SM2_DEFAULT_ID` (``1234567812345678``, GM/T 0009), which every other SM2 implementation
  assumes when it is not told otherwise; a signature made under another ID does not verify. Signatures
  are DER-encoded ``SEQUENCE { r INTEGER, s INTEGER }``.
* **Envelope**: the sender draws a fresh 128-bit SM4 key and encrypts it to the recipient's SM2 public
  key (GB/T 32918.4), ciphertext in the order C1C3C2, stored raw (``04 || x1 || y1 || C3 || C2``, 113
  bytes) so a cut envelope is refused by its length before any decryption. The body key is HKDF-SM3 of
  that SM4 key, bound to the envelope, the recipient's key and the SM3 of the package header.
* **Body**: SM4-GCM (12-byte nonce, 16-byte tag), in the chunks of :class:`~.suite.ChunkSealer`.
* **Hashes**: SM3 for manifests' entry digests, key ids and certificate fingerprints.

SM2 comes from GmSSL 3.2 (``gmssl-pyx``); SM3, SM4 and HKDF from OpenSSL (``cryptography``). Neither
GmSSL binding derives a public key from a private one, so a private key is stored with its public key
(``d || x || y``, 96 bytes) and :meth:`GmSuite.check_private` proves the two belong together.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Iterator

import gmssl_pyx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.trust.suite import Hasher, Suite, register_suite

SM2_DEFAULT_ID = b"1234567812345678"
# The SM2 recommended curve (GB/T 32918.5): a, b, and the base point G = (xG, yG); n its order.
_A = bytes.fromhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC")
_B = bytes.fromhex("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93")
_G = bytes.fromhex(
    "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
    "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"
)
_P = int.from_bytes(bytes.fromhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF"), "big")
_N = int.from_bytes(bytes.fromhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123"), "big")
POINT_SIZE = 65  # 04 || x || y
ENVELOPE_KEY_SIZE = 16
ENVELOPE_SIZE = POINT_SIZE + 32 + ENVELOPE_KEY_SIZE  # C1 || C3 || C2
_ENVELOPE_DOMAIN = b"sanlian-gm1-envelope\x00"


_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Keep GmSSL from printing its error trace (it writes to the process's stderr whenever a signature
    does not verify or an envelope does not open) in front of this program's own message."""
    with _STDERR_LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):  # no usable stderr (a windowed program)
            yield
            return
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 2)
            finally:
                os.close(null)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def sm3(data: bytes) -> bytes:
    """SM3 of ``data`` (OpenSSL's, through ``cryptography``)."""
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


class Sm3Hasher:
    """An incremental SM3 with the ``update``/``digest`` shape of :mod:`hashlib`."""

    name = "sm3"

    def __init__(self) -> None:
        self._h = hashes.Hash(hashes.SM3())

    def update(self, data: bytes | memoryview, /) -> None:
        self._h.update(data)

    def digest(self) -> bytes:
        return self._h.copy().finalize()


def on_curve(point: bytes) -> bool:
    """Whether ``point`` is an uncompressed point (``04 || x || y``) of the SM2 curve, not infinity."""
    if len(point) != POINT_SIZE or point[0] != 4:
        return False
    try:
        gmssl_pyx.normalize_sm2_public_key(point)
    except gmssl_pyx.GmsslInnerError:
        return False
    return True


@functools.lru_cache(maxsize=256)
def sm2_z(public: bytes, signer_id: bytes = SM2_DEFAULT_ID) -> bytes:
    """``Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA)`` for the signer's point ``04 || xA || yA``."""
    if len(signer_id) >= 8192:
        raise ValueError("an SM2 signer ID is shorter than 8192 bytes")
    return sm3((len(signer_id) * 8).to_bytes(2, "big") + signer_id + _A + _B + _G + public[1:])


def sm2_digest(public: bytes, message: bytes, signer_id: bytes = SM2_DEFAULT_ID) -> bytes:
    """``e = SM3(Z || message)``: what an SM2 signature signs."""
    h = hashes.Hash(hashes.SM3())
    h.update(sm2_z(public, signer_id))
    h.update(message)
    return h.finalize()


# -- the SM2 ciphertext's two encodings ---------------------------------------------------------------
# GmSSL and OpenSSL read and write GM/T 0009's DER ``SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING,
# ciphertext OCTET STRING }``; this program stores the raw C1C3C2 bytes of GB/T 32918.4.


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def _der_int(value: bytes) -> bytes:
    body = value.lstrip(b"\x00") or b"\x00"
    if body[0] & 0x80:
        body = b"\x00" + body
    return _der(0x02, body)


def ciphertext_to_der(raw: bytes) -> bytes:
    """GM/T 0009 DER of a raw C1C3C2 SM2 ciphertext (``04 || x || y || C3 || C2``)."""
    if len(raw) <= POINT_SIZE + 32 or raw[0] != 4:
        raise ValueError("not a raw C1C3C2 SM2 ciphertext")
    x, y, c3, c2 = raw[1:33], raw[33:65], raw[65:97], raw[97:]
    return _der(0x30, _der_int(x) + _der_int(y) + _der(0x04, c3) + _der(0x04, c2))


def _der_read(data: bytes, at: int, tag: int) -> tuple[bytes, int]:
    if at + 2 > len(data) or data[at] != tag:
        raise ValueError("unexpected DER tag")
    first = data[at + 1]
    at += 2
    if first & 0x80:
        count = first & 0x7F
        if not 0 < count <= 2 or at + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[at : at + count], "big")
        if length < 0x80 or data[at] == 0:
            raise ValueError("non-minimal DER length")
        at += count
    else:
        length = first
    if at + length > len(data):
        raise ValueError("DER value runs past the end")
    return data[at : at + length], at + length


def _coordinate(body: bytes) -> bytes:
    if not body or body[0] & 0x80 or len(body) > 33 or (len(body) == 33 and body[0] != 0):
        raise ValueError("bad SM2 coordinate")
    return body.rjust(33, b"\x00")[1:]


def ciphertext_to_raw(der: bytes) -> bytes:
    """The raw C1C3C2 bytes of a GM/T 0009 DER SM2 ciphertext (what OpenSSL and GmSSL write)."""
    seq, end = _der_read(der, 0, 0x30)
    if end != len(der):
        raise ValueError("trailing bytes after the SM2 ciphertext")
    x, at = _der_read(seq, 0, 0x02)
    y, at = _der_read(seq, at, 0x02)
    c3, at = _der_read(seq, at, 0x04)
    c2, at = _der_read(seq, at, 0x04)
    if at != len(seq) or len(c3) != 32 or not c2:
        raise ValueError("bad SM2 ciphertext")
    return b"\x04" + _coordinate(x) + _coordinate(y) + c3 + c2


def _envelope_error(en: str) -> UserError:
    return UserError(
        "数据包的数字信封（SM2 加密的会话密钥）不完整或已损坏，无法解密：文件可能被截断或篡改，"
        "也可能不是发给本单位的。请重新拷贝或请发送单位重新制作。",
        f"the SM2 digital envelope is damaged: {en}",
    )


class GmSuite(Suite):
    """国密: SM2 signatures (explicit signer ID); SM2 envelope of an SM4 key + HKDF-SM3; SM4-GCM; SM3."""

    name = "GM1-SM2-SM2ENVELOPE-HKDF-SM3-SM4GCM"
    short = "gm"
    label = "国密算法（SM2/SM3/SM4）"
    key_size = 16
    nonce_size = 12
    tag_size = 16
    sign_public_size = POINT_SIZE
    enc_public_size = POINT_SIZE
    private_size = 32 + 64  # d || x || y

    def __init__(self, signer_id: bytes = SM2_DEFAULT_ID) -> None:
        if not 0 < len(signer_id) < 8192:
            raise ValueError("an SM2 signer ID is 1 to 8191 bytes")
        self.signer_id = signer_id

    # -- SM2 keys

    @staticmethod
    def _new_pair() -> bytes:
        public, private = gmssl_pyx.sm2_key_generate()
        return bytes(private) + bytes(public)

    def generate_signing_key(self) -> bytes:
        return self._new_pair()

    def signing_public(self, private: bytes) -> bytes:
        if len(private) != self.private_size:
            raise ValueError("an SM2 private key is stored as d || x || y (96 bytes)")
        return b"\x04" + private[32:]

    def generate_encryption_key(self) -> bytes:
        return self._new_pair()

    def encryption_public(self, private: bytes) -> bytes:
        return self.signing_public(private)

    def valid_public(self, public: bytes, *, signing: bool) -> bool:
        return on_curve(public)

    def check_private(self, sign_private: bytes, enc_private: bytes) -> bool:
        """Each private scalar in range and its stored public key truly its own (a signature and an
        envelope made with it open under the public key)."""
        for private in (sign_private, enc_private):
            if len(private) != self.private_size:
                return False
            d = int.from_bytes(private[:32], "big")
            if not 0 < d < _N - 1 or not on_curve(b"\x04" + private[32:]):
                return False
        probe = b"sanlian-gm1-key-check"
        if not self.verify(self.signing_public(sign_private), probe, self.sign(sign_private, probe)):
            return False
        try:
            with _quiet():
                envelope = gmssl_pyx.sm2_encrypt(enc_private[32:], probe)
                return bool(gmssl_pyx.sm2_decrypt(enc_private[:32], envelope) == probe)
        except gmssl_pyx.GmsslInnerError:
            return False

    # -- signatures

    def sign(self, private: bytes, message: bytes) -> bytes:
        public = self.signing_public(private)
        return bytes(gmssl_pyx.sm2_sign_sm3_digest(private[:32], sm2_digest(public, message, self.signer_id)))

    def verify(self, public: bytes, message: bytes, signature: bytes) -> bool:
        if not on_curve(public) or not 8 <= len(signature) <= 72:
            return False
        digest = sm2_digest(public, message, self.signer_id)
        try:
            with _quiet():
                return bool(gmssl_pyx.sm2_verify_sm3_digest(public[1:], digest, signature))
        except gmssl_pyx.GmsslInnerError:  # a malformed DER signature
            return False

    # -- the digital envelope

    def encapsulate(self, recipient_public: bytes) -> tuple[bytes, bytes]:
        if not on_curve(recipient_public):
            raise UserError(
                "接收单位证书中的 SM2 加密公钥无效，无法制作数据包。", "the recipient's SM2 key is not a curve point"
            )
        key = os.urandom(ENVELOPE_KEY_SIZE)
        return ciphertext_to_raw(gmssl_pyx.sm2_encrypt(recipient_public[1:], key)), key

    def decapsulate(self, encapsulated: bytes, recipient_private: bytes) -> bytes:
        if len(encapsulated) != ENVELOPE_SIZE or encapsulated[0] != 4:
            raise _envelope_error(f"{len(encapsulated)} bytes, expected {ENVELOPE_SIZE}")
        if not on_curve(encapsulated[:POINT_SIZE]):
            raise _envelope_error("C1 is not a curve point")
        try:
            with _quiet():
                key = gmssl_pyx.sm2_decrypt(recipient_private[:32], ciphertext_to_der(encapsulated))
        except gmssl_pyx.GmsslInnerError:
            raise _envelope_error("SM2 decryption failed (C3 does not match)") from None
        if len(key) != ENVELOPE_KEY_SIZE:
            raise _envelope_error("wrong key length")
        return bytes(key)

    def derive_key(
        self, shared: bytes, encapsulated: bytes, recipient_public: bytes, context: bytes
    ) -> bytes:
        info = _ENVELOPE_DOMAIN + encapsulated + recipient_public + sm3(context)
        return HKDF(algorithm=hashes.SM3(), length=self.key_size, salt=None, info=info).derive(shared)

    # -- SM4-GCM and SM3

    def seal(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        sealed = encryptor.update(plaintext) + encryptor.finalize()
        return sealed + encryptor.tag

    def open(self, key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes | None:
        if len(key) != self.key_size or len(nonce) != self.nonce_size or len(ciphertext) < self.tag_size:
            return None
        body, tag = ciphertext[: -self.tag_size], ciphertext[-self.tag_size :]
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(aad)
        try:
            return decryptor.update(body) + decryptor.finalize()
        except InvalidTag:
            return None

    def hasher(self) -> Hasher:
        return Sm3Hasher()

    def hkdf_hash(self) -> hashes.HashAlgorithm:
        return hashes.SM3()


GM_SUITE = register_suite(GmSuite())
