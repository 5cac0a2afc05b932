"""Live consultation pages: new comments, reactions, poll results."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from participation.models import Consultation
from participation.services import consultation_group

EVENTS = {
    "comment.created",
    "comment.edited",
    "comment.hidden",
    "comment.reactions",
    "poll.results",
    "opinion.updated",
    "version.published",
}


class ConsultationConsumer(AsyncJsonWebsocketConsumer):
    """Join ``consultation-<id>`` and relay its events to the browser.

    The page is public, so anyone may listen; the feed is read-only and
    carries only what the page shows.
    """

    group: str = ""

    async def connect(self) -> None:
        """Accept if the consultation exists, then join its group."""
        pk = int(self.scope["url_route"]["kwargs"]["pk"])
        exists = await database_sync_to_async(
            Consultation.objects.filter(pk=pk).exists
        )()
        if not exists:
            await self.close(code=4404)
            return
        self.group = consultation_group(pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        """Leave the group."""
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Ignore client messages: this feed is read-only."""

    async def _relay(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": event["type"], "payload": event["payload"]})

    async def comment_created(self, event: dict[str, Any]) -> None:
        """Relay a new comment."""
        await self._relay(event)

    async def comment_edited(self, event: dict[str, Any]) -> None:
        """Relay an edited comment."""
        await self._relay(event)

    async def comment_hidden(self, event: dict[str, Any]) -> None:
        """Relay a moderation decision."""
        await self._relay(event)

    async def comment_reactions(self, event: dict[str, Any]) -> None:
        """Relay new reaction counts."""
        await self._relay(event)

    async def poll_results(self, event: dict[str, Any]) -> None:
        """Relay new poll results."""
        await self._relay(event)

    async def opinion_updated(self, event: dict[str, Any]) -> None:
        """Relay that the opinion map was recomputed."""
        await self._relay(event)

    async def version_published(self, event: dict[str, Any]) -> None:
        """Relay that a new version was published."""
        await self._relay(event)
