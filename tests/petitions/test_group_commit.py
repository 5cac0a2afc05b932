"""Group commit: concurrent requests on one key are written in shared batches."""

import threading
import time
from collections.abc import Sequence

import pytest

from petitions.services.batching import GroupCommit, Waiter


def _wait_until(condition: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


def test_one_request_is_a_batch_of_one() -> None:
    """Without concurrency every request is written alone, by its own thread."""
    group: GroupCommit[str] = GroupCommit()
    batches: list[list[str]] = []

    def process(batch: Sequence[Waiter[str]]) -> None:
        batches.append([w.item for w in batch])

    for item in ["a", "b"]:
        waiter = group.run("petition-1", item, process)
        assert waiter.error is None
    assert batches == [["a"], ["b"]]
    assert group.waiting("petition-1") == 0


def test_requests_arriving_during_a_batch_share_the_next() -> None:
    """While one batch is written, later requests wait and go in one batch."""
    group: GroupCommit[int] = GroupCommit()
    batches: list[tuple[str, list[int]]] = []
    release = threading.Event()
    first_started = threading.Event()

    def process(batch: Sequence[Waiter[int]]) -> None:
        items = [w.item for w in batch]
        batches.append((threading.current_thread().name, items))
        if items == [0]:
            first_started.set()
            release.wait(timeout=10)
        for waiter in batch:
            if waiter.item == 3:
                waiter.error = ValueError("item 3 is refused")

    results: dict[int, BaseException | None] = {}

    def request(item: int) -> None:
        results[item] = group.run("key", item, process).error

    threads = [threading.Thread(target=request, args=(0,), name="t0")]
    threads[0].start()
    assert first_started.wait(timeout=10)
    threads += [
        threading.Thread(target=request, args=(i,), name=f"t{i}") for i in (1, 2, 3)
    ]
    for thread in threads[1:]:
        thread.start()
    _wait_until(lambda: group.waiting("key") == 3)
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert batches[0][1] == [0]
    assert sorted(batches[1][1]) == [1, 2, 3]
    assert len(batches) == 2
    # The second batch ran in the thread of a request that waited for it.
    assert batches[1][0] in {"t1", "t2", "t3"}
    assert [results[i] for i in (0, 1, 2)] == [None, None, None]
    assert str(results[3]) == "item 3 is refused"
    assert group.waiting("key") == 0


def test_a_failing_batch_fails_each_of_its_requests() -> None:
    """An exception in a batch reaches every request of it, and the key is free."""
    group: GroupCommit[str] = GroupCommit()

    def broken(batch: Sequence[Waiter[str]]) -> None:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="went away"):
        group.run("key", "a", broken)
    ok = group.run("key", "b", lambda batch: None)
    assert ok.error is None
