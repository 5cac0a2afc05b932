"""Signing, withdrawing and the log they write (services, any database)."""

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import User
from petitions.models import LogEntry, LogHead, Petition, Signature
from petitions.services import (
    heads_jsonl,
    log_jsonl,
    log_public_key,
    petition_sign,
    petition_withdraw,
    signature_receipt,
)
from votecrypto.petition_log import commitment, verify_log


def _verify(petition: Petition, receipt: object = None) -> object:
    report = verify_log(
        log_jsonl(petition),
        heads_jsonl(petition),
        bytes.fromhex(log_public_key()),
        receipt=receipt,  # type: ignore[arg-type]
        claimed_count=petition.signature_count,
    )
    assert report.ok, [c for c in report.checks if c.outcome != "PASS"]
    return report


def test_opening_logs_open_and_creator_signature(
    make_petition: Callable[..., Petition],
) -> None:
    """Opening appends open and the creator's sign, with a signed head."""
    petition = make_petition()
    entries = list(LogEntry.objects.filter(petition=petition))
    assert [e.type for e in entries] == ["open", "sign"]
    assert entries[0].payload["petition_id"] == petition.log_id
    assert petition.signature_count == 1
    assert LogHead.objects.filter(petition=petition).count() == 1
    _verify(petition)


def test_sign_returns_receipt_that_verifies(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """A signature counts, is logged with the signer's commitment and a receipt."""
    petition = make_petition()
    signature, receipt = petition_sign(petition=petition, user=citizen, ip="10.1.2.3")
    petition.refresh_from_db()
    assert petition.signature_count == 2
    assert signature.commitment == commitment(
        petition.log_id, bytes(citizen.signer_secret)
    )
    assert signature.ip_prefix == "10.1.2.0/24"
    assert signature.region_id == citizen.region_id
    assert receipt["seq"] == 2
    report = _verify(petition, receipt)
    assert report.receipt is not None  # type: ignore[attr-defined]
    assert str(report.receipt.status) == "counted"  # type: ignore[attr-defined]


def test_double_sign_is_refused_and_writes_nothing(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """A second signature by the same person is refused; nothing is appended."""
    petition = make_petition()
    petition_sign(petition=petition, user=citizen)
    with pytest.raises(ValidationError) as info:
        petition_sign(petition=petition, user=citizen)
    assert info.value.code == "already_signed"
    assert info.value.messages == ["You have already signed this petition."]
    petition.refresh_from_db()
    assert petition.signature_count == 2
    assert petition.log_size == 3
    assert Signature.objects.filter(petition=petition, signer=citizen).count() == 1


def test_database_refuses_a_second_row_per_person(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """The unique constraint backs the service: one row per person and petition."""
    petition = make_petition()
    signature, _receipt = petition_sign(petition=petition, user=citizen)
    with pytest.raises(IntegrityError):
        Signature.objects.create(
            petition=petition, signer=citizen, commitment="ab" * 32, seq=99
        )
    assert signature.pk is not None


def test_withdraw_updates_count_and_log_and_sign_again(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """Withdrawing takes the signature back in the count and the log."""
    petition = make_petition()
    petition_sign(petition=petition, user=citizen)
    petition_withdraw(petition=petition, user=citizen)
    petition.refresh_from_db()
    assert petition.signature_count == 1
    last = LogEntry.objects.filter(petition=petition).last()
    assert last is not None
    assert last.type == "withdraw"
    report = _verify(petition, signature_receipt(petition=petition, user=citizen))
    assert str(report.receipt.status) == "withdrawn"  # type: ignore[attr-defined]
    _sig, receipt = petition_sign(petition=petition, user=citizen)
    petition.refresh_from_db()
    assert petition.signature_count == 2
    report = _verify(petition, receipt)
    assert str(report.receipt.status) == "counted"  # type: ignore[attr-defined]


def test_withdraw_without_signature_is_refused(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """Withdrawing without a counted signature is refused; nothing written."""
    petition = make_petition()
    with pytest.raises(ValidationError) as info:
        petition_withdraw(petition=petition, user=citizen)
    assert info.value.code == "not_signed"
    petition.refresh_from_db()
    assert petition.log_size == 2


@pytest.mark.parametrize("phase", ["draft", "sponsoring", "moderation"])
def test_sign_unopened_is_refused(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    citizen: User,
    phase: str,
) -> None:
    """Unmoderated petitions cannot be signed; nothing is written.

    The creator, who sees the petition, is told it is not open; anybody
    else that there is no such petition (it is not public yet).
    """
    petition = make_petition(phase=phase, sponsors_required=3, creator=citizen)
    with pytest.raises(ValidationError) as info:
        petition_sign(petition=petition, user=citizen)
    assert info.value.messages == ["This petition is not open for signatures."]
    with pytest.raises(ValidationError) as info:
        petition_sign(petition=petition, user=make_user())
    assert (info.value.code, info.value.messages) == (
        "not_found",
        ["No such petition."],
    )
    assert not Signature.objects.filter(petition=petition).exists()
    assert not LogEntry.objects.filter(petition=petition).exists()


def test_sign_unverified_is_refused(
    make_petition: Callable[..., Petition], make_user: Callable[..., User]
) -> None:
    """A person without a confirmed e-mail cannot sign; nothing is written."""
    petition = make_petition()
    person = make_user(verified=False)
    with pytest.raises(ValidationError) as info:
        petition_sign(petition=petition, user=person)
    assert info.value.code == "not_allowed"
    petition.refresh_from_db()
    assert petition.signature_count == 1
    assert petition.log_size == 2
