"""The ``.sanlian`` file format: clear header, chunked encrypted body, signed manifest.

Layout::

    magic  b"SANLIAN\\x1a"            8 bytes
    version u16 big-endian            (2: statements name their signer's certificate, which the
                                      package carries once as a ``certificate`` entry; 1 repeated
                                      the signer's chain in every statement and is no longer read)
    hlen    u32 big-endian            length of the header JSON (<= 16 KiB)
    header  canonical JSON            readable without any key (see PackageHeader)
    body    ceil(P / C) sealed chunks each C + 16 bytes, the last one shorter

The body key is HKDF(X25519(ephemeral, recipient), info = enc || recipient key || SHA-256(magic..header))
under SL1, and HKDF-SM3(SM4 key from the SM2 envelope ``enc``, info = enc || recipient key ||
SM3(magic..header)) under 国密 (see :mod:`~sanlian_desktop.sync.trust.gm`), so every header byte is
authenticated by the first chunk. Chunk ``i`` uses nonce ``i`` (11 bytes) ||
final flag (1 byte). The header states the body's exact length, so a short or long file is refused
(truncated / appended) before any decryption, and the final flag catches the rest.

The decrypted body ``P`` is::

    mlen u32 | signed manifest (canonical JSON {"manifest": {...}, "signature": b64}) | entry data...

with entries concatenated in manifest order; the manifest states every entry's length and digest.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.codes import is_office_code
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.trust.certs import Cert, show_date
from sanlian_desktop.sync.trust.suite import Suite, get_suite, open_chunk

MAGIC = b"SANLIAN\x1a"
FORMAT_VERSION = 2
MANIFEST_FORMAT = "sanlian-manifest-1"
MANIFEST_DOMAIN = b"sanlian-manifest-v1\x00"
PREFIX = struct.Struct(">8sHI")
DEFAULT_CHUNK = 1024 * 1024
_HZ, _HE = "数据包文件头", "package header"
_MZ, _ME = "数据包清单", "package manifest"
_KIND = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
_HEADER_FIELDS = {
    "package_id", "suite", "created", "sender_code", "sender_name", "recipient_code", "recipient_name",
    "recipient_key", "chunk_size", "body_length", "enc",
}  # fmt: skip
_MANIFEST_FIELDS = {
    "format", "package_id", "suite", "created", "sender_code", "recipient_code", "recipient_key",
    "recipient_serial", "channel_seq", "chain", "entries",
}  # fmt: skip


@dataclass(frozen=True)
class Limits:
    """Upper bounds checked before anything is read or allocated (no zip bombs)."""

    max_header: int = 16 * 1024
    # A hostile 4 MiB manifest of tiny JSON values still parses into < 100 MB of Python objects.
    max_manifest: int = 4 * 1024 * 1024
    max_entries: int = 20_000
    max_entry_length: int = 2 * 1024**3
    max_total: int = 8 * 1024**3
    min_chunk: int = 64
    max_chunk: int = 8 * 1024 * 1024


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class PackageHeader:
    """The clear header: enough to say who a package is from and for, without any key. Not authenticated
    until the package is opened; show it as a preview only."""

    package_id: str
    suite: str
    created: datetime
    sender_code: str
    sender_name: str
    recipient_code: str
    recipient_name: str
    recipient_key: str  # key id of the recipient's encryption key
    chunk_size: int
    body_length: int
    enc: bytes
    raw: bytes  # the exact header bytes (magic to end of JSON), bound into the body key

    def to_json(self) -> dict[str, Any]:
        """The JSON fields written to the file."""
        return {
            "package_id": self.package_id,
            "suite": self.suite,
            "created": cj.fmt_time(self.created),
            "sender_code": self.sender_code,
            "sender_name": self.sender_name,
            "recipient_code": self.recipient_code,
            "recipient_name": self.recipient_name,
            "recipient_key": self.recipient_key,
            "chunk_size": self.chunk_size,
            "body_length": self.body_length,
            "enc": cj.b64(self.enc),
        }

    @property
    def total_length(self) -> int:
        """The file's exact expected size."""
        return len(self.raw) + self.body_length


def encode_header(fields: dict[str, Any]) -> bytes:
    """Magic, version, length and canonical JSON."""
    body = cj.dumps(fields)
    return PREFIX.pack(MAGIC, FORMAT_VERSION, len(body)) + body


def body_length_for(plain_length: int, chunk_size: int, suite: Suite) -> int:
    """The sealed size of ``plain_length`` bytes of body."""
    chunks = -(-plain_length // chunk_size)
    return plain_length + chunks * suite.tag_size


def read_header(fh: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> PackageHeader:
    """Parse and check the clear header at the start of ``fh`` (left positioned after it)."""
    prefix = fh.read(PREFIX.size)
    if len(prefix) < PREFIX.size or prefix[:8] != MAGIC:
        raise UserError(
            "这不是“三社联动”数据包文件（文件开头的标识不符），请确认选择了正确的文件。",
            "not a .sanlian package (bad magic)",
        )
    _, version, hlen = PREFIX.unpack(prefix)
    if 0 < version < FORMAT_VERSION:
        raise UserError(
            f"此数据包由旧版本程序制作（格式版本 {version}），本程序只能读取格式版本 {FORMAT_VERSION}："
            "请发送单位升级程序后重新导出（未确认的内容会全部重新发送）。",
            f"package format version {version} was written by an older program; the sender must upgrade "
            "and export again",
        )
    if version != FORMAT_VERSION:
        raise UserError(
            f"数据包格式版本为 {version}，本程序只支持版本 {FORMAT_VERSION}，请升级程序。",
            f"unsupported package format version {version}",
        )
    if hlen > limits.max_header:
        cj.malformed(_HZ, _HE, "header too long")
    raw_json = fh.read(hlen)
    if len(raw_json) != hlen:
        raise UserError("数据包不完整（文件头被截断），请重新拷贝。", "package truncated inside the header")
    obj = cj.loads(raw_json, _HZ, _HE)
    cj.check_keys(obj, _HEADER_FIELDS, _HZ, _HE)
    suite = get_suite(obj["suite"])
    header = PackageHeader(
        package_id=cj.get_str(obj, "package_id", _HZ, _HE, 64),
        suite=suite.name,
        created=cj.parse_time(obj["created"], _HZ, _HE),
        sender_code=cj.get_str(obj, "sender_code", _HZ, _HE, 12),
        sender_name=cj.get_str(obj, "sender_name", _HZ, _HE, 100),
        recipient_code=cj.get_str(obj, "recipient_code", _HZ, _HE, 12),
        recipient_name=cj.get_str(obj, "recipient_name", _HZ, _HE, 100),
        recipient_key=cj.get_str(obj, "recipient_key", _HZ, _HE, 64),
        chunk_size=cj.get_int(obj, "chunk_size", _HZ, _HE, limits.max_chunk),
        body_length=cj.get_int(obj, "body_length", _HZ, _HE),
        enc=cj.unb64(obj["enc"], _HZ, _HE),
        raw=prefix + raw_json,
    )
    if not (is_office_code(header.sender_code) and is_office_code(header.recipient_code)):
        cj.malformed(_HZ, _HE, "region code")
    if header.chunk_size < limits.min_chunk:
        cj.malformed(_HZ, _HE, "chunk size")
    sealed = header.chunk_size + suite.tag_size
    last = header.body_length % sealed
    if header.body_length <= suite.tag_size or 0 < last <= suite.tag_size:
        cj.malformed(_HZ, _HE, "body length")
    return header


class BodyReader:
    """Decrypts the body chunk by chunk and hands out plaintext; knows the exact plaintext length."""

    def __init__(self, fh: BinaryIO, header: PackageHeader, key: bytes) -> None:
        self._fh = fh
        self._suite = get_suite(header.suite)
        self._key = key
        self._sealed = header.chunk_size + self._suite.tag_size
        self.chunks = -(-header.body_length // self._sealed)
        self.plain_length = header.body_length - self.chunks * self._suite.tag_size
        self._index = 0
        self._buf = memoryview(b"")
        self.consumed = 0

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes of plaintext (fewer at a chunk boundary; b"" at the end)."""
        return bytes(self.read_view(size))

    def read_view(self, size: int) -> memoryview:
        """:meth:`read` without a copy: a view into the decrypted chunk."""
        if not self._buf:
            if self._index >= self.chunks:
                return memoryview(b"")
            sealed = self._fh.read(self._sealed)
            final = self._index == self.chunks - 1
            if len(sealed) < self._sealed and not final:
                raise UserError(
                    "数据包在读取过程中变短了，请重新拷贝后再导入。", "package shrank while reading"
                )
            self._buf = memoryview(open_chunk(self._suite, self._key, self._index, final, sealed))
            self._index += 1
        piece = self._buf[:size]
        self._buf = self._buf[size:]
        self.consumed += len(piece)
        return piece

    def read_exact(self, size: int) -> bytes:
        """Exactly ``size`` bytes (callers have bounded ``size`` against the known lengths)."""
        parts = []
        remaining = size
        while remaining:
            piece = self.read(remaining)
            if not piece:
                raise UserError("数据包内容比清单所述短，文件已损坏。", "package body shorter than declared")
            parts.append(piece)
            remaining -= len(piece)
        return b"".join(parts)

    def at_end(self) -> bool:
        """Whether all plaintext has been consumed and the file has nothing after the final chunk."""
        return self.consumed == self.plain_length and self._fh.read(1) == b""


@dataclass(frozen=True)
class EntryInfo:
    """One manifest entry. ``offset`` is where its data starts in the body after the manifest."""

    kind: str
    id: str
    version: int
    length: int
    digest: bytes
    offset: int = 0

    def to_json(self) -> dict[str, Any]:
        """The manifest's record of this entry."""
        return {
            "kind": self.kind,
            "id": self.id,
            "version": self.version,
            "length": self.length,
            "digest": self.digest.hex(),
        }


def check_entry_name(kind: object, entry_id: object, version: object) -> None:
    """Refuse a malformed (kind, id, version) — both when writing and when reading."""
    ok = (
        isinstance(kind, str)
        and _KIND.match(kind) is not None
        and isinstance(entry_id, str)
        and 0 < len(entry_id) <= 200
        and entry_id.isprintable()
        and isinstance(version, int)
        and not isinstance(version, bool)
        and 0 <= version < 2**31
    )
    if not ok:
        shown = [v[:40] if isinstance(v, str) else type(v).__name__ for v in (kind, entry_id)]
        cj.malformed(_MZ, _ME, f"entry name {shown[0]!r}/{shown[1]!r}")


@dataclass(frozen=True)
class Manifest:
    """The signed manifest, parsed (trust is established separately)."""

    package_id: str
    suite: str
    created: datetime
    sender_code: str
    recipient_code: str
    recipient_key: str
    recipient_serial: str
    channel_seq: int
    chain: list[Cert]
    entries: list[EntryInfo]
    body: dict[str, Any]  # exactly what was signed
    signature: bytes

    def signed_message(self) -> bytes:
        """The bytes the sender signed."""
        return MANIFEST_DOMAIN + cj.dumps(self.body)


_ENTRY_KEYS = frozenset({"kind", "id", "version", "length", "digest"})
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _plain_entry(rec: Any) -> bool:
    """Whether a manifest entry is well formed: the checks of :func:`_check_entry` in one expression,
    for the tens of thousands of entries of a large package."""
    if type(rec) is not dict or rec.keys() != _ENTRY_KEYS:
        return False
    kind, entry_id, version, length, digest = rec["kind"], rec["id"], rec["version"], rec["length"], rec["digest"]
    return (type(kind) is str and _KIND.match(kind) is not None and type(entry_id) is str
            and 0 < len(entry_id) <= 200 and entry_id.isprintable() and type(version) is int
            and 0 <= version < 2**31 and type(length) is int and 0 <= length <= 2**62
            and type(digest) is str and _DIGEST.fullmatch(digest) is not None)


def _check_entry(rec: Any) -> None:
    """Refuse a malformed manifest entry with what is wrong with it."""
    if not isinstance(rec, dict):
        cj.malformed(_MZ, _ME, "entry")
    cj.check_keys(rec, set(_ENTRY_KEYS), _MZ, _ME)
    check_entry_name(rec["kind"], rec["id"], rec["version"])
    cj.get_int(rec, "length", _MZ, _ME)
    digest_hex = cj.get_str(rec, "digest", _MZ, _ME, 128)
    if not _DIGEST.fullmatch(digest_hex):
        cj.malformed(_MZ, _ME, "entry digest")


def parse_manifest(raw: bytes, limits: Limits) -> Manifest:
    """Parse the signed manifest strictly and bound its entries against ``limits``."""
    outer = cj.loads(raw, _MZ, _ME)
    cj.check_keys(outer, {"manifest", "signature"}, _MZ, _ME)
    body = outer["manifest"]
    if not isinstance(body, dict):
        cj.malformed(_MZ, _ME, "manifest")
    cj.check_keys(body, _MANIFEST_FIELDS, _MZ, _ME)
    if body["format"] != MANIFEST_FORMAT:
        cj.malformed(_MZ, _ME, "unknown format")
    chain_raw, entries_raw = body["chain"], body["entries"]
    if not isinstance(chain_raw, list) or not 0 < len(chain_raw) <= 6 or not isinstance(entries_raw, list):
        cj.malformed(_MZ, _ME, "chain or entries")
    if len(entries_raw) > limits.max_entries:
        raise UserError(
            f"数据包条目过多（{len(entries_raw)} 项，上限 {limits.max_entries} 项），拒绝导入。",
            "too many entries in package",
        )
    entries: list[EntryInfo] = []
    seen: set[tuple[str, str, int]] = set()
    offset = 0
    for rec in entries_raw:
        if not _plain_entry(rec):
            _check_entry(rec)  # refuses it, saying what is wrong
            cj.malformed(_MZ, _ME, "entry")  # (the two agree: tests/sync/transport/test_package.py)
        length, digest_hex = rec["length"], rec["digest"]
        name = (rec["kind"], rec["id"], rec["version"])
        if name in seen:
            cj.malformed(_MZ, _ME, f"duplicate entry {name[0]}/{name[1]}")
        seen.add(name)
        if length > limits.max_entry_length:
            raise UserError(
                f"数据包中“{name[0]} {name[1]}”过大（{length} 字节），超过上限，拒绝导入。", "entry too large"
            )
        entries.append(EntryInfo(name[0], name[1], name[2], length, bytes.fromhex(digest_hex), offset))
        offset += length
        if offset > limits.max_total:
            raise UserError("数据包内容总量超过上限，拒绝导入。", "package total size exceeds the limit")
    return Manifest(
        package_id=cj.get_str(body, "package_id", _MZ, _ME, 64),
        suite=cj.get_str(body, "suite", _MZ, _ME, 100),
        created=cj.parse_time(body["created"], _MZ, _ME),
        sender_code=cj.get_str(body, "sender_code", _MZ, _ME, 12),
        recipient_code=cj.get_str(body, "recipient_code", _MZ, _ME, 12),
        recipient_key=cj.get_str(body, "recipient_key", _MZ, _ME, 64),
        recipient_serial=cj.get_str(body, "recipient_serial", _MZ, _ME, 64),
        channel_seq=cj.get_int(body, "channel_seq", _MZ, _ME),
        chain=[Cert.from_dict(c) for c in chain_raw],
        entries=entries,
        body=body,
        signature=cj.unb64(outer["signature"], _MZ, _ME),
    )


def check_manifest_matches_header(manifest: Manifest, header: PackageHeader) -> None:
    """The signed manifest must repeat the clear header's identity fields exactly."""
    pairs = [
        (manifest.package_id, header.package_id),
        (manifest.suite, header.suite),
        (manifest.created, header.created),
        (manifest.sender_code, header.sender_code),
        (manifest.recipient_code, header.recipient_code),
        (manifest.recipient_key, header.recipient_key),
    ]
    if any(a != b for a, b in pairs):
        raise UserError(
            "数据包文件头与发送单位签名的清单不一致，文件已被篡改，拒绝导入。",
            "package header does not match the signed manifest",
        )


def describe_header(header: PackageHeader) -> str:
    """One line for the import preview: from whom, for whom, when (unverified)."""
    return (
        f"{header.sender_name}（{header.sender_code}）发给{header.recipient_name}（{header.recipient_code}），"
        f"制作于 {show_date(header.created)}"
    )
