"""Writing and opening ``.sanlian`` packages (format in :mod:`packfmt`).

Writing: :class:`PackageWriter` spools entries (encrypted, see :mod:`spool`), then on :meth:`close`
signs the manifest, writes ``name.tmp``, flushes and fsyncs it, drops it from the page cache, reads it
back and verifies every chunk and entry, and only then renames it over ``name``.

Opening: :func:`open_package` checks the header, the recipient, the exact file length, every chunk,
the manifest signature, the sender's chain (at the package's creation time) and every entry's length
and digest, spooling entries to an encrypted temporary file, before it returns a
:class:`VerifiedPackage`. Entries are read back by the manifest's (kind, id, version) only.
"""

from __future__ import annotations

import contextlib
import os
import struct
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import sync_directory
from sanlian_desktop.sync.transport.packfmt import (
    DEFAULT_CHUNK,
    DEFAULT_LIMITS,
    MANIFEST_DOMAIN,
    MANIFEST_FORMAT,
    BodyReader,
    EntryInfo,
    Limits,
    PackageHeader,
    body_length_for,
    check_entry_name,
    encode_header,
    read_header,
)
from sanlian_desktop.sync.transport.reader import VerifiedPackage, open_package
from sanlian_desktop.sync.transport.spool import SealedSpool
from sanlian_desktop.sync.trust.certs import Cert, CertExpiredError, mixed_suites, show_date
from sanlian_desktop.sync.trust.chain import validate_chain
from sanlian_desktop.sync.trust.custody import KeyCustody
from sanlian_desktop.sync.trust.suite import ChunkSealer, Suite

__all__ = [
    "EntryInfo",
    "Limits",
    "PackageHeader",
    "PackageWriter",
    "VerifiedPackage",
    "open_package",
    "peek_header",
]

READ_PIECE = 1024 * 1024
_LEN = struct.Struct(">I")


class Readable(Protocol):
    """Anything with ``read(n) -> bytes`` (a binary file, ``io.BytesIO``, a network stream)."""

    def read(self, size: int, /) -> bytes: ...


def _io_error(path: Path, exc: OSError) -> UserError:
    return UserError(f"无法读写文件“{path}”：{exc.strerror or exc}。", f"cannot access {path}: {exc}")


def peek_header(path: Path) -> PackageHeader:
    """The clear header, for the import preview (unauthenticated until :func:`open_package`)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return read_header(fh)
    except OSError as exc:
        raise _io_error(path, exc) from exc


def _check_sender_chain(chain: Sequence[Cert], keys: KeyCustody, at: datetime) -> None:
    """The writer refuses keys that are not its certificate's, and a certificate not valid now."""
    if not chain or not chain[0].matches_keys(keys):
        raise UserError(
            "本单位密钥与本单位证书不匹配，无法制作数据包。", "sender keys do not match the certificate"
        )
    leaf = chain[0]
    if not leaf.not_before <= at <= leaf.not_after:
        raise CertExpiredError(
            f"本单位证书的有效期为 {show_date(leaf.not_before)} 至 {show_date(leaf.not_after)}，"
            "现在不在有效期内，请先向上级单位申请续期。",
            "the sender's certificate is not valid now",
        )
    if chain[-1].is_self_signed:  # the recipient would refuse a broken chain; say so before writing
        validate_chain(chain, chain[-1], at)


class PackageWriter:
    """Streams entries into a new package at ``path``; nothing appears at ``path`` until :meth:`close`.

    Use as a context manager: leaving the block normally closes (writes and verifies), an exception aborts.
    """

    def __init__(
        self,
        path: Path,
        sender_keys: KeyCustody,
        sender_chain: Sequence[Cert],
        recipient_cert: Cert,
        channel_seq: int,
        *,
        created: datetime | None = None,
        package_id: str | None = None,
        chunk_size: int = DEFAULT_CHUNK,
        limits: Limits = DEFAULT_LIMITS,
        spool_dir: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.created = created or cj.utc_now()
        _check_sender_chain(sender_chain, sender_keys, self.created)
        if recipient_cert.suite != sender_keys.suite.name:
            raise mixed_suites(
                f"接收单位{recipient_cert.office.label()}的证书", recipient_cert.suite, sender_keys.suite.name,
                "the recipient's certificate",
            )
        if not limits.min_chunk <= chunk_size <= limits.max_chunk or channel_seq < 0:
            raise ValueError("chunk_size or channel_seq out of range")
        self._keys = sender_keys
        self._suite: Suite = sender_keys.suite
        self._chain = list(sender_chain)
        self._recipient = recipient_cert
        self._seq = channel_seq
        self._chunk = chunk_size
        self._limits = limits
        self.package_id = package_id or uuid.uuid4().hex
        self._spool = SealedSpool(spool_dir)
        self._entries: list[EntryInfo] = []
        self._names: set[tuple[str, str, int]] = set()
        self._done = False

    @property
    def entries(self) -> list[EntryInfo]:
        """The entries added so far (kind, id, version, length, digest) — keep them to match receipts."""
        return list(self._entries)

    def add_entry(self, kind: str, entry_id: str, version: int, data: bytes | Readable) -> EntryInfo:
        """Append one entry: ``data`` as bytes or a binary file object read to its end in pieces."""
        if self._done:
            raise RuntimeError("package already closed")
        check_entry_name(kind, entry_id, version)
        if (kind, entry_id, version) in self._names:
            raise UserError(f"数据包中已有“{kind} {entry_id} 第{version}版”。", "duplicate entry")
        if len(self._entries) >= self._limits.max_entries:
            raise UserError("数据包条目过多，请分成多个数据包。", "too many entries for one package")
        hasher = self._suite.hasher()
        start = self._spool.size
        pieces: Iterator[bytes] = (
            iter([bytes(data)])
            if isinstance(data, bytes | bytearray)
            else iter(lambda: data.read(READ_PIECE), b"")
        )
        try:
            for piece in pieces:
                hasher.update(piece)
                self._spool.write(piece)
                length = self._spool.size - start
                if length > self._limits.max_entry_length or self._spool.size > self._limits.max_total:
                    raise UserError(
                        "数据包内容过大，超过上限，请分成多个数据包。", "package content exceeds the limit"
                    )
        except BaseException:
            self.abort()  # a half-written entry would leave unlisted bytes in the body
            raise
        entry = EntryInfo(kind, entry_id, version, self._spool.size - start, hasher.digest(), start)
        self._entries.append(entry)
        self._names.add((kind, entry_id, version))
        return entry

    def _signed_manifest(self) -> bytes:
        body = {
            "format": MANIFEST_FORMAT,
            "package_id": self.package_id,
            "suite": self._suite.name,
            "created": cj.fmt_time(self.created),
            "sender_code": self._chain[0].code,
            "recipient_code": self._recipient.code,
            "recipient_key": self._suite.key_id(self._recipient.enc_key),
            "recipient_serial": self._recipient.serial,
            "channel_seq": self._seq,
            "chain": [c.to_dict() for c in self._chain],
            "entries": [e.to_json() for e in self._entries],
        }
        signature = self._keys.sign(MANIFEST_DOMAIN + cj.dumps(body))
        return cj.dumps({"manifest": body, "signature": cj.b64(signature)})

    def _plaintext(self, manifest: bytes) -> Iterator[bytes]:
        yield _LEN.pack(len(manifest)) + manifest
        yield from self._spool.iter_range(0, self._spool.size)

    def close(self) -> PackageHeader:
        """Sign, write ``path.tmp``, sync, read back and verify, rename to ``path``; return the header."""
        if self._done:
            raise RuntimeError("package already closed")
        self._spool.finish()
        manifest = self._signed_manifest()
        if len(manifest) > self._limits.max_manifest:
            self.abort()
            raise UserError("数据包清单过大，请分成多个数据包。", "manifest too large")
        plain_length = _LEN.size + len(manifest) + self._spool.size
        enc, shared = self._suite.encapsulate(self._recipient.enc_key)
        header_raw = encode_header(
            {
                "package_id": self.package_id,
                "suite": self._suite.name,
                "created": cj.fmt_time(self.created),
                "sender_code": self._chain[0].code,
                "sender_name": self._chain[0].office.name,
                "recipient_code": self._recipient.code,
                "recipient_name": self._recipient.office.name,
                "recipient_key": self._suite.key_id(self._recipient.enc_key),
                "chunk_size": self._chunk,
                "body_length": body_length_for(plain_length, self._chunk, self._suite),
                "enc": cj.b64(enc),
            }
        )
        key = self._suite.derive_key(shared, enc, self._recipient.enc_key, header_raw)
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self._write(tmp, header_raw, key, manifest, plain_length)
            try:
                header = self._verify_written(tmp, header_raw, key, manifest)
            except UserError as exc:
                raise _readback_failed() from exc
            tmp.replace(self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise _io_error(tmp, exc) from exc
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        finally:
            self._finish()
        sync_directory(self.path.parent)
        return header

    def _write(self, tmp: Path, header_raw: bytes, key: bytes, manifest: bytes, plain_length: int) -> None:
        sealer = ChunkSealer(self._suite, key)
        written = 0
        pending = bytearray()
        with tmp.open("wb") as out:
            out.write(header_raw)
            for piece in self._plaintext(manifest):
                pending += piece
                while len(pending) >= self._chunk:
                    written += self._chunk
                    out.write(sealer.seal(bytes(pending[: self._chunk]), final=written == plain_length))
                    del pending[: self._chunk]
            if pending:
                written += len(pending)
                out.write(sealer.seal(bytes(pending), final=True))
            if written != plain_length:
                raise RuntimeError("package body length mismatch")
            out.flush()
            os.fsync(out.fileno())
            if hasattr(os, "posix_fadvise"):  # make the read-back come from the device, not the cache
                os.posix_fadvise(out.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)

    def _verify_written(self, tmp: Path, header_raw: bytes, key: bytes, manifest: bytes) -> PackageHeader:
        with tmp.open("rb") as fh:
            header = read_header(fh, self._limits)
            if header.raw != header_raw or tmp.stat().st_size != header.total_length:
                raise _readback_failed()
            body = BodyReader(fh, header, key)
            (mlen,) = _LEN.unpack(body.read_exact(_LEN.size))
            if body.read_exact(mlen) != manifest:
                raise _readback_failed()
            for entry in self._entries:
                hasher = self._suite.hasher()
                remaining = entry.length
                while remaining:
                    piece = body.read(min(remaining, READ_PIECE))
                    if not piece:
                        raise _readback_failed()
                    hasher.update(piece)
                    remaining -= len(piece)
                if hasher.digest() != entry.digest:
                    raise _readback_failed()
            if not body.at_end():
                raise _readback_failed()
        return header

    def abort(self) -> None:
        """Discard everything; ``path`` is not touched."""
        self._finish()

    def _finish(self) -> None:
        self._done = True
        self._spool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._done:
            return
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _readback_failed() -> UserError:
    return UserError(
        "写入后读回校验失败：目标磁盘（U盘）可能有故障，数据包未保存，请换一个U盘或目录重试。",
        "read-back verification failed: the target medium may be faulty; the package was not saved",
    )
