"""A temporary file for large entries, encrypted under a random key that lives only in memory.

Package entries carry personal details of vulnerable residents (PIPL), so the spool that holds them
between writing and sealing (or between verifying and importing) never keeps them on disk in clear:
it seals fixed-size chunks with ChaCha20-Poly1305 under a per-spool random key. The temporary file is
anonymous (``tempfile.TemporaryFile``) and disappears when closed or when the process dies.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

SPOOL_CHUNK = 1024 * 1024
_TAG = 16


class SealedSpool:
    """Append-only, then random-access, encrypted scratch storage."""

    def __init__(self, directory: Path | None = None, chunk_size: int = SPOOL_CHUNK) -> None:
        self._fh = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - lives as long as the spool
        self._aead = ChaCha20Poly1305(ChaCha20Poly1305.generate_key())
        self._chunk = chunk_size
        self._pending = bytearray()
        self._written_chunks = 0
        self._finished = False
        self._cache: tuple[int, bytes] = (-1, b"")
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append plaintext."""
        if self._finished:
            raise RuntimeError("spool is finished")
        self._pending += data
        self.size += len(data)
        while len(self._pending) >= self._chunk:
            self._seal(bytes(self._pending[: self._chunk]))
            del self._pending[: self._chunk]

    def _seal(self, plaintext: bytes) -> None:
        nonce = self._written_chunks.to_bytes(12, "big")
        self._fh.write(self._aead.encrypt(nonce, plaintext, None))
        self._written_chunks += 1

    def finish(self) -> None:
        """Seal the last partial chunk; after this the spool is read-only."""
        if not self._finished:
            if self._pending:
                self._seal(bytes(self._pending))
                self._pending = bytearray()
            self._fh.flush()
            self._finished = True

    def _chunk_plain(self, index: int) -> bytes:
        if self._cache[0] == index:
            return self._cache[1]
        self._fh.seek(index * (self._chunk + _TAG))
        sealed = self._fh.read(self._chunk + _TAG)
        plain = self._aead.decrypt(index.to_bytes(12, "big"), sealed, None)
        self._cache = (index, plain)
        return plain

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to ``size`` plaintext bytes from ``offset`` (never crossing a chunk, so maybe fewer)."""
        self.finish()
        if offset >= self.size or size <= 0:
            return b""
        index, inner = divmod(offset, self._chunk)
        plain = self._chunk_plain(index)
        return plain[inner : inner + min(size, self.size - offset)]

    def iter_range(self, offset: int, length: int) -> Iterator[bytes]:
        """The plaintext of ``[offset, offset + length)`` in pieces of at most one chunk."""
        end = offset + length
        while offset < end:
            piece = self.read_at(offset, end - offset)
            if not piece:
                raise RuntimeError("spool range out of bounds")
            yield piece
            offset += len(piece)

    def open_range(self, offset: int, length: int) -> io.BufferedReader:
        """A read-only, seekable binary file over ``[offset, offset + length)``."""
        return io.BufferedReader(_RangeReader(self, offset, length), buffer_size=self._chunk)

    def close(self) -> None:
        """Delete the temporary file."""
        self._fh.close()
        self._cache = (-1, b"")


class _RangeReader(io.RawIOBase):
    def __init__(self, spool: SealedSpool, offset: int, length: int) -> None:
        super().__init__()
        self._spool = spool
        self._start = offset
        self._length = length
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        piece = self._spool.read_at(self._start + self._pos, min(len(buffer), self._length - self._pos))
        buffer[: len(piece)] = piece
        self._pos += len(piece)
        return len(piece)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, min(self._length, base + offset))
        return self._pos

    def tell(self) -> int:
        return self._pos
