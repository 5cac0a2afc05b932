"""The consultation pages: rendering, authorisation, refusals, downloads."""

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import CITIZEN
from participation.models import (
    Comment,
    Consultation,
    PollAnswer,
    Reaction,
    Response,
)
from participation.services import (
    comment_create,
    comment_react,
    poll_create,
    response_create,
)
from participation.views import RATELIMITS
from tests.participation.conftest import BODY, login_verified

pytestmark = pytest.mark.django_db


def _url(name: str, *args: object) -> str:
    return reverse(f"participation:{name}", args=args)


def _key(consultation: Consultation, number: str) -> str:
    return consultation.versions.get().paragraphs.get(number=number).key


def test_detail_shows_numbered_paragraphs_and_counts(
    client: Client, consultation: Consultation, citizen: User
) -> None:
    """Anyone sees the numbered document, per-paragraph counts and threads."""
    key = _key(consultation, "2.1")
    comment_create(
        consultation=consultation,
        author=citizen,
        body="Leash is fine.",
        paragraph_key=key,
    )
    response = client.get(_url("detail", consultation.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="p-{key}"' in body
    assert "<span data-count>1</span> comment on paragraph 2.1" in body
    assert "Leash is fine." in body
    assert 'aria-live="polite"' in body
    assert "Secret votes belong to elections." in body
    assert 'src="/static/participation/consultation.js"' in body
    assert "Sign in to comment." in body


def test_citizen_posts_comment_on_paragraph(
    client: Client, consultation: Consultation, citizen: User
) -> None:
    """A signed-in citizen's comment is stored and the page jumps to it."""
    client.force_login(citizen)
    key = _key(consultation, "1.1")
    response = client.post(
        _url("comment_create", consultation.pk), {"body": "Good.", "paragraph_key": key}
    )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{_url('detail', consultation.pk)}#comment-{comment.pk}"
    )
    assert (comment.paragraph_key, comment.body, comment.author) == (
        key,
        "Good.",
        citizen,
    )


def test_anonymous_comment_goes_to_login(
    client: Client, consultation: Consultation
) -> None:
    """Anonymous visitors are sent to sign in; nothing is written."""
    response = client.post(_url("comment_create", consultation.pk), {"body": "Hi."})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert Comment.objects.count() == 0


def test_comment_on_closed_consultation_is_409(
    client: Client, make_consultation: Callable[..., Consultation], citizen: User
) -> None:
    """Commenting after the close shows the reason and writes nothing."""
    now = timezone.now()
    closed = make_consultation(
        starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=1)
    )
    client.force_login(citizen)
    response = client.post(_url("comment_create", closed.pk), {"body": "Late."})
    assert response.status_code == 409
    assert "This consultation is not open: it is Closed." in response.content.decode()
    assert Comment.objects.count() == 0


def test_empty_comment_is_400(
    client: Client, consultation: Consultation, citizen: User
) -> None:
    """An empty comment is refused with the field's message."""
    client.force_login(citizen)
    response = client.post(_url("comment_create", consultation.pk), {"body": ""})
    assert response.status_code == 400
    assert "Your comment: This field is required." in response.content.decode()
    assert Comment.objects.count() == 0


def test_commenting_is_rate_limited(
    client: Client, consultation: Consultation, citizen: User
) -> None:
    """Past the limit the answer is 429 and the comment is not stored."""
    client.force_login(citizen)
    limit, _window = RATELIMITS["comment"]
    for i in range(limit):
        client.post(_url("comment_create", consultation.pk), {"body": f"C{i}"})
    response = client.post(
        _url("comment_create", consultation.pk), {"body": "One more"}
    )
    assert response.status_code == 429
    assert Comment.objects.count() == limit


def test_csrf_is_enforced(consultation: Consultation, citizen: User) -> None:
    """A cross-site POST without the token is refused."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    response = client.post(_url("comment_create", consultation.pk), {"body": "Hi."})
    assert response.status_code == 403
    assert Comment.objects.count() == 0


def test_reacting_twice_changes_the_reaction(
    client: Client, consultation: Consultation, citizen: User, other_citizen: User
) -> None:
    """Two posts leave one reaction with the latest value."""
    comment = comment_create(consultation=consultation, author=citizen, body="A.")
    client.force_login(other_citizen)
    url = _url("comment_react", consultation.pk, comment.pk)
    assert client.post(url, {"value": "agree"}).status_code == 302
    assert client.post(url, {"value": "disagree"}).status_code == 302
    assert list(Reaction.objects.values_list("value", flat=True)) == ["disagree"]
    assert client.post(url, {"value": "maybe"}).status_code == 400
    assert list(Reaction.objects.values_list("value", flat=True)) == ["disagree"]


def test_edit_after_window_and_others_comment_are_refused(
    client: Client, consultation: Consultation, citizen: User, other_citizen: User
) -> None:
    """Late edits get 400, someone else's comment 403; the text stays."""
    old = comment_create(
        consultation=consultation,
        author=citizen,
        body="Old.",
        now=timezone.now() - timedelta(minutes=16),
    )
    client.force_login(citizen)
    late = client.post(_url("comment_edit", consultation.pk, old.pk), {"body": "New."})
    assert late.status_code == 400
    assert "within 15 minutes" in late.content.decode()
    fresh = comment_create(
        consultation=consultation, author=other_citizen, body="Mine."
    )
    theirs = client.post(
        _url("comment_edit", consultation.pk, fresh.pk), {"body": "Hijacked."}
    )
    assert theirs.status_code == 403
    assert "You can only edit your own comments." in theirs.content.decode()
    assert sorted(Comment.objects.values_list("body", flat=True)) == ["Mine.", "Old."]


def test_edit_within_window(
    client: Client, consultation: Consultation, citizen: User
) -> None:
    """The author edits a fresh comment through the form."""
    comment = comment_create(consultation=consultation, author=citizen, body="Tpyo.")
    client.force_login(citizen)
    url = _url("comment_edit", consultation.pk, comment.pk)
    assert client.get(url).status_code == 200
    assert client.post(url, {"body": "Typo."}).status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Typo."


def test_responding_needs_the_official_role(
    client: Client, consultation: Consultation, citizen: User, other_citizen: User
) -> None:
    """A citizen gets 403; nothing is written."""
    comment = comment_create(consultation=consultation, author=citizen, body="A.")
    client.force_login(other_citizen)
    response = client.post(
        _url("comment_respond", consultation.pk, comment.pk),
        {"outcome": "accepted", "explanation": "Sure."},
    )
    assert response.status_code == 403
    assert Response.objects.count() == 0


def test_official_without_2fa_is_sent_to_setup(
    client: Client, consultation: Consultation, citizen: User, official: User
) -> None:
    """Officials must pass TOTP before responding."""
    comment = comment_create(consultation=consultation, author=citizen, body="A.")
    client.force_login(official)
    response = client.post(
        _url("comment_respond", consultation.pk, comment.pk),
        {"outcome": "accepted", "explanation": "Sure."},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))
    assert Response.objects.count() == 0


def test_official_responds_and_report_waits_for_all(
    client: Client,
    make_consultation: Callable[..., Consultation],
    citizen: User,
    other_citizen: User,
    official: User,
) -> None:
    """Publishing the report before every comment is answered is a 400."""
    now = timezone.now()
    consultation = make_consultation(
        starts_at=now - timedelta(days=5), ends_at=now + timedelta(seconds=30)
    )
    first = comment_create(consultation=consultation, author=citizen, body="A.")
    comment_create(consultation=consultation, author=other_citizen, body="B.")
    Consultation.objects.filter(pk=consultation.pk).update(
        ends_at=now - timedelta(seconds=1)
    )
    login_verified(client, official)
    answered = client.post(
        _url("comment_respond", consultation.pk, first.pk),
        {"outcome": "accepted", "explanation": "Done."},
    )
    assert answered.status_code == 302
    refused = client.post(_url("report_publish", consultation.pk), {"summary": "S."})
    assert refused.status_code == 400
    assert (
        "1 comments have neither an official response nor a moderation decision."
        in refused.content.decode()
    )
    consultation.refresh_from_db()
    assert consultation.report_published_at is None


def test_report_is_hidden_until_published(
    client: Client, consultation: Consultation
) -> None:
    """The public cannot see the report, print view or CSV before publication."""
    for name in ("report", "report_print", "report_csv"):
        assert client.get(_url(name, consultation.pk)).status_code == 404


def test_report_downloads_match_the_data(
    client: Client,
    make_consultation: Callable[..., Consultation],
    citizen: User,
    other_citizen: User,
    official: User,
) -> None:
    """The CSV lists every comment with its response; the print view is a page."""
    consultation = make_consultation()
    key = _key(consultation, "1.2")
    first = comment_create(
        consultation=consultation,
        author=citizen,
        body="=HYPERLINK(evil)",
        paragraph_key=key,
    )
    comment_react(comment=first, user=other_citizen, value="agree")
    response_create(
        consultation=consultation,
        comments=[first],
        official=official,
        outcome="noted",
        explanation="Thanks.",
    )
    Consultation.objects.filter(pk=consultation.pk).update(
        ends_at=timezone.now() - timedelta(seconds=1),
        report_published_at=timezone.now(),
    )
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(_url("report_csv", consultation.pk)).content.decode()
            )
        )
    )
    assert rows[0][:3] == ["comment_id", "parent_id", "paragraph"]
    assert rows[1][0] == str(first.pk)
    assert rows[1][2:3] == ["1.2"]
    assert rows[1][4:7] == ["'=HYPERLINK(evil)", "1", "0"]
    assert rows[1][9:] == ["noted", "Thanks."]
    printable = client.get(_url("report_print", consultation.pk)).content.decode()
    assert "report-print.css" in printable
    assert '<td data-outcome="noted">1</td>' in printable
    page = client.get(_url("report", consultation.pk)).content.decode()
    assert '<dd data-figure="comments">1</dd>' in page
    assert '<dd data-figure="agree">1</dd>' in page


def test_official_publishes_consultation_with_pdf(
    client: Client, official: User, settings: object, tmp_path: object
) -> None:
    """The form publishes version 1 and the attachment."""
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    login_verified(client, official)
    response = client.post(
        _url("create"),
        {
            "title": "Noise law",
            "summary": "Quiet hours.",
            "department": "Akimat",
            "starts_at": "2026-01-01T10:00",
            "ends_at": "2026-02-01T10:00",
            "body": BODY,
            "attachments": SimpleUploadedFile(
                "law.pdf", b"%PDF-1.7\n", "application/pdf"
            ),
        },
    )
    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert consultation.attachments.count() == 1
    assert consultation.versions.get().paragraphs.count() == 6


def test_consultation_form_refuses_non_pdf(client: Client, official: User) -> None:
    """A non-PDF attachment is a 400 with the message; nothing is created."""
    login_verified(client, official)
    response = client.post(
        _url("create"),
        {
            "title": "Noise law",
            "summary": "Quiet hours.",
            "department": "Akimat",
            "starts_at": "2026-01-01T10:00",
            "ends_at": "2026-02-01T10:00",
            "body": BODY,
            "attachments": SimpleUploadedFile("law.pdf", b"<html>", "application/pdf"),
        },
    )
    assert response.status_code == 400
    assert "law.pdf is not a PDF file." in response.content.decode()
    assert Consultation.objects.count() == 0


def test_citizen_cannot_open_manage_page(
    client: Client, consultation: Consultation, citizen: User
) -> None:
    """The official's desk is 403 for citizens."""
    client.force_login(citizen)
    assert client.get(_url("manage", consultation.pk)).status_code == 403


def test_poll_answer_via_view_one_per_person(
    client: Client, consultation: Consultation, citizen: User, official: User
) -> None:
    """Answering twice through the page keeps one answer."""
    poll = poll_create(
        consultation=consultation,
        official=official,
        question="Q?",
        kind="single",
        options=["A", "B"],
    )
    a, b = poll.options.all()
    client.force_login(citizen)
    url = _url("poll_answer", consultation.pk, poll.pk)
    assert client.post(url, {"options": [a.pk]}).status_code == 302
    assert client.post(url, {"options": [b.pk]}).status_code == 302
    answer = PollAnswer.objects.get()
    assert list(answer.options.all()) == [b]
    assert client.post(url, {"options": [a.pk, b.pk]}).status_code == 400


def test_version_changes_page_shows_word_diff(
    client: Client, consultation: Consultation, official: User
) -> None:
    """The changes page marks inserted and deleted words."""
    login_verified(client, official)
    new_body = BODY.replace("until midnight", "until eleven at night")
    response = client.post(
        _url("version_create", consultation.pk),
        {"body": new_body, "change_summary": "Hours."},
    )
    assert response.status_code == 302
    page = client.get(_url("changes", consultation.pk, 2)).content.decode()
    assert "<del>midnight.</del><ins>eleven at night.</ins>" in page


def test_home_and_feed_list_open_consultations(
    client: Client, make_consultation: Callable[..., Consultation]
) -> None:
    """Open consultations appear on the home page and in the Atom feed."""
    make_consultation(title="Open one")
    now = timezone.now()
    make_consultation(
        title="Future one",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
    )
    home = client.get("/").content.decode()
    assert "Open one" in home
    assert "Future one" not in home
    feed = client.get(_url("feed"))
    assert feed["Content-Type"].startswith("application/atom+xml")
    text = feed.content.decode()
    assert "<title>Open one</title>" in text
    assert "Future one" not in text


def test_moderator_hides_from_page(
    client: Client,
    consultation: Consultation,
    citizen: User,
    moderator: User,
    make_user: Callable[..., User],
) -> None:
    """A verified moderator hides a comment; the reason shows in its place."""
    comment = comment_create(consultation=consultation, author=citizen, body="Spam!")
    login_verified(client, moderator)
    response = client.post(
        _url("comment_hide", consultation.pk, comment.pk), {"reason": "Advertising."}
    )
    assert response.status_code == 302
    page = Client().get(_url("detail", consultation.pk)).content.decode()
    assert "Hidden by a moderator: Advertising." in page
    assert "Spam!" not in page
    other = make_user(role=CITIZEN)
    client.force_login(other)
    assert (
        client.post(
            _url("comment_hide", consultation.pk, comment.pk), {"reason": "x"}
        ).status_code
        == 403
    )


def test_officials_see_planted_campaign_as_one_item(
    client: Client,
    consultation: Consultation,
    official: User,
    make_user: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    """Form letters posted through the page show as one campaign with its count."""
    letter = (
        "Please withdraw the leash rule for all parks because responsible dog "
        "owners already keep their animals under control every day, signed {n}."
    )
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        for n in range(5):
            sender = Client()
            sender.force_login(make_user(role=CITIZEN))
            sender.post(
                _url("comment_create", consultation.pk), {"body": letter.format(n=n)}
            )
        independent = Client()
        independent.force_login(make_user(role=CITIZEN))
        independent.post(
            _url("comment_create", consultation.pk),
            {"body": "Benches near the lake would help older visitors rest."},
        )
    login_verified(client, official)
    page = client.get(_url("manage", consultation.pk)).content.decode()
    assert page.count("Campaign of 5 comments") == 1
    assert "5 distinct authors; 5 without a response." in page
    assert "6 comments need a response" in page
    campaign = consultation.campaigns.get()
    answered = client.post(
        _url("campaign_respond", consultation.pk, campaign.pk),
        {"outcome": "not_accepted", "explanation": "Safety first."},
    )
    assert answered.status_code == 302
    assert Comment.objects.filter(response__isnull=True).count() == 1


def test_detail_renders_polls_statements_and_opinion_map(
    client: Client,
    consultation: Consultation,
    official: User,
    citizen: User,
    make_user: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    """Polls with counts, statements and the stored groups appear on the page."""
    from participation.services import poll_answer, statement_create, statement_vote

    poll = poll_create(
        consultation=consultation,
        official=official,
        question="Which hour?",
        kind="multiple",
        options=["6:00", "7:00"],
    )
    poll_answer(poll=poll, user=citizen, option_ids=[poll.options.first().pk])  # type: ignore[union-attr]
    statements = [
        statement_create(consultation=consultation, author=official, text=f"Idea {i}")
        for i in range(8)
    ]
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        for n in range(12):
            voter = make_user(role=CITIZEN)
            for i, statement in enumerate(statements):
                camp = 1 if n < 6 else -1
                value = 1 if i == 7 else (camp if i < 4 else -camp)
                statement_vote(statement=statement, user=voter, value=value)
    client.force_login(citizen)
    page = client.get(_url("detail", consultation.pk)).content.decode()
    assert "Which hour?" in page
    assert 'type="checkbox" name="options"' in page
    assert "<span data-poll-answers>1</span> person answered." in page
    assert "Group 1 (6 people)" in page
    assert "Group 2 (6 people)" in page
    assert "Most agree: Idea 7" in page


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_pages_render_in_every_language(
    client: Client, consultation: Consultation, citizen: User, language: str
) -> None:
    """The consultation pages render in Russian and Kazakh too."""
    comment_create(consultation=consultation, author=citizen, body="Hi.")
    for url in (_url("list"), _url("detail", consultation.pk)):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        assert f'<html lang="{language}"' in response.content.decode()


def test_report_lists_changes_and_the_comments_behind_them(
    client: Client, consultation: Consultation, citizen: User, official: User
) -> None:
    """The report shows each version's diff and the linked comments."""
    from participation.services import change_link_create, version_publish

    key = _key(consultation, "2.1")
    comment = comment_create(
        consultation=consultation,
        author=citizen,
        body="Allow mornings off leash.",
        paragraph_key=key,
    )
    version = version_publish(
        consultation=consultation,
        author=official,
        body=BODY.replace("at all times", "after eight in the morning"),
        change_summary="Mornings.",
    )
    change_link_create(
        version=version, paragraph_key=key, comment=comment, official=official
    )
    login_verified(client, official)
    page = client.get(_url("report", consultation.pk)).content.decode()
    assert "Preview: the report is not published yet." in page
    assert "<del>at all times.</del><ins>after eight in the morning.</ins>" in page
    assert "Comments that led to this change:" in page
    assert f"#comment-{comment.pk}" in page
    changes = client.get(_url("changes", consultation.pk, 2)).content.decode()
    assert "Allow mornings off leash." in changes
