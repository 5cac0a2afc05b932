"""Time the consultation analytics: opinion map and campaign detection.

Run with ``python -m bench opinions``.  Prints wall-clock seconds for
synthetic consultations of growing size; nothing is asserted.
"""

import random
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from participation.campaigns import CampaignIndex, CommentText, detect_campaigns
from participation.opinions import VoteMatrix, compute_opinion_map

T = TypeVar("T")


def _timed(run: Callable[[], T]) -> tuple[float, T]:
    """Return the seconds one call of ``run`` takes, and its result."""
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def _votes(
    participants: int, statements: int, groups: int, missing: float
) -> list[tuple[int, int, int]]:
    """Return planted-group votes: each group agrees with its own block."""
    rng = random.Random(0)
    block = max(1, statements // groups)
    votes = []
    for p in range(participants):
        group = p % groups
        for s in range(statements):
            if rng.random() < missing:
                continue
            if s // block == group:
                vote = 1 if rng.random() < 0.85 else rng.choice((0, -1))
            else:
                vote = rng.choice((-1, -1, 0, 1))
            votes.append((p, s, vote))
    return votes


def bench_opinion_map() -> None:
    """Print the opinion-map time for growing participations."""
    print("opinion map (4 planted groups, 50 % missing votes)")
    print("participants  statements     votes  groups  seconds")
    sizes = ((200, 30), (1_000, 50), (5_000, 100), (10_000, 200))
    for participants, statements in sizes:
        votes = _votes(participants, statements, groups=4, missing=0.5)
        matrix = VoteMatrix.from_votes(votes)
        seconds, result = _timed(partial(compute_opinion_map, matrix))
        print(
            f"{participants:>12}  {statements:>10}  {len(votes):>8}  "
            f"{len(result.groups):>6}  {seconds:>7.2f}"
        )


def _comments(count: int) -> list[CommentText]:
    """Return ``count`` comments: a quarter form letters, the rest distinct."""
    rng = random.Random(0)
    vocabulary = [f"word{i}" for i in range(3000)]
    weights = [1 / (i + 1) for i in range(3000)]

    def free_text(words: int) -> str:
        return " ".join(rng.choices(vocabulary, weights, k=words))

    letters = [free_text(60) for _ in range(3)]
    comments = []
    for i in range(count):
        if i % 4 == 0:
            words = letters[i % 3].split()
            for _ in range(rng.randint(0, 4)):
                words[rng.randrange(len(words))] = rng.choice(vocabulary)
            text = " ".join(words)
        else:
            text = free_text(rng.randint(10, 80))
        comments.append(CommentText(i, f"author{i}", text))
    return comments


def _add_all(comments: list[CommentText]) -> CampaignIndex:
    """Feed the comments one by one to a fresh index."""
    index = CampaignIndex()
    for comment in comments:
        index.add(comment)
    return index


def bench_campaigns() -> None:
    """Print batch and incremental campaign detection times."""
    print("campaign detection (a quarter of the comments are 3 form letters)")
    print(" comments  campaigns  batch s  incremental s")
    for count in (1_000, 5_000, 20_000):
        comments = _comments(count)
        batch_seconds, found = _timed(partial(detect_campaigns, comments))
        incremental_seconds, _ = _timed(partial(_add_all, comments))
        print(
            f"{count:>9}  {len(found):>9}  {batch_seconds:>7.2f}  "
            f"{incremental_seconds:>13.2f}"
        )


def main() -> None:
    """Print every figure."""
    bench_opinion_map()
    bench_campaigns()


if __name__ == "__main__":
    main()
