"""Celery tasks of consultations: e-mails, campaign and opinion-map updates."""

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.template.loader import render_to_string
from django.utils import translation

from participation.models import Consultation, Response

NOTIFY_EVENTS = ("opened", "closed", "report", "rescheduled")


@shared_task(name="participation.campaigns_detect", acks_late=True)
def campaigns_detect(consultation_id: int) -> int:
    """Regroup a consultation's comments into campaigns; return how many."""
    from participation.services import campaigns_detect as detect

    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if consultation is None:
        return 0
    return len(detect(consultation=consultation))


@shared_task(name="participation.opinion_map_compute", acks_late=True)
def opinion_map_compute(consultation_id: int) -> int:
    """Recompute and store a consultation's opinion map; return its groups."""
    from participation.services import opinion_map_compute as compute

    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if consultation is None:
        return 0
    return len(compute(consultation=consultation).result["groups"])


@shared_task(name="participation.notify_phase_changes")
def notify_phase_changes() -> list[str]:
    """Find consultations that opened or closed and notify their followers."""
    from participation.services import consultation_notify_phase_changes

    return consultation_notify_phase_changes()


def _message(
    template: str, context: dict[str, Any], language: str, email: str
) -> tuple[str, str, str, list[str]]:
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}_body.txt", context)
    return (subject, body, settings.DEFAULT_FROM_EMAIL, [email])


@shared_task(name="participation.notify_followers", acks_late=True)
def notify_followers(consultation_id: int, event: str) -> int:
    """E-mail every follower that the consultation opened, closed, reported
    or changed its dates ("rescheduled": the new dates are in the e-mail)."""
    if event not in NOTIFY_EVENTS:
        raise ValueError(f"unknown event {event!r}")
    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if consultation is None:
        return 0
    messages = [
        _message(
            "participation/email/phase",
            {"consultation": consultation, "event": event},
            follow.user.preferred_language,
            follow.user.email,
        )
        for follow in consultation.follows.select_related("user")
    ]
    return send_mass_mail(messages, fail_silently=False)


@shared_task(name="participation.notify_response", acks_late=True)
def notify_response(response_id: int) -> int:
    """E-mail the authors of the comments a response answers."""
    response = (
        Response.objects.filter(pk=response_id).select_related("consultation").first()
    )
    if response is None:
        return 0
    authors = {comment.author for comment in response.comments.select_related("author")}
    messages = [
        _message(
            "participation/email/response",
            {"response": response, "consultation": response.consultation},
            author.preferred_language,
            author.email,
        )
        for author in sorted(authors, key=lambda a: a.pk)
    ]
    return send_mass_mail(messages, fail_silently=False)
