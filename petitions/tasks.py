"""Celery tasks of the petitions app: notifications, heads, closing, erasure.

Tasks take ids, fetch, and call one service; all are safe to redeliver.
"""

from celery import shared_task


@shared_task(name="petitions.notify_threshold", acks_late=True, max_retries=3)
def petition_notify_threshold(petition_id: int, threshold_id: int) -> int:
    """E-mail the creator and opted-in signers about a reached threshold."""
    from petitions.models import Petition, Threshold
    from petitions.services.notifications import petition_notify_threshold as notify

    rows = notify(
        petition=Petition.objects.get(pk=petition_id),
        threshold=Threshold.objects.get(pk=threshold_id),
    )
    return len(rows)


@shared_task(name="petitions.notify_response", acks_late=True, max_retries=3)
def petition_notify_response(petition_id: int) -> int:
    """E-mail the creator and opted-in signers about a published response."""
    from petitions.models import Petition
    from petitions.services.notifications import petition_notify_response as notify

    return len(notify(petition=Petition.objects.get(pk=petition_id)))


@shared_task(name="petitions.notify_closed", acks_late=True, max_retries=3)
def petition_notify_closed(petition_id: int) -> int:
    """E-mail the creator and opted-in signers that the petition closed."""
    from petitions.models import Petition
    from petitions.services.notifications import petition_notify_closed as notify

    return len(notify(petition=Petition.objects.get(pk=petition_id)))


@shared_task(name="petitions.sign_heads")
def petitions_sign_heads() -> int:
    """Sign a fresh head for each open petition without one in the last minute."""
    from petitions.services.heads import petitions_sign_stale_heads

    return petitions_sign_stale_heads()


@shared_task(name="petitions.close_expired")
def petitions_close_expired() -> int:
    """Close the open petitions whose period has ended."""
    from petitions.services.lifecycle import petitions_close_expired as close

    return close()


@shared_task(name="petitions.erase_personal_data")
def petitions_erase_personal_data() -> int:
    """Erase signers' personal data of petitions closed long enough ago."""
    from petitions.services.signing import personal_data_erase

    return personal_data_erase()
