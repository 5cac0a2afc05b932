"""Websocket consumer relaying a tally's progress to officials and trustees."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ballots.models import Election
from ballots.permissions import can_manage_elections, is_election_trustee
from ballots.selectors import trustee_for_user
from tally.selectors import tally_status_json
from tally.services import tally_group


class TallyConsumer(AsyncJsonWebsocketConsumer):
    """Join ``tally-<election_id>``; relay ``tally.progress`` and ``tally.state``.

    Only officials and the election's own trustees may listen; the first
    message is the tally's current status.
    """

    group = ""

    async def connect(self) -> None:
        """Accept officials and the election's trustees; refuse anyone else."""
        election_id = self.scope["url_route"]["kwargs"]["election_id"]
        status = await database_sync_to_async(_status_for)(
            election_id, self.scope.get("user")
        )
        if status is None:
            await self.close()
            return
        self.group = tally_group(election_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "status", "status": status})

    async def disconnect(self, code: int) -> None:
        """Leave the group."""
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Ignore client messages: this feed is read-only."""

    async def tally_progress(self, event: dict[str, Any]) -> None:
        """Relay ``{"stage", "done", "total"}`` of the running tally."""
        await self.send_json({"type": "progress", **event["payload"]})

    async def tally_state(self, event: dict[str, Any]) -> None:
        """Relay a change of the tally's stage (tallying, published, …)."""
        await self.send_json({"type": "state", **event["payload"]})


def _status_for(election_id: str, user: Any) -> dict[str, Any] | None:
    election = Election.objects.filter(election_id=election_id).first()
    if election is None or user is None or not user.is_authenticated:
        return None
    trustee = trustee_for_user(election=election, user=user)
    if not (can_manage_elections(user) or is_election_trustee(user, trustee)):
        return None
    return tally_status_json(election=election)
