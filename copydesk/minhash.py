"""Near duplicates: word shingles, MinHash signatures computed per batch with numpy, LSH band
keys, and the similarity estimates that verify a candidate pair."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import xxhash

from copydesk.text_keys import words_for_hash

# Shingles hashed at once: their (permutations x chunk) array, 8 MB, stays in the CPU cache
# (65,536 at once: a cleaning worker 0.18 GB larger and 12% slower, bench/worker_memory.py)
_CHUNK = 1 << 13
_SHIFT_32 = np.uint64(32)
_GRAM_MIX = np.uint64(0x100000001B3)  # odd multiplier that chains word hashes into an n-gram


@dataclass(frozen=True, slots=True)
class MinHasher:
    """MinHash over word n-grams with `num_perm` multiply-shift hash functions.

    Each function maps a 32-bit shingle x to the top 32 bits of (a*x + b) mod 2^64, with a
    odd: Dietzfelbinger's multiply-shift family, which needs no division and so runs several
    times faster in numpy than the (a*x + b) mod prime family, with the same estimates."""

    num_perm: int = 128
    ngram: int = 3
    seed: int = 1

    def __post_init__(self) -> None:
        if self.num_perm < 1 or self.ngram < 1:
            raise ValueError("num_perm and ngram must be at least 1")

    @property
    def _params(self) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        a = rng.integers(0, 1 << 63, size=self.num_perm, dtype=np.uint64) | np.uint64(1)
        b = rng.integers(0, 1 << 63, size=self.num_perm, dtype=np.uint64)
        return a, b

    def shingles(self, text: str) -> np.ndarray:
        """The distinct 32-bit hashes of the text's word n-grams (one shingle if shorter)."""
        return distinct_sorted(self.shingle_sequence(text))

    def shingle_sequence(self, text: str) -> np.ndarray:
        """The 32-bit hashes of the text's word n-grams in text order, repeats included."""
        return self.grams(*word_hashes([words_for_hash(text)]))[1]

    def grams(self, hashes: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(owner, shingle) of every word n-gram of many texts at once, in text order.

        `hashes` are the word hashes of all texts one after another, `counts` how many words
        each text has. A text shorter than `ngram` words has one shingle of all its words, a
        text without words none."""
        width = np.minimum(counts, self.ngram)
        per_text = np.where(counts > 0, counts - width + 1, 0)
        owners = np.repeat(np.arange(len(counts)), per_text)
        first_word = (np.cumsum(counts) - counts)[owners]
        first_gram = (np.cumsum(per_text) - per_text)[owners]
        starts = first_word + np.arange(len(owners)) - first_gram
        grams = hashes[starts]
        width = width[owners]
        with np.errstate(over="ignore"):  # wrap-around is the mixing
            for k in range(1, self.ngram):
                following = hashes[np.minimum(starts + k, len(hashes) - 1)]
                grams = np.where(width > k, grams * _GRAM_MIX + following, grams)
        return owners, (grams ^ (grams >> _SHIFT_32)) & np.uint64(0xFFFFFFFF)

    def signatures(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(signatures, shingle counts): one row of `num_perm` uint32 values per text."""
        sets, _ = shingle_sets(self, [words_for_hash(t) for t in texts], 0)
        return self.signatures_of(sets), np.array([len(s) for s in sets])

    def signatures_of(self, shingle_sets: Sequence[np.ndarray]) -> np.ndarray:
        """One row of `num_perm` uint32 MinHash values per set of distinct shingles.

        An empty set gets the all-ones signature, which matches nothing that has words."""
        counts = np.array([len(s) for s in shingle_sets], dtype=np.int64)
        sigs = np.full((len(shingle_sets), self.num_perm), 0xFFFFFFFF, dtype=np.uint32)
        if not counts.sum():
            return sigs
        a, b = self._params
        a, b = a[:, None], b[:, None]
        owners = np.repeat(np.arange(len(shingle_sets)), counts)
        values = np.concatenate(shingle_sets)
        for start in range(0, len(values), _CHUNK):
            x = values[None, start : start + _CHUNK]
            with np.errstate(over="ignore"):  # in place: one (num_perm, chunk) array
                hashed = a * x
                hashed += b
                hashed >>= _SHIFT_32
            hashed = hashed.astype(np.uint32)
            # Columns are grouped by owner: reduce each owner's run to its minimum per row.
            chunk_owners = owners[start : start + _CHUNK]
            starts = np.flatnonzero(np.r_[True, chunk_owners[1:] != chunk_owners[:-1]])
            mins = np.minimum.reduceat(hashed, starts, axis=1).T
            rows = chunk_owners[starts]
            sigs[rows] = np.minimum(sigs[rows], mins)
        return sigs


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per band per signature: (n, bands); equal keys make a candidate pair.

    Band k hashes MinHash values k*rows to (k+1)*rows - 1; the rest are unused."""
    n, num_perm = signatures.shape
    if bands * rows > num_perm:
        raise ValueError(f"{bands} bands of {rows} rows need more than {num_perm} permutations")
    grouped = signatures[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    keys = np.zeros((n, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrap-around is the point of this mixing
        for r in range(rows):
            keys = keys * np.uint64(0x9E3779B97F4A7C15) + grouped[:, :, r]
        keys ^= keys >> np.uint64(29)
    # Fold in the band number so equal values in different bands never collide.
    return keys ^ (np.arange(bands, dtype=np.uint64) * np.uint64(0xBF58476D1CE4E5B9))


def components(pairs: Iterable[tuple[int, int]], n: int) -> np.ndarray:
    """The connected component (its smallest member) of each of `n` nodes joined by `pairs`."""
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([root(i) for i in range(n)])


def overlaps(
    sets_a: Sequence[np.ndarray], sets_b: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Exact Jaccard similarity and containment (of the smaller set in the larger) of each pair
    (sets_a[i], sets_b[i]) of distinct 32-bit shingle sets, 0 where either set is empty.

    All pairs are counted in one sort: each shingle is tagged with its pair's number, and a
    shingle the two sets of a pair share is the one tag that occurs twice (a numpy call per
    pair costs more in Python than the counting)."""
    n = len(sets_a)
    len_a = np.fromiter(map(len, sets_a), dtype=np.int64, count=n)
    len_b = np.fromiter(map(len, sets_b), dtype=np.int64, count=n)
    pair_of = np.concatenate(
        [
            np.repeat(np.arange(n, dtype=np.uint64), len_a),
            np.repeat(np.arange(n, dtype=np.uint64), len_b),
        ]
    )
    shingles = np.concatenate([np.empty(0, dtype=np.uint64), *sets_a, *sets_b])
    tagged = np.sort((pair_of << _SHIFT_32) | shingles)
    shared = tagged[1:][tagged[1:] == tagged[:-1]] >> _SHIFT_32
    common = np.bincount(shared.astype(np.int64), minlength=n)
    union = len_a + len_b - common
    smaller = np.minimum(len_a, len_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(smaller > 0, common / union, 0.0)
        contained = np.where(smaller > 0, common / smaller, 0.0)
    return jaccard, contained


def word_hashes(word_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """The 32-bit hashes of all words of all lists one after another, and each list's length."""
    counts = np.fromiter(map(len, word_lists), dtype=np.int64, count=len(word_lists))
    words = list(chain.from_iterable(word_lists))
    vocabulary = {w: xxhash.xxh32_intdigest(w) for w in set(words)}
    hashes = np.fromiter(map(vocabulary.__getitem__, words), dtype=np.uint64, count=len(words))
    return hashes, counts


def shingle_sets(
    hasher: MinHasher, word_lists: Sequence[Sequence[str]], lead_shingles: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Distinct shingles of each text (given as its words_for_hash), and of its first
    `lead_shingles` shingles: a teaser and its full story share the lead even though their
    whole texts differ. All texts are shingled together, in a few numpy passes."""
    owners, grams = hasher.grams(*word_hashes(word_lists))
    full = _distinct_per_owner(owners, grams, len(word_lists))
    if not lead_shingles:
        return full, [np.empty(0, dtype=np.uint64)] * len(word_lists)
    first = np.searchsorted(owners, owners)  # index of the owner's first shingle
    lead = np.arange(len(owners)) - first < lead_shingles
    return full, _distinct_per_owner(owners[lead], grams[lead], len(word_lists))


def _distinct_per_owner(owners: np.ndarray, grams: np.ndarray, n: int) -> list[np.ndarray]:
    """Each owner's distinct shingles, sorted; owners are 0..n-1, grams below 2**32."""
    if not n:
        return []
    keys = distinct_sorted((owners.astype(np.uint64) << _SHIFT_32) | grams)
    sorted_owners = keys >> _SHIFT_32
    bounds = np.searchsorted(sorted_owners, np.arange(1, n, dtype=np.uint64))
    return np.split(keys & np.uint64(0xFFFFFFFF), bounds)


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """np.unique of a 1-d array, by sorting: numpy 2.4's np.unique finds the distinct values
    with a hash table first, 30 to 80 times slower on shingle keys (owner << 32 | shingle) of
    2,000 to 50,000 texts: 15 ms against 0.5, 1.5 s against 0.02."""
    ordered = np.sort(values)
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where each new member goes: cluster ids are the canonical member's id, and stay."""

    cluster_of: dict[str, str]  # every new member -> its cluster id
    merges: list[tuple[str, str]]  # (kept cluster, merged cluster) when a new member joins two


def assign_clusters(
    new: Sequence[str],
    existing: dict[str, str],
    pairs: Iterable[tuple[str, str]],
    rank: dict[str, tuple],
) -> Assignment:
    """Clusters for `new` members given verified similar `pairs` among new and existing ones.

    `existing` maps members already clustered to their cluster id, which is also that
    cluster's canonical member; `rank` orders members, first is canonical (earliest seen,
    then the policy's tie-break). A component that touches existing clusters keeps the one
    whose canonical ranks first and records the others as merged into it; a component of
    new members only becomes a cluster named after its first-ranked member."""
    pairs = list(pairs)
    nodes = sorted(
        set(new) | {m for pair in pairs for m in pair} | set(existing), key=rank.__getitem__
    )
    index = {m: i for i, m in enumerate(nodes)}
    roots = components(((index[a], index[b]) for a, b in pairs), len(nodes))
    by_root: dict[int, list[str]] = {}
    for member, root in zip(nodes, roots, strict=True):
        by_root.setdefault(int(root), []).append(member)
    cluster_of: dict[str, str] = {}
    merges: list[tuple[str, str]] = []
    new_set = set(new)
    for members in by_root.values():
        clusters = sorted({existing[m] for m in members if m in existing}, key=rank.__getitem__)
        cluster = clusters[0] if clusters else min(members, key=rank.__getitem__)
        merges.extend((cluster, other) for other in clusters[1:])
        cluster_of.update((m, cluster) for m in members if m in new_set)
    return Assignment(cluster_of, merges)
