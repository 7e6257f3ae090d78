"""Office keys inside a PKCS#11 token (a hardware key, or Debian's SoftHSM2): the second key custody.

The private keys are generated in the token, or imported into it once from the software key store,
marked sensitive and not extractable: from then on they never leave it. Signing is the token's EdDSA
(Ed25519, ``CKM_EDDSA``); opening a package's envelope is the token's X25519 exchange
(``CKM_ECDH1_DERIVE`` on a Curve25519 key), whose shared secret then goes through the suite's HKDF in
software as before. Both work on SoftHSM2 2.6.1 (Debian 12). Package and certificate bytes are exactly
those of the software store: a certificate made before the keys moved into a token stays valid.

Only the default suite (Ed25519/X25519) can live in a token: PKCS#11 has no standard SM2 mechanism
and SoftHSM2 implements none, so a 国密 office keeps its SM2 keys in the software store until a GM/T
0016 (SKF) USB key is supported as a third custody.

What the office's key ring stores for a token is a reference (:data:`TOKEN_FORMAT`): the PKCS#11 module,
the token's label, the key id and the public keys — and the token's user PIN sealed under the office's
key-encryption key, so a signed-in user can use the token (plugged in) without typing its PIN; the PIN
is never stored in plain. ``SANLIAN_TOKEN_PIN`` in the environment overrides the stored PIN.

The ``pkcs11`` package (PyPI ``python-pkcs11``) is an optional extra (``sanlian-desktop[token]``); it is
imported only when a token is used.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.trust.custody import PKCS11, KeyLocation
from sanlian_desktop.sync.trust.suite import DEFAULT_SUITE, Sl1Suite, Suite, get_suite, random_bytes

T = TypeVar("T")
TOKEN_FORMAT = "sanlian-token-keys-1"
PIN_ENV = "SANLIAN_TOKEN_PIN"
MODULE_ENV = "SANLIAN_PKCS11_MODULE"
# Where Debian, Fedora and Homebrew put SoftHSM2's module; a vendor's token names its own module.
KNOWN_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)
_ED25519_OID = bytes.fromhex("06032b6570")  # 1.3.101.112, DER
_X25519_OID = bytes.fromhex("06032b656e")  # 1.3.101.110, DER
_SIGN_LABEL = "sanlian-sign"
_ENC_LABEL = "sanlian-enc"
_Z, _E = "硬件令牌密钥记录", "token key reference"
_UNCHANGED = "本次操作没有进行，数据没有任何改变。"


def default_module() -> str | None:
    """The PKCS#11 module to use: ``SANLIAN_PKCS11_MODULE``, else SoftHSM2 where it is installed."""
    named = os.environ.get(MODULE_ENV)
    if named:
        return named
    return next((m for m in KNOWN_MODULES if Path(m).is_file()), None)


def _pkcs11() -> Any:
    try:
        import pkcs11
    except ImportError:
        raise UserError(
            "本程序没有安装硬件令牌（PKCS#11）支持组件 python-pkcs11，无法使用硬件令牌。"
            "请安装 sanlian-desktop[token] 后重试。" + _UNCHANGED,
            "python-pkcs11 is not installed (pip install sanlian-desktop[token])",
        ) from None
    return pkcs11


def token_supports(suite: Suite) -> bool:
    """Whether keys of ``suite`` can live in a PKCS#11 token (Ed25519/X25519 only)."""
    return isinstance(suite, Sl1Suite)


def check_suite(suite: Suite) -> None:
    """Refuse, in Chinese, a suite whose keys no PKCS#11 token can hold (国密 SM2)."""
    if not token_supports(suite):
        raise UserError(
            f"硬件令牌（PKCS#11）不支持{suite.label}的密钥：PKCS#11 没有标准的 SM2 机制，SoftHSM2 等令牌也未实现。"
            "国密单位的密钥继续保存在本机密钥库（口令保护）中，待支持 GM/T 0016（SKF）USB Key 后再迁移。" + _UNCHANGED,
            f"a PKCS#11 token cannot hold {suite.name} keys (no SM2 mechanism); they stay in the software store",
        )


# -- the token, its session and its errors ------------------------------------------------------------

_LOCK = threading.RLock()
# One logged-in session per token (PKCS#11 logs a whole application in, so a second login fails):
# (module, token label) -> (PIN, session).
_SESSIONS: dict[tuple[str, str], tuple[str, Any]] = {}
# Private-key objects found in a cached session, by (session id, key id, label): a key is looked up once
# per session, and a session gone stale then fails cleanly in the operation, not inside a search.
_HANDLES: dict[tuple[int, bytes, str], Any] = {}


def _translate(exc: Exception, label: str) -> UserError:
    """A Chinese message for what went wrong with the token ``label``."""
    p11 = _pkcs11()
    ex = p11.exceptions
    if isinstance(exc, ex.PinIncorrect | ex.PinInvalid | ex.PinLenRange):
        return UserError(
            f"硬件令牌“{label}”的 PIN 码不正确（多次输错会锁定令牌）。" + _UNCHANGED,
            f"wrong PIN for token {label!r}",
        )
    if isinstance(exc, ex.PinLocked):
        return UserError(
            f"硬件令牌“{label}”已被锁定（PIN 码输错次数过多），请令牌管理员用管理员 PIN（SO PIN）解锁后重试。" + _UNCHANGED,
            f"token {label!r} is locked",
        )
    if isinstance(exc, ex.PinExpired | ex.UserPinNotInitialized):
        return UserError(
            f"硬件令牌“{label}”的用户 PIN 码尚未设置或已过期，请令牌管理员重设后重试。" + _UNCHANGED,
            f"the user PIN of token {label!r} is not set or expired",
        )
    if isinstance(exc, ex.NoSuchToken | ex.TokenNotPresent | ex.DeviceRemoved | ex.TokenNotRecognised):
        return UserError(
            f"未找到硬件令牌“{label}”：请插入本单位的硬件令牌后重试。" + _UNCHANGED,
            f"token {label!r} is not present",
        )
    if isinstance(exc, ex.NoSuchKey | ex.MultipleObjectsReturned):
        return UserError(
            f"硬件令牌“{label}”中没有本单位的密钥（可能插错了令牌，或密钥已被删除）。" + _UNCHANGED,
            f"token {label!r} does not hold this office's keys",
        )
    return UserError(
        f"硬件令牌“{label}”操作失败（{type(exc).__name__}），请检查令牌后重试。" + _UNCHANGED,
        f"token {label!r}: {type(exc).__name__}: {exc}",
    )


def _lib(module: str) -> Any:
    p11 = _pkcs11()
    try:
        return p11.lib(module)
    except p11.exceptions.PKCS11Error as exc:
        raise UserError(
            f"无法加载硬件令牌驱动（PKCS#11 模块）{module}，请确认已安装令牌驱动。" + _UNCHANGED,
            f"cannot load the PKCS#11 module {module}: {exc}",
        ) from None


def _find_token(module: str, label: str) -> Any:
    p11 = _pkcs11()
    lib = _lib(module)
    try:
        return lib.get_token(token_label=label)
    except p11.exceptions.NoSuchToken:
        pass
    except p11.exceptions.PKCS11Error as exc:
        raise _translate(exc, label) from None
    # A token plugged in (or a token directory configured) after the module was first loaded: rescan.
    for key in [k for k in _SESSIONS if k[0] == module]:
        _drop(key)
    try:
        lib.reinitialize()
        return lib.get_token(token_label=label)
    except p11.exceptions.PKCS11Error as exc:
        raise _translate(exc, label) from None


def _drop(key: tuple[str, str]) -> None:
    held = _SESSIONS.pop(key, None)
    if held is not None:
        for handle in [h for h in _HANDLES if h[0] == id(held[1])]:
            del _HANDLES[handle]
        with suppress(Exception):  # a session of a removed token may fail to close; it is gone anyway
            held[1].close()


def close_sessions() -> None:
    """Log out of every token this process opened (at exit, and between tests)."""
    with _LOCK:
        for key in list(_SESSIONS):
            _drop(key)


def rescan(module: str) -> None:
    """Log out and make the module look for its tokens afresh (a token plugged in or pulled out, or —
    for SoftHSM2 — another ``SOFTHSM2_CONF``)."""
    with _LOCK:
        close_sessions()
        lib = _lib(module)
        try:
            lib.reinitialize()
        except _pkcs11().exceptions.PKCS11Error as exc:
            raise UserError(f"无法重新加载硬件令牌驱动 {module}。", f"cannot reinitialise {module}: {exc}") from None


@contextmanager
def token_session(module: str, label: str, pin: str, *, rw: bool = False) -> Iterator[Any]:
    """A logged-in session of the token ``label``; any token error becomes a Chinese :class:`UserError`.

    Read-only use shares one cached session per token; a read-write session (to create keys) is opened
    for the block and closed after it.
    """
    p11 = _pkcs11()
    key = (module, label)
    with _LOCK:
        if rw or key not in _SESSIONS or _SESSIONS[key][0] != pin:
            _drop(key)
            token = _find_token(module, label)
            try:
                session = token.open(user_pin=pin, rw=rw)
            except p11.exceptions.PKCS11Error as exc:
                raise _translate(exc, label) from None
            if rw:
                try:
                    yield session
                except p11.exceptions.PKCS11Error as exc:
                    raise _translate(exc, label) from None
                finally:
                    with suppress(p11.exceptions.PKCS11Error):
                        session.close()
                return
            _SESSIONS[key] = (pin, session)
        try:
            yield _SESSIONS[key][1]
        except p11.exceptions.PKCS11Error as exc:
            _drop(key)  # a removed token or a closed session: open afresh next time
            if isinstance(exc, _stale_errors()):
                raise _StaleSession(_translate(exc, label)) from None
            raise _translate(exc, label) from None


class _StaleSession(UserError):
    """A cached session no longer works (the token was pulled out, perhaps put back): worth one retry."""

    def __init__(self, error: UserError) -> None:
        super().__init__(error.zh, error.en)


def _stale_errors() -> tuple[type[Exception], ...]:
    ex = _pkcs11().exceptions
    return (ex.SessionHandleInvalid, ex.SessionClosed, ex.DeviceRemoved, ex.TokenNotPresent, ex.UserNotLoggedIn,
            ex.DeviceError)


def _use(module: str, label: str, pin: str, work: Callable[[Any], T]) -> T:
    """``work`` on a logged-in session of the token; a cached session gone stale is replaced once (a token
    pulled out and put back), so the user sees "token absent" only when it truly is."""
    with _LOCK:
        try:
            with token_session(module, label, pin) as session:
                return work(session)
        except _StaleSession:
            with token_session(module, label, pin) as session:
                return work(session)


# -- keys in a token ----------------------------------------------------------------------------------


class TokenKeys:
    """An office's Ed25519 signing key and X25519 encryption key inside a PKCS#11 token (a :class:`KeyCustody`)."""

    def __init__(
        self, module: str, token: str, key_id: bytes, sign_public: bytes, enc_public: bytes, pin: str,
        suite: Suite = DEFAULT_SUITE,
    ) -> None:
        self.module = module
        self.token = token
        self.key_id = key_id
        self._sign_public = sign_public
        self._enc_public = enc_public
        self._pin = pin
        self._suite = suite

    def __repr__(self) -> str:
        return f"TokenKeys(token={self.token!r}, key_id={self.key_id.hex()})"

    @property
    def suite(self) -> Suite:
        return self._suite

    @property
    def sign_public(self) -> bytes:
        return self._sign_public

    @property
    def enc_public(self) -> bytes:
        return self._enc_public

    @property
    def location(self) -> KeyLocation:
        return KeyLocation(PKCS11, f"硬件令牌“{self.token}”", self.token)

    def _private(self, session: Any, label: str) -> Any:
        p11 = _pkcs11()
        handle = (id(session), self.key_id, label)
        if handle not in _HANDLES:
            _HANDLES[handle] = session.get_key(object_class=p11.ObjectClass.PRIVATE_KEY, id=self.key_id, label=label)
        return _HANDLES[handle]

    def sign(self, message: bytes) -> bytes:
        p11 = _pkcs11()

        def work(session: Any) -> bytes:
            return bytes(self._private(session, _SIGN_LABEL).sign(message, mechanism=p11.Mechanism.EDDSA))

        return _use(self.module, self.token, self._pin, work)

    def decapsulate(self, encapsulated: bytes) -> bytes:
        p11 = _pkcs11()
        if len(encapsulated) != self._suite.enc_public_size:
            raise UserError("文件的加密信息无效，无法解密，文件可能已损坏或被篡改。", "invalid encapsulated key")

        def work(session: Any) -> bytes:
            private = self._private(session, _ENC_LABEL)
            try:
                secret = private.derive_key(
                    p11.KeyType.GENERIC_SECRET, 256, mechanism=p11.Mechanism.ECDH1_DERIVE,
                    mechanism_param=(p11.KDF.NULL, None, encapsulated),
                    template={p11.Attribute.TOKEN: False, p11.Attribute.SENSITIVE: False,
                              p11.Attribute.EXTRACTABLE: True},
                )
            except p11.exceptions.PKCS11Error as exc:  # a low-order point or a value the token refuses
                if isinstance(exc, _stale_errors()):
                    raise
                raise UserError(
                    "文件的加密信息无效，无法解密，文件可能已损坏或被篡改。", "invalid encapsulated key"
                ) from None
            try:
                return bytes(secret[p11.Attribute.VALUE])
            finally:
                secret.destroy()

        shared = _use(self.module, self.token, self._pin, work)
        if shared == bytes(len(shared)):  # X25519 with a low-order point (software refuses it too)
            raise UserError("文件的加密信息无效，无法解密，文件可能已损坏或被篡改。", "invalid encapsulated key")
        return shared

    def vault(self) -> TokenVault:
        """The token these keys are in, where keys replacing them are made."""
        return TokenVault(self.module, self.token, self._pin)

    def check(self) -> None:
        """Prove the token holds these keys: a signature verifies under the public key and an envelope
        made to the public encryption key opens (a different token under the same label fails here)."""
        probe = b"sanlian-token-key-check"
        encapsulated, shared = self._suite.encapsulate(self._enc_public)
        if not self._suite.verify(self._sign_public, probe, self.sign(probe)) or self.decapsulate(encapsulated) != shared:
            raise UserError(
                f"硬件令牌“{self.token}”中的密钥与本单位证书的密钥不一致（可能插错了令牌）。" + _UNCHANGED,
                f"token {self.token!r} holds other keys",
            )

    # -- the reference kept in the office's key ring

    def reference(self, kek: bytes) -> bytes:
        """What the key ring stores: where the keys are, their public halves, and the PIN sealed under ``kek``."""
        public = self._public_ref()
        nonce = random_bytes(self._suite.nonce_size)
        sealed = self._suite.seal(self._suite.sealing_key(kek), nonce, self._pin.encode("utf-8"), cj.dumps(public))
        return cj.dumps({**public, "nonce": cj.b64(nonce), "sealed_pin": cj.b64(sealed)})

    def _public_ref(self) -> dict[str, str]:
        return {
            "format": TOKEN_FORMAT, "suite": self._suite.name, "sign_key": cj.b64(self._sign_public),
            "enc_key": cj.b64(self._enc_public), "module": self.module, "token": self.token,
            "key_id": self.key_id.hex(),
        }

    def destroy(self) -> None:
        """Delete these keys from the token (only to undo a move that did not complete)."""
        p11 = _pkcs11()
        with token_session(self.module, self.token, self._pin, rw=True) as session:
            for obj in session.get_objects({p11.Attribute.ID: self.key_id}):
                obj.destroy()


def is_reference(blob: bytes) -> bool:
    """Whether a key-ring entry is a token reference (not sealed software keys)."""
    return blob.lstrip()[:1] == b"{" and f'"format":"{TOKEN_FORMAT}"'.encode() in blob


def _ref_fields(blob: bytes) -> dict[str, Any]:
    obj = cj.loads(blob, _Z, _E)
    cj.check_keys(obj, {"format", "suite", "sign_key", "enc_key", "module", "token", "key_id", "nonce",
                        "sealed_pin"}, _Z, _E)
    if obj["format"] != TOKEN_FORMAT:
        cj.malformed(_Z, _E, "unknown format")
    return obj


def reference_token(blob: bytes) -> str:
    """The token label a reference names."""
    return cj.get_str(_ref_fields(blob), "token", _Z, _E, 64)


def open_reference(blob: bytes, kek: bytes, *, pin: str | None = None) -> TokenKeys:
    """The token keys a key-ring reference names, with the PIN sealed in it (or ``pin``, or
    ``SANLIAN_TOKEN_PIN``); nothing touches the token until the keys are used."""
    obj = _ref_fields(blob)
    suite = get_suite(obj["suite"])
    public = {k: obj[k] for k in ("format", "suite", "sign_key", "enc_key", "module", "token", "key_id")}
    stored = suite.open(suite.sealing_key(kek), cj.unb64(obj["nonce"], _Z, _E), cj.unb64(obj["sealed_pin"], _Z, _E),
                        cj.dumps(public))
    if stored is None:
        raise UserError("无法解开硬件令牌的 PIN 码：密钥加密密钥不正确或数据已损坏。", "cannot unseal the token PIN")
    chosen = pin or os.environ.get(PIN_ENV) or stored.decode("utf-8")
    try:
        key_id = bytes.fromhex(cj.get_str(obj, "key_id", _Z, _E, 64))
    except ValueError:
        cj.malformed(_Z, _E, "key id")
    return TokenKeys(cj.get_str(obj, "module", _Z, _E, 1000), cj.get_str(obj, "token", _Z, _E, 64), key_id,
                     cj.unb64(obj["sign_key"], _Z, _E), cj.unb64(obj["enc_key"], _Z, _E), chosen, suite)


def _key_templates(p11: Any, key_id: bytes, label: str) -> dict[Any, Any]:
    a = p11.Attribute
    return {a.ID: key_id, a.LABEL: label, a.TOKEN: True, a.PRIVATE: True, a.SENSITIVE: True, a.EXTRACTABLE: False}


def _key_id(suite: Suite, sign_public: bytes) -> bytes:
    return bytes.fromhex(suite.key_id(sign_public))


class TokenVault:
    """A PKCS#11 token as a :class:`~.custody.KeyVault`: keys generated inside it, or moved into it."""

    def __init__(self, module: str, token: str, pin: str) -> None:
        self.module = module
        self.token = token
        self.pin = pin

    @property
    def location(self) -> KeyLocation:
        return KeyLocation(PKCS11, f"硬件令牌“{self.token}”", self.token)

    def check(self) -> None:
        """The token is present and the PIN opens it (raises a Chinese :class:`UserError` otherwise)."""
        with token_session(self.module, self.token, self.pin):
            pass

    def generate(self, suite: Suite) -> TokenKeys:
        """New Ed25519 and X25519 key pairs made inside the token."""
        check_suite(suite)
        p11 = _pkcs11()
        a = p11.Attribute
        key_id = random_bytes(16)
        with token_session(self.module, self.token, self.pin, rw=True) as session:
            points = []
            for oid, label, usage in ((_ED25519_OID, _SIGN_LABEL, a.SIGN), (_X25519_OID, _ENC_LABEL, a.DERIVE)):
                public, _ = session.generate_keypair(
                    p11.KeyType.EC_EDWARDS, mechanism=p11.Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
                    public_template={a.EC_PARAMS: oid, a.ID: key_id, a.LABEL: label, a.TOKEN: True},
                    private_template={**_key_templates(p11, key_id, label), usage: True},
                )
                points.append(_raw_point(bytes(public[a.EC_POINT])))
        keys = TokenKeys(self.module, self.token, key_id, points[0], points[1], self.pin, suite)
        keys.check()
        return keys

    def move_in(self, keys: Any) -> TokenKeys:
        """Import the software store's keys into the token (sensitive, not extractable) and prove they
        work there; the caller then drops the software copy. Undone when the proof fails."""
        check_suite(keys.suite)
        p11 = _pkcs11()
        a = p11.Attribute
        key_id = _key_id(keys.suite, keys.sign_public)
        with token_session(self.module, self.token, self.pin, rw=True) as session:
            if list(session.get_objects({a.ID: key_id})):
                raise UserError(
                    f"硬件令牌“{self.token}”中已有本单位的这把密钥。" + _UNCHANGED, "the token already holds these keys"
                )
            for oid, label, usage, private in ((_ED25519_OID, _SIGN_LABEL, a.SIGN, keys.sign_private),
                                               (_X25519_OID, _ENC_LABEL, a.DERIVE, keys.enc_private)):
                session.create_object({
                    a.CLASS: p11.ObjectClass.PRIVATE_KEY, a.KEY_TYPE: p11.KeyType.EC_EDWARDS, a.EC_PARAMS: oid,
                    a.VALUE: private, usage: True, **_key_templates(p11, key_id, label),
                })
        moved = TokenKeys(self.module, self.token, key_id, keys.sign_public, keys.enc_public, self.pin, keys.suite)
        try:
            moved.check()
        except UserError:
            moved.destroy()
            raise
        return moved


def _raw_point(ec_point: bytes) -> bytes:
    """The raw 32 bytes of a Curve25519 ``CKA_EC_POINT`` (DER OCTET STRING, or raw)."""
    if len(ec_point) == 34 and ec_point[:2] == b"\x04\x20":
        return ec_point[2:]
    if len(ec_point) == 32:
        return ec_point
    raise UserError("硬件令牌返回的公钥格式无法识别。" + _UNCHANGED, "unrecognised EC_POINT from the token")
