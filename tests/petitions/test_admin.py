"""The petitions admin: levels are editable, petitions and log rows read-only."""

from collections.abc import Callable

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from petitions.models import Level, Petition


def test_admin_pages_and_read_only_log(
    admin_user: User, make_petition: Callable[..., Petition]
) -> None:
    """The admin lists petitions and log rows but cannot change them."""
    petition = make_petition()
    client = Client()
    client.force_login(admin_user)
    device = TOTPDevice.objects.create(user=admin_user, name="d", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    level = Level.objects.get(code="national")
    for url in (
        reverse("admin:petitions_petition_changelist"),
        reverse("admin:petitions_petition_change", args=[petition.pk]),
        reverse("admin:petitions_level_change", args=[level.pk]),
        reverse("admin:petitions_logentry_changelist"),
    ):
        assert client.get(url).status_code == 200, url
    response = client.post(
        reverse("admin:petitions_petition_change", args=[petition.pk]),
        {"title": "Changed"},
    )
    assert response.status_code == 403
    petition.refresh_from_db()
    assert petition.title == "Clean the Ural river"
