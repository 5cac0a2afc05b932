"""The pages that edit and delete a consultation, and the opinion map fragment."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import CITIZEN
from participation.models import Consultation, ConsultationEvent
from participation.services import comment_create, statement_create, statement_vote
from tests.participation.conftest import login_verified

pytestmark = pytest.mark.django_db


def _url(name: str, *args: object) -> str:
    return reverse(f"participation:{name}", args=args)


def _local(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _form(consultation: Consultation, **changes: str) -> dict[str, str]:
    data = {
        "title": consultation.title,
        "summary": consultation.summary,
        "department": consultation.department,
        "starts_at": _local(consultation.starts_at),
        "ends_at": _local(consultation.ends_at),
    }
    data.update(changes)
    return data


def _snapshot(consultation: Consultation) -> tuple[object, ...]:
    return tuple(
        Consultation.objects.filter(pk=consultation.pk).values_list(
            "title", "summary", "department", "starts_at", "ends_at"
        )[0]
    )


def test_manage_page_links_to_the_edit_and_delete_pages(
    client: Client, consultation: Consultation, official: User
) -> None:
    """The official's desk offers both; the edit form shows the details."""
    login_verified(client, official)
    manage = client.get(_url("manage", consultation.pk)).content.decode()
    assert f'href="{_url("edit", consultation.pk)}"' in manage
    assert f'href="{_url("delete", consultation.pk)}"' in manage
    assert "The details have not changed since publication." in manage
    response = client.get(_url("edit", consultation.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Parks law"' in page
    assert f'value="{_local(consultation.ends_at)}"' in page
    # Open: the opening time is read-only and says why.
    assert "its opening time can no longer change." in page
    assert page.count("readonly") == 1


def test_official_edits_details(
    client: Client, consultation: Consultation, official: User
) -> None:
    """Unchanged dates keep their seconds; the change lands in the history."""
    login_verified(client, official)
    starts_at = consultation.starts_at
    new_end = (timezone.now() + timedelta(days=60)).replace(second=0, microsecond=0)
    response = client.post(
        _url("edit", consultation.pk),
        _form(consultation, title="Parks law, second reading", ends_at=_local(new_end)),
    )
    assert response.status_code == 302
    assert response["Location"] == _url("manage", consultation.pk)
    consultation.refresh_from_db()
    assert (consultation.title, consultation.starts_at, consultation.ends_at) == (
        "Parks law, second reading",
        starts_at,
        new_end,
    )
    assert set(ConsultationEvent.objects.get().changes) == {"title", "ends_at"}
    manage = client.get(response["Location"]).content.decode()
    assert "The consultation&#x27;s details are saved." in manage
    assert "Title: “Parks law” → “Parks law, second reading”" in manage


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"title": ""}, 400, "This field is required."),
        ({"ends_at": "soon"}, 400, "Enter a valid date/time."),
        (
            {"ends_at": "2020-01-01T10:00"},
            400,
            "The consultation must close after it opens.",
        ),
        (
            {"starts_at": "2099-01-01T10:00", "ends_at": "2099-02-01T10:00"},
            409,
            "The consultation has opened; its opening time can no longer change.",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message(
    client: Client,
    consultation: Consultation,
    official: User,
    changes: dict[str, str],
    status: int,
    message: str,
) -> None:
    """Bad input re-shows the form with the reason; nothing is saved."""
    login_verified(client, official)
    before = _snapshot(consultation)
    response = client.post(
        _url("edit", consultation.pk), _form(consultation, **changes)
    )
    assert response.status_code == status
    assert message in response.content.decode()
    assert _snapshot(consultation) == before
    assert ConsultationEvent.objects.count() == 0


def test_closed_consultation_is_not_reopened(
    client: Client, make_consultation: Callable[..., Consultation], official: User
) -> None:
    """A later closing time for a closed consultation is a 409 with the reason."""
    now = timezone.now()
    closed = make_consultation(
        starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=1)
    )
    login_verified(client, official)
    assert client.get(_url("edit", closed.pk)).content.decode().count("readonly") == 2
    before = _snapshot(closed)
    later = _local(now + timedelta(days=7))
    response = client.post(_url("edit", closed.pk), _form(closed, ends_at=later))
    assert response.status_code == 409
    assert "its dates can no longer change." in response.content.decode()
    assert _snapshot(closed) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_edit_and_delete_need_a_verified_official(
    client: Client,
    consultation: Consultation,
    citizen: User,
    moderator: User,
    official: User,
    method: str,
) -> None:
    """Anonymous: sign-in; citizen, moderator: 403; official without 2FA: set-up."""
    before = _snapshot(consultation)
    for name in ("edit", "delete"):
        url = _url(name, consultation.pk)
        send = getattr(client, method)
        client.logout()
        anonymous = send(url, _form(consultation, title="Hijacked"))
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("accounts:login"))
        for user in (citizen, moderator):
            client.force_login(user)
            assert send(url, _form(consultation, title="Hijacked")).status_code == 403
        client.force_login(official)
        unverified = send(url, _form(consultation, title="Hijacked"))
        assert unverified.status_code == 302
        assert unverified["Location"].startswith(reverse("accounts:two_factor_setup"))
    assert _snapshot(consultation) == before
    assert Consultation.objects.count() == 1


def test_official_deletes_an_untouched_consultation(
    client: Client, consultation: Consultation, official: User
) -> None:
    """The confirmation page, then the deletion and a message on the list."""
    login_verified(client, official)
    confirm = client.get(_url("delete", consultation.pk))
    assert confirm.status_code == 200
    assert "This cannot be undone." in confirm.content.decode()
    response = client.post(_url("delete", consultation.pk))
    assert response.status_code == 302
    assert response["Location"] == _url("list")
    assert Consultation.objects.count() == 0
    listing = client.get(response["Location"]).content.decode()
    assert "The consultation “Parks law” is deleted." in listing


def test_delete_refused_after_a_comment(
    client: Client, consultation: Consultation, official: User, citizen: User
) -> None:
    """With a comment, both the page and the deletion are a 409 with the reason."""
    comment_create(consultation=consultation, author=citizen, body="Keep me.")
    login_verified(client, official)
    reason = "deleting it would lose their contributions."
    manage = client.get(_url("manage", consultation.pk)).content.decode()
    assert reason in manage
    assert f'href="{_url("delete", consultation.pk)}"' not in manage
    for response in (
        client.get(_url("delete", consultation.pk)),
        client.post(_url("delete", consultation.pk)),
    ):
        assert response.status_code == 409
        assert reason in response.content.decode()
    assert Consultation.objects.filter(pk=consultation.pk).exists()


def test_opinion_map_fragment_matches_the_page(
    client: Client,
    consultation: Consultation,
    official: User,
    make_user: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """The fragment the script fetches is the page's map section, uncached."""
    page = client.get(_url("detail", consultation.pk)).content.decode()
    fragment_url = _url("opinion_map", consultation.pk)
    assert f'<div id="opinion-results" data-opinion-url="{fragment_url}">' in page
    assert 'data-opinion-updated="The opinion map was updated."' in page
    empty = client.get(_url("opinion_map", consultation.pk))
    assert empty.status_code == 200
    assert empty.content.decode().strip() == ""
    assert "no-cache" in empty["Cache-Control"]
    statement = statement_create(
        consultation=consultation, author=official, text="Parks need light."
    )
    with django_capture_on_commit_callbacks(execute=True):
        statement_vote(statement=statement, user=make_user(role=CITIZEN), value=1)
    fragment = client.get(_url("opinion_map", consultation.pk)).content.decode()
    assert "<p data-opinion-summary>Based on 1 participant (updated " in fragment
    assert "<h4>Group 1 (1 people)</h4>" in fragment
    page = client.get(_url("detail", consultation.pk)).content.decode()
    assert "<p data-opinion-summary>Based on 1 participant (updated " in page


@pytest.mark.parametrize(
    ("language", "save", "history"),
    [
        ("ru", "Сохранить изменения", "История изменений"),
        ("kk", "Өзгерістерді сақтау", "Өзгерістер тарихы"),
    ],
)
def test_edit_pages_render_in_every_language(
    client: Client,
    consultation: Consultation,
    official: User,
    language: str,
    save: str,
    history: str,
) -> None:
    """The edit, delete and manage pages are translated."""
    login_verified(client, official)
    pages = {
        name: client.get(_url(name, consultation.pk), HTTP_ACCEPT_LANGUAGE=language)
        for name in ("edit", "delete", "manage")
    }
    assert {name: page.status_code for name, page in pages.items()} == {
        "edit": 200,
        "delete": 200,
        "manage": 200,
    }
    assert save in pages["edit"].content.decode()
    assert history in pages["manage"].content.decode()
    assert f'<html lang="{language}"' in pages["delete"].content.decode()


def test_official_adds_and_removes_an_attachment_on_the_edit_page(
    make_consultation: Callable[..., Consultation],
    official: User,
    citizen: User,
    client: Client,
    settings: Any,
    tmp_path: Any,
) -> None:
    """The edit page lists attachments with a remove button and an add form."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    consultation = make_consultation(
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=9)
    )
    add_url = _url("attachment_add", consultation.pk)
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n", "application/pdf")
    assert (
        login_verified(Client(), citizen).post(add_url, {"file": pdf}).status_code
        == 403
    )
    assert consultation.attachments.count() == 0
    official_client = login_verified(client, official)
    missing = official_client.post(add_url, {"title": "Plan"})
    assert missing.status_code == 400
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n", "application/pdf")
    response = official_client.post(add_url, {"title": "Plan", "file": pdf})
    assert response.status_code == 302
    attachment = consultation.attachments.get()
    page = official_client.get(_url("edit", consultation.pk)).content.decode()
    assert "Plan" in page
    assert _url("attachment_remove", consultation.pk, attachment.pk) in page
    other = make_consultation()
    wrong = official_client.post(_url("attachment_remove", other.pk, attachment.pk))
    assert wrong.status_code == 404
    removed = official_client.post(
        _url("attachment_remove", consultation.pk, attachment.pk)
    )
    assert removed.status_code == 302
    assert consultation.attachments.count() == 0
    assert ConsultationEvent.objects.filter(
        consultation=consultation, action="attachment_removed"
    ).exists()
