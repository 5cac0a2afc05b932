"""Signatures written in batches: one lock, one head, every answer its own."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils import translation

from accounts.models import User
from petitions.models import LogEntry, LogHead, Petition, Signature
from petitions.services import (
    heads_jsonl,
    log_jsonl,
    log_public_key,
    petition_close,
    petition_sign,
    petition_withdraw,
    signatures_invalidate,
    signing,
)
from petitions.services.batching import Waiter
from votecrypto.petition_log import verify_log


def _report(petition: Petition, receipt: object = None) -> Any:
    petition.refresh_from_db()
    return verify_log(
        log_jsonl(petition),
        heads_jsonl(petition),
        bytes.fromhex(log_public_key()),
        receipt=receipt,  # type: ignore[arg-type]
        claimed_count=petition.signature_count,
    )


def _waiter(user: User, ip: str = "") -> Waiter[Any]:
    return Waiter(signing._Signing(user=user, ip=ip, wants_updates=False))


def test_a_batch_answers_each_request(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    moderator: User,
) -> None:
    """New, repeated, re-signing and invalidated signers in one batch.

    Each gets its own answer; the accepted ones share one head, and each
    receipt verifies under it.
    """
    petition = make_petition()
    signed, withdrawn, invalidated, fresh = (make_user() for _ in range(4))
    petition_sign(petition=petition, user=signed)
    petition_sign(petition=petition, user=withdrawn)
    petition_withdraw(petition=petition, user=withdrawn)
    petition_sign(petition=petition, user=invalidated, ip="198.51.100.7")
    signatures_invalidate(
        petition=petition,
        moderator=moderator,
        reason="bot-farm",
        explanation="One network.",
        ip_prefix="198.51.100.0/24",
    )
    heads_before = LogHead.objects.filter(petition=petition).count()
    batch = [
        _waiter(fresh, "203.0.113.5"),
        _waiter(signed),
        _waiter(withdrawn),
        _waiter(invalidated),
        _waiter(fresh),
    ]
    with transaction.atomic():
        signing._sign_batch(petition.pk, batch, None)
    codes = [None if w.error is None else w.error.code for w in batch]  # type: ignore[attr-defined]
    assert codes == [None, "already_signed", None, "invalidated", "already_signed"]
    assert LogHead.objects.filter(petition=petition).count() == heads_before + 1
    report = _report(petition)
    assert report.ok
    # The creator, "signed", and now "fresh" and "withdrawn" (signed again).
    assert petition.signature_count == 4
    seqs = [w.item.receipt["seq"] for w in (batch[0], batch[2])]
    assert seqs == [petition.log_size - 2, petition.log_size - 1]
    for waiter in (batch[0], batch[2]):
        checked = _report(petition, waiter.item.receipt)
        assert str(checked.receipt.status) == "counted"
    assert batch[0].item.signature.ip_prefix == "203.0.113.0/24"
    assert Signature.objects.filter(petition=petition, signer=fresh).count() == 1


def test_a_closed_petition_refuses_the_whole_batch(
    make_petition: Callable[..., Petition], make_user: Callable[..., User]
) -> None:
    """When the petition is not open, every request is refused, nothing written."""
    petition = petition_close(petition=make_petition())
    hidden = make_petition(phase="moderation")
    batch = [_waiter(make_user()), _waiter(make_user())]
    with transaction.atomic():
        signing._sign_batch(petition.pk, batch, None)
    assert [w.error.code for w in batch] == ["not_open", "not_open"]  # type: ignore[union-attr]
    assert LogEntry.objects.filter(petition=petition, type="sign").count() == 1
    # A petition that is not public yet does not exist for these signers.
    batch = [_waiter(make_user())]
    with transaction.atomic():
        signing._sign_batch(hidden.pk, batch, None)
    assert batch[0].error.code == "not_found"  # type: ignore[union-attr]
    assert not LogEntry.objects.filter(petition=hidden).exists()


def test_refusals_are_translated_in_each_requests_language(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """A batch may run in another request's thread: messages stay lazy."""
    petition = make_petition()
    petition_sign(petition=petition, user=citizen)
    batch = [_waiter(citizen)]
    with translation.override("en"), transaction.atomic():
        signing._sign_batch(petition.pk, batch, None)
    assert isinstance(batch[0].error, ValidationError)
    with translation.override("ru"):
        message = batch[0].error.messages[0]
        expected = translation.gettext("You have already signed this petition.")
    assert expected != "You have already signed this petition."
    assert message == expected


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks"
)
@pytest.mark.django_db(transaction=True)
def test_signers_waiting_for_the_lock_are_written_in_one_batch(
    make_petition: Callable[..., Petition], make_user: Callable[..., User]
) -> None:
    """While the petition's row is locked, arriving signatures queue in the process.

    Once it is free they are written together: one more head for all of
    them, every seq used once, and every signer has a receipt.
    """
    petition = make_petition()
    people = [make_user() for _ in range(6)]
    heads_before = LogHead.objects.filter(petition=petition).count()
    outcomes: dict[int, Any] = {}

    def sign(person: User) -> None:
        try:
            outcomes[person.pk] = petition_sign(petition=petition, user=person)[1]
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            outcomes[person.pk] = exc
        finally:
            connections.close_all()

    holder = connections.create_connection("default")
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM petitions_petition WHERE id = %s FOR UPDATE",
                [petition.pk],
            )
        threads = [threading.Thread(target=sign, args=(p,)) for p in people]
        threads[0].start()
        time.sleep(0.3)  # the first leads and waits for the row lock
        for thread in threads[1:]:
            thread.start()
        deadline = time.monotonic() + 10
        while signing._group_commit.waiting(petition.pk) < len(people) - 1:
            assert time.monotonic() < deadline, "the signers did not queue"
            time.sleep(0.01)
        holder.rollback()
    finally:
        holder.close()
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(outcome, dict) for outcome in outcomes.values()), outcomes
    assert LogHead.objects.filter(petition=petition).count() == heads_before + 2
    report = _report(petition)
    assert report.ok
    assert petition.signature_count == 1 + len(people)
    assert sorted(r["seq"] for r in outcomes.values()) == list(range(2, 8))
    for receipt in outcomes.values():
        assert str(_report(petition, receipt).receipt.status) == "counted"


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_the_commit_does_not_undo_the_answer(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The signature is committed: the signer gets the receipt, the error a log."""

    def broken(*args: object) -> None:
        raise RuntimeError("alert check failed")

    petition = make_petition()
    person = make_user()
    monkeypatch.setattr(signing, "_bursts", broken)
    signature, receipt = petition_sign(petition=petition, user=person, ip="10.0.0.1")
    assert receipt["seq"] == signature.seq == 2
    assert Signature.objects.filter(petition=petition, signer=person).exists()
    assert str(_report(petition, receipt).receipt.status) == "counted"
    assert "after committing signatures on petition" in caplog.text
    assert "alert check failed" in caplog.text
