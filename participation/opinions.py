"""Opinion map of a consultation: groups, distinguishing and consensus statements.

Pure computation (no Django): the ``participation`` app loads the votes,
calls :func:`compute_opinion_map` and stores or renders the JSON result.

Pipeline, in the order :func:`compute_opinion_map` runs it:

1. **Vote matrix.**  Participants × statements, each cell agree (+1),
   disagree (−1), pass (0) or missing (the participant never voted on
   that statement).  Ids are sorted, so the order in which the votes are
   read does not change the result.
2. **Filter.**  Participants with fewer than ``min_votes_per_participant``
   votes are counted in the statement totals but not placed on the map.
3. **Impute.**  A missing vote is replaced by the statement's mean vote
   among the clustered participants (column-mean imputation); after
   centring each column this is simply 0, so a missing vote pulls a
   participant neither way.
4. **PCA.**  An SVD of the centred matrix; the first two principal
   components are each participant's coordinates on the map, the first
   :data:`CLUSTER_COMPONENTS` the space in which groups are sought.
5. **Groups.**  k-means on those components for every k in
   2..``max_groups``; the k with the best silhouette score wins, and no
   group may have fewer than two members (nor are there groups at all
   with fewer than :data:`MIN_PARTICIPANTS_FOR_GROUPS` participants).
   The winning partition is kept only if it shows real structure: its
   silhouette must exceed :data:`STRUCTURE_FACTOR` times the best
   silhouette reached on the same votes with each statement's column
   shuffled on its own (then run through the same PCA and k-means).
   Shuffling keeps every statement's vote distribution but destroys any
   correlation between statements, i.e. any opinion group.  Otherwise
   everyone is one group.
6. **Statements.**  Per group: vote counts and the representative
   (distinguishing) statements; across groups, the consensus statements.

Everything random takes ``random_state``, so the same votes always give
the same groups, coordinates and figures.
"""

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

Id = int | str
"""A participant or statement id, as the app stores it."""

Direction = Literal["agree", "disagree"]
DIRECTIONS: tuple[Direction, ...] = ("agree", "disagree")

AGREE = 1
DISAGREE = -1
PASS = 0
VALID_VOTES = (AGREE, DISAGREE, PASS)

DEFAULT_MIN_VOTES = 7
"""Votes a participant needs to be placed on the map (Pol.is uses 7)."""

MIN_GROUP_SIZE = 2
"""No opinion group may be smaller; a lone outlier joins the nearest group."""

MIN_PARTICIPANTS_FOR_GROUPS = 10
"""Below this many clustered participants everyone is one group: the
silhouette of a handful of points says nothing about opinion groups."""

STRUCTURE_FACTOR = 1.5
"""How much better than shuffled votes the grouping must separate."""

NULL_SHUFFLES = 3
"""How many column-shuffled copies of the votes are tried; the best of
their silhouettes is the bar to beat."""

CLUSTER_COMPONENTS = 10
"""Principal components k-means works on: they keep the few directions in
which groups differ and drop most of the per-statement noise (the first
two are also the map axes)."""

SILHOUETTE_SAMPLE = 3000
"""Above this many participants the silhouette is estimated on a sample."""

KMEANS_RESTARTS = 10
"""k-means restarts (``n_init``) per k."""

Z_95 = 1.6448536269514722
"""One-sided 95 % quantile of the standard normal distribution."""


class InvalidVoteError(ValueError):
    """A vote triple that cannot be read: bad id, bad value or bad shape."""


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _id_sort_key(value: Id) -> tuple[int, int, str]:
    """Order ints before strings, each in their natural order."""
    if isinstance(value, str):
        return (1, 0, value)
    return (0, value, "")


def _check_id(value: object, what: str) -> Id:
    """Return ``value`` if it is a usable id, else raise :class:`InvalidVoteError`."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidVoteError(
            f"{what} must be an int or a str, got {type(value).__name__} {value!r}"
        )
    return value


def _check_vote(value: object, participant_id: Id, statement_id: Id) -> int:
    """Return ``value`` as an int vote, else raise :class:`InvalidVoteError`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, Integral)
        or int(value) not in VALID_VOTES
    ):
        raise InvalidVoteError(
            f"vote of participant {participant_id!r} on statement {statement_id!r} "
            f"must be 1 (agree), -1 (disagree) or 0 (pass), got {value!r}"
        )
    return int(value)


class VoteMatrix:
    """Participants × statements votes: +1 agree, −1 disagree, 0 pass, or unseen.

    Build it with :meth:`from_votes`.  Rows follow :attr:`participant_ids`
    and columns :attr:`statement_ids`, both sorted (ints first, then
    strings).  The arrays are read-only.
    """

    __slots__ = ("participant_ids", "seen", "statement_ids", "values")

    participant_ids: tuple[Id, ...]
    statement_ids: tuple[Id, ...]
    values: npt.NDArray[np.int8]
    seen: BoolArray

    def __init__(
        self,
        participant_ids: Sequence[Id],
        statement_ids: Sequence[Id],
        values: npt.NDArray[np.int8],
        seen: BoolArray,
    ) -> None:
        """Wrap already-checked arrays; prefer :meth:`from_votes`."""
        shape = (len(participant_ids), len(statement_ids))
        if values.shape != shape or seen.shape != shape:
            raise ValueError(
                f"vote arrays must have shape {shape}, got {values.shape} "
                f"and {seen.shape}"
            )
        self.participant_ids = tuple(participant_ids)
        self.statement_ids = tuple(statement_ids)
        self.values = np.where(seen, values, 0).astype(np.int8)
        self.seen = seen.astype(bool)
        self.values.setflags(write=False)
        self.seen.setflags(write=False)

    @classmethod
    def from_votes(
        cls,
        votes: Iterable[tuple[Id, Id, int]],
        *,
        participant_ids: Iterable[Id] = (),
        statement_ids: Iterable[Id] = (),
    ) -> "VoteMatrix":
        """Build the matrix from ``(participant_id, statement_id, vote)`` triples.

        ``participant_ids`` and ``statement_ids`` add participants and
        statements that have no vote yet (they still appear in the
        totals).  When a participant votes twice on a statement the later
        triple wins, so a stream of vote changes can be passed as is.
        Raise :class:`InvalidVoteError` (a ``ValueError``) naming the
        offending triple when an id is not an int or str, a vote is not
        -1, 0 or 1 (booleans and floats are refused too) or a triple has
        not three items.
        """
        cells: dict[tuple[Id, Id], int] = {}
        participants: set[Id] = {
            _check_id(p, "participant id") for p in participant_ids
        }
        statements: set[Id] = {_check_id(s, "statement id") for s in statement_ids}
        for position, triple in enumerate(votes):
            try:
                raw_participant, raw_statement, raw_vote = triple
            except (TypeError, ValueError):
                raise InvalidVoteError(
                    f"vote #{position} must be a (participant_id, statement_id, "
                    f"vote) triple, got {triple!r}"
                ) from None
            participant = _check_id(
                raw_participant, f"participant id of vote #{position}"
            )
            statement = _check_id(raw_statement, f"statement id of vote #{position}")
            cells[(participant, statement)] = _check_vote(
                raw_vote, participant, statement
            )
            participants.add(participant)
            statements.add(statement)
        row_ids = sorted(participants, key=_id_sort_key)
        column_ids = sorted(statements, key=_id_sort_key)
        row = {pid: i for i, pid in enumerate(row_ids)}
        column = {sid: j for j, sid in enumerate(column_ids)}
        values = np.zeros((len(row_ids), len(column_ids)), dtype=np.int8)
        seen = np.zeros(values.shape, dtype=bool)
        for (participant, statement), vote in cells.items():
            values[row[participant], column[statement]] = vote
            seen[row[participant], column[statement]] = True
        return cls(row_ids, column_ids, values, seen)

    @property
    def shape(self) -> tuple[int, int]:
        """Return ``(participants, statements)``."""
        return (len(self.participant_ids), len(self.statement_ids))

    @property
    def vote_count(self) -> int:
        """Return the number of votes cast (passes included)."""
        return int(self.seen.sum())

    def votes_per_participant(self) -> IntArray:
        """Return how many votes each participant cast, in row order."""
        counts: IntArray = self.seen.sum(axis=1).astype(np.int64)
        return counts


@dataclass(frozen=True, slots=True)
class StatementVotes:
    """How a set of participants voted on one statement."""

    statement_id: Id
    agree: int
    disagree: int
    passes: int

    @property
    def seen(self) -> int:
        """Return how many of them voted on the statement (passes included)."""
        return self.agree + self.disagree + self.passes

    @property
    def agree_share(self) -> float:
        """Return agree / seen, 0.0 when nobody voted."""
        return self.agree / self.seen if self.seen else 0.0

    @property
    def disagree_share(self) -> float:
        """Return disagree / seen, 0.0 when nobody voted."""
        return self.disagree / self.seen if self.seen else 0.0

    @property
    def pass_share(self) -> float:
        """Return pass / seen, 0.0 when nobody voted."""
        return self.passes / self.seen if self.seen else 0.0

    def to_json(self) -> dict[str, Any]:
        """Return the counts and shares as builtins."""
        return {
            "statement_id": self.statement_id,
            "agree": self.agree,
            "disagree": self.disagree,
            "pass": self.passes,
            "seen": self.seen,
            "agree_share": self.agree_share,
            "disagree_share": self.disagree_share,
            "pass_share": self.pass_share,
        }


@dataclass(frozen=True, slots=True)
class RepresentativeStatement:
    """A statement on which a group votes differently from everyone else.

    ``direction`` says whether the group stands out by agreeing or by
    disagreeing.  The probabilities are smoothed, ``(count + 1) / (seen +
    2)``, so that a statement seen by one or two people cannot dominate.
    """

    statement_id: Id
    direction: Direction
    group_count: int
    """Group members who voted ``direction``."""
    group_seen: int
    """Group members who voted on the statement at all."""
    rest_count: int
    """Clustered participants outside the group who voted ``direction``."""
    rest_seen: int
    """Clustered participants outside the group who voted on the statement."""
    group_probability: float
    """Smoothed share of the group voting ``direction``."""
    rest_probability: float
    """Smoothed share of the others voting ``direction``."""
    ratio: float
    """``group_probability / rest_probability``."""
    z_score: float
    """Two-proportion z statistic of group against rest (smoothed counts)."""
    score: float
    """``ratio * group_probability``, the ranking key."""

    def to_json(self) -> dict[str, Any]:
        """Return the figures as builtins."""
        return {
            "statement_id": self.statement_id,
            "direction": self.direction,
            "group_count": self.group_count,
            "group_seen": self.group_seen,
            "rest_count": self.rest_count,
            "rest_seen": self.rest_seen,
            "group_probability": self.group_probability,
            "rest_probability": self.rest_probability,
            "ratio": self.ratio,
            "z_score": self.z_score,
            "score": self.score,
        }


@dataclass(frozen=True, slots=True)
class ConsensusStatement:
    """A statement every group agrees with (or every group rejects)."""

    statement_id: Id
    direction: Direction
    count: int
    """Clustered participants who voted ``direction``."""
    seen: int
    """Clustered participants who voted on the statement."""
    group_probabilities: tuple[float, ...]
    """Smoothed share voting ``direction`` in each group, by group index."""
    z_score: float
    """One-proportion z statistic of the overall smoothed share against 1/2."""

    @property
    def min_group_probability(self) -> float:
        """Return the smallest group share, the ranking key."""
        return min(self.group_probabilities)

    def to_json(self) -> dict[str, Any]:
        """Return the figures as builtins."""
        return {
            "statement_id": self.statement_id,
            "direction": self.direction,
            "count": self.count,
            "seen": self.seen,
            "group_probabilities": list(self.group_probabilities),
            "min_group_probability": self.min_group_probability,
            "z_score": self.z_score,
        }


@dataclass(frozen=True, slots=True)
class OpinionGroup:
    """One opinion group: its members, position and how it voted."""

    index: int
    """0 for the largest group, then by size (ties: earliest member id)."""
    members: tuple[Id, ...]
    centroid: tuple[float, float]
    """Mean map position of the members."""
    votes: tuple[StatementVotes, ...]
    """The members' votes on every statement, in statement order."""
    representative: tuple[RepresentativeStatement, ...]
    """Best distinguishing statements first; empty when there is one group."""

    @property
    def size(self) -> int:
        """Return the number of members."""
        return len(self.members)

    def to_json(self) -> dict[str, Any]:
        """Return the group as builtins."""
        return {
            "index": self.index,
            "size": self.size,
            "members": list(self.members),
            "centroid": list(self.centroid),
            "votes": [v.to_json() for v in self.votes],
            "representative": [r.to_json() for r in self.representative],
        }


@dataclass(frozen=True, slots=True)
class ParticipantPoint:
    """Where a clustered participant sits on the map and in which group."""

    participant_id: Id
    x: float
    y: float
    group: int

    def to_json(self) -> dict[str, Any]:
        """Return the point as builtins."""
        return {
            "participant_id": self.participant_id,
            "x": self.x,
            "y": self.y,
            "group": self.group,
        }


@dataclass(frozen=True, slots=True)
class OpinionMap:
    """The result of :func:`compute_opinion_map`."""

    statement_ids: tuple[Id, ...]
    participant_count: int
    """Every participant in the matrix, clustered or not."""
    vote_count: int
    min_votes: int
    """Votes a participant needed to be clustered (after capping, see
    :func:`compute_opinion_map`)."""
    totals: tuple[StatementVotes, ...]
    """Votes of all participants per statement, in statement order."""
    groups: tuple[OpinionGroup, ...]
    """Empty when nobody could be clustered, else at least one group."""
    consensus: tuple[ConsensusStatement, ...]
    """Broad agreement first, then broad disagreement, strongest first."""
    points: tuple[ParticipantPoint, ...]
    """Clustered participants in participant-id order."""
    unclustered: tuple[Id, ...]
    """Participants with too few votes to be placed on the map."""
    explained_variance: tuple[float, float]
    """Share of the vote variance the x and y axes show."""
    silhouette: float | None
    """Silhouette score of the groups; ``None`` for a single group."""

    @property
    def clustered_count(self) -> int:
        """Return the number of participants placed on the map."""
        return len(self.points)

    def group_of(self, participant_id: Id) -> int | None:
        """Return the group index of a participant, ``None`` if unclustered."""
        for point in self.points:
            if point.participant_id == participant_id:
                return point.group
        return None

    def to_json(self) -> dict[str, Any]:
        """Return the whole map as JSON-ready builtins."""
        return {
            "statement_ids": list(self.statement_ids),
            "participant_count": self.participant_count,
            "clustered_count": self.clustered_count,
            "vote_count": self.vote_count,
            "min_votes": self.min_votes,
            "totals": [t.to_json() for t in self.totals],
            "groups": [g.to_json() for g in self.groups],
            "consensus": [c.to_json() for c in self.consensus],
            "points": [p.to_json() for p in self.points],
            "unclustered": list(self.unclustered),
            "explained_variance": list(self.explained_variance),
            "silhouette": self.silhouette,
        }


def compute_opinion_map(
    matrix: VoteMatrix,
    *,
    min_votes_per_participant: int = DEFAULT_MIN_VOTES,
    max_groups: int = 5,
    random_state: int = 0,
    max_representative: int = 5,
    consensus_threshold: float = 0.6,
    significance_z: float = Z_95,
) -> OpinionMap:
    """Compute groups, map positions and key statements from the votes.

    A participant is clustered when they voted on at least
    ``min_votes_per_participant`` statements, capped at the number of
    statements that received any vote (so a consultation with three
    statements clusters those who voted on all three) and at least 1.
    Missing votes are imputed with the statement's mean vote among the
    clustered participants (column-mean imputation, see the module
    docstring).

    Groups: k-means for k = 2..``max_groups`` chosen by silhouette, kept
    only if it beats column-shuffled votes by :data:`STRUCTURE_FACTOR`;
    otherwise, and always with fewer than
    :data:`MIN_PARTICIPANTS_FOR_GROUPS` clustered participants, everybody
    is one group.

    Representative statements of a group: for each statement and each
    direction (agree, disagree) compare the smoothed probability
    ``(count + 1) / (seen + 2)`` inside the group with the one among the
    other clustered participants.  Keep those where most of the group
    votes that way (smoothed probability above 1/2) and the group's
    probability is higher than the others' with a two-proportion z
    statistic of at least ``significance_z`` (one-sided 95 % by default);
    take the better direction per statement, rank by
    ``ratio * group_probability`` (as Pol.is does) and return the top
    ``max_representative``.  A single group has no "rest", hence no
    representative statements.

    Consensus statements: every group's smoothed agree (disagree)
    probability is at least ``consensus_threshold``, and the overall
    smoothed share among clustered participants exceeds 1/2 with a
    one-proportion z statistic of at least ``significance_z``.

    The computation never divides by zero: empty matrices, one
    participant, one statement, all passes and identical votes all give
    a map (with no group when nobody is clustered, else one group).
    """
    if max_groups < 1:
        raise ValueError(f"max_groups must be at least 1, got {max_groups}")
    if min_votes_per_participant < 0:
        raise ValueError(
            f"min_votes_per_participant must be >= 0, got {min_votes_per_participant}"
        )
    if max_representative < 0:
        raise ValueError(f"max_representative must be >= 0, got {max_representative}")
    if not 0.0 < consensus_threshold <= 1.0:
        raise ValueError(
            f"consensus_threshold must be in (0, 1], got {consensus_threshold}"
        )

    seen = matrix.seen
    values = matrix.values.astype(np.float64)
    active_statements = int(seen.any(axis=0).sum())
    min_votes = max(1, min(min_votes_per_participant, active_statements))
    clustered = matrix.votes_per_participant() >= min_votes
    rows = np.flatnonzero(clustered)

    totals = _statement_votes(matrix, np.ones(matrix.shape[0], dtype=bool))
    unclustered = tuple(
        pid for pid, ok in zip(matrix.participant_ids, clustered, strict=True) if not ok
    )
    if rows.size == 0:
        return OpinionMap(
            statement_ids=matrix.statement_ids,
            participant_count=matrix.shape[0],
            vote_count=matrix.vote_count,
            min_votes=min_votes,
            totals=totals,
            groups=(),
            consensus=(),
            points=(),
            unclustered=unclustered,
            explained_variance=(0.0, 0.0),
            silhouette=None,
        )

    centred = _centre_and_impute(values[rows], seen[rows])
    # One thread: the matrices are small, and OpenMP/BLAS worker threads
    # spinning against other processes (web or Celery workers) made a
    # 50-participant map take seconds instead of milliseconds.  It also
    # makes the floating-point sums independent of the machine's cores.
    with threadpool_limits(limits=1):
        projected, explained = _project(centred)
        labels, silhouette = _choose_groups(
            centred, projected, max_groups, random_state
        )
    coordinates = projected[:, :2]
    labels = _relabel_by_size(labels)
    group_count = int(labels.max()) + 1

    sub_values = matrix.values[rows]
    sub_seen = seen[rows]
    agree = (sub_values == AGREE) & sub_seen
    disagree = (sub_values == DISAGREE) & sub_seen
    counts = _GroupCounts.build(agree, disagree, sub_seen, labels, group_count)

    participant_ids = [matrix.participant_ids[i] for i in rows]
    groups = []
    for g in range(group_count):
        member_rows = np.flatnonzero(labels == g)
        centroid = coordinates[member_rows].mean(axis=0)
        groups.append(
            OpinionGroup(
                index=g,
                members=tuple(participant_ids[i] for i in member_rows),
                centroid=(float(centroid[0]), float(centroid[1])),
                votes=tuple(
                    StatementVotes(
                        statement_id=sid,
                        agree=int(counts.agree[g, j]),
                        disagree=int(counts.disagree[g, j]),
                        passes=int(
                            counts.seen[g, j]
                            - counts.agree[g, j]
                            - counts.disagree[g, j]
                        ),
                    )
                    for j, sid in enumerate(matrix.statement_ids)
                ),
                representative=_representative(
                    counts, g, matrix.statement_ids, max_representative, significance_z
                )
                if group_count > 1
                else (),
            )
        )
    points = tuple(
        ParticipantPoint(
            participant_id=pid,
            x=float(coordinates[i, 0]),
            y=float(coordinates[i, 1]),
            group=int(labels[i]),
        )
        for i, pid in enumerate(participant_ids)
    )
    return OpinionMap(
        statement_ids=matrix.statement_ids,
        participant_count=matrix.shape[0],
        vote_count=matrix.vote_count,
        min_votes=min_votes,
        totals=totals,
        groups=tuple(groups),
        consensus=_consensus(
            counts, matrix.statement_ids, consensus_threshold, significance_z
        ),
        points=points,
        unclustered=unclustered,
        explained_variance=explained,
        silhouette=silhouette,
    )


def _statement_votes(matrix: VoteMatrix, rows: BoolArray) -> tuple[StatementVotes, ...]:
    """Count the votes of the selected rows per statement."""
    values = matrix.values[rows]
    seen = matrix.seen[rows]
    agree = ((values == AGREE) & seen).sum(axis=0)
    disagree = ((values == DISAGREE) & seen).sum(axis=0)
    passes = ((values == PASS) & seen).sum(axis=0)
    return tuple(
        StatementVotes(
            statement_id=sid,
            agree=int(agree[j]),
            disagree=int(disagree[j]),
            passes=int(passes[j]),
        )
        for j, sid in enumerate(matrix.statement_ids)
    )


def _centre_and_impute(values: FloatArray, seen: BoolArray) -> FloatArray:
    """Centre each column on its observed mean; missing cells become 0.

    A missing cell set to 0 after centring is exactly column-mean
    imputation.  A column nobody saw has mean 0 and stays all zero.
    """
    seen_per_column = seen.sum(axis=0)
    sums = np.where(seen, values, 0.0).sum(axis=0)
    means = np.divide(
        sums, seen_per_column, out=np.zeros_like(sums), where=seen_per_column > 0
    )
    return np.where(seen, values - means, 0.0)


def _principal_axes(centred: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the top principal axes (rows) and each one's variance share.

    At most :data:`CLUSTER_COMPONENTS` axes.  Each axis is oriented so
    that its largest loading is positive, which fixes the sign SVD leaves
    open.  A matrix without variance has no axis.
    """
    total = float((centred**2).sum())
    if total <= 0.0:
        return np.zeros((0, centred.shape[1])), np.zeros(0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    count = min(CLUSTER_COMPONENTS, int((singular > 0).sum()))
    axes = axes[:count].copy()
    for axis in axes:
        if axis[np.argmax(np.abs(axis))] < 0:
            axis *= -1.0
    return axes, singular[:count] ** 2 / total


def _project(centred: FloatArray) -> tuple[FloatArray, tuple[float, float]]:
    """Return the rows on the principal axes and the variance shares of two.

    The projection has at least two columns (padded with zeros), so the
    first two are always the map coordinates.
    """
    axes, shares = _principal_axes(centred)
    projected = np.zeros((centred.shape[0], max(2, axes.shape[0])))
    projected[:, : axes.shape[0]] = centred @ axes.T
    padded = np.zeros(2)
    padded[: min(2, shares.size)] = shares[:2]
    return projected, (float(padded[0]), float(padded[1]))


def _choose_groups(
    centred: FloatArray, projected: FloatArray, max_groups: int, random_state: int
) -> tuple[IntArray, float | None]:
    """Return the group label of each row and the silhouette (None for k=1).

    ``projected`` is ``centred`` on its principal axes; the null model
    shuffles each column of ``centred`` and projects on the shuffled
    matrix's own axes, so both go through the same pipeline.
    """
    single = np.zeros(centred.shape[0], dtype=np.int64)
    if centred.shape[0] < MIN_PARTICIPANTS_FOR_GROUPS:
        return single, None
    best = _best_partition(projected, max_groups, random_state)
    if best is None:
        return single, None
    labels, score = best
    rng = np.random.default_rng(random_state)
    null_score = 0.0
    for _ in range(NULL_SHUFFLES):
        shuffled = np.column_stack(
            [rng.permutation(centred[:, j]) for j in range(centred.shape[1])]
        )
        null = _best_partition(_project(shuffled)[0], max_groups, random_state)
        if null is not None:
            null_score = max(null_score, null[1])
    if score <= STRUCTURE_FACTOR * null_score:
        return single, None
    return labels, score


def _best_partition(
    points: FloatArray, max_groups: int, random_state: int
) -> tuple[IntArray, float] | None:
    """Return the best k-means partition by silhouette, or None if none fits.

    k runs over 2..``max_groups`` but never exceeds the number of distinct
    points (k-means would return empty clusters) nor allows a group
    smaller than :data:`MIN_GROUP_SIZE`.  Ties keep the smaller k.
    """
    n = points.shape[0]
    if n < 2 * MIN_GROUP_SIZE or not np.any(points):
        return None
    # Rounding merges rows that differ only by floating-point noise.
    distinct = np.unique(np.round(points, 9), axis=0).shape[0]
    upper = min(max_groups, distinct, n // MIN_GROUP_SIZE)
    sample = SILHOUETTE_SAMPLE if n > SILHOUETTE_SAMPLE else None
    best: tuple[IntArray, float] | None = None
    for k in range(2, upper + 1):
        model = KMeans(n_clusters=k, n_init=KMEANS_RESTARTS, random_state=random_state)
        with warnings.catch_warnings():
            # Fewer distinct clusters than k shows as an empty group below.
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = np.asarray(model.fit_predict(points), dtype=np.int64)
        sizes = np.bincount(labels, minlength=k)
        if sizes.min() < MIN_GROUP_SIZE:
            continue
        score = float(
            silhouette_score(
                points, labels, sample_size=sample, random_state=random_state
            )
        )
        if best is None or score > best[1]:
            best = (labels, score)
    return best


def _relabel_by_size(labels: IntArray) -> IntArray:
    """Renumber groups: largest first, ties by their first member's row."""
    found = np.unique(labels)
    order = sorted(
        found, key=lambda g: (-int((labels == g).sum()), int(np.argmax(labels == g)))
    )
    mapping = {int(old): new for new, old in enumerate(order)}
    return np.array([mapping[int(g)] for g in labels], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _GroupCounts:
    """Per-group (rows) and per-statement (columns) vote counts."""

    agree: IntArray
    disagree: IntArray
    seen: IntArray

    @classmethod
    def build(
        cls,
        agree: BoolArray,
        disagree: BoolArray,
        seen: BoolArray,
        labels: IntArray,
        group_count: int,
    ) -> "_GroupCounts":
        """Sum the boolean vote masks per group."""
        one_hot = np.zeros((group_count, labels.size), dtype=np.int64)
        one_hot[labels, np.arange(labels.size)] = 1
        return cls(
            agree=one_hot @ agree.astype(np.int64),
            disagree=one_hot @ disagree.astype(np.int64),
            seen=one_hot @ seen.astype(np.int64),
        )

    def of(self, direction: Direction) -> IntArray:
        """Return the counts for ``direction``."""
        return self.agree if direction == "agree" else self.disagree


def _smoothed(count: float, seen: float) -> float:
    """Return the Laplace-smoothed share ``(count + 1) / (seen + 2)``."""
    return (count + 1.0) / (seen + 2.0)


def _two_proportion_z(x1: float, n1: float, x2: float, n2: float) -> float:
    """Return the pooled two-proportion z statistic on smoothed counts.

    Adding one success and one failure to each side keeps the pooled
    share strictly between 0 and 1, so the standard error is never zero.
    """
    p1 = _smoothed(x1, n1)
    p2 = _smoothed(x2, n2)
    pooled = (x1 + x2 + 2.0) / (n1 + n2 + 4.0)
    error = math.sqrt(pooled * (1.0 - pooled) * (1.0 / (n1 + 2.0) + 1.0 / (n2 + 2.0)))
    return (p1 - p2) / error


def _representative(
    counts: _GroupCounts,
    group: int,
    statement_ids: Sequence[Id],
    limit: int,
    significance_z: float,
) -> tuple[RepresentativeStatement, ...]:
    """Rank the statements that distinguish ``group`` from the others."""
    found: list[tuple[float, int, RepresentativeStatement]] = []
    seen_in = counts.seen[group]
    seen_out = counts.seen.sum(axis=0) - seen_in
    for j, sid in enumerate(statement_ids):
        best: RepresentativeStatement | None = None
        for direction in DIRECTIONS:
            by_group = counts.of(direction)
            x_in = int(by_group[group, j])
            x_out = int(by_group[:, j].sum()) - x_in
            n_in, n_out = int(seen_in[j]), int(seen_out[j])
            z = _two_proportion_z(x_in, n_in, x_out, n_out)
            p_in = _smoothed(x_in, n_in)
            if z < significance_z or p_in <= 0.5:
                continue
            p_out = _smoothed(x_out, n_out)
            ratio = p_in / p_out
            candidate = RepresentativeStatement(
                statement_id=sid,
                direction=direction,
                group_count=x_in,
                group_seen=n_in,
                rest_count=x_out,
                rest_seen=n_out,
                group_probability=p_in,
                rest_probability=p_out,
                ratio=ratio,
                z_score=z,
                score=ratio * p_in,
            )
            if best is None or candidate.score > best.score:
                best = candidate
        if best is not None:
            found.append((-best.score, j, best))
    found.sort(key=lambda item: (item[0], item[1]))
    return tuple(item[2] for item in found[:limit])


def _consensus(
    counts: _GroupCounts,
    statement_ids: Sequence[Id],
    threshold: float,
    significance_z: float,
) -> tuple[ConsensusStatement, ...]:
    """Find the statements every group agrees with, then those all reject."""
    result: list[ConsensusStatement] = []
    seen_all = counts.seen.sum(axis=0)
    for direction in DIRECTIONS:
        by_group = counts.of(direction)
        found = []
        for j, sid in enumerate(statement_ids):
            shares = tuple(
                _smoothed(float(by_group[g, j]), float(counts.seen[g, j]))
                for g in range(by_group.shape[0])
            )
            if min(shares) < threshold:
                continue
            x, n = int(by_group[:, j].sum()), int(seen_all[j])
            z = (_smoothed(x, n) - 0.5) / math.sqrt(0.25 / (n + 2.0))
            if z < significance_z:
                continue
            found.append(
                ConsensusStatement(
                    statement_id=sid,
                    direction=direction,
                    count=x,
                    seen=n,
                    group_probabilities=shares,
                    z_score=z,
                )
            )
        found.sort(key=lambda c: -c.min_group_probability)
        result.extend(found)
    return tuple(result)
