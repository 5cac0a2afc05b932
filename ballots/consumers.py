"""Websocket consumer relaying an election's live turnout."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ballots.models import Election
from ballots.selectors import PUBLIC_STATES, election_turnout


def election_group(election_id: str) -> str:
    """Return the Channels group of an election's live events."""
    return f"election-{election_id}"


class ElectionConsumer(AsyncJsonWebsocketConsumer):
    """Send the turnout on connect, then relay every ``turnout.update``."""

    group = ""

    async def connect(self) -> None:
        """Join ``election-<id>`` for a public election; refuse otherwise."""
        election_id = self.scope["url_route"]["kwargs"]["election_id"]
        counts = await database_sync_to_async(_turnout)(election_id)
        if counts is None:
            await self.close()
            return
        self.group = election_group(election_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "turnout", "turnout": counts})

    async def disconnect(self, code: int) -> None:
        """Leave the group."""
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Ignore client messages: this feed is read-only."""

    async def turnout_update(self, event: dict[str, Any]) -> None:
        """Relay a ``turnout.update`` group event."""
        await self.send_json({"type": "turnout", "turnout": event["payload"]})


def _turnout(election_id: str) -> dict[str, int] | None:
    election = Election.objects.filter(
        election_id=election_id, state__in=PUBLIC_STATES
    ).first()
    if election is None:
        return None
    return election_turnout(election=election).to_json()
