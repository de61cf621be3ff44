"""Near-duplicate primitives: shingles, MinHash signatures, band keys, overlap, clusters."""

from __future__ import annotations

import numpy as np
import pytest

from copydesk.minhash import (
    MinHasher,
    assign_clusters,
    band_keys,
    components,
    distinct_sorted,
    overlaps,
    shingle_sets,
)
from copydesk.text_keys import words_for_hash

TEXT = "The quick brown fox jumps over the lazy dog"
LEAD = (
    "The city council voted on Tuesday night to approve a new budget for public transport, "
    "adding two bus lines that will serve the northern districts from next spring and "
    "extending evening service on the busiest routes by one hour."
)
REST = (
    "Officials said the plan would cost about twelve million dollars over three years, paid "
    "for in part by a state grant and in part by higher parking fees in the downtown core, "
    "which several merchants had opposed at earlier hearings. The transport authority said "
    "ridership had recovered to nearly ninety percent of its level before the pandemic, with "
    "the largest gains on weekend routes and among students who travel between the two "
    "university campuses every day. Work on the new depot begins in the autumn, and the "
    "first buses on the northern lines are due to carry passengers in the second week of "
    "April, weather and deliveries of the electric fleet permitting."
)


@pytest.fixture(scope="module")
def hasher() -> MinHasher:
    return MinHasher()


# --- shingles


def test_shingles_have_fixed_values(hasher):
    # Published band keys are compared with keys computed by later runs, in other processes:
    # these values must never change (xxh32 of the words, chained, folded to 32 bits).
    assert hasher.shingles("The quick brown fox jumps").tolist() == [
        1560030675,
        2173355431,
        3859392063,
    ]
    assert hasher.shingles("hello world").tolist() == [2583807076]


def test_shingles_are_equal_across_instances_and_calls(hasher):
    other = MinHasher(num_perm=16, seed=99)  # permutations do not touch shingles

    first = hasher.shingles(TEXT)

    assert first.dtype == np.uint64
    assert len(first) == len(TEXT.split()) - 2
    np.testing.assert_array_equal(first, hasher.shingles(TEXT))
    np.testing.assert_array_equal(first, other.shingles(TEXT))


@pytest.mark.parametrize(
    "variant",
    [
        TEXT.upper(),
        TEXT.replace(" ", ", "),
        "  " + TEXT.replace("fox", "fox!") + ".  ",
        TEXT.replace(" ", "\u00a0"),
        TEXT.replace("brown ", "brown\n").replace("over ", "over\n\n"),
        TEXT.replace(" ", "\t "),
    ],
    ids=["case", "commas", "punctuation", "nbsp", "rewrapped", "tabs"],
)
def test_normalization_does_not_change_shingles(hasher, variant):
    np.testing.assert_array_equal(hasher.shingles(variant), hasher.shingles(TEXT))


def test_shingle_sequence_keeps_order_and_repeats(hasher):
    seq = hasher.shingle_sequence("a b c a b c")

    assert len(seq) == 4
    assert seq[0] == seq[3]
    assert len(hasher.shingles("a b c a b c")) == 3


def test_word_order_changes_shingles(hasher):
    jaccard, _ = overlaps([hasher.shingles("a b c d")], [hasher.shingles("d c b a")])
    assert jaccard[0] == 0.0


@pytest.mark.parametrize("text", ["hello", "hello world"])
def test_text_shorter_than_the_ngram_is_one_shingle(hasher, text):
    assert len(hasher.shingles(text)) == 1


def test_short_texts_differ_from_each_other(hasher):
    assert hasher.shingles("hello world")[0] != hasher.shingles("world hello")[0]
    assert hasher.shingles("hello")[0] != hasher.shingles("hello world")[0]


@pytest.mark.parametrize("text", ["", "   ", "!!! --- ...", "\u00a0\n"])
def test_empty_text_has_no_shingles_and_an_all_ones_signature(hasher, text):
    assert len(hasher.shingles(text)) == 0

    sigs, counts = hasher.signatures([text, TEXT])

    assert counts.tolist() == [0, len(TEXT.split()) - 2]
    assert sigs.dtype == np.uint32
    assert sigs.shape == (2, 128)
    assert (sigs[0] == 0xFFFFFFFF).all()
    # It matches nothing that has words: no shared value, no shared band key.
    assert not (sigs[0] == sigs[1]).any()
    keys = band_keys(sigs, 16, 8)
    assert not np.intersect1d(keys[0], keys[1]).size


def test_signatures_of_only_empty_sets(hasher):
    sigs = hasher.signatures_of([np.empty(0, dtype=np.uint64)] * 2)

    assert sigs.shape == (2, 128)
    assert (sigs == 0xFFFFFFFF).all()


@pytest.mark.parametrize("kwargs", [{"num_perm": 0}, {"ngram": 0}])
def test_hasher_rejects_zero_sizes(kwargs):
    with pytest.raises(ValueError, match="at least 1"):
        MinHasher(**kwargs)


# --- signatures


def test_signatures_have_fixed_values(hasher):
    # numpy's Generator stream seeds the permutations: a numpy upgrade that changed it would
    # make every published band key unmatchable.
    sigs, counts = hasher.signatures([TEXT])

    assert counts.tolist() == [7]
    assert sigs[0, :4].tolist() == [63035777, 121285099, 540729244, 1347709846]


def test_signatures_of_equals_signatures(hasher):
    texts = [TEXT, "", LEAD, LEAD + " " + REST, "hello"]

    sigs, counts = hasher.signatures(texts)

    sets = [hasher.shingles(t) for t in texts]
    np.testing.assert_array_equal(hasher.signatures_of(sets), sigs)
    assert counts.tolist() == [len(s) for s in sets]


def test_signature_does_not_depend_on_the_batch(hasher):
    alone = hasher.signatures([LEAD])[0]
    batched = hasher.signatures([REST, "", LEAD, TEXT])[0]

    np.testing.assert_array_equal(batched[2], alone[0])


def test_signatures_of_sets_crossing_the_hashing_chunk(hasher):
    # 90,000 shingles are hashed in two chunks of at most 65,536: the third set straddles the
    # boundary and the empty one sits between; each set alone fits in one chunk.
    rng = np.random.default_rng(7)
    sets = [np.unique(rng.integers(0, 1 << 32, size=30_000, dtype=np.uint64)) for _ in range(3)]
    sets.insert(2, np.empty(0, dtype=np.uint64))

    together = hasher.signatures_of(sets)

    for n, s in enumerate(sets):
        np.testing.assert_array_equal(together[n], hasher.signatures_of([s])[0])


def _pairs_with_controlled_overlap(seed: int, n: int = 100) -> list[tuple[str, str]]:
    """Pairs of 80-200 word texts from a 5,000-word vocabulary; pair k replaces a share
    0.3 * k / n of the words of the first text to make the second."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(5000)])
    pairs = []
    for k in range(n):
        length = int(rng.integers(80, 200))
        first = rng.choice(vocab, length)
        second = first.copy()
        changed = rng.choice(length, int(0.3 * k / n * length), replace=False)
        second[changed] = rng.choice(vocab, len(changed))
        pairs.append((" ".join(first), " ".join(second)))
    return pairs


def _estimate_errors(hasher: MinHasher, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, ...]:
    sigs, _ = hasher.signatures([t for pair in pairs for t in pair])
    estimate = (sigs[0::2] == sigs[1::2]).mean(axis=1)  # the share of equal MinHash values
    exact, _ = overlaps(
        [hasher.shingles(a) for a, _ in pairs], [hasher.shingles(b) for _, b in pairs]
    )
    return estimate, exact


def test_jaccard_estimates_are_close_to_exact():
    # The standard error of a MinHash estimate is sqrt(J(1-J)/num_perm): with 128
    # permutations the mean absolute error over these pairs is itself about 0.03, so the
    # tighter bound is checked with 256.
    pairs = _pairs_with_controlled_overlap(seed=0)

    estimate, exact = _estimate_errors(MinHasher(num_perm=256), pairs)
    errors = np.abs(estimate - exact)

    assert exact.min() < 0.3 and exact.max() == 1.0  # the pairs span the range
    assert errors.mean() < 0.03
    assert errors.max() < 0.2
    assert abs((estimate - exact).mean()) < 0.01  # unbiased


def test_jaccard_estimates_of_the_default_hasher():
    pairs = _pairs_with_controlled_overlap(seed=1)

    estimate, exact = _estimate_errors(MinHasher(), pairs)
    errors = np.abs(estimate - exact)

    expected = (np.sqrt(exact * (1 - exact) / 128) * np.sqrt(2 / np.pi)).mean()
    assert errors.mean() < 1.25 * expected < 0.04
    assert errors.max() < 0.2
    assert abs((estimate - exact).mean()) < 0.01
    # Identical texts estimate exactly 1.
    assert estimate[exact == 1.0].tolist() == [1.0] * int((exact == 1.0).sum())


# --- band keys


def _signatures(rows: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 1 << 32, size=(rows, 128), dtype=np.uint32)


def test_band_keys_shape_and_equal_signatures():
    sigs = _signatures(3)
    sigs[2] = sigs[0]

    keys = band_keys(sigs, 16, 8)

    assert keys.shape == (3, 16)
    assert keys.dtype == np.uint64
    np.testing.assert_array_equal(keys[2], keys[0])
    assert not (keys[1] == keys[0]).any()
    np.testing.assert_array_equal(band_keys(sigs.copy(), 16, 8), keys)


@pytest.mark.parametrize("position", [0, 7, 8, 63, 127])
def test_one_changed_value_changes_exactly_its_band(position):
    sigs = _signatures(2)
    sigs[1] = sigs[0]
    sigs[1, position] ^= 1

    keys = band_keys(sigs, 16, 8)

    assert (keys[0] != keys[1]).nonzero()[0].tolist() == [position // 8]


def test_values_past_the_last_band_are_unused():
    sigs = _signatures(2)
    sigs[1] = sigs[0]
    sigs[1, 100:] += 1

    keys = band_keys(sigs, 10, 10)

    assert keys.shape == (2, 10)
    np.testing.assert_array_equal(keys[0], keys[1])


@pytest.mark.parametrize("bands, rows", [(17, 8), (33, 4), (1, 129)])
def test_more_bands_than_permutations_raise(bands, rows):
    with pytest.raises(ValueError, match="need more than 128 permutations"):
        band_keys(_signatures(1), bands, rows)


@pytest.mark.parametrize("rows", [1, 4, 8])
def test_equal_values_in_different_bands_give_different_keys(rows):
    sig = np.tile(np.arange(rows, dtype=np.uint32), 128 // rows)[None, :]

    keys = band_keys(sig, 128 // rows, rows)

    assert len(set(keys[0].tolist())) == 128 // rows


# --- exact overlap


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ([1, 2, 3, 4], [1, 2, 3, 4], (1.0, 1.0)),
        ([1, 2, 3, 4], [3, 4, 5, 6], (2 / 6, 2 / 4)),
        ([1, 2], [1, 2, 3, 4, 5, 6, 7, 8], (2 / 8, 1.0)),
        ([1, 2, 9], [1, 2, 3, 4, 5, 6], (2 / 7, 2 / 3)),
        ([1, 2], [3, 4], (0.0, 0.0)),
        ([], [1, 2], (0.0, 0.0)),
        ([], [], (0.0, 0.0)),
    ],
    ids=["same", "half", "subset", "partly-inside", "disjoint", "one-empty", "both-empty"],
)
def test_overlaps_are_exact_jaccard_and_containment(a, b, expected):
    sa, sb = np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)

    for first, second in [(sa, sb), (sb, sa)]:
        jaccard, contained = overlaps([first], [second])
        assert (jaccard[0], contained[0]) == pytest.approx(expected)


def test_overlaps_of_many_pairs_equal_each_pair_counted_alone():
    """Pairs counted in one sort do not see each other's shingles, even the same values."""
    rng = np.random.default_rng(3)
    sets = [
        np.unique(rng.integers(0, 60, size=rng.integers(0, 40))).astype(np.uint64)
        for _ in range(300)
    ]
    sets.append(np.array([0, 2**32 - 1], dtype=np.uint64))  # the largest shingle value
    pairs = [(i, j) for i in range(len(sets)) for j in rng.integers(0, len(sets), 5)]
    jaccard, contained = overlaps([sets[i] for i, _ in pairs], [sets[j] for _, j in pairs])

    for k, (i, j) in enumerate(pairs):
        a, b = set(sets[i].tolist()), set(sets[j].tolist())
        smaller = min(len(a), len(b))
        assert jaccard[k] == (len(a & b) / len(a | b) if smaller else 0.0)
        assert contained[k] == (len(a & b) / smaller if smaller else 0.0)


def test_overlaps_of_no_pairs():
    jaccard, contained = overlaps([], [])

    assert len(jaccard) == len(contained) == 0


def test_shingle_sets_give_whole_and_lead_shingles(hasher):
    texts = [LEAD + " " + REST, LEAD, ""]
    full, leads = shingle_sets(hasher, [words_for_hash(t) for t in texts], lead_shingles=20)

    np.testing.assert_array_equal(full[0], hasher.shingles(LEAD + " " + REST))
    np.testing.assert_array_equal(full[1], hasher.shingles(LEAD))
    assert len(leads[0]) == len(leads[1]) == 20
    np.testing.assert_array_equal(leads[0], leads[1])  # a teaser and its story share the lead
    assert len(full[2]) == len(leads[2]) == 0


def test_shingle_sets_without_a_lead(hasher):
    full, leads = shingle_sets(hasher, [words_for_hash(LEAD)], lead_shingles=0)

    assert len(full[0]) == len(LEAD.split()) - 2
    assert len(leads[0]) == 0


def test_shingle_sets_of_many_texts_equal_each_text_alone(hasher):
    # Texts of 0, 1, 2, 3 and more words side by side: the batch must not mix their words.
    texts = ["", "one", "two words", "", "just three words", TEXT, "a b c a b c", LEAD]
    full, leads = shingle_sets(hasher, [words_for_hash(t) for t in texts], lead_shingles=2)

    for text, whole, lead in zip(texts, full, leads, strict=True):
        np.testing.assert_array_equal(whole, hasher.shingles(text))
        np.testing.assert_array_equal(lead, np.unique(hasher.shingle_sequence(text)[:2]))
    assert [len(s) for s in full[:5]] == [0, 1, 1, 0, 1]
    assert shingle_sets(hasher, [], lead_shingles=2) == ([], [])


# --- components and cluster assignment


def test_components_name_each_node_after_its_smallest_member():
    assert components([(3, 1), (1, 4), (5, 6)], 8).tolist() == [0, 1, 2, 1, 1, 5, 5, 7]
    assert components([], 3).tolist() == [0, 1, 2]
    assert components([(2, 2)], 3).tolist() == [0, 1, 2]
    assert components([(0, 1), (2, 3), (3, 0)], 4).tolist() == [0, 0, 0, 0]


def test_new_only_component_is_named_after_its_first_ranked_member():
    # The first-ranked member sorts last by id: the name follows the rank, not the id.
    rank = {"zz": (1, 0), "mm": (1, 1), "aa": (1, 2)}

    result = assign_clusters(["aa", "mm", "zz"], {}, [("aa", "mm"), ("mm", "zz")], rank)

    assert result.cluster_of == {"aa": "zz", "mm": "zz", "zz": "zz"}
    assert result.merges == []


def test_isolated_new_members_are_their_own_clusters():
    rank = {"a": (1, 0), "b": (1, 1), "c": (1, 2)}

    result = assign_clusters(["a", "b", "c"], {}, [], rank)

    assert result.cluster_of == {"a": "a", "b": "b", "c": "c"}
    assert result.merges == []


def test_new_member_joins_an_existing_cluster():
    # It matched a copy, not the canonical: it still joins the canonical's cluster.
    existing = {"x": "x", "x-copy": "x"}
    rank = {"x": (0, 1.0, "x"), "x-copy": (0, 2.0, "x-copy"), "new": (1, 0), "alone": (1, 1)}

    result = assign_clusters(["new", "alone"], existing, [("new", "x-copy")], rank)

    assert result.cluster_of == {"new": "x", "alone": "alone"}
    assert result.merges == []


def test_new_member_ranked_first_still_joins_the_existing_cluster_id():
    # Cluster ids never change: even a new member that ranks first takes the existing id.
    rank = {"new": (0, 0.0, "new"), "old": (0, 5.0, "old")}

    result = assign_clusters(["new"], {"old": "old"}, [("new", "old")], rank)

    assert result.cluster_of == {"new": "old"}


def test_new_member_bridging_two_clusters_merges_them_into_the_first_ranked():
    # y's canonical was published first: y is kept although x sorts first by id.
    existing = {"x": "x", "x-copy": "x", "y": "y"}
    rank = {
        "y": (0, 1.0, "y"),
        "x": (0, 2.0, "x"),
        "x-copy": (0, 3.0, "x-copy"),
        "bridge": (1, 0),
        "follower": (1, 1),
    }

    result = assign_clusters(
        ["bridge", "follower"],
        existing,
        [("bridge", "x-copy"), ("bridge", "y"), ("follower", "bridge")],
        rank,
    )

    assert result.cluster_of == {"bridge": "y", "follower": "y"}
    assert result.merges == [("y", "x")]


def test_new_member_bridging_three_clusters_records_two_merges():
    existing = {"a": "a", "b": "b", "c": "c"}
    rank = {"c": (0, 1.0, "c"), "a": (0, 2.0, "a"), "b": (0, 3.0, "b"), "n": (1, 0)}

    result = assign_clusters(["n"], existing, [("n", "a"), ("b", "n"), ("n", "c")], rank)

    assert result.cluster_of == {"n": "c"}
    assert result.merges == [("c", "a"), ("c", "b")]


def test_assign_clusters_accepts_a_generator_of_pairs():
    rank = {"a": (1, 0), "b": (1, 1)}

    result = assign_clusters(["a", "b"], {}, (p for p in [("a", "b")]), rank)

    assert result.cluster_of == {"a": "a", "b": "a"}


@pytest.mark.parametrize("size", [0, 1, 2, 1000])
def test_distinct_sorted_equals_numpy_unique(size):
    values = np.random.default_rng(size).integers(0, 50, size=size).astype(np.uint64) << 32

    assert np.array_equal(distinct_sorted(values), np.unique(values))
    assert distinct_sorted(values).dtype == np.uint64
