"""Coalesced live-counter events: at most one per interval, the latest wins."""

import threading
from typing import Any

from config.websocket import Coalescer


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_first_event_is_sent_at_once_and_later_ones_coalesce() -> None:
    """A quiet group's event goes out now; a burst ends on its latest event."""
    sent: list[tuple[str, str, dict[str, Any]]] = []
    clock = _Clock()
    coalescer = Coalescer(interval=60.0, send=lambda *a: sent.append(a), clock=clock)
    coalescer("petition-1", "petition.count", {"count": 1})
    assert sent == [("petition-1", "petition.count", {"count": 1})]
    coalescer("petition-1", "petition.count", {"count": 2})
    coalescer("petition-1", "petition.count", {"count": 3})
    coalescer("petition-2", "petition.count", {"count": 7})
    # Another group is independent; the first group's burst waits.
    assert sent[1:] == [("petition-2", "petition.count", {"count": 7})]
    coalescer.flush("petition-1")
    assert sent[2:] == [("petition-1", "petition.count", {"count": 3})]
    coalescer.flush("petition-1")  # nothing pending: nothing sent
    assert len(sent) == 3


def test_after_the_interval_an_event_is_sent_at_once() -> None:
    """Once the interval has passed since the last send, nothing waits."""
    sent: list[tuple[str, str, dict[str, Any]]] = []
    clock = _Clock()
    coalescer = Coalescer(interval=0.5, send=lambda *a: sent.append(a), clock=clock)
    coalescer("g", "t", {"n": 1})
    clock.now += 0.6
    coalescer("g", "t", {"n": 2})
    assert [payload["n"] for _g, _t, payload in sent] == [1, 2]


def test_the_trailing_event_is_sent_by_the_timer() -> None:
    """Without a flush by hand, the timer sends the latest pending event."""
    sent: list[dict[str, Any]] = []
    done = threading.Event()

    def send(_group: str, _type: str, payload: dict[str, Any]) -> None:
        sent.append(payload)
        if payload["n"] == 3:
            done.set()

    coalescer = Coalescer(interval=0.05, send=send)
    for n in (1, 2, 3):
        coalescer("g", "t", {"n": n})
    assert done.wait(timeout=5)
    assert sent == [{"n": 1}, {"n": 3}]
