"""``config.rows`` (used by signing): rows stored and read as the ORM does."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.backends import AccountBackend
from accounts.models import User
from config import rows
from petitions.models import LogEntry, LogHead, Petition, Signature

pytestmark = pytest.mark.django_db


def test_insert_and_read_back_match_the_orm(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """Dates, JSON and foreign keys round-trip exactly as through the ORM."""
    petition = make_petition()
    signed_at = datetime(2026, 11, 25, 12, 30, 15, 123456, tzinfo=UTC)
    signature = rows.insert(
        Signature(
            petition=petition,
            signer=citizen,
            commitment="ab" * 32,
            region=citizen.region,
            seq=99,
            signed_at=signed_at,
            changed_at=signed_at,
            wants_updates=True,
            ip_prefix="10.0.0.0/24",
        )
    )
    assert signature.pk is not None
    assert not signature._state.adding
    through_orm = Signature.objects.get(pk=signature.pk)
    assert through_orm.signed_at == signed_at
    assert through_orm.wants_updates is True
    assert through_orm.status == Signature.Status.COUNTED  # the field's default
    read = rows.first(Signature, petition_id=petition.pk, signer_id=citizen.pk)
    assert read is not None
    for field in Signature._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(through_orm, field.attname)
    assert rows.first(Signature, petition_id=petition.pk, signer_id=0) is None


def test_first_reads_json_and_binary_values(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """A JSON payload comes back parsed, a binary field as its bytes."""
    user = rows.first(User, id=citizen.pk)
    assert user is not None
    assert bytes(user.signer_secret) == bytes(citizen.signer_secret)
    assert user.email == citizen.email
    petition = make_petition()
    entry = rows.first(LogEntry, petition_id=petition.pk, seq=0)
    assert entry is not None
    assert entry.payload == LogEntry.objects.get(pk=entry.pk).payload
    assert entry.payload["petition_id"] == petition.log_id


def test_write_inserts_and_updates_in_one_round_trip(
    make_petition: Callable[..., Petition],
) -> None:
    """Rows of several tables and an update go together; keys are set."""
    petition = make_petition()
    entry = LogEntry(
        petition=petition,
        seq=petition.log_size,
        type="sign",
        received_at="2099-01-01T00:00:00Z",
        payload={"commitment": "cd" * 32},
    )
    head = LogHead(
        petition=petition,
        tree_size=petition.log_size + 1,
        root_hash="00" * 32,
        timestamp="2099-01-01T00:00:00Z",
        signature="11" * 64,
    )
    petition.signature_count = 41
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        rows.write([entry, head], [(petition, ["signature_count"])])
    expected = 1 if connection.vendor == "postgresql" else 3
    assert len([q for q in queries.captured_queries if "petitions_" in q["sql"]]) == (
        expected
    )
    assert entry.pk is not None
    assert head.pk is not None
    assert LogEntry.objects.get(pk=entry.pk).payload == {"commitment": "cd" * 32}
    assert LogHead.objects.get(pk=head.pk).tree_size == petition.log_size + 1
    petition.refresh_from_db()
    assert petition.signature_count == 41


def test_select_within_a_list(
    make_petition: Callable[..., Petition], make_user: Callable[..., User]
) -> None:
    """Rows whose column is in a list, among those equal to the conditions."""
    petition = make_petition()
    other = make_petition()
    people = [make_user() for _ in range(3)]
    for person in people:
        Signature.objects.create(
            petition=petition, signer=person, commitment=f"{person.pk:064x}", seq=5
        )
    Signature.objects.create(
        petition=other, signer=people[0], commitment="ef" * 32, seq=5
    )
    (found,) = rows.run(
        rows.select(
            Signature,
            within=("signer_id", [people[0].pk, people[2].pk]),
            petition_id=petition.pk,
        )
    )
    assert sorted(s.signer_id for s in found) == sorted([people[0].pk, people[2].pk])
    (nobody,) = rows.run(
        rows.select(Signature, within=("signer_id", []), petition_id=petition.pk)
    )
    assert nobody == []
    with pytest.raises(ValueError, match="at least one column"):
        rows.select(Signature, within=("signer_id", [people[0].pk]))


def test_backend_reads_active_users_only(citizen: User) -> None:
    """The backend's user lookup: active users by id; anything else is None."""
    backend = AccountBackend()
    found = backend.get_user(citizen.pk)
    assert found is not None
    assert found.pk == citizen.pk
    assert backend.get_user(str(citizen.pk)) is not None
    assert backend.get_user("not a number") is None
    assert backend.get_user(None) is None
    assert backend.get_user(10**9) is None
    citizen.is_active = False
    citizen.save(update_fields=["is_active"])
    assert backend.get_user(citizen.pk) is None


def test_run_sends_several_queries_in_one_round_trip(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """Model rows and plain rows come back per query, in one trip on PostgreSQL."""
    petition = make_petition()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        locked, people, plain = rows.run(
            rows.select(Petition, lock=True, id=petition.pk),
            rows.select(User, within=("id", [citizen.pk, 10**9]), is_active=True),
            rows.plain("SELECT %s, %s", [7, "seven"]),
        )
    assert [p.pk for p in locked] == [petition.pk]
    assert [u.pk for u in people] == [citizen.pk]
    assert [tuple(row) for row in plain] == [(7, "seven")]
    selects = [q for q in queries.captured_queries if "SELECT" in q["sql"]]
    assert len(selects) == (1 if connection.vendor == "postgresql" else 3)
    (nobody,) = rows.run(rows.select(User, within=("id", []), is_active=True))
    assert nobody == []
    with pytest.raises(ValueError, match="at least one column"):
        rows.select(User, within=("id", [1]))
