"""The petition lifecycle, moderation, invalidation and erasure (services)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import User
from petitions.models import (
    BurstAlert,
    Deadline,
    LogEntry,
    LogHead,
    ModerationDecision,
    Petition,
    Signature,
)
from petitions.services import (
    heads_jsonl,
    log_jsonl,
    log_public_key,
    personal_data_erase,
    petition_approve,
    petition_close,
    petition_mark_duplicate,
    petition_reject,
    petition_sign,
    petition_sponsor,
    petition_withdraw,
    petitions_close_expired,
    petitions_sign_stale_heads,
    signatures_invalidate,
)
from votecrypto.petition_log import verify_log


def _verified_count(petition: Petition) -> int:
    report = verify_log(
        log_jsonl(petition), heads_jsonl(petition), bytes.fromhex(log_public_key())
    )
    assert report.ok, [c for c in report.checks if c.outcome != "PASS"]
    assert report.result is not None
    return report.result.count


def test_sponsors_then_moderation_then_open(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    moderator: User,
) -> None:
    """Sponsors move a petition to moderation; approval opens it with them."""
    petition = make_petition(phase="sponsoring", sponsors_required=2)
    assert petition.status == Petition.Status.SPONSORING
    with pytest.raises(ValidationError, match="sponsor link is not valid"):
        petition_sponsor(petition=petition, user=make_user(), token="wrong")
    assert petition.creator is not None
    with pytest.raises(ValidationError, match="cannot sponsor their own"):
        petition_sponsor(
            petition=petition, user=petition.creator, token=petition.sponsor_token
        )
    first = make_user()
    petition_sponsor(petition=petition, user=first, token=petition.sponsor_token)
    with pytest.raises(ValidationError, match="already sponsor"):
        petition_sponsor(petition=petition, user=first, token=petition.sponsor_token)
    petition_sponsor(petition=petition, user=make_user(), token=petition.sponsor_token)
    petition.refresh_from_db()
    assert petition.status == Petition.Status.MODERATION
    deadline = Deadline.objects.get(petition=petition, kind="moderation")
    assert deadline.met_at is None
    petition = petition_approve(petition=petition, moderator=moderator)
    assert petition.status == Petition.Status.OPEN
    assert petition.signature_count == 3
    assert petition.closes_at == petition.opened_at + timedelta(days=183)  # type: ignore[operator]
    deadline.refresh_from_db()
    assert deadline.met_at is not None
    assert _verified_count(petition) == 3


def test_moderating_without_role_is_refused(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """A citizen cannot approve or reject; nothing changes."""
    petition = make_petition(phase="moderation")
    with pytest.raises(ValidationError, match=r"Only moderators can do this\."):
        petition_approve(petition=petition, moderator=citizen)
    with pytest.raises(ValidationError, match=r"Only moderators can do this\."):
        petition_reject(
            petition=petition, moderator=citizen, reason="unclear", explanation="x"
        )
    petition.refresh_from_db()
    assert petition.status == Petition.Status.MODERATION
    assert not LogEntry.objects.filter(petition=petition).exists()
    assert not ModerationDecision.objects.exists()


def test_reject_keeps_public_unless_abusive(
    make_petition: Callable[..., Petition], moderator: User
) -> None:
    """A rejection is public with its reason; an abusive one is hidden."""
    plain = petition_reject(
        petition=make_petition(phase="moderation"),
        moderator=moderator,
        reason="out-of-scope",
        explanation="Municipal matter.",
    )
    assert plain.is_public
    assert plain.rejection_reason == "out-of-scope"
    abusive = petition_reject(
        petition=make_petition(phase="moderation"),
        moderator=moderator,
        reason="abusive",
        explanation="Insults.",
    )
    assert abusive.is_hidden
    assert not abusive.is_public
    actions = list(ModerationDecision.objects.values_list("action", flat=True))
    assert sorted(actions) == ["hide", "reject"]
    with pytest.raises(ValidationError, match="Choose a reason"):
        petition_reject(
            petition=make_petition(phase="moderation"),
            moderator=moderator,
            reason="because",
            explanation="x",
        )


def test_duplicate_points_to_original(
    make_petition: Callable[..., Petition], moderator: User
) -> None:
    """A duplicate points to a public petition, not to itself."""
    original = make_petition()
    copy = make_petition(phase="moderation")
    with pytest.raises(ValidationError, match="another, public petition"):
        petition_mark_duplicate(petition=copy, moderator=moderator, original=copy)
    copy = petition_mark_duplicate(
        petition=copy, moderator=moderator, original=original
    )
    assert copy.status == Petition.Status.DUPLICATE
    assert copy.duplicate_of_id == original.pk


def test_close_appends_close_and_refuses_signing(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """Closing logs close with a final head; signing afterwards is refused."""
    petition = make_petition()
    petition_sign(petition=petition, user=citizen)
    petition = petition_close(petition=petition)
    assert petition.status == Petition.Status.CLOSED
    last = LogEntry.objects.filter(petition=petition).last()
    assert last is not None
    assert last.type == "close"
    head = LogHead.objects.filter(petition=petition).last()
    assert head is not None
    assert head.tree_size == petition.log_size
    with pytest.raises(ValidationError, match="not open for signatures"):
        petition_sign(petition=petition, user=citizen)
    with pytest.raises(ValidationError, match="only be withdrawn while"):
        petition_withdraw(petition=petition, user=citizen)
    assert petition_close(petition=petition).log_size == petition.log_size


def test_close_expired_and_stale_heads(
    make_petition: Callable[..., Petition],
) -> None:
    """Expired petitions close; open ones get a head each minute."""
    petition = make_petition()
    later = timezone.now() + timedelta(minutes=2)
    assert petitions_sign_stale_heads(now=later) == 1
    assert petitions_sign_stale_heads(now=later) == 0
    assert petitions_close_expired(now=later) == 0
    assert petitions_close_expired(now=later + timedelta(days=200)) == 1
    petition.refresh_from_db()
    assert petition.status == Petition.Status.CLOSED
    assert _verified_count(petition) == 1


def test_bulk_invalidation_from_burst_alert(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    moderator: User,
    settings: object,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """A burst from one range raises an alert; invalidating it is public."""
    settings.PETITIONS_BURST_IP_LIMIT = 3  # type: ignore[attr-defined]
    petition = make_petition()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            petition_sign(petition=petition, user=make_user(), ip="203.0.113.7")
    with django_capture_on_commit_callbacks(execute=True):
        petition_sign(petition=petition, user=make_user(), ip="198.51.100.1")
    alert = BurstAlert.objects.get(petition=petition)
    assert (alert.kind, alert.key, alert.signatures) == ("ip", "203.0.113.0/24", 3)
    with pytest.raises(ValidationError, match="short code"):
        signatures_invalidate(
            petition=petition,
            moderator=moderator,
            reason="Bot Farm!",
            explanation="x",
            alert=alert,
        )
    count = signatures_invalidate(
        petition=petition,
        moderator=moderator,
        reason="bot-farm",
        explanation="Automated sign-ups from one network.",
        alert=alert,
    )
    assert count == 3
    petition.refresh_from_db()
    assert petition.signature_count == 2
    assert _verified_count(petition) == 2
    decision = ModerationDecision.objects.get(action="invalidate")
    assert (decision.reason, decision.signatures_affected) == ("bot-farm", 3)
    invalidated = LogEntry.objects.filter(petition=petition, type="invalidate")
    assert {e.payload["reason"] for e in invalidated} == {"bot-farm"}
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_open_burst_alert_counts_on(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    settings: object,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """While an alert is open, each signature from its range adds one to it."""
    settings.PETITIONS_BURST_IP_LIMIT = 3  # type: ignore[attr-defined]
    petition = make_petition()
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            petition_sign(petition=petition, user=make_user(), ip="203.0.113.9")
    with django_capture_on_commit_callbacks(execute=True):
        petition_sign(petition=petition, user=make_user(), ip="198.51.100.1")
    alert = BurstAlert.objects.get(petition=petition, kind="ip")
    assert (alert.key, alert.signatures) == ("203.0.113.0/24", 5)


def test_big_webmail_domains_raise_no_domain_alert(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    settings: object,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Many signers from a listed webmail domain are normal; others alert."""
    settings.PETITIONS_BURST_DOMAIN_LIMIT = 3  # type: ignore[attr-defined]
    settings.PETITIONS_BURST_DOMAIN_IGNORE = ["Gmail.com"]  # type: ignore[attr-defined]
    petition = make_petition()
    for number in range(4):
        for domain in ("gmail.com", "bots.example"):
            user = make_user(email=f"signer{number}@{domain}")
            with django_capture_on_commit_callbacks(execute=True):
                petition_sign(petition=petition, user=user, ip=f"10.{number}.0.1")
    alerts = BurstAlert.objects.filter(petition=petition)
    assert [(a.kind, a.key, a.signatures) for a in alerts] == [
        ("domain", "bots.example", 4)
    ]


def test_erasure_keeps_log_and_count(
    make_petition: Callable[..., Petition], make_user: Callable[..., User]
) -> None:
    """Erasing personal data unlinks signers; the log still verifies the count."""
    petition = make_petition()
    for _ in range(3):
        petition_sign(petition=petition, user=make_user(), ip="10.0.0.1")
    petition = petition_close(petition=petition)
    log_before = log_jsonl(petition)
    assert personal_data_erase(now=timezone.now() + timedelta(days=10)) == 0
    assert personal_data_erase(now=timezone.now() + timedelta(days=200)) == 1
    petition.refresh_from_db()
    assert petition.personal_data_erased_at is not None
    rows = Signature.objects.filter(petition=petition)
    assert not rows.filter(signer__isnull=False).exists()
    assert set(rows.values_list("ip_prefix", flat=True)) == {""}
    assert rows.filter(region__isnull=False).count() == 4
    assert log_jsonl(petition) == log_before
    assert _verified_count(petition) == petition.signature_count == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")
def test_postgresql_refuses_update_and_delete_of_log_rows(
    make_petition: Callable[..., Petition],
) -> None:
    """The trigger refuses UPDATE and DELETE of log rows, even in raw SQL."""
    from django.db import DatabaseError, transaction

    petition = make_petition()
    for sql in (
        "UPDATE petitions_logentry SET type = 'sign' WHERE petition_id = %s",
        "DELETE FROM petitions_logentry WHERE petition_id = %s",
        "DELETE FROM petitions_loghead WHERE petition_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [petition.pk])
    assert LogEntry.objects.filter(petition=petition).count() == 2


def test_model_refuses_changes_of_log_rows(
    make_petition: Callable[..., Petition],
) -> None:
    """In code, log rows cannot be saved again, updated or deleted."""
    petition = make_petition()
    entry = LogEntry.objects.filter(petition=petition).first()
    assert entry is not None
    with pytest.raises(TypeError, match="append-only"):
        entry.save()
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()
    with pytest.raises(TypeError, match="append-only"):
        LogEntry.objects.filter(petition=petition).update(type="x")
    with pytest.raises(TypeError, match="append-only"):
        LogHead.objects.filter(petition=petition).delete()
