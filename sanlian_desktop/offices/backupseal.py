"""Encrypted backups (issue 17, "at rest"): the backup zip sealed under the office's suite.

A backup travels on USB sticks; a thief holding one without an administrator's password must learn
nothing from it. The file is::

    magic   b"SANLIANB"             8 bytes
    version u16 big-endian          1
    hlen    u32 big-endian          length of the header JSON (<= 1 MiB)
    header  canonical JSON          suite, office, time, reason, the key envelope, the sealed office
                                    keys and the administrators' wraps of their sealing key
    body    sealed chunks           the backup zip in chunks of ``chunk_size`` (+ the suite's tag)

The body key is made for the office's own encryption key exactly as a package's is for its recipient
(:meth:`~sanlian_desktop.sync.trust.suite.Suite.encapsulate`: X25519 + HKDF-SHA256 under SL1, an SM2
envelope of a fresh SM4 key + HKDF-SM3 under 国密), bound to every header byte; the chunks are those
of :class:`~sanlian_desktop.sync.trust.suite.ChunkSealer` (ChaCha20-Poly1305 or SM4-GCM), whose nonces
carry the chunk's index and a final flag, so a changed, dropped, reordered, cut or appended chunk is
refused. Sealing needs no secret (only the office's public key), so the automatic backups made
without anyone signed in are encrypted too.

Opening needs the office's private key, which only the office's key-encryption key unseals. The
header carries the office's sealed keys and the wraps of that key under each *administrator's*
password (named by a salted hash of the user name) (the same argon2id wraps as in the store), so an administrator opens a backup on a new
computer, with no store at all; an administrator of the current store (whose password may have
changed since) opens it with the store's own keys. Nobody else can: other users' wraps never leave
the store. The database copy the zip is made from stays beside the store, never beside the backup.
"""

from __future__ import annotations

import contextlib
import io
import sqlite3
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Role
from sanlian_desktop.offices.custody import KEYRING_FORMAT
from sanlian_desktop.store import backup
from sanlian_desktop.sync.trust.keys import OfficeKeys, unwrap
from sanlian_desktop.sync.trust.suite import (
    ChunkSealer,
    Suite,
    get_suite,
    open_chunk,
    random_bytes,
    suite_label,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

MAGIC = b"SANLIANB"
VERSION = 1
FORMAT = "sanlian-sealed-backup-1"
PREFIX = struct.Struct(">8sHI")
CHUNK = 1024 * 1024
MAX_HEADER = 1024 * 1024
_HEADER_KEYS = {"format", "suite", "office_code", "office_name", "recipient_key", "enc", "keyring", "admins",
                "salt", "chunk_size"}
_Z, _E = "备份文件头", "backup header"


@dataclass(frozen=True)
class _Header:
    """An encrypted backup's clear header, parsed (authenticated only once the body opens)."""

    suite: Suite
    office_code: str
    office_name: str
    recipient_key: str
    enc: bytes
    keyring: bytes  # the office's sealed keys, as in the store
    admins: dict[str, bytes]  # admin_tag(username) -> wrap of the key-encryption key under that admin's password
    salt: bytes
    chunk_size: int
    raw: bytes  # magic to the end of the JSON: bound into the body key
    offset: int


# -- reading the keys of a store (a database copy, possibly at an older schema) ----------------------


def _suites_of(sealed_sets: list[bytes]) -> set[str]:
    """The suites of the key sets an office holds (its current and retired ones) that this program reads."""
    found = set()
    for sealed in sealed_sets:
        with contextlib.suppress(UserError):
            found.add(_public(sealed)[0].name)
    return found


def _sealed_sets(ring: bytes) -> list[bytes]:
    """The office's sealed key sets in a key ring row: the current one first, then the retired ones."""
    obj = cj.loads(ring, "本单位密钥", "office keys")
    if obj.get("format") == KEYRING_FORMAT:
        current = cj.unb64(obj.get("current"), "本单位密钥", "office keys")
        retired = obj.get("retired")
        return [current, *(cj.unb64(r, "本单位密钥", "office keys") for r in (retired if isinstance(retired, list) else []))]
    return [ring]


@dataclass(frozen=True)
class _StoreKeys:
    """What a store holds to seal or open a backup: its office, sealed key sets and key wraps."""

    office_code: str
    office_name: str
    suite: str
    sealed: list[bytes]  # current first
    wraps: dict[str, bytes]  # username -> wrap
    admins: set[str]  # active administrators


# The keys' rows, read without the ORM (a file copy may predate the head schema), in SQL both engines read.
_OFFICE_SQL = "SELECT region_code, name FROM office WHERE is_self"
_RING_SQL = "SELECT suite, sealed FROM office_keyring WHERE region_code = :code"
_WRAPS_SQL = "SELECT username, wrapped FROM user_key_wrap"
_ADMINS_SQL = "SELECT username FROM user_account WHERE role = :role AND active"


def _store_keys(db: Path) -> _StoreKeys | None:
    """The keys of the store in the SQLite file ``db``; None when it has no office or no keys."""
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        return _keys_from(lambda sql, params: conn.execute(sql, params).fetchall())
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def _server_keys(engine: Engine) -> _StoreKeys | None:
    """The keys of the store on a database server, read as :func:`_store_keys` reads a file's."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            return _keys_from(lambda sql, params: [tuple(r) for r in conn.execute(text(sql), params)])
    except SQLAlchemyError:
        return None


def _keys_from(rows: Callable[[str, dict[str, Any]], list[Any]]) -> _StoreKeys | None:
    office = next(iter(rows(_OFFICE_SQL, {})), None)
    if office is None:
        return None
    ring = next(iter(rows(_RING_SQL, {"code": office[0]})), None)
    if ring is None:
        return None
    wraps = {str(u): bytes(w) for u, w in rows(_WRAPS_SQL, {})}
    admins = {str(u) for (u,) in rows(_ADMINS_SQL, {"role": Role.ADMIN.value})}
    try:
        sealed = _sealed_sets(bytes(ring[1]))
        _public(sealed[0])
    except UserError:
        return None  # keys this program cannot read (a newer custody): the backup is written in clear, and says so
    return _StoreKeys(str(office[0]), str(office[1]), str(ring[0]), sealed, wraps, admins)


def _public(sealed: bytes) -> tuple[Suite, bytes]:
    """The suite and public encryption key of a sealed key set (stored in clear beside the sealed keys)."""
    obj = cj.loads(sealed, "本单位密钥", "office keys")
    return get_suite(obj.get("suite")), cj.unb64(obj.get("enc_key"), "本单位密钥", "office keys")


# -- sealing -------------------------------------------------------------------------------------------


class _SealingWriter(io.RawIOBase):
    """A write-only stream sealing what it is given in chunks; closing it seals the final chunk."""

    def __init__(self, fh: IO[bytes], sealer: ChunkSealer, chunk: int) -> None:
        super().__init__()
        self._fh = fh
        self._sealer = sealer
        self._chunk = chunk
        self._buf = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._buf += view
        # One chunk is always held back: only at close is it known which chunk is the last.
        while len(self._buf) > self._chunk:
            self._fh.write(self._sealer.seal(bytes(self._buf[: self._chunk]), False))
            del self._buf[: self._chunk]
        return len(view)

    def finish(self) -> None:
        """Seal what is left as the final chunk."""
        self._fh.write(self._sealer.seal(bytes(self._buf), True))
        self._buf.clear()


@dataclass
class _Sealing:
    """One backup being sealed: the header is fixed, the body key known (to check the file afterwards)."""

    header: bytes
    suite: Suite
    key: bytes
    chunk: int

    @contextlib.contextmanager
    def writer(self, fh: IO[bytes]) -> Iterator[IO[bytes]]:
        fh.write(self.header)
        out = _SealingWriter(fh, ChunkSealer(self.suite, self.key), self.chunk)
        yield out  # type: ignore[misc]  # a RawIOBase is a binary stream
        out.finish()

    @contextlib.contextmanager
    def reader(self, path: Path) -> Iterator[IO[bytes]]:
        with _opened_body(path, len(self.header), self.suite, self.key, self.chunk) as plain:
            yield plain


class BackupSeal:
    """The :class:`sanlian_desktop.store.backup.Protection` this program registers."""

    def __init__(self, chunk: int = CHUNK) -> None:
        self.chunk = chunk

    def sealer(self, database_copy: Path | Engine) -> _Sealing | None:
        keys = _store_keys(database_copy) if isinstance(database_copy, Path) else _server_keys(database_copy)
        if keys is None:
            return None
        suite, public = _public(keys.sealed[0])
        enc, shared = suite.encapsulate(public)
        salt = random_bytes(16)
        fields = {
            "format": FORMAT, "suite": suite.name, "office_code": keys.office_code, "office_name": keys.office_name,
            "recipient_key": suite.key_id(public), "enc": cj.b64(enc), "keyring": cj.b64(keys.sealed[0]),
            "admins": {admin_tag(suite, salt, u): cj.b64(w) for u, w in sorted(keys.wraps.items()) if u in keys.admins},
            "salt": cj.b64(salt),
            "chunk_size": self.chunk,
        }
        body = cj.dumps(fields)
        header = PREFIX.pack(MAGIC, VERSION, len(body)) + body
        return _Sealing(header, suite, suite.derive_key(shared, enc, public, header), self.chunk)

    def is_sealed(self, path: Path) -> bool:
        try:
            with Path(path).open("rb") as fh:
                return fh.read(len(MAGIC)) == MAGIC
        except OSError:
            return False

    @contextlib.contextmanager
    def opened(self, path: Path, by: backup.Actor | None, home: Path | None) -> Iterator[IO[bytes]]:
        header = _read_header(path)
        key = _body_key(path, header, by, home)
        with _opened_body(path, header.offset, header.suite, key, header.chunk_size) as plain:
            yield plain


SEAL = BackupSeal()


def _read_header(path: Path) -> _Header:
    try:
        with path.open("rb") as fh:
            prefix = fh.read(PREFIX.size)
            if len(prefix) < PREFIX.size:
                raise backup.damaged(path, "文件头不完整", "truncated header")
            magic, version, hlen = PREFIX.unpack(prefix)
            if magic != MAGIC:
                raise backup.foreign(path)
            if version != VERSION:
                raise UserError(f"备份 {path.name} 的格式由更新版本的程序创建，请升级本程序后再恢复",
                                "the backup format is newer than this program; upgrade the program")
            if hlen > MAX_HEADER:
                raise backup.damaged(path, "文件头过长", "header too long")
            raw = fh.read(hlen)
    except OSError as exc:
        raise backup.damaged(path, f"读取失败：{exc.strerror or exc}", str(exc)) from None
    if len(raw) != hlen:
        raise backup.damaged(path, "文件头不完整", "truncated header")
    try:
        obj = cj.loads(raw, _Z, _E)
        cj.check_keys(obj, _HEADER_KEYS, _Z, _E)
        admins = obj["admins"]
        if not isinstance(admins, dict):
            cj.malformed(_Z, _E, "admins")
        chunk = cj.get_int(obj, "chunk_size", _Z, _E, 64 * 1024 * 1024)
        if chunk < 64:
            cj.malformed(_Z, _E, "chunk size")
        suite_name = cj.get_str(obj, "suite", _Z, _E, 100)
        fields = (cj.get_str(obj, "office_code", _Z, _E, 12), cj.get_str(obj, "office_name", _Z, _E, 100),
                  cj.get_str(obj, "recipient_key", _Z, _E, 64), cj.unb64(obj["enc"], _Z, _E),
                  cj.unb64(obj["keyring"], _Z, _E), {str(u): cj.unb64(w, _Z, _E) for u, w in admins.items()},
                  cj.unb64(obj["salt"], _Z, _E))
    except UserError:
        raise backup.damaged(path, "文件头无效", "bad header") from None
    suite = get_suite(suite_name)  # a suite this program does not know: says so (upgrade)
    return _Header(suite, *fields, chunk_size=chunk, raw=prefix + raw, offset=len(prefix) + len(raw))


def admin_tag(suite: Suite, salt: bytes, username: str) -> str:
    """What the header names an administrator's wrap by: a salted hash, so a user name (often a person's
    name in pinyin) is not readable on the USB stick."""
    return suite.hash(b"sanlian-backup-admin\x00" + salt + username.encode("utf-8"))[:16].hex()


def _keys_opening(header: _Header, sealed_sets: list[bytes], kek: bytes) -> OfficeKeys | None:
    """The key set among ``sealed_sets`` whose encryption key the backup was sealed to."""
    for sealed in sealed_sets:
        keys = OfficeKeys.unseal(sealed, kek)
        if keys.suite.name == header.suite.name and keys.suite.key_id(keys.enc_public) == header.recipient_key:
            return keys
    return None


def _body_key(path: Path, header: _Header, by: backup.Actor | None, home: Path | None) -> bytes:
    """The body key, for an administrator of the backup's office: by the wrap the backup carries for
    them, else by the keys of the store in ``home`` when they administer it."""
    if by is None or not by.password:
        raise UserError(f"备份 {path.name} 已加密，需要本单位管理员登录（用户名和密码）后才能打开",
                        f"the backup {path.name} is encrypted: an administrator must sign in to open it")
    current = _store_keys(home / backup.DATABASE) if home is not None else None
    # Another suite than any key set of this office's: not this office's backup. (After the province moved the
    # chain to another suite, the office keeps its keys of the old one: its backups from before still open.)
    if current is not None and current.office_code == header.office_code and current.suite != header.suite.name \
            and header.suite.name not in _suites_of(current.sealed):
        raise UserError(
            f"备份 {path.name} 使用“{suite_label(header.suite.name)}”加密，而本单位使用“{suite_label(current.suite)}”，"
            "不是本单位这套密钥下的备份，不能打开；本单位的数据没有改动",
            f"the backup uses the suite {header.suite.name}, this office {current.suite}; refused, nothing changed")
    tried_password = False
    keys: OfficeKeys | None = None
    wrap = header.admins.get(admin_tag(header.suite, header.salt, by.username))
    if wrap is not None:
        tried_password = True
        with contextlib.suppress(UserError):
            keys = _keys_opening(header, [header.keyring], unwrap(wrap, by.password))
    if keys is None and current is not None and current.office_code == header.office_code \
            and by.username in current.admins and by.username in current.wraps:
        tried_password = True
        with contextlib.suppress(UserError):
            keys = _keys_opening(header, current.sealed, unwrap(current.wraps[by.username], by.password))
    if keys is None:
        if tried_password:
            raise UserError(f"密码不正确，或该用户不能打开这份加密备份 {path.name}；本单位的数据没有改动",
                            f"wrong password for {by.username}: cannot open the encrypted backup; nothing changed")
        raise UserError(
            f"用户 {by.username} 不是{header.office_name}（{header.office_code}）的管理员，不能打开这份加密备份；"
            "请由本单位管理员登录后操作",
            f"{by.username} is no administrator of {header.office_code}: cannot open the encrypted backup")
    try:
        shared = keys.suite.decapsulate(header.enc, keys.enc_private)
    except UserError:
        raise backup.damaged(path, "加密信息无效", "invalid key envelope") from None
    return keys.suite.derive_key(shared, header.enc, keys.enc_public, header.raw)


class _OpenedBody(io.RawIOBase):
    """The plaintext of a sealed body, seekable; each chunk is opened (and authenticated) as it is read."""

    def __init__(self, path: Path, fh: IO[bytes], offset: int, suite: Suite, key: bytes, chunk: int) -> None:
        super().__init__()
        self._path, self._fh, self._offset, self._suite, self._key, self._chunk = path, fh, offset, suite, key, chunk
        self._sealed = chunk + suite.tag_size
        body = fh.seek(0, io.SEEK_END) - offset
        self.chunks = -(-body // self._sealed)
        last = body - (self.chunks - 1) * self._sealed
        if body < suite.tag_size or last < suite.tag_size:
            raise backup.damaged(path, "文件被截断", "truncated body")
        self.size = body - self.chunks * suite.tag_size
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None
        self.opened: set[int] = set()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def chunk(self, index: int) -> bytes:
        """The plaintext of chunk ``index``; a damaged backup is refused."""
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        self._fh.seek(self._offset + index * self._sealed)
        sealed = self._fh.read(self._sealed)
        try:
            plain = open_chunk(self._suite, self._key, index, index == self.chunks - 1, sealed)
        except UserError:
            raise backup.damaged(self._path, f"第 {index + 1} 个数据块校验失败，文件被截断或篡改",
                                 f"chunk {index} fails authentication") from None
        self._cached = (index, plain)
        self.opened.add(index)
        return plain

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._pos >= self.size or not len(view):
            return 0
        index, within = divmod(self._pos, self._chunk)
        piece = self.chunk(index)[within: within + len(view)]
        view[: len(piece)] = piece
        self._pos += len(piece)
        return len(piece)


@contextlib.contextmanager
def _opened_body(path: Path, offset: int, suite: Suite, key: bytes, chunk: int) -> Iterator[IO[bytes]]:
    """The plaintext zip of a sealed backup, each chunk authenticated as it is read; leaving the block
    authenticates every chunk the reader skipped, so the whole file is checked once (SM4-GCM is slow
    enough on office PCs for a second pass to count) before the caller acts on what it read."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise backup.damaged(path, f"读取失败：{exc.strerror or exc}", str(exc)) from None
    with fh:
        raw = _OpenedBody(path, fh, offset, suite, key, chunk)
        raw.chunk(0)  # a wrong key or a changed header shows at once
        yield io.BufferedReader(raw, buffer_size=chunk)
        for index in range(raw.chunks):
            if index not in raw.opened:
                raw.chunk(index)
