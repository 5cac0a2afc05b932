"""Celery tasks of the ballots app: the schedule, notifications, demo deal."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ballots.models import Election, Voter
from votecrypto.canonical import format_time


@shared_task(name="ballots.tick", acks_late=True)
def tick() -> list[str]:
    """Open and close elections on schedule; sign a head of each open board."""
    from ballots.services import elections_run_schedule

    return elections_run_schedule()


@shared_task(name="ballots.notify_voters", acks_late=True)
def notify_voters(election_pk: int) -> int:
    """Queue one notification per voter on the roll of a ready election."""
    ids = list(
        Voter.objects.filter(
            election_id=election_pk, notified_at__isnull=True
        ).values_list("id", flat=True)
    )
    for voter_id in ids:
        notify_voter.delay(voter_id)
    return len(ids)


def _voter_language(voter: Voter) -> str:
    """Return the preferred language of the voter's account, if they have one."""
    from accounts.models import User

    language = (
        User.objects.filter(identity_number=voter.identity_number)
        .values_list("preferred_language", flat=True)
        .first()
    )
    return language or settings.LANGUAGE_CODE


@shared_task(name="ballots.notify_voter", acks_late=True, max_retries=3)
def notify_voter(voter_id: int) -> bool:
    """Tell a voter when voting opens and that the code comes separately.

    The e-mail never holds the voting code: the server never knows it.
    The credential authority mails the codes itself from the CSV that
    ``manage.py issue_credentials`` wrote.  Idempotent: a voter already
    notified is skipped.
    """
    with transaction.atomic():
        voter = (
            Voter.objects.select_for_update()
            .select_related("election")
            .filter(pk=voter_id, notified_at__isnull=True)
            .first()
        )
        if voter is None:
            return False
        election: Election = voter.election
        with translation.override(_voter_language(voter)):
            subject = _("Voting in “%(title)s”") % {"title": election.title}
            body = _(
                "Dear %(name)s,\n\nYou are on the voter roll of “%(title)s”. "
                "Voting is open from %(starts)s to %(ends)s (UTC).\n\n"
                "Your personal voting code is sent to you separately by the "
                "credential authority; this platform never knows it. Keep it "
                "secret. Sign in, open the election page and enter the code "
                "in the voting booth.\n"
            ) % {
                "name": voter.full_name,
                "title": election.title,
                "starts": format_time(election.voting_starts_at),
                "ends": format_time(election.voting_ends_at),
            }
        send_mail(subject, body, None, [voter.email])
        voter.notified_at = timezone.now()
        voter.save(update_fields=["notified_at"])
        return True


@shared_task(name="ballots.run_demo_ceremony", acks_late=True)
def run_demo_ceremony(election_pk: int, actor_pk: int | None = None) -> None:
    """Deal the key on the server (demo only; see ``ceremony_run_demo``)."""
    from accounts.models import User
    from ballots.services import ceremony_run_demo

    actor = User.objects.filter(pk=actor_pk).first() if actor_pk else None
    ceremony_run_demo(election=Election.objects.get(pk=election_pk), actor=actor)
