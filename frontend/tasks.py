"""Site-wide Celery tasks."""

from typing import Any

from celery import shared_task

from config.websocket import broadcast
from frontend.consumers import LIVE_COUNTS_GROUP
from frontend.selectors import home_listing


@shared_task(name="frontend.echo")
def echo(payload: dict[str, Any]) -> dict[str, Any]:
    """Return ``payload`` unchanged: a round-trip probe for workers."""
    return {"echo": payload}


@shared_task(name="frontend.publish_live_counts")
def publish_live_counts() -> dict[str, int]:
    """Push the current open-item counts to every home page."""
    counts = home_listing().counts()
    broadcast(LIVE_COUNTS_GROUP, "counts.update", counts)
    return counts
