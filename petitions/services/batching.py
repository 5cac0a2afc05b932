"""Group commit: concurrent writes to one log share one transaction.

Every signature on a petition appends to its log under the petition's row
lock, and each append signs a head and commits.  When a popular petition is
signed by many people at once, the requests that arrive while one of them
holds the lock wait for it anyway; here they wait in the process instead,
and the next one to go writes all of them in one transaction: one lock, one
head, one commit.

The coordination is per process and per key (a petition).  One request at a
time is the *leader*: it takes every request waiting for the key, runs them
as one batch, wakes them with their results and hands the lead to a request
that arrived meanwhile, so no request leads for longer than one batch.
With one request at a time (sync workers, tests) every batch has one item.
The database stays the only point of truth: processes do not share
batches, each takes the same row lock, and nothing is queued outside a
running request.
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(eq=False)
class Waiter(Generic[T]):
    """One request in a batch: its item, and the leader's answer for it."""

    item: T
    """What the request asks to write."""
    error: BaseException | None = None
    """Set when the batch could not write the item."""
    done: threading.Event = field(default_factory=threading.Event)
    is_leader: bool = False


class GroupCommit(Generic[T]):
    """Run items of one key in batches, one batch at a time per process."""

    def __init__(self) -> None:
        """Start with nothing waiting."""
        self._lock = threading.Lock()
        self._waiting: dict[object, list[Waiter[T]]] = {}
        self._leading: set[object] = set()

    def waiting(self, key: object) -> int:
        """Return how many requests wait for the next batch of ``key``."""
        with self._lock:
            return len(self._waiting.get(key, ()))

    def run(
        self, key: object, item: T, process: Callable[[Sequence[Waiter[T]]], None]
    ) -> Waiter[T]:
        """Write ``item`` in a batch of ``key``; return its waiter when done.

        ``process`` writes a batch (one transaction) and sets each waiter's
        ``error`` where an item could not be written; if it raises, every
        waiter of the batch gets the exception.
        """
        waiter = Waiter(item)
        with self._lock:
            self._waiting.setdefault(key, []).append(waiter)
            waiter.is_leader = key not in self._leading
            if waiter.is_leader:
                self._leading.add(key)
        if not waiter.is_leader:
            waiter.done.wait()
            if not waiter.is_leader:
                return waiter
            waiter.done.clear()
        self._lead(key, process)
        return waiter

    def _lead(
        self, key: object, process: Callable[[Sequence[Waiter[T]]], None]
    ) -> None:
        with self._lock:
            batch = self._waiting.pop(key, [])
        try:
            process(batch)
        except BaseException as exc:
            for waiter in batch:
                waiter.error = exc
            raise
        finally:
            with self._lock:
                queued = self._waiting.get(key)
                if queued:
                    # The first request that arrived meanwhile leads next.
                    queued[0].is_leader = True
                    queued[0].done.set()
                else:
                    self._leading.discard(key)
            for waiter in batch:
                waiter.done.set()
