"""Celery tasks of the ``accounts`` app."""

from celery import shared_task


# celery is untyped; the ignore is unused where untyped decorators are allowed.
@shared_task(  # type: ignore[untyped-decorator, unused-ignore]
    name="accounts.send_confirmation_email", acks_late=True, max_retries=3
)
def accounts_send_confirmation_email(user_id: int, site_url: str) -> None:
    """Send the e-mail confirmation link to user ``user_id``.

    Skipped if the user is gone or already verified, so a redelivered task
    sends nothing new once the link has been used.
    """
    from accounts.models import User  # import here: services import this module
    from accounts.services import confirmation_email_send

    user = User.objects.filter(pk=user_id).first()
    if user is None or user.email_verified_at is not None:
        return
    confirmation_email_send(user=user, site_url=site_url)
