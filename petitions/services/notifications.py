"""E-mail notifications about petitions, recorded as ``Notification`` rows.

Each event creates one row per recipient (a unique constraint makes a
redelivered task harmless) and e-mails the rows not sent yet, each in the
recipient's preferred language.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from petitions.models import Notification, Petition, Signature, Threshold

Compose = Callable[[], tuple[str, str]]


def _recipients(petition: Petition) -> list[User]:
    """Return the creator and the counted signers who asked for updates."""
    people: dict[int, User] = {}
    if petition.creator is not None and petition.creator.is_active:
        people[petition.creator.pk] = petition.creator
    signers = User.objects.filter(
        pk__in=Signature.objects.filter(
            petition=petition,
            wants_updates=True,
            status=Signature.Status.COUNTED,
        ).values("signer_id"),
        is_active=True,
    )
    for person in signers:
        people.setdefault(person.pk, person)
    return list(people.values())


def _notify(
    petition: Petition, event: str, key: str, compose: Compose
) -> list[Notification]:
    rows, messages = [], []
    for person in _recipients(petition):
        with translation.override(person.preferred_language):
            subject, body = compose()
        row, _created = Notification.objects.get_or_create(
            petition=petition,
            recipient=person,
            event=event,
            event_key=key,
            defaults={"subject": subject[:255]},
        )
        rows.append(row)
        if row.sent_at is None:
            messages.append(
                (row, EmailMessage(subject=subject, body=body, to=[person.email]))
            )
    if messages:
        get_connection().send_messages([message for _row, message in messages])
        Notification.objects.filter(pk__in=[row.pk for row, _m in messages]).update(
            sent_at=timezone.now()
        )
    return rows


def _page(petition: Petition) -> str:
    site: str = getattr(settings, "PETITIONS_SITE_URL", "")
    return site.rstrip("/") + reverse("petitions:detail", args=[petition.pk])


def petition_notify_threshold(
    *, petition: Petition, threshold: Threshold
) -> list[Notification]:
    """Tell the creator and opted-in signers that a threshold was reached."""

    def compose() -> tuple[str, str]:
        what = threshold.get_trigger_display()
        subject = _("Petition “%(title)s” reached a threshold: %(what)s") % {
            "title": petition.title[:80],
            "what": what,
        }
        body = _(
            "The petition “%(title)s” has %(count)s signatures and reached a "
            "threshold that triggers: %(what)s (within %(days)s days).\n\n%(url)s"
        ) % {
            "title": petition.title,
            "count": petition.signature_count,
            "what": what,
            "days": threshold.deadline_days,
            "url": _page(petition),
        }
        return subject, body

    return _notify(petition, Notification.Event.THRESHOLD, str(threshold.pk), compose)


def petition_notify_response(*, petition: Petition) -> list[Notification]:
    """Tell the creator and opted-in signers that a response was published."""

    def compose() -> tuple[str, str]:
        subject = _("A response to the petition “%(title)s”") % {
            "title": petition.title[:80]
        }
        body = _("An official response to “%(title)s” was published:\n\n%(url)s") % {
            "title": petition.title,
            "url": _page(petition),
        }
        return subject, body

    return _notify(petition, Notification.Event.RESPONSE, "", compose)


def petition_notify_closed(*, petition: Petition) -> list[Notification]:
    """Tell the creator and opted-in signers that the petition closed."""

    def compose() -> tuple[str, str]:
        subject = _("The petition “%(title)s” closed") % {"title": petition.title[:80]}
        body = _(
            "The petition “%(title)s” closed with %(count)s signatures.\n\n%(url)s"
        ) % {
            "title": petition.title,
            "count": petition.signature_count,
            "url": _page(petition),
        }
        return subject, body

    return _notify(petition, Notification.Event.CLOSED, "", compose)
