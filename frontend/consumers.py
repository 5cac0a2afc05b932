"""Websocket consumers for site-wide live data."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from frontend.selectors import home_listing

LIVE_COUNTS_GROUP = "live-counts"


class LiveCountsConsumer(AsyncJsonWebsocketConsumer):
    """Send the open-item counts on connect and relay every later update."""

    async def connect(self) -> None:
        """Join the live-counts group and send the current counts."""
        await self.channel_layer.group_add(LIVE_COUNTS_GROUP, self.channel_name)
        await self.accept()
        counts = await database_sync_to_async(lambda: home_listing().counts())()
        await self.send_json({"type": "counts", "counts": counts})

    async def disconnect(self, code: int) -> None:
        """Leave the group."""
        await self.channel_layer.group_discard(LIVE_COUNTS_GROUP, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Ignore client messages: this feed is read-only."""

    async def counts_update(self, event: dict[str, Any]) -> None:
        """Relay a ``counts.update`` group event to the browser."""
        await self.send_json({"type": "counts", "counts": event["payload"]})
