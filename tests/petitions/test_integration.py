"""The full petition lifecycle on PostgreSQL with a real Celery worker."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from petitions.models import Level, Notification, Petition, Signature, Threshold
from petitions.services import (
    log_public_key,
    personal_data_erase,
    petition_approve,
    petition_close,
    petition_create,
    petition_sign,
    petition_sponsor,
    petition_submit,
    response_publish,
)

# The worker fixture lives with the other integration fixtures.
from tests.integration.conftest import celery_worker  # noqa: F401

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_worker"),
]


def _wait_for(event: str, count: int, timeout: float = 30) -> list[Notification]:
    """Wait until the worker has sent ``count`` notifications of ``event``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(Notification.objects.filter(event=event, sent_at__isnull=False))
        if len(rows) >= count:
            return rows
        time.sleep(0.2)
    raise AssertionError(f"the worker sent no {event} notifications in {timeout} s")


def test_full_lifecycle_with_worker(
    make_user: Callable[..., User],
    moderator: User,
    official: User,
    national: Level,
    tmp_path: Path,
) -> None:
    """Draft to erasure: sponsors, opening, signatures over HTTP, thresholds
    notified by the worker, a response, closing, a verified log and receipt."""
    Threshold.objects.filter(level=national).delete()
    threshold = Threshold.objects.create(
        level=national,
        kind="absolute",
        signatures=5,
        trigger="response",
        deadline_days=10,
    )
    creator = make_user()
    petition = petition_create(
        creator=creator,
        title="Parks for Almaty",
        body="More trees.",
        topic="environment",
        level=national,
        region=None,
    )
    petition.sponsors_required = 2
    petition.save(update_fields=["sponsors_required"])
    petition_submit(petition=petition, user=creator)
    for _ in range(2):
        petition_sponsor(
            petition=petition, user=make_user(), token=petition.sponsor_token
        )
    petition.refresh_from_db()
    assert petition.status == Petition.Status.MODERATION
    petition = petition_approve(petition=petition, moderator=moderator)
    assert petition.signature_count == 3

    fan = make_user()
    client = Client()
    client.force_login(fan)
    response = client.post(
        reverse("petitions:sign", args=[petition.pk]),
        {"wants_updates": "on"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    receipt = response.json()["receipt"]
    other = Client()
    other.force_login(make_user())
    assert other.post(reverse("petitions:sign", args=[petition.pk])).status_code == 302

    rows = _wait_for("threshold", 2)
    assert {r.recipient_id for r in rows} == {creator.pk, fan.pk}
    assert {r.event_key for r in rows} == {str(threshold.pk)}

    response_publish(
        petition=petition, official=official, department="Akimat", text="OK"
    )
    assert {r.recipient_id for r in _wait_for("response", 2)} == {creator.pk, fan.pk}
    petition = petition_close(petition=petition)
    assert {r.recipient_id for r in _wait_for("closed", 2)} == {creator.pk, fan.pk}
    assert petition.signature_count == 5

    assert personal_data_erase() == 0
    from datetime import timedelta

    from django.utils import timezone

    assert personal_data_erase(now=timezone.now() + timedelta(days=365)) == 1
    assert not Signature.objects.filter(signer__isnull=False).exists()

    anonymous = Client()
    log = tmp_path / "log.jsonl"
    heads = tmp_path / "heads.jsonl"
    receipt_file = tmp_path / "receipt.json"
    log.write_bytes(anonymous.get(reverse("petitions:log", args=[petition.pk])).content)
    heads.write_bytes(
        anonymous.get(reverse("petitions:heads", args=[petition.pk])).content
    )
    receipt_file.write_text(json.dumps(receipt))
    published = anonymous.get(
        reverse("petitions_api:detail", args=[petition.pk])
    ).json()
    assert published["signatures"] == 5
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "petitions.verify",
            str(log),
            str(heads),
            "--log-key",
            log_public_key(),
            "--receipt",
            str(receipt_file),
            "--count",
            str(published["signatures"]),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Receipt status: counted" in result.stdout
    assert result.stdout.splitlines()[-1] == "Result: VERIFIED"


async def _watch_a_burst(petition: Petition, signers: list[User]) -> list[Any]:
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    communicator = WebsocketCommunicator(
        application,
        f"/ws/petitions/{petition.pk}/",
        headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")],
    )
    connected, _ = await communicator.connect()
    assert connected
    received = [await communicator.receive_json_from(timeout=10)]
    for signer in signers:
        await database_sync_to_async(petition_sign)(petition=petition, user=signer)
    final = received[0]["count"] + len(signers)
    while received[-1]["count"] != final:
        received.append(await communicator.receive_json_from(timeout=10))
    await communicator.disconnect()
    return received


@pytest.mark.django_db(transaction=True)
def test_live_counter_coalesces_a_burst_through_redis(
    make_petition: Callable[..., Petition], make_user: Callable[..., User]
) -> None:
    """Signatures in quick succession reach the page as few, ordered updates.

    With the Redis channel layer, updates of one petition are coalesced to
    at most one per interval, and the page always ends on the final count.
    """
    from channels.layers import channel_layers

    petition = make_petition()
    signers = [make_user() for _ in range(6)]
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        channel_layers.backends.clear()
        try:
            received = async_to_sync(_watch_a_burst)(petition, signers)
        finally:
            channel_layers.backends.clear()
    sizes = [message["log_size"] for message in received]
    assert sizes == sorted(sizes)
    assert received[-1]["count"] == received[0]["count"] + 6
    assert len(received) <= 1 + 6
