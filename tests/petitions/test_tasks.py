"""Celery tasks of the petitions app (eager) and their beat schedule."""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from config.celery import app
from petitions.models import LogHead, Petition
from petitions.tasks import (
    petitions_close_expired,
    petitions_erase_personal_data,
    petitions_sign_heads,
)


def test_beat_schedule_names_registered_tasks() -> None:
    """Every petitions beat entry names a task the workers know."""
    app.loader.import_default_modules()
    entries = {
        name: entry
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if name.startswith("petitions.")
    }
    assert set(entries) == {
        "petitions.sign_heads",
        "petitions.close_expired",
        "petitions.erase_personal_data",
    }
    for entry in entries.values():
        assert entry["task"] in app.tasks
    assert entries["petitions.sign_heads"]["schedule"] == 60.0


def test_periodic_tasks_run_their_services(
    make_petition: Callable[..., Petition],
) -> None:
    """The tasks sign stale heads, close expired petitions and erase data."""
    petition = make_petition()
    assert petitions_sign_heads.delay().get() == 0
    Petition.objects.filter(pk=petition.pk).update(
        last_head_at="2000-01-01T00:00:00Z",
        closes_at=timezone.now() - timedelta(seconds=1),
    )
    assert petitions_sign_heads.delay().get() == 1
    assert LogHead.objects.filter(petition=petition).count() == 2
    assert petitions_close_expired.delay().get() == 1
    petition.refresh_from_db()
    assert petition.status == Petition.Status.CLOSED
    assert petitions_erase_personal_data.delay().get() == 0
