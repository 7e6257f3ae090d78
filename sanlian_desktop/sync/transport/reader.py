"""Opening a ``.sanlian`` package: verify everything, then hand out entries by their manifest names."""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.codes import ParentOf, is_direct_child, level_of
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.sync.transport.packfmt import (
    DEFAULT_LIMITS,
    BodyReader,
    EntryInfo,
    Limits,
    Manifest,
    PackageHeader,
    check_manifest_matches_header,
    parse_manifest,
    read_header,
)
from sanlian_desktop.sync.transport.spool import SealedSpool
from sanlian_desktop.sync.trust.certs import Cert, Revoked, mixed_suites, show_date
from sanlian_desktop.sync.trust.chain import check_signature, validate_chain
from sanlian_desktop.sync.trust.custody import KeyCustody
from sanlian_desktop.sync.trust.succession import Retired, retired_error
from sanlian_desktop.sync.trust.suite import get_suite

READ_PIECE = 1024 * 1024
CLOCK_SKEW = timedelta(days=1)
_LEN = struct.Struct(">I")


class VerifiedPackage:
    """A package whose every byte has been verified; entries live in an encrypted temporary spool.

    Close it (or use it as a context manager) to delete the spool.
    """

    def __init__(self, header: PackageHeader, manifest: Manifest, sender: Cert, spool: SealedSpool) -> None:
        self.header = header
        self.manifest = manifest
        self.sender = sender
        self._spool = spool
        # A set: checking membership in the list made reading every entry quadratic in their number.
        self._entry_set = frozenset(manifest.entries)

    @property
    def package_id(self) -> str:
        """The package's id (also in its receipt)."""
        return self.manifest.package_id

    @property
    def chain(self) -> list[Cert]:
        """The sender's certificate chain as carried in the package (leaf first)."""
        return self.manifest.chain

    @property
    def channel_seq(self) -> int:
        """The sender's sequence number on the sender → recipient channel (the store checks order)."""
        return self.manifest.channel_seq

    @property
    def created(self) -> datetime:
        """When the sender made the package (the signed time)."""
        return self.manifest.created

    @property
    def entries(self) -> list[EntryInfo]:
        """Every entry, in manifest order."""
        return list(self.manifest.entries)

    def find(self, kind: str, entry_id: str, version: int) -> EntryInfo:
        """The entry with this manifest name; a :class:`UserError` if there is none."""
        for entry in self.manifest.entries:
            if (entry.kind, entry.id, entry.version) == (kind, entry_id, version):
                return entry
        raise UserError(
            f"数据包中没有“{kind} {entry_id} 第{version}版”。", f"no entry {kind}/{entry_id}/{version}"
        )

    def _own(self, entry: EntryInfo) -> EntryInfo:
        if entry not in self._entry_set:
            raise ValueError("entry does not belong to this package")
        return entry

    def open_entry(self, entry: EntryInfo) -> BinaryIO:
        """A read-only binary file over the entry's verified data."""
        entry = self._own(entry)
        return self._spool.open_range(entry.offset, entry.length)

    def iter_entry(self, entry: EntryInfo) -> Iterator[bytes]:
        """The entry's data in pieces of at most 1 MiB."""
        entry = self._own(entry)
        return self._spool.iter_range(entry.offset, entry.length)

    def read_entry(self, entry: EntryInfo, max_size: int = 64 * 1024 * 1024) -> bytes:
        """The entry's data in memory (for JSON records); refuses entries over ``max_size``."""
        entry = self._own(entry)
        if entry.length > max_size:
            raise UserError("该条目过大，不能整体读入内存。", "entry too large to read into memory")
        first = self._spool.read_at(entry.offset, entry.length)  # most entries lie in one spool chunk
        if len(first) == entry.length:
            return first
        return first + b"".join(self._spool.iter_range(entry.offset + len(first), entry.length - len(first)))

    def close(self) -> None:
        """Delete the temporary spool."""
        self._spool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _check_length(header: PackageHeader, actual: int) -> None:
    expected = header.total_length
    if actual < expected:
        raise UserError(
            f"数据包不完整：比应有的大小少 {expected - actual} 字节，可能拷贝中断或U盘故障，请重新拷贝。",
            f"package truncated: {expected - actual} bytes missing",
        )
    if actual > expected:
        raise UserError(
            f"数据包末尾多出 {actual - expected} 字节的数据，文件已被改动，拒绝导入。",
            f"package has {actual - expected} unexpected trailing bytes",
        )


def _recipient_keys(
    header: PackageHeader, keys: KeyCustody | Sequence[KeyCustody], recipient_code: str | None
) -> KeyCustody:
    """The office's key pair the package was encrypted to (current or kept from before a re-key)."""
    if recipient_code is not None and header.recipient_code != recipient_code:
        raise UserError(
            f"此数据包是发给{header.recipient_name}（{header.recipient_code}）的，不是发给本单位"
            f"（{recipient_code}）的，不能导入。",
            f"this package is for {header.recipient_code}, not for {recipient_code}",
        )
    candidates: list[KeyCustody] = list(keys) if isinstance(keys, Sequence) else [keys]
    if candidates and all(header.suite != c.suite.name for c in candidates):
        raise mixed_suites(
            f"此数据包（{header.sender_name}制作）", header.suite, candidates[0].suite.name,
            "this package",
        )
    for candidate in candidates:
        if header.suite == candidate.suite.name and header.recipient_key == candidate.suite.key_id(
            candidate.enc_public
        ):
            return candidate
    raise UserError(
        f"此数据包是用{header.recipient_name}（{header.recipient_code}）的另一把密钥加密的"
        "（可能是换发证书之前制作的，或不是发给本单位的），本单位无法解密。请发送单位用本单位现行证书重新制作。",
        "this package was encrypted to another key than this office's",
    )


def _check_sender(
    header: PackageHeader,
    manifest: Manifest,
    pinned_root: Cert | list[Cert],
    *,
    revoked: Revoked,
    now: datetime,
    parent_of: ParentOf | None,
    require_adjacent: bool,
    retired: Retired | None = None,
) -> Cert:
    if manifest.created > now + CLOCK_SKEW:
        raise UserError(
            f"数据包的制作时间（{show_date(manifest.created)}）晚于本机当前时间，请核对两台电脑的日期。",
            "package creation time is in the future",
        )
    leaf = manifest.chain[0]
    if leaf.code != header.sender_code or leaf.office.name != header.sender_name:
        raise UserError(
            f"数据包声明的发送单位{header.sender_name}（{header.sender_code}）与其证书上的"
            f"{leaf.office.label()}不符，拒绝导入。",
            "the declared sender does not match the sender's certificate",
        )
    if leaf.suite != header.suite:
        raise mixed_suites(f"数据包发送单位{leaf.office.label()}的证书", leaf.suite, header.suite, "the sender's certificate")
    sender = validate_chain(manifest.chain, pinned_root, manifest.created, revoked, parent_of, retired)
    check_signature(sender, manifest.signed_message(), manifest.signature)
    if require_adjacent and not _adjacent(sender, header.recipient_code, parent_of):
        raise UserError(
            f"数据包来自{sender.office.label()}，该单位既不是{header.recipient_name}（{header.recipient_code}）"
            "的直接上级，也不是其直接下级，不能直接交换数据包。",
            "the sender is neither the recipient's direct parent nor a direct child",
        )
    return sender


def _adjacent(sender: Cert, recipient_code: str, parent_of: ParentOf | None) -> bool:
    level = level_of(recipient_code)
    return is_direct_child(sender.code, sender.level, recipient_code, level, parent_of) or is_direct_child(
        recipient_code, level, sender.code, sender.level, parent_of
    )


def _spool_entries(body: BodyReader, manifest: Manifest, spool: SealedSpool) -> None:
    suite = get_suite(manifest.suite)
    for number, entry in enumerate(manifest.entries, start=1):
        hasher = suite.hasher()
        remaining = entry.length
        while remaining:
            piece = body.read_view(min(remaining, READ_PIECE))  # no copy: hashed and spooled at once
            if not piece:
                raise UserError("数据包内容比清单所述短，文件已损坏。", "package body shorter than declared")
            hasher.update(piece)
            spool.write(piece)
            remaining -= len(piece)
        if hasher.digest() != entry.digest:
            raise UserError(
                f"数据包第 {number} 项（{entry.kind} {entry.id}）的校验值与清单不符，拒绝导入。",
                f"digest mismatch on entry {number}",
            )
    if not body.at_end():
        raise UserError("数据包在清单所列内容之后还有多余数据，拒绝导入。", "data after the last entry")


def open_package(
    path: Path,
    recipient_keys: KeyCustody | Sequence[KeyCustody],
    pinned_root: Cert | list[Cert],
    revoked: Revoked,
    now: datetime,
    *,
    recipient_code: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    parent_of: ParentOf | None = None,
    require_adjacent: bool = True,
    spool_dir: Path | None = None,
    retired: Retired | None = None,
) -> VerifiedPackage:
    """Verify the whole package at ``path`` and return it; any problem is a :class:`UserError`.

    ``recipient_keys`` may list the office's current keys and those it kept from before a re-key, so
    packages made with its previous certificate still open.

    Order: header → recipient → exact length → chunks (AEAD) → manifest shape and limits → manifest
    matches header → sender chain at the creation time (pinned root, revocations) and manifest
    signature → sender is the recipient's direct parent or child (unless ``require_adjacent`` is
    False) → every entry's length and digest → nothing after the last entry.

    ``retired`` (suite name -> end of its transition, see :mod:`~sanlian_desktop.sync.trust.succession`)
    refuses a package of a suite whose transition ended before ``now`` — whatever time it claims, since
    that is the sender's clock — before anything is decrypted.
    """
    path = Path(path)
    spool: SealedSpool | None = None
    try:
        with path.open("rb") as fh:
            header = read_header(fh, limits)
            until = (retired or {}).get(header.suite)
            if until is not None and now > until:
                raise retired_error(f"此数据包（{header.sender_name}制作）", header.suite, until, "this package")
            keys = _recipient_keys(header, recipient_keys, recipient_code)
            _check_length(header, path.stat().st_size)
            shared = keys.decapsulate(header.enc)
            key = keys.suite.derive_key(shared, header.enc, keys.enc_public, header.raw)
            body = BodyReader(fh, header, key)
            if body.plain_length > limits.max_manifest + _LEN.size + limits.max_total:
                raise UserError("数据包过大，超过上限，拒绝导入。", "package exceeds the size limit")
            (mlen,) = _LEN.unpack(body.read_exact(_LEN.size))
            if mlen > limits.max_manifest or mlen > body.plain_length - _LEN.size:
                raise UserError("数据包清单过大或长度不符，拒绝导入。", "manifest length out of bounds")
            manifest_bytes = body.read_exact(mlen)  # authenticated: a malformed manifest was written so
            try:
                manifest = parse_manifest(manifest_bytes, limits)
            except cj.MalformedError as exc:
                raise cj.intact(exc) from None
            check_manifest_matches_header(manifest, header)
            if sum(e.length for e in manifest.entries) != body.plain_length - _LEN.size - mlen:
                raise UserError(
                    "数据包内容长度与清单不符，拒绝导入。", "entry lengths do not add up to the body"
                )
            sender = _check_sender(
                header,
                manifest,
                pinned_root,
                revoked=revoked,
                now=now,
                parent_of=parent_of,
                require_adjacent=require_adjacent,
                retired=retired,
            )
            spool = SealedSpool(spool_dir)
            _spool_entries(body, manifest, spool)
            spool.finish()
    except OSError as exc:
        if spool is not None:
            spool.close()
        raise UserError(
            f"无法读取文件“{path}”：{exc.strerror or exc}。", f"cannot read {path}: {exc}"
        ) from exc
    except BaseException:
        if spool is not None:
            with contextlib.suppress(OSError):
                spool.close()
        raise
    return VerifiedPackage(header, manifest, sender, spool)
