"""Periodic signed heads: at least one a minute while a petition is open."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from petitions.models import Petition
from petitions.services.common import petition_lock
from petitions.services.log import LOG_FIELDS, log_sign_head
from votecrypto.canonical import format_time


def petitions_sign_stale_heads(*, now: datetime | None = None) -> int:
    """Sign a head for each open petition whose last head is a minute old.

    SPEC §6 (applied to §10 logs): a new head at least every minute while
    the log is open.  Returns how many heads were signed.
    """
    now = now or timezone.now()
    stale = format_time(
        now - timedelta(seconds=settings.PETITIONS_HEAD_INTERVAL_SECONDS)
    )
    signed = 0
    candidates = Petition.objects.filter(
        status=Petition.Status.OPEN, last_head_at__lte=stale
    ).values_list("pk", flat=True)
    for pk in candidates:
        with transaction.atomic():
            petition = petition_lock(Petition(pk=pk))
            if petition.status != Petition.Status.OPEN or petition.last_head_at > stale:
                continue
            log_sign_head(petition, now=now)
            petition.save(update_fields=list(LOG_FIELDS))
            signed += 1
    return signed
