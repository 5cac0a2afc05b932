"""Concurrent signing on PostgreSQL: row locks keep one signature and no gaps."""

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import User
from petitions.models import LogEntry, Petition, Signature
from petitions.services import heads_jsonl, log_jsonl, log_public_key, petition_sign
from votecrypto.petition_log import verify_log

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks"
    ),
    pytest.mark.django_db(transaction=True),
]


def _race(people: list[User], petition: Petition) -> list[str]:
    """Sign from one thread (and connection) per entry, all at once."""
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []
    lock = threading.Lock()

    def sign(person: User) -> None:
        try:
            barrier.wait(timeout=10)
            petition_sign(petition=petition, user=person)
            outcome = "signed"
        except ValidationError as error:
            outcome = str(error.code)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=sign, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_concurrent_double_submit_leaves_one_signature(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """Two simultaneous submissions of one person: one counts, one is refused."""
    petition = make_petition()
    assert _race([citizen, citizen], petition) == ["already_signed", "signed"]
    assert Signature.objects.filter(petition=petition, signer=citizen).count() == 1
    petition.refresh_from_db()
    assert petition.signature_count == 2
    assert LogEntry.objects.filter(petition=petition, type="sign").count() == 2


def test_concurrent_signers_keep_seq_gapless(
    make_petition: Callable[..., Petition], make_user: Callable[..., User]
) -> None:
    """Many signers at once: every seq is used once and the log verifies."""
    petition = make_petition()
    people = [make_user() for _ in range(8)]
    assert _race(people, petition) == ["signed"] * 8
    petition.refresh_from_db()
    seqs = list(
        LogEntry.objects.filter(petition=petition).values_list("seq", flat=True)
    )
    assert seqs == list(range(10))
    report = verify_log(
        log_jsonl(petition),
        heads_jsonl(petition),
        bytes.fromhex(log_public_key()),
        claimed_count=9,
    )
    assert report.ok
    assert petition.signature_count == 9
