"""Opinion map (participation.opinions): groups, key statements, no database."""

import json
import random
from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from participation.opinions import (
    Id,
    InvalidVoteError,
    StatementVotes,
    VoteMatrix,
    compute_opinion_map,
)

CONSENSUS = (0, 1)
"""Statements every planted participant agrees with."""


@dataclass(frozen=True)
class Planted:
    """Synthetic votes with known groups."""

    votes: list[tuple[int, int, int]]
    truth: dict[int, int]
    """participant → planted group"""
    blocks: dict[int, set[int]]
    """planted group → the statements it alone agrees with"""


def planted(
    groups: int,
    per_group: int,
    *,
    statements: int = 20,
    missing: float = 0.4,
    noise: float = 0.05,
    seed: int = 0,
) -> Planted:
    """Plant opinion groups in a vote matrix.

    Statements 0 and 1 are agreed by all.  The rest is cut into one block
    per group (left-over statements get random votes): a group agrees with
    its own block, while everyone else disagrees (60 %) or passes.  Each
    vote is missing with probability ``missing`` and replaced by a random
    vote with probability ``noise``.
    """
    rng = random.Random(seed)
    size = (statements - len(CONSENSUS)) // groups
    blocks = {
        g: set(range(len(CONSENSUS) + g * size, len(CONSENSUS) + (g + 1) * size))
        for g in range(groups)
    }
    owner = {s: g for g, block in blocks.items() for s in block}
    votes = []
    truth = {}
    for participant in range(groups * per_group):
        group = participant % groups
        truth[participant] = group
        for statement in range(statements):
            if rng.random() < missing:
                continue
            if statement in CONSENSUS or owner.get(statement) == group:
                vote = 1
            elif statement in owner:
                vote = -1 if rng.random() < 0.6 else 0
            else:
                vote = rng.choice((1, -1, 0))
            if rng.random() < noise:
                vote = rng.choice((1, -1, 0))
            votes.append((participant, statement, vote))
    return Planted(votes=votes, truth=truth, blocks=blocks)


def planted_group(members: tuple[Id, ...], data: Planted) -> int:
    """Return the planted group most members of a found group come from."""
    return int(np.bincount([data.truth[int(m)] for m in members]).argmax())


@pytest.mark.parametrize(
    ("groups", "per_group", "missing"),
    [(2, 20, 0.5), (3, 15, 0.4), (4, 15, 0.3)],
)
def test_planted_groups_are_recovered(
    groups: int, per_group: int, missing: float
) -> None:
    """2, 3 and 4 planted groups are found with adjusted Rand index >= 0.9."""
    data = planted(groups, per_group, missing=missing)
    matrix = VoteMatrix.from_votes(data.votes)
    result = compute_opinion_map(matrix)
    counts = dict(
        zip(matrix.participant_ids, matrix.votes_per_participant(), strict=True)
    )
    assert result.unclustered == tuple(p for p, n in counts.items() if n < 7)
    assert len(result.groups) == groups
    clustered = [p for p in sorted(data.truth) if p not in result.unclustered]
    found = [result.group_of(p) for p in clustered]
    ari = adjusted_rand_score([data.truth[p] for p in clustered], found)
    assert ari >= 0.9
    assert result.silhouette is not None
    assert [g.size for g in result.groups] == [
        found.count(g.index) for g in result.groups
    ]
    # Each found group maps to a different planted group.
    owners = {planted_group(g.members, data) for g in result.groups}
    assert owners == set(range(groups))


@pytest.mark.parametrize(
    ("groups", "per_group", "missing"),
    [(2, 20, 0.5), (3, 15, 0.4), (4, 15, 0.3)],
)
def test_planted_distinguishing_statements_rank_first(
    groups: int, per_group: int, missing: float
) -> None:
    """A group's top representative statements are its own block, agreed.

    Within the first block-size ranks may also come other groups' blocks,
    which most of the group rejects; never a consensus statement.
    """
    data = planted(groups, per_group, missing=missing)
    result = compute_opinion_map(VoteMatrix.from_votes(data.votes))
    for group in result.groups:
        own = planted_group(group.members, data)
        block = data.blocks[own]
        others = set().union(*(b for g, b in data.blocks.items() if g != own))
        reps = group.representative
        assert len(reps) >= min(len(block), 5)
        assert [(r.statement_id in block, r.direction) for r in reps[:3]] == [
            (True, "agree")
        ] * 3
        assert all(
            (r.statement_id in block and r.direction == "agree")
            or (r.statement_id in others and r.direction == "disagree")
            for r in reps[: len(block)]
        )
        assert not {r.statement_id for r in reps} & set(CONSENSUS)
        assert all(r.z_score >= 1.6448536269514722 for r in reps)
        assert all(r.group_probability > max(0.5, r.rest_probability) for r in reps)
        scores = [r.score for r in reps]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("groups", "per_group", "missing"),
    [(2, 20, 0.5), (3, 15, 0.4), (4, 15, 0.3)],
)
def test_planted_consensus_is_found_and_divisive_statements_are_not(
    groups: int, per_group: int, missing: float
) -> None:
    """Only the statements everyone agrees with are consensus."""
    data = planted(groups, per_group, missing=missing)
    result = compute_opinion_map(VoteMatrix.from_votes(data.votes))
    assert {c.statement_id for c in result.consensus} == set(CONSENSUS)
    assert {c.direction for c in result.consensus} == {"agree"}
    for consensus in result.consensus:
        assert len(consensus.group_probabilities) == groups
        assert consensus.min_group_probability >= 0.6


def test_broad_disagreement_is_consensus_too() -> None:
    """A statement every group rejects is listed after the agreed ones."""
    data = planted(2, 20, missing=0.3, seed=1)
    rng = random.Random(5)
    extra = [(p, 99, -1 if rng.random() < 0.9 else 0) for p in data.truth]
    result = compute_opinion_map(VoteMatrix.from_votes(data.votes + extra))
    assert len(result.groups) == 2
    assert [
        (c.statement_id, c.direction, c.count, c.seen) for c in result.consensus
    ] == [(0, "agree", 24, 26), (1, "agree", 28, 29), (99, "disagree", 31, 40)]


def test_statement_counts_are_exact() -> None:
    """Totals and per-group counts add up the votes exactly."""
    votes = [
        ("a", 1, 1), ("a", 2, -1), ("a", 3, 0),
        ("b", 1, 1), ("b", 2, 1),
        ("c", 1, -1),
    ]  # fmt: skip
    result = compute_opinion_map(
        VoteMatrix.from_votes(votes, statement_ids=[4]), min_votes_per_participant=1
    )
    assert result.statement_ids == (1, 2, 3, 4)
    assert result.totals == (
        StatementVotes(1, agree=2, disagree=1, passes=0),
        StatementVotes(2, agree=1, disagree=1, passes=0),
        StatementVotes(3, agree=0, disagree=0, passes=1),
        StatementVotes(4, agree=0, disagree=0, passes=0),
    )
    assert result.totals[0].agree_share == 2 / 3
    assert result.totals[3].to_json() == {
        "statement_id": 4,
        "agree": 0,
        "disagree": 0,
        "pass": 0,
        "seen": 0,
        "agree_share": 0.0,
        "disagree_share": 0.0,
        "pass_share": 0.0,
    }
    (group,) = result.groups
    assert group.members == ("a", "b", "c")
    assert group.votes == result.totals
    assert result.vote_count == 6


def test_participants_with_few_votes_count_in_totals_but_are_not_clustered() -> None:
    """Below min_votes a participant is listed as unclustered but still counted."""
    data = planted(2, 20, missing=0.3, seed=2)
    late = [(1000, 0, 1), (1000, 5, -1), (1001, 7, 0)]
    result = compute_opinion_map(VoteMatrix.from_votes(data.votes + late))
    assert result.min_votes == 7
    assert result.unclustered == (1000, 1001)
    assert result.participant_count == 42
    assert result.clustered_count == 40
    assert result.group_of(1000) is None
    assert result.totals[0].seen == sum(1 for v in data.votes if v[1] == 0) + 1
    assert sum(g.votes[0].seen for g in result.groups) == result.totals[0].seen - 1


def test_sparse_random_votes_give_one_group() -> None:
    """80 % missing random votes: no crash, no invented structure."""
    rng = random.Random(3)
    votes = [
        (p, s, rng.choice((1, -1, 0)))
        for p in range(60)
        for s in range(40)
        if rng.random() >= 0.8
    ]
    matrix = VoteMatrix.from_votes(votes)
    result = compute_opinion_map(matrix)
    expected = {
        pid
        for pid, n in zip(
            matrix.participant_ids, matrix.votes_per_participant(), strict=True
        )
        if n < 7
    }
    assert set(result.unclustered) == expected
    assert len(result.groups) == 1
    assert result.groups[0].size == result.clustered_count == 60 - len(expected)
    assert result.groups[0].representative == ()
    assert result.silhouette is None


def test_random_votes_give_one_group() -> None:
    """Votes without any correlation between statements are one group."""
    rng = random.Random(4)
    votes = [(p, s, rng.choice((1, -1, 0))) for p in range(50) for s in range(20)]
    result = compute_opinion_map(VoteMatrix.from_votes(votes))
    assert len(result.groups) == 1
    assert result.groups[0].size == 50


def test_empty_matrix() -> None:
    """No votes at all: an empty map, not an error."""
    result = compute_opinion_map(VoteMatrix.from_votes([]))
    assert result.to_json() == {
        "statement_ids": [],
        "participant_count": 0,
        "clustered_count": 0,
        "vote_count": 0,
        "min_votes": 1,
        "totals": [],
        "groups": [],
        "consensus": [],
        "points": [],
        "unclustered": [],
        "explained_variance": [0.0, 0.0],
        "silhouette": None,
    }


def test_statements_without_participants() -> None:
    """Statements nobody voted on yet appear in the totals with zero counts."""
    result = compute_opinion_map(VoteMatrix.from_votes([], statement_ids=["s1", "s2"]))
    assert [t.seen for t in result.totals] == [0, 0]
    assert result.groups == ()


def test_one_participant() -> None:
    """A single participant is one group of one at the origin."""
    votes = [("only", s, 1) for s in range(10)]
    result = compute_opinion_map(VoteMatrix.from_votes(votes))
    (group,) = result.groups
    assert group.members == ("only",)
    assert group.centroid == (0.0, 0.0)
    assert group.representative == ()
    assert [p.to_json() for p in result.points] == [
        {"participant_id": "only", "x": 0.0, "y": 0.0, "group": 0}
    ]
    assert result.consensus == ()  # one voice is not significant


@pytest.mark.parametrize("second", [1, -1])
def test_two_participants(second: int) -> None:
    """Two participants, agreeing or opposed, are one group."""
    votes = [(1, s, 1) for s in range(8)] + [(2, s, second) for s in range(8)]
    result = compute_opinion_map(VoteMatrix.from_votes(votes))
    (group,) = result.groups
    assert group.members == (1, 2)
    xs = sorted(p.x for p in result.points)
    assert xs == ([0.0, 0.0] if second == 1 else pytest.approx([-2.8284271, 2.8284271]))


def test_one_statement() -> None:
    """With one statement there is no correlation to find: one group."""
    votes = [(p, "only", 1 if p % 2 else -1) for p in range(30)]
    result = compute_opinion_map(VoteMatrix.from_votes(votes))
    assert result.min_votes == 1
    assert len(result.groups) == 1
    assert result.explained_variance == (1.0, 0.0)
    assert {p.y for p in result.points} == {0.0}


def test_three_participants() -> None:
    """Three participants cannot form two groups of two: one group."""
    votes = [(p, s, 1 if (p + s) % 2 else -1) for p in range(3) for s in range(10)]
    result = compute_opinion_map(VoteMatrix.from_votes(votes))
    assert [g.size for g in result.groups] == [3]


@pytest.mark.parametrize(("participants", "sizes"), [(8, [8]), (10, [5, 5])])
def test_groups_need_ten_participants(participants: int, sizes: list[int]) -> None:
    """Even two opposed camps stay one group below ten clustered participants."""
    half = participants // 2
    votes = [
        (p, s, 1 if (p < half) == (s < 5) else -1)
        for p in range(participants)
        for s in range(10)
    ]
    result = compute_opinion_map(VoteMatrix.from_votes(votes))
    assert [g.size for g in result.groups] == sizes


def test_all_passes() -> None:
    """Everyone passing everything is one group, no consensus, no variance."""
    votes = [(p, s, 0) for p in range(20) for s in range(10)]
    result = compute_opinion_map(VoteMatrix.from_votes(votes))
    assert [g.size for g in result.groups] == [20]
    assert result.consensus == ()
    assert result.explained_variance == (0.0, 0.0)
    assert {(p.x, p.y) for p in result.points} == {(0.0, 0.0)}
    assert result.totals[0].pass_share == 1.0


def test_everyone_identical() -> None:
    """Identical voters are one group, and what they all agree with is consensus."""
    votes = [(p, s, 1 if s < 3 else -1) for p in range(25) for s in range(8)]
    result = compute_opinion_map(VoteMatrix.from_votes(votes))
    assert [g.size for g in result.groups] == [25]
    assert [(c.statement_id, c.direction) for c in result.consensus] == [
        (0, "agree"), (1, "agree"), (2, "agree"),
        (3, "disagree"), (4, "disagree"), (5, "disagree"), (6, "disagree"),
        (7, "disagree"),
    ]  # fmt: skip
    assert result.consensus[0].group_probabilities == (26 / 27,)


def test_two_identical_camps_are_two_groups() -> None:
    """Two blocs voting in lockstep are separated with a perfect silhouette."""
    votes = [
        (p, s, 1 if (p < 10) == (s < 5) else -1) for p in range(20) for s in range(10)
    ]
    result = compute_opinion_map(VoteMatrix.from_votes(votes))
    assert [g.members for g in result.groups] == [
        tuple(range(10)),
        tuple(range(10, 20)),
    ]
    assert result.silhouette == 1.0
    first, second = result.groups
    assert [r.statement_id for r in first.representative] == [0, 1, 2, 3, 4]
    assert first.centroid[0] == -second.centroid[0]


def test_max_groups_one_disables_clustering() -> None:
    """max_groups=1 puts everybody in one group."""
    data = planted(3, 15)
    result = compute_opinion_map(VoteMatrix.from_votes(data.votes), max_groups=1)
    assert [g.size for g in result.groups] == [45]


def test_results_are_deterministic() -> None:
    """Same votes, in any order, give identical maps."""
    data = planted(3, 15, seed=7)
    shuffled = data.votes[:]
    random.Random(1).shuffle(shuffled)
    first = compute_opinion_map(VoteMatrix.from_votes(data.votes)).to_json()
    again = compute_opinion_map(VoteMatrix.from_votes(data.votes)).to_json()
    reordered = compute_opinion_map(VoteMatrix.from_votes(shuffled)).to_json()
    assert first == again == reordered


def test_to_json_is_plain_json() -> None:
    """The map serialises with the standard json module and round-trips."""
    data = planted(2, 20)
    result = compute_opinion_map(VoteMatrix.from_votes(data.votes))
    payload = result.to_json()
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    assert len(payload["points"]) == 40
    assert set(payload["groups"][0]) == {
        "index", "size", "members", "centroid", "votes", "representative",
    }  # fmt: skip
    assert set(payload["groups"][0]["representative"][0]) == {
        "statement_id", "direction", "group_count", "group_seen", "rest_count",
        "rest_seen", "group_probability", "rest_probability", "ratio", "z_score",
        "score",
    }  # fmt: skip


def test_map_axes_separate_the_groups() -> None:
    """Group centroids on the 2-D map are far apart relative to their spread."""
    data = planted(2, 20, missing=0.3)
    result = compute_opinion_map(VoteMatrix.from_votes(data.votes))
    first, second = result.groups
    assert abs(first.centroid[0] - second.centroid[0]) > 2.0
    assert result.explained_variance[0] > result.explained_variance[1] > 0.0
    assert sum(result.explained_variance) <= 1.0


def test_later_vote_replaces_earlier_one() -> None:
    """When a participant votes twice on a statement the later vote counts."""
    matrix = VoteMatrix.from_votes([(1, 1, 1), (1, 1, -1), (2, 1, 0)])
    assert matrix.values.tolist() == [[-1], [0]]
    assert matrix.seen.tolist() == [[True], [True]]
    assert matrix.vote_count == 2


def test_mixed_id_types_are_ordered() -> None:
    """Int ids come before string ids, each sorted."""
    matrix = VoteMatrix.from_votes([("b", 2, 1), (3, "x", 1), ("a", 1, 0), (1, 2, -1)])
    assert matrix.participant_ids == (1, 3, "a", "b")
    assert matrix.statement_ids == (1, 2, "x")


@pytest.mark.parametrize(
    ("votes", "message"),
    [
        (
            [(1, 2, 2)],
            "vote of participant 1 on statement 2 must be 1 (agree), -1 (disagree) "
            "or 0 (pass), got 2",
        ),
        (
            [(1, 2, 1.0)],
            "vote of participant 1 on statement 2 must be 1 (agree), -1 (disagree) "
            "or 0 (pass), got 1.0",
        ),
        (
            [("p", "s", "1")],
            "vote of participant 'p' on statement 's' must be 1 (agree), -1 "
            "(disagree) or 0 (pass), got '1'",
        ),
        (
            [(1, 2, True)],
            "vote of participant 1 on statement 2 must be 1 (agree), -1 (disagree) "
            "or 0 (pass), got True",
        ),
        (
            [(None, 2, 1)],
            "participant id of vote #0 must be an int or a str, got NoneType None",
        ),
        (
            [(1, 2, 1), (1, 2.5, 1)],
            "statement id of vote #1 must be an int or a str, got float 2.5",
        ),
        (
            [(1, 2)],
            "vote #0 must be a (participant_id, statement_id, vote) triple, got (1, 2)",
        ),
        ([5], "vote #0 must be a (participant_id, statement_id, vote) triple, got 5"),
    ],
)
def test_invalid_votes_are_rejected(votes: list[object], message: str) -> None:
    """Bad ids, values and shapes raise InvalidVoteError naming the vote."""
    with pytest.raises(InvalidVoteError) as raised:
        VoteMatrix.from_votes(votes)  # type: ignore[arg-type]
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)


def test_numpy_integer_votes_are_accepted() -> None:
    """Votes read from numpy arrays are valid ints."""
    votes = [(1, 1, np.int64(-1)), (2, 1, np.int8(1))]
    matrix = VoteMatrix.from_votes(votes)  # type: ignore[arg-type]
    assert matrix.values.tolist() == [[-1], [1]]


def test_invalid_parameters_are_rejected() -> None:
    """Nonsensical parameters raise ValueError."""
    matrix = VoteMatrix.from_votes([])
    with pytest.raises(ValueError, match=r"^max_groups must be at least 1, got 0$"):
        compute_opinion_map(matrix, max_groups=0)
    with pytest.raises(
        ValueError, match=r"^consensus_threshold must be in \(0, 1\], got 1.5$"
    ):
        compute_opinion_map(matrix, consensus_threshold=1.5)


def test_matrix_arrays_are_read_only() -> None:
    """The matrix cannot be changed behind the map's back."""
    matrix = VoteMatrix.from_votes([(1, 1, 1)])
    with pytest.raises(ValueError, match="read-only"):
        matrix.values[0, 0] = -1
