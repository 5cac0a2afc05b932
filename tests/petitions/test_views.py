"""Petition pages, forms and permissions over HTTP."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import MODERATOR, OFFICIAL
from petitions.models import AbuseReport, Level, LogEntry, Petition, Signature
from petitions.services import petition_sign, petition_withdraw

from .conftest import PASSWORD, TEST_SEED


def _client(user: User | None = None) -> Client:
    client = Client(enforce_csrf_checks=False)
    if user is not None:
        client.force_login(user)
    return client


def _otp_client(user: User) -> Client:
    """A client whose session passed TOTP verification."""
    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def test_list_and_search(make_petition: Callable[..., Petition]) -> None:
    """The list shows public petitions and filters by text and status."""
    make_petition(title="Clean the Ural river")
    make_petition(title="More bicycle lanes")
    make_petition(phase="draft", title="Secret draft")
    response = _client().get(reverse("petitions:list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Clean the Ural river" in content
    assert "More bicycle lanes" in content
    assert "Secret draft" not in content
    response = _client().get(
        reverse("petitions:list"), {"q": "bicycle", "status": "open"}
    )
    assert "More bicycle lanes" in response.content.decode()
    assert "Clean the Ural river" not in response.content.decode()


def test_detail_shows_status_thresholds_key_and_counter(
    make_petition: Callable[..., Petition],
) -> None:
    """A petition page shows status, thresholds, the log key and a live counter."""
    petition = make_petition()
    response = _client().get(reverse("petitions:detail", args=[petition.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Status: Open for signatures" in content
    assert "50000" in content
    assert "An official response" in content
    from votecrypto import ed25519

    assert ed25519.public_key_from_seed(bytes.fromhex(TEST_SEED)).hex() in content
    assert 'aria-live="polite"' in content
    assert f'data-petition-ws="/ws/petitions/{petition.pk}/"' in content
    assert "<svg" in content


def test_draft_is_not_public(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """A draft is visible to its creator only."""
    petition = make_petition(phase="draft")
    url = reverse("petitions:detail", args=[petition.pk])
    assert _client().get(url).status_code == 404
    assert _client(citizen).get(url).status_code == 404
    assert petition.creator is not None
    assert _client(petition.creator).get(url).status_code == 200


def test_sign_over_http_and_receipt(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """Signing over HTTP counts once and the signer can download a receipt."""
    petition = make_petition()
    client = _client(citizen)
    url = reverse("petitions:sign", args=[petition.pk])
    response = client.post(url, {"wants_updates": "on"})
    assert response.status_code == 302
    response = client.post(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert response.json() == {
        "error": "already_signed",
        "message": "You have already signed this petition.",
    }
    assert Signature.objects.get(petition=petition, signer=citizen).wants_updates
    receipt = client.get(reverse("petitions:receipt", args=[petition.pk]))
    assert receipt.status_code == 200
    assert json.loads(receipt.content)["seq"] == 2
    petition.refresh_from_db()
    assert petition.signature_count == 2


def test_sign_json_returns_count_and_receipt(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """A JSON client gets the new count and the receipt."""
    petition = make_petition()
    response = _client(citizen).post(
        reverse("petitions:sign", args=[petition.pk]), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["receipt"]["petition_id"] == petition.log_id


def test_sign_requires_csrf(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """A forged cross-site POST is refused by the CSRF check."""
    petition = make_petition()
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    response = client.post(reverse("petitions:sign", args=[petition.pk]))
    assert response.status_code == 403
    assert not Signature.objects.filter(signer=citizen).exists()


@pytest.mark.parametrize(
    ("phase", "status", "message"),
    [
        ("moderation", 404, None),
        ("closed", 409, "This petition is not open for signatures."),
    ],
)
def test_sign_unopened_or_closed_over_http(
    make_petition: Callable[..., Petition],
    citizen: User,
    moderator: User,
    phase: str,
    status: int,
    message: str | None,
) -> None:
    """Signing an unmoderated or closed petition fails clearly; nothing written."""
    from petitions.services import petition_close

    petition = make_petition(phase="moderation" if phase == "moderation" else "open")
    if phase == "closed":
        petition = petition_close(petition=petition)
    size = petition.log_size
    response = _client(citizen).post(reverse("petitions:sign", args=[petition.pk]))
    assert response.status_code == status
    if message:
        assert message in response.content.decode()
    assert not Signature.objects.filter(signer=citizen).exists()
    assert LogEntry.objects.filter(petition=petition).count() == size


def test_sign_unverified_over_http(
    make_petition: Callable[..., Petition], make_user: Callable[..., User]
) -> None:
    """An unverified person gets 403 with the reason."""
    petition = make_petition()
    response = _client(make_user(verified=False)).post(
        reverse("petitions:sign", args=[petition.pk])
    )
    assert response.status_code == 403
    assert (
        "Only citizens with a confirmed e-mail address can sign petitions."
        in response.content.decode()
    )


def test_sign_anonymous_redirects_to_login(
    make_petition: Callable[..., Petition],
) -> None:
    """An anonymous signer is sent to sign in."""
    petition = make_petition()
    response = _client().post(reverse("petitions:sign", args=[petition.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_sign_rate_limited_per_account(
    make_petition: Callable[..., Petition], citizen: User, settings: object
) -> None:
    """Too many signing attempts from one account get 429; nothing written."""
    settings.PETITIONS_SIGN_RATELIMIT_ACCOUNT = (2, 3600)  # type: ignore[attr-defined]
    petitions = [make_petition() for _ in range(3)]
    client = _client(citizen)
    codes = [
        client.post(reverse("petitions:sign", args=[p.pk])).status_code
        for p in petitions
    ]
    assert codes == [302, 302, 429]
    assert Signature.objects.filter(signer=citizen).count() == 2


def test_sign_rate_limited_per_ip(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    settings: object,
) -> None:
    """Too many signatures from one address get 429."""
    settings.PETITIONS_SIGN_RATELIMIT_IP = (2, 3600)  # type: ignore[attr-defined]
    petition = make_petition()
    codes = [
        _client(make_user())
        .post(reverse("petitions:sign", args=[petition.pk]))
        .status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]


def test_withdraw_over_http(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """Withdrawing over HTTP updates the count."""
    petition = make_petition()
    petition_sign(petition=petition, user=citizen)
    response = _client(citizen).post(reverse("petitions:withdraw", args=[petition.pk]))
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.signature_count == 1


def test_create_and_submit_over_http(citizen: User, national: object) -> None:
    """A citizen creates a draft and submits it for sponsors."""
    client = _client(citizen)
    response = client.post(
        reverse("petitions:create"),
        {
            "title": "Free wifi in buses",
            "body": "Please.",
            "topic": "transport",
            "level": national.pk,
        },  # type: ignore[attr-defined]
    )
    assert response.status_code == 302
    petition = Petition.objects.get(title="Free wifi in buses")
    assert petition.status == "draft"
    response = client.post(reverse("petitions:submit", args=[petition.pk]))
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.status == "sponsoring"


def test_create_bad_input_writes_nothing(citizen: User, region_level: object) -> None:
    """A regional petition without a territory is refused with a message."""
    response = _client(citizen).post(
        reverse("petitions:create"),
        {"title": "x", "body": "y", "topic": "transport", "level": region_level.pk},  # type: ignore[attr-defined]
    )
    assert response.status_code == 400
    assert (
        "Choose the territory this petition is addressed to."
        in response.content.decode()
    )
    assert not Petition.objects.exists()


def test_moderation_requires_role_and_two_factor(
    make_petition: Callable[..., Petition],
    citizen: User,
    make_user: Callable[..., User],
) -> None:
    """Citizens get 403; moderators without 2FA are sent to set it up."""
    petition = make_petition(phase="moderation")
    url = reverse("petitions:moderate", args=[petition.pk])
    response = _client(citizen).post(url, {"action": "approve"})
    assert response.status_code == 403
    response = _client(make_user(role=MODERATOR)).post(url, {"action": "approve"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))
    petition.refresh_from_db()
    assert petition.status == "moderation"
    assert not LogEntry.objects.filter(petition=petition).exists()


def test_moderator_approves_and_rejects(
    make_petition: Callable[..., Petition], make_user: Callable[..., User]
) -> None:
    """A verified moderator approves one petition and rejects another."""
    client = _otp_client(make_user(role=MODERATOR))
    first = make_petition(phase="moderation")
    response = client.post(
        reverse("petitions:moderate", args=[first.pk]), {"action": "approve"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "open"
    second = make_petition(phase="moderation")
    response = client.post(
        reverse("petitions:moderate", args=[second.pk]),
        {"action": "reject", "reject-reason": "nope", "reject-explanation": "x"},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("petitions:moderate", args=[second.pk]),
        {
            "action": "reject",
            "reject-reason": "unclear",
            "reject-explanation": "What is asked is not clear.",
        },
    )
    assert response.status_code == 302
    page = _client().get(reverse("petitions:detail", args=[second.pk])).content.decode()
    assert "Unclear or incomplete" in page
    assert "What is asked is not clear." in page
    decisions = _client().get(reverse("petitions:decisions")).content.decode()
    assert "What is asked is not clear." in decisions


def test_moderation_queue_page(
    make_petition: Callable[..., Petition], make_user: Callable[..., User]
) -> None:
    """The queue lists petitions awaiting moderation."""
    petition = make_petition(phase="moderation", title="Needs review")
    client = _otp_client(make_user(role=MODERATOR))
    response = client.get(reverse("petitions:moderation"))
    assert response.status_code == 200
    assert "Needs review" in response.content.decode()
    assert petition.pk


def test_official_dashboard_and_response(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    citizen: User,
) -> None:
    """Officials see deadlines; citizens cannot respond; officials can."""
    petition = make_petition()
    assert _client(citizen).get(reverse("petitions:dashboard")).status_code == 403
    response = _client(citizen).post(
        reverse("petitions:respond", args=[petition.pk]),
        {"department": "x", "text": "y"},
    )
    assert response.status_code == 403
    client = _otp_client(make_user(role=OFFICIAL))
    assert client.get(reverse("petitions:dashboard")).status_code == 200
    response = client.post(
        reverse("petitions:respond", args=[petition.pk]),
        {"department": "Akimat", "text": "Done."},
    )
    assert response.status_code == 302
    assert (
        "Done."
        in _client()
        .get(reverse("petitions:detail", args=[petition.pk]))
        .content.decode()
    )


def test_report_abuse(make_petition: Callable[..., Petition], citizen: User) -> None:
    """A citizen reports a petition once; a second report is refused."""
    petition = make_petition()
    url = reverse("petitions:report", args=[petition.pk])
    assert _client(citizen).post(url, {"reason": "abusive"}).status_code == 302
    assert _client(citizen).post(url, {"reason": "abusive"}).status_code == 409
    assert _client(citizen).post(url, {"reason": "nonsense"}).status_code == 400
    assert AbuseReport.objects.filter(petition=petition).count() == 1


def test_log_and_heads_downloads_verify(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """The downloaded log and heads pass verify_log with the published count."""
    from votecrypto import ed25519
    from votecrypto.petition_log import verify_log

    petition = make_petition()
    petition_sign(petition=petition, user=citizen)
    petition_withdraw(petition=petition, user=citizen)
    log = _client().get(reverse("petitions:log", args=[petition.pk])).content
    heads = _client().get(reverse("petitions:heads", args=[petition.pk])).content
    key = ed25519.public_key_from_seed(bytes.fromhex(TEST_SEED))
    report = verify_log(log, heads, key, claimed_count=1)
    assert report.ok


def test_api_list_detail_and_csv_have_no_personal_data(
    make_petition: Callable[..., Petition], citizen: User
) -> None:
    """The open-data API gives counts by region, never signers."""
    petition = make_petition()
    petition_sign(petition=petition, user=citizen, ip="192.0.2.5")
    listing = _client().get(reverse("petitions_api:list")).json()
    assert listing["count"] == 1
    assert listing["results"][0]["signatures"] == 2
    detail = _client().get(reverse("petitions_api:detail", args=[petition.pk]))
    body = detail.content.decode()
    assert detail.json()["signatures_by_region"] == {"almaty": 2}
    assert citizen.email not in body
    assert "192.0.2" not in body
    assert citizen.full_name not in body
    csv = _client().get(reverse("petitions_api:export_csv")).content.decode()
    assert csv.splitlines()[0].startswith("id,petition_id,title")
    assert "Clean the Ural river" in csv
    bad = _client().get(reverse("petitions_api:list"), {"status": "bogus"})
    assert bad.status_code == 400
    draft = make_petition(phase="draft")
    assert (
        _client().get(reverse("petitions_api:detail", args=[draft.pk])).status_code
        == 404
    )


def test_sponsor_link(make_petition: Callable[..., Petition], citizen: User) -> None:
    """The sponsor link records a sponsor; a wrong token is a 404."""
    petition = make_petition(phase="sponsoring", sponsors_required=1)
    url = reverse("petitions:sponsor", args=[petition.pk, petition.sponsor_token])
    assert _client(citizen).get(url).status_code == 200
    bad = reverse("petitions:sponsor", args=[petition.pk, "nope"])
    assert _client(citizen).post(bad).status_code == 404
    assert _client(citizen).post(url).status_code == 302
    petition.refresh_from_db()
    assert petition.status == "moderation"
    assert PASSWORD


def test_moderator_hides_open_abusive_petition_after_report(
    make_petition: Callable[..., Petition],
    citizen: User,
    make_user: Callable[..., User],
) -> None:
    """A reported open petition hidden as abusive is closed, hidden, reports done."""
    petition = make_petition()
    _client(citizen).post(
        reverse("petitions:report", args=[petition.pk]), {"reason": "abusive"}
    )
    client = _otp_client(make_user(role=MODERATOR))
    queue = client.get(reverse("petitions:moderation")).content.decode()
    assert petition.title in queue
    response = client.post(
        reverse("petitions:moderate", args=[petition.pk]),
        {"action": "hide", "hide-explanation": "Hate speech."},
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert (petition.status, petition.is_hidden) == ("closed", True)
    assert not AbuseReport.objects.filter(resolved_at__isnull=True).exists()
    assert (
        _client().get(reverse("petitions:detail", args=[petition.pk])).status_code
        == 404
    )
    decisions = _client().get(reverse("petitions:decisions")).content.decode()
    assert "Hate speech." in decisions
    assert "Clean the Ural river" not in decisions
    assert (
        "Clean the Ural river"
        not in _client().get(reverse("petitions:list")).content.decode()
    )


def test_dashboard_shows_overdue_deadlines(
    make_petition: Callable[..., Petition], make_user: Callable[..., User]
) -> None:
    """The officials' dashboard lists an overdue moderation deadline."""
    from datetime import timedelta

    from django.utils import timezone

    from petitions.models import Deadline

    petition = make_petition(phase="moderation", title="Waiting too long")
    Deadline.objects.filter(petition=petition).update(
        due_at=timezone.now() - timedelta(days=1)
    )
    client = _otp_client(make_user(role=OFFICIAL))
    page = client.get(reverse("petitions:dashboard")).content.decode()
    overdue = page.split('id="overdue-heading"')[1].split("</section>")[0]
    assert "Waiting too long" in overdue
    assert "overdue" in overdue


def test_verify_page_and_home_listing(make_petition: Callable[..., Petition]) -> None:
    """The browser-check page loads its module; the home page lists open petitions."""
    petition = make_petition(title="Listed on the home page")
    page = (
        _client().get(reverse("petitions:verify", args=[petition.pk])).content.decode()
    )
    assert "js/petitions-verify.js" in page
    home = _client().get(reverse("home")).content.decode()
    assert "Listed on the home page" in home


def test_csv_neutralises_formulas(make_petition: Callable[..., Petition]) -> None:
    """A title that a spreadsheet would run as a formula is exported quoted."""
    make_petition(title='=HYPERLINK("http://evil")')
    csv = _client().get(reverse("petitions_api:export_csv")).content.decode()
    assert "'=HYPERLINK" in csv


def test_creator_edits_draft_only(
    make_petition: Callable[..., Petition], citizen: User, national: Level
) -> None:
    """The creator edits a draft; others and non-drafts are refused."""
    petition = make_petition(phase="draft")
    assert petition.creator is not None
    url = reverse("petitions:edit", args=[petition.pk])
    data = {
        "title": "Better title",
        "body": "Text.",
        "topic": "health",
        "level": national.pk,
    }
    assert _client(petition.creator).get(url).status_code == 200
    assert _client(petition.creator).post(url, data).status_code == 302
    petition.refresh_from_db()
    assert (petition.title, petition.topic) == ("Better title", "health")
    assert _client(citizen).post(url, dict(data, title="Hijack")).status_code == 404
    opened = make_petition()
    assert opened.creator is not None
    response = _client(opened.creator).post(
        reverse("petitions:edit", args=[opened.pk]), data
    )
    assert response.status_code == 409
    assert "Only drafts can be edited." in response.content.decode()
    opened.refresh_from_db()
    assert opened.title == "Clean the Ural river"


def test_moderator_invalidates_burst_over_http(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    settings: object,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """The moderation page shows a burst alert; invalidating it is logged."""
    from petitions.models import BurstAlert

    settings.PETITIONS_BURST_IP_LIMIT = 2  # type: ignore[attr-defined]
    petition = make_petition()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            petition_sign(petition=petition, user=make_user(), ip="198.51.100.9")
    alert = BurstAlert.objects.get(petition=petition)
    client = _otp_client(make_user(role=MODERATOR))
    url = reverse("petitions:moderate", args=[petition.pk])
    page = client.get(url).content.decode()
    assert "198.51.100.0/24" in page
    response = client.post(
        url,
        {
            "action": "invalidate",
            "invalidate-alert": alert.pk,
            "invalidate-reason": "Not A Code",
            "invalidate-explanation": "x",
        },
    )
    assert response.status_code == 400
    assert "Use lower-case letters, digits and hyphens" in response.content.decode()
    response = client.post(
        url,
        {
            "action": "invalidate",
            "invalidate-alert": alert.pk,
            "invalidate-reason": "bot-farm",
            "invalidate-explanation": "One network.",
        },
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.signature_count == 1
    types = list(
        LogEntry.objects.filter(petition=petition).values_list("type", flat=True)
    )
    assert types[-2:] == ["invalidate", "invalidate"]
    decisions = _client().get(reverse("petitions:decisions")).content.decode()
    assert "bot-farm" in decisions
    assert "One network." in decisions
