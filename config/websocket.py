"""Send websocket events to Channels groups once the transaction commits."""

import asyncio
import os
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction


class _SenderLoop:
    """One long-lived event loop thread per process for channel-layer sends.

    ``async_to_sync`` outside a server's own loop starts a new event loop
    for every call, and the Redis channel layer then opens a new connection
    pool for it.  Sends go through this thread's loop instead, so the
    layer's connections are reused.  A forked child (a gunicorn or Celery
    worker) notices that the thread is not its own and starts another.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def run(self, coroutine: Coroutine[Any, Any, None], timeout: float) -> None:
        """Run ``coroutine`` on the sender loop and wait for it."""
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                threading.Thread(
                    target=self._loop.run_forever, name="dauys-broadcast", daemon=True
                ).start()
            loop = self._loop
        asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=timeout)


_SENDER = _SenderLoop()


def broadcast(group: str, event_type: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to every consumer in ``group`` now."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": event_type, "payload": payload}
    if isinstance(layer, InMemoryChannelLayer):
        # The in-process layer wakes consumers only on the server's own loop.
        async_to_sync(layer.group_send)(group, message)
        return
    _SENDER.run(layer.group_send(group, message), timeout=10)


def broadcast_on_commit(group: str, event_type: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to ``group`` after the current transaction commits."""
    transaction.on_commit(lambda: broadcast(group, event_type, payload))


class Coalescer:
    """Send at most one event per group and interval; the latest one wins.

    A busy petition changes its count hundreds of times a second, but its
    page needs a few updates a second.  The first event of a quiet group is
    sent at once; events that arrive within ``interval`` seconds of the last
    send replace one another, and the latest is sent when the interval ends
    (a timer thread), so the last state always reaches the pages.  Each
    process coalesces its own events: with several processes the pages may
    get a few more updates, so payloads carry a monotonic field (a log
    size) that lets the page ignore a late, older one.
    """

    def __init__(
        self,
        interval: float,
        send: Callable[[str, str, dict[str, Any]], None] = broadcast,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._send = send
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._pending: dict[str, tuple[str, dict[str, Any]]] = {}

    def __call__(self, group: str, event_type: str, payload: dict[str, Any]) -> None:
        """Send now, or keep as the group's pending event for the trailing send."""
        with self._lock:
            if group in self._pending:
                self._pending[group] = (event_type, payload)
                return
            wait = self._last.get(group, float("-inf")) + self.interval - self._clock()
            if wait > 0:
                self._pending[group] = (event_type, payload)
                timer = threading.Timer(wait, self.flush, args=(group,))
                timer.daemon = True
                timer.start()
                return
            self._last[group] = self._clock()
        self._send(group, event_type, payload)

    def flush(self, group: str) -> None:
        """Send the group's pending event, if any (the trailing edge)."""
        with self._lock:
            event = self._pending.pop(group, None)
            if event is None:
                return
            self._last[group] = self._clock()
        self._send(group, event[0], event[1])


COUNTERS = Coalescer(interval=0.05)
"""Live counters of busy pages: at most twenty updates a second per group."""


def broadcast_coalesced_on_commit(
    group: str, event_type: str, payload: dict[str, Any]
) -> None:
    """Like :func:`broadcast_on_commit`, through :data:`COUNTERS`.

    The in-process channel layer of the embedded demo (and of unit tests)
    can only be woken from the server's own event loop, not from the timer
    thread, so with it every event is sent at once, as before.
    """
    if isinstance(get_channel_layer(), InMemoryChannelLayer):
        broadcast_on_commit(group, event_type, payload)
        return
    transaction.on_commit(lambda: COUNTERS(group, event_type, payload))
