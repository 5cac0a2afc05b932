"""Publishing consultations and new versions; PDF attachments; status."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from participation.models import (
    MAX_ATTACHMENT_BYTES,
    Attachment,
    ChangeLink,
    Consultation,
    DocumentVersion,
    Status,
)
from participation.selectors import version_diff
from participation.services import change_link_create, comment_create, version_publish
from tests.participation.conftest import BODY

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%minimal\n"


def test_publish_stores_numbered_paragraphs(consultation: Consultation) -> None:
    """Version 1 holds the body split into numbered headings and paragraphs."""
    version = consultation.versions.get()
    assert version.number == 1
    assert [(p.kind, p.number) for p in version.paragraphs.all()] == [
        ("heading", "1"),
        ("paragraph", "1.1"),
        ("paragraph", "1.2"),
        ("heading", "2"),
        ("paragraph", "2.1"),
        ("paragraph", "2.2"),
    ]


def test_status_follows_dates_and_report(consultation: Consultation) -> None:
    """Upcoming, open, closed and report published come from the data."""
    assert (
        consultation.status_at(consultation.starts_at - timedelta(1)) == Status.UPCOMING
    )
    assert consultation.status_at(consultation.starts_at) == Status.OPEN
    assert consultation.status_at(consultation.ends_at) == Status.CLOSED
    consultation.report_published_at = consultation.ends_at
    assert consultation.status_at(consultation.starts_at) == Status.REPORT_PUBLISHED


def test_only_officials_publish(
    make_consultation: Callable[..., Consultation], citizen: User
) -> None:
    """A citizen cannot publish a consultation; nothing is written."""
    with pytest.raises(PermissionDenied, match=r"Only officials can do this\."):
        make_consultation(author=citizen)
    assert Consultation.objects.count() == 0


def test_dates_must_be_ordered(make_consultation: Callable[..., Consultation]) -> None:
    """Closing before opening is refused."""
    now = timezone.now()
    with pytest.raises(ValidationError, match="must close after it opens"):
        make_consultation(starts_at=now, ends_at=now)
    assert Consultation.objects.count() == 0


def test_pdf_attachment_is_stored(
    make_consultation: Callable[..., Consultation], settings: object, tmp_path: object
) -> None:
    """A real PDF is attached with its size."""
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    upload = SimpleUploadedFile("draft.pdf", PDF, content_type="application/pdf")
    consultation = make_consultation(attachments=[("Full draft", upload)])
    attachment = consultation.attachments.get()
    assert (attachment.title, attachment.size) == ("Full draft", len(PDF))


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        (
            "draft.pdf",
            b"MZ\x90\x00 not a pdf",
            "application/pdf",
            "draft.pdf is not a PDF file.",
        ),
        ("draft.exe", PDF, "application/pdf", "draft.exe is not a PDF file."),
        ("draft.pdf", PDF, "text/html", "draft.pdf is not a PDF file."),
        (
            "big.pdf",
            PDF + b"0" * MAX_ATTACHMENT_BYTES,
            "application/pdf",
            "big.pdf is larger than 10 MB.",
        ),
    ],
)
def test_bad_attachment_is_refused(
    make_consultation: Callable[..., Consultation],
    name: str,
    content: bytes,
    content_type: str,
    message: str,
) -> None:
    """Non-PDF or oversized files are refused and no consultation is created."""
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    with pytest.raises(ValidationError) as error:
        make_consultation(attachments=[("Draft", upload)])
    assert error.value.messages == [message]
    assert Consultation.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_new_version_keeps_ids_and_diff_shows_changes(
    consultation: Consultation, official: User, citizen: User
) -> None:
    """A new version keeps unchanged ids; the diff marks the edited paragraph."""
    v1 = consultation.versions.get()
    comment = comment_create(
        consultation=consultation,
        author=citizen,
        body="Allow dogs off leash in the early morning.",
        paragraph_key=v1.paragraphs.get(number="2.1").key,
    )
    new_body = BODY.replace(
        "Dogs must be kept on a leash at all times.",
        "Dogs must be kept on a leash except before eight in the morning.",
    )
    v2 = version_publish(
        consultation=consultation,
        author=official,
        body=new_body,
        change_summary="Morning exception for dogs.",
    )
    assert v2.number == 2
    assert list(v2.paragraphs.values_list("key", flat=True)) == list(
        v1.paragraphs.values_list("key", flat=True)
    )
    change_link_create(
        version=v2,
        paragraph_key=comment.paragraph_key,
        comment=comment,
        official=official,
    )
    _old, _new, changes = version_diff(consultation, old_number=1, new_number=2)
    changed = [c for c in changes if c.change == "changed"]
    assert [c.key for c in changed] == [comment.paragraph_key]
    assert changed[0].segments == (
        ("equal", "Dogs must be kept on a leash "),
        ("delete", "at all times."),
        ("insert", "except before eight in the morning."),
    )
    assert ChangeLink.objects.get().comment == comment


def test_identical_version_is_refused(
    consultation: Consultation, official: User
) -> None:
    """Publishing the same text again is an error; no version is added."""
    with pytest.raises(ValidationError, match="identical to the current one"):
        version_publish(
            consultation=consultation, author=official, body=BODY, change_summary=""
        )
    assert DocumentVersion.objects.count() == 1
