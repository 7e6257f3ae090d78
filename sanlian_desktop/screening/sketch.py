"""MinHash signatures of the shingle sets and the banded index that finds candidate pairs.

Signatures are MinHashes in the "affine32" scheme of ``datasketch`` 2 (each 32-bit shingle hash, from
:func:`text.shingle_hashes`, pre-mixed by the MurmurHash3 finalizer, then permuted by ``a * h + b`` mod 2**32
with odd ``a``), computed here in numpy for many declarations at once; the permutations come from the same
seeded generator, so the values equal ``datasketch.MinHash(num_perm=128, seed=SEED, scheme="affine32")``'s
(tests/screening prove it). ``datasketch`` itself is not shipped: its package imports scipy, which would
nearly double the bundle. The banding of locality-sensitive hashing is kept here in numpy arrays rather than in
``datasketch.MinHashLSH``: its dict-of-sets buckets take about a kilobyte per declaration and band, far
beyond the 500 MB budget at 100,000 declarations, while one uint64 per band does the same job.
A candidate shares at least one band (``ROWS`` consecutive hash values) with the query; candidates are
then ranked by their estimated Jaccard similarity and only the best ``MAX_CANDIDATES`` go on to the exact
score, so a corpus of template-made declarations stays linear.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

NUM_PERM = 128
BANDS, ROWS = 32, 4  # candidate threshold ≈ (1/32)^(1/4) ≈ 0.42 Jaccard; 0.3 is still found 23 % of the time
SEED = 20260  # fixed: stored signatures stay comparable across runs
MAX_CANDIDATES = 30
PARTNERS = 10  # in a pass over all keys, each key's best candidates by estimate that go on to the exact score
SLICE = 16_384  # pairs estimated at a time (two 8 MB gathers of their signatures)
CROWDED_NEIGHBOURS = 10  # partners of each member of a crowded bucket, in signature order
MIN_ESTIMATE = 0.35  # estimated Jaccard below which a band collision is a coincidence

_BAND_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
                     dtype=np.uint64)[:ROWS]
CHUNK = 8_192  # shingle hashes permuted at a time (NUM_PERM × CHUNK uint32 = 4 MB)


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of the affine32 permutations, drawn as ``datasketch.MinHash._init_permutations`` draws them."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


_A, _B = _permutations(NUM_PERM, SEED)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """The MurmurHash3 32-bit finalizer (a bijection), element-wise, wrapping as uint32."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(hashes: np.ndarray) -> np.ndarray:
    """The MinHash signature (NUM_PERM uint32) of a set of 32-bit shingle hashes
    (:func:`text.shingle_hashes`); empty for an empty set."""
    return signatures([hashes])[0]


def signatures(hash_sets: list[np.ndarray]) -> list[np.ndarray]:
    """:func:`signature` of each set, computed together (:func:`signature_matrix`)."""
    lengths = np.array([len(h) for h in hash_sets], dtype=np.int64)
    flat = np.concatenate(hash_sets) if hash_sets else np.zeros(0, dtype=np.uint32)
    matrix = signature_matrix(flat, lengths)
    return [row if length else np.zeros(0, dtype=np.uint32) for row, length in zip(matrix, lengths, strict=True)]


def signature_matrix(hashes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The signatures (one row each) of sets given one after another in ``hashes``, ``lengths[i]`` values
    for set i (repeats allowed); a set without values gets a row of 0xFFFFFFFF, which its caller leaves out.

    The hashes are permuted in (NUM_PERM, hashes) blocks, each permutation a contiguous row, and each set's
    minima taken along the rows with ``np.minimum.reduceat`` (several times quicker than the transposed
    layout)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    found = np.full((len(lengths), NUM_PERM), np.iinfo(np.uint32).max, dtype=np.uint32)
    filled = np.flatnonzero(lengths)
    if not len(filled):
        return found
    mixed = _fmix32(np.asarray(hashes, dtype=np.uint32))
    ends = np.cumsum(lengths)[filled]
    starts = ends - lengths[filled]
    first = 0
    while first < len(filled):
        stop = max(int(np.searchsorted(ends, starts[first] + CHUNK, side="right")), first + 1)
        low, high = int(starts[first]), int(ends[stop - 1])
        permuted = np.multiply(_A[:, None], mixed[None, low:high])  # wraps: the modulo 2**32 of the scheme
        permuted += _B[:, None]
        found[filled[first:stop]] = np.minimum.reduceat(permuted, starts[first:stop] - low, axis=1).T
        first = stop
    return found


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


def band_keys(sigs: np.ndarray) -> np.ndarray:
    """One uint64 per band and signature row: (n, BANDS); a row of each band at a time, so the temporaries
    are (n, BANDS) uint64 rather than the whole signature widened to 64 bits."""
    blocks = sigs.reshape(len(sigs), BANDS, ROWS)
    keys = np.zeros((len(sigs), BANDS), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for row in range(ROWS):
            keys += blocks[:, :, row].astype(np.uint64) * _BAND_MIX[row]
    return keys


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique`` without its overhead (several times quicker on a few
    hundred thousand int64 in numpy 2)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _signature_order(sigs: np.ndarray) -> np.ndarray:
    """The order of the signatures (rows) compared value by value, first values first, ties kept in place: that
    of ``np.lexsort(sigs.T[::-1])``, found by sorting each row as one big-endian byte string (an order of
    magnitude quicker than lexsort's pass per column)."""
    rows = np.ascontiguousarray(sigs, dtype=">u4").view(np.dtype((np.void, 4 * sigs.shape[1]))).ravel()
    return np.argsort(rows, kind="stable")


class Index:
    """Signatures of many declarations, by key; rows of removed keys stay as dead rows until a rebuild."""

    def __init__(self) -> None:
        self._sigs = np.zeros((0, NUM_PERM), dtype=np.uint32)
        self._bands = np.zeros((0, BANDS), dtype=np.uint64)
        self._alive = np.zeros(0, dtype=bool)
        self._n = 0
        self.keys: list[str] = []
        self._row: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, key: str) -> bool:
        return key in self._row

    def _grow(self, extra: int) -> None:
        need = self._n + extra
        if need <= len(self._sigs):
            return
        cap = max(need, 2 * len(self._sigs), 64)
        for name, cols, dtype in (("_sigs", NUM_PERM, np.uint32), ("_bands", BANDS, np.uint64)):
            old = getattr(self, name)
            new = np.zeros((cap, cols), dtype=dtype)
            new[: self._n] = old[: self._n]
            setattr(self, name, new)
        alive = np.zeros(cap, dtype=bool)
        alive[: self._n] = self._alive[: self._n]
        self._alive = alive

    def add_many(self, keys: list[str], sigs: np.ndarray) -> None:
        """Add (or replace) keys with their signatures (rows of ``sigs``)."""
        for key in keys:
            self.remove(key)
        self._grow(len(keys))
        start, stop = self._n, self._n + len(keys)
        self._sigs[start:stop] = sigs
        self._bands[start:stop] = band_keys(sigs)
        self._alive[start:stop] = True
        for offset, key in enumerate(keys):
            self._row[key] = start + offset
        self.keys.extend(keys)
        self._n = stop

    def add(self, key: str, sig: np.ndarray) -> None:
        self.add_many([key], sig.reshape(1, NUM_PERM))

    def remove(self, key: str) -> None:
        row = self._row.pop(key, None)
        if row is not None:
            self._alive[row] = False

    def signature_of(self, key: str) -> np.ndarray | None:
        row = self._row.get(key)
        return None if row is None else self._sigs[row]

    def query(self, sig: np.ndarray, *, exclude: str | None = None) -> list[tuple[str, float]]:
        """Keys sharing a band with ``sig``, best estimated Jaccard first (at most MAX_CANDIDATES)."""
        n = self._n
        hit = (self._bands[:n] == band_keys(sig.reshape(1, NUM_PERM))).any(axis=1) & self._alive[:n]
        if exclude is not None and exclude in self._row:
            hit[self._row[exclude]] = False
        rows = np.flatnonzero(hit)
        return self._ranked(sig, rows)

    def query_key(self, key: str) -> list[tuple[str, float]]:
        """:meth:`query` with a key's own signature, the key itself left out."""
        return self.query(self._sigs[self._row[key]], exclude=key)

    def _ranked(self, sig: np.ndarray, rows: np.ndarray) -> list[tuple[str, float]]:
        if not len(rows):
            return []
        estimates = (self._sigs[rows] == sig).mean(axis=1)
        keep = estimates >= MIN_ESTIMATE
        rows, estimates = rows[keep], estimates[keep]
        if len(rows) > MAX_CANDIDATES:
            best = np.argpartition(-estimates, MAX_CANDIDATES)[:MAX_CANDIDATES]
            rows, estimates = rows[best], estimates[best]
        order = np.argsort(-estimates, kind="stable")
        return [(self.keys[rows[i]], float(estimates[i])) for i in order]

    def _alike(self, codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The pair codes (low * n + high) whose estimated Jaccard reaches MIN_ESTIMATE, with it; a quick
        look at the first quarter of the signature drops most pairs first, in slices of bounded memory."""
        found: list[np.ndarray] = []
        estimates: list[np.ndarray] = []
        quarter = NUM_PERM // 4
        for start in range(0, len(codes), SLICE):
            part = codes[start:start + SLICE]
            lo, hi = part // n, part % n
            rough = np.count_nonzero(self._sigs[lo, :quarter] == self._sigs[hi, :quarter], axis=1) / quarter
            maybe = rough >= MIN_ESTIMATE - 0.15
            part, lo, hi = part[maybe], lo[maybe], hi[maybe]
            est = np.count_nonzero(self._sigs[lo] == self._sigs[hi], axis=1) / NUM_PERM
            alike = est >= MIN_ESTIMATE
            found.append(part[alike])
            estimates.append(est[alike])
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return np.concatenate(found), np.concatenate(estimates)

    def all_candidate_pairs(self, among: Iterable[str] | None = None) -> list[tuple[str, str, float]]:
        """Every pair of live keys that shares a band (with at least one key in ``among``, if given):
        (key, other key, estimated Jaccard), the first key's row lower.

        A crowded bucket (more than MAX_CANDIDATES members, as template-made texts give) pairs each member
        only with its neighbours in the order of their signatures, where near-identical ones sit together.
        """
        n = self._n
        live = np.flatnonzero(self._alive[:n])
        wanted: np.ndarray | None = None
        if among is not None:
            wanted = np.zeros(n, dtype=bool)
            wanted[[self._row[k] for k in among if k in self._row]] = True
        kept = np.zeros(0, dtype=np.int64)  # low row * n + high row of pairs estimated alike enough, unique
        kept_estimates = np.zeros(0, dtype=np.float64)
        seen = kept  # the same codes, sorted
        for band in range(BANDS):
            keys = self._bands[live, band]
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
            sizes = np.diff(np.r_[starts, len(sorted_keys)])
            lows: list[np.ndarray] = []
            highs: list[np.ndarray] = []
            small = (sizes > 1) & (sizes <= MAX_CANDIDATES)
            for size in np.unique(sizes[small]):
                group_starts = starts[small & (sizes == size)]
                members = live[order[group_starts[:, None] + np.arange(size)]]  # (groups, size)
                a, b = np.triu_indices(int(size), k=1)
                lows.append(members[:, a].ravel())
                highs.append(members[:, b].ravel())
            for start, size in zip(starts[sizes > MAX_CANDIDATES], sizes[sizes > MAX_CANDIDATES], strict=True):
                members = live[order[start:start + size]]
                members = members[_signature_order(self._sigs[members])]
                for step in range(1, CROWDED_NEIGHBOURS + 1):
                    lows.append(members[:-step])
                    highs.append(members[step:])
            if not lows:
                continue
            low, high = np.concatenate(lows).astype(np.int64), np.concatenate(highs).astype(np.int64)
            if wanted is not None:
                keep = wanted[low] | wanted[high]
                low, high = low[keep], high[keep]
            codes = _distinct(np.minimum(low, high) * n + np.maximum(low, high))
            if len(seen):  # a pair already found in an earlier band is not estimated again
                at = np.minimum(np.searchsorted(seen, codes), len(seen) - 1)
                codes = codes[seen[at] != codes]
            found, estimates = self._alike(codes, n)
            kept = np.r_[kept, found]
            kept_estimates = np.r_[kept_estimates, estimates]
            seen = np.sort(np.r_[seen, found])
        if not len(kept):
            return []
        lo, hi, est = kept // n, kept % n, kept_estimates
        # Each key keeps its PARTNERS best partners; a pair stays if either of its keys keeps it.
        rows = np.r_[lo, hi]
        order = np.lexsort((-np.r_[est, est], rows))
        sorted_rows = rows[order]
        first = np.r_[0, np.flatnonzero(sorted_rows[1:] != sorted_rows[:-1]) + 1]
        rank = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
        chosen = np.zeros(len(order), dtype=bool)
        chosen[order[rank < PARTNERS]] = True
        keep = chosen[: len(lo)] | chosen[len(lo):]
        return [(self.keys[x], self.keys[y], float(e))
                for x, y, e in zip(lo[keep].tolist(), hi[keep].tolist(), est[keep].tolist(), strict=True)]
