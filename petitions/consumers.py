"""The live signature counter of a petition page."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from petitions.selectors import petition_get
from petitions.services.common import petition_group


class PetitionCountConsumer(AsyncJsonWebsocketConsumer):
    """Join ``petition-<id>``, send the count on connect and relay updates.

    Only public petitions have a live counter; the feed carries counts and
    status, nothing about signers.
    """

    group = ""

    async def connect(self) -> None:
        """Accept when the petition is public, then send its current count."""
        pk = int(self.scope["url_route"]["kwargs"]["pk"])
        petition = await database_sync_to_async(petition_get)(pk)
        if petition is None or not petition.is_public:
            await self.close(code=4404)
            return
        self.group = petition_group(pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(
            {
                "type": "count",
                "petition": pk,
                "count": petition.signature_count,
                "status": petition.status,
                "log_size": petition.log_size,
            }
        )

    async def disconnect(self, code: int) -> None:
        """Leave the group."""
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Ignore client messages: the feed is read-only."""

    async def petition_count(self, event: dict[str, Any]) -> None:
        """Relay a ``petition.count`` event to the browser."""
        await self.send_json({"type": "count", **event["payload"]})
