"""Send websocket events to Channels groups once the transaction commits."""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def broadcast(group: str, event_type: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to every consumer in ``group`` now."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, {"type": event_type, "payload": payload})


def broadcast_on_commit(group: str, event_type: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to ``group`` after the current transaction commits."""
    transaction.on_commit(lambda: broadcast(group, event_type, payload))
