"""The consultation lifecycle on PostgreSQL, live comments through Redis."""

import os
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import CITIZEN
from config.asgi import application
from participation.models import (
    Comment,
    Consultation,
    OpinionMapResult,
    Reaction,
    Status,
)
from participation.selectors import report_build
from participation.services import statement_create, statement_vote
from tests.integration.conftest import Worker
from tests.integration.conftest import celery_worker as celery_worker
from tests.participation.conftest import login_verified

pytestmark = pytest.mark.integration


def _url(name: str, *args: object) -> str:
    return reverse(f"participation:{name}", args=args)


@pytest.mark.django_db(transaction=True)
def test_lifecycle_on_postgresql(
    make_consultation: Callable[..., Consultation],
    official: User,
    moderator: User,
    citizen: User,
    other_citizen: User,
) -> None:
    """Publish, comment, reply, react, moderate, respond, publish the report."""
    assert connection.vendor == "postgresql"
    now = timezone.now()
    consultation = make_consultation(
        starts_at=now - timedelta(days=3), ends_at=now + timedelta(days=3)
    )
    paragraphs = {p.number: p.key for p in consultation.versions.get().paragraphs.all()}
    dana, yerlan = Client(), Client()
    dana.force_login(citizen)
    yerlan.force_login(other_citizen)
    post = _url("comment_create", consultation.pk)
    assert (
        dana.post(
            post, {"body": "Keep 6:00.", "paragraph_key": paragraphs["1.2"]}
        ).status_code
        == 302
    )
    assert (
        yerlan.post(
            post, {"body": "Leash!", "paragraph_key": paragraphs["2.1"]}
        ).status_code
        == 302
    )
    assert yerlan.post(post, {"body": "Buy my watches."}).status_code == 302
    first, second, spam = Comment.objects.order_by("id")
    assert yerlan.post(post, {"body": "Agreed.", "parent": first.pk}).status_code == 302
    reply = Comment.objects.get(parent=first)
    assert reply.paragraph_key == paragraphs["1.2"]
    react = _url("comment_react", consultation.pk, first.pk)
    assert yerlan.post(react, {"value": "disagree"}).status_code == 302
    assert yerlan.post(react, {"value": "agree"}).status_code == 302
    assert (
        dana.post(
            _url("comment_react", consultation.pk, second.pk), {"value": "disagree"}
        ).status_code
        == 302
    )

    mod = login_verified(Client(), moderator)
    assert (
        mod.post(
            _url("comment_hide", consultation.pk, spam.pk), {"reason": "Advertising."}
        ).status_code
        == 302
    )

    off = login_verified(Client(), official)
    for comment, outcome in [
        (first, "accepted"),
        (second, "not_accepted"),
        (reply, "noted"),
    ]:
        assert (
            off.post(
                _url("comment_respond", consultation.pk, comment.pk),
                {"outcome": outcome, "explanation": f"Because {outcome}."},
            ).status_code
            == 302
        )
    Consultation.objects.filter(pk=consultation.pk).update(
        ends_at=timezone.now() - timedelta(seconds=1)
    )
    published = off.post(
        _url("report_publish", consultation.pk), {"summary": "Thanks all."}
    )
    assert published.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status_at(timezone.now()) == Status.REPORT_PUBLISHED

    report = report_build(consultation, now=timezone.now())
    assert report.total_comments == Comment.objects.count() == 4
    assert report.hidden_comments == 1
    assert report.participants == 2
    assert (
        (report.agree, report.disagree)
        == (
            Reaction.objects.filter(value="agree").count(),
            Reaction.objects.filter(value="disagree").count(),
        )
        == (1, 1)
    )
    figures = {p.number: (p.comments, p.agree, p.disagree) for p in report.paragraphs}
    assert figures["1.2"] == (2, 1, 0)
    assert figures["2.1"] == (1, 0, 1)
    assert {v: n for v, _label, n in report.outcomes} == {
        "accepted": 1,
        "partly_accepted": 0,
        "not_accepted": 1,
        "noted": 1,
    }
    page = Client().get(_url("report", consultation.pk)).content.decode()
    assert '<dd data-figure="comments">4</dd>' in page
    # Three responses mailed their authors (Dana once, Yerlan twice).
    assert sorted(m.to[0] for m in mail.outbox if "response" in m.subject) == sorted(
        [citizen.email, other_citizen.email, other_citizen.email]
    )


def _redis_layers() -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
        }
    }


async def _live(consultation: Consultation, author: User) -> list[dict[str, Any]]:
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    path = f"/ws/consultations/{consultation.pk}/"
    first = WebsocketCommunicator(application, path, headers=headers)
    second = WebsocketCommunicator(application, path, headers=headers)
    try:
        assert (await first.connect())[0]
        assert (await second.connect())[0]
        client = Client()
        await sync_to_async(client.force_login)(author)
        response = await sync_to_async(client.post)(
            _url("comment_create", consultation.pk), {"body": "Through Redis."}
        )
        assert response.status_code == 302
        return [
            await first.receive_json_from(timeout=10),
            await second.receive_json_from(timeout=10),
        ]
    finally:
        await first.disconnect()
        await second.disconnect()


@pytest.mark.django_db(transaction=True)
def test_live_comment_over_redis_websocket(
    consultation: Consultation, citizen: User
) -> None:
    """A comment posted through the page reaches two sockets via Redis."""
    with override_settings(CHANNEL_LAYERS=_redis_layers()):
        channel_layers.backends.clear()
        try:
            messages = async_to_sync(_live)(consultation, citizen)
        finally:
            channel_layers.backends.clear()
    comment = Comment.objects.get()
    expected = {
        "type": "comment.created",
        "payload": {
            "id": comment.pk,
            "paragraph_key": "",
            "parent_id": None,
            "author": "Dana Citizen",
            "body": "Through Redis.",
            "created_at": comment.created_at.isoformat(),
        },
    }
    assert messages == [expected, expected]


@pytest.mark.django_db(transaction=True)
def test_opinion_map_task_runs_in_real_worker(
    celery_worker: Worker,
    consultation: Consultation,
    official: User,
    make_user: Callable[..., User],
) -> None:
    """Votes enqueue the task on commit; a worker process stores the groups."""
    statements = [
        statement_create(consultation=consultation, author=official, text=f"S{i}")
        for i in range(8)
    ]
    voters = [make_user(role=CITIZEN) for _ in range(12)]
    for n, voter in enumerate(voters):
        camp = 1 if n < 6 else -1
        for i, statement in enumerate(statements):
            value = 1 if i == 7 else (camp if i < 4 else -camp)
            statement_vote(statement=statement, user=voter, value=value)
    deadline = time.monotonic() + 60
    stored = None
    while time.monotonic() < deadline:
        stored = OpinionMapResult.objects.filter(consultation=consultation).first()
        if stored is not None and stored.vote_count == 96:
            break
        time.sleep(0.5)
    assert stored is not None
    assert stored.vote_count == 96
    assert [g["size"] for g in stored.result["groups"]] == [6, 6]


@pytest.mark.django_db(transaction=True)
def test_concurrent_reactions_leave_one_row(
    consultation: Consultation, citizen: User, other_citizen: User
) -> None:
    """Racing reactions by one person end as a single row on PostgreSQL."""
    import threading

    from django.db import connections

    from participation.services import comment_create, comment_react

    comment = comment_create(consultation=consultation, author=citizen, body="A.")
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def react(value: str) -> None:
        try:
            barrier.wait(timeout=10)
            comment_react(comment=comment, user=other_citizen, value=value)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=react, args=("agree" if i % 2 else "disagree",))
        for i in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert Reaction.objects.filter(comment=comment).count() == 1
