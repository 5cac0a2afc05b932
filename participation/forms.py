"""Forms of the consultation pages: they parse; the services decide."""

from datetime import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participation.models import (
    Consultation,
    Poll,
    Reaction,
    Response,
    StatementVote,
    Status,
)


class MultiplePDFInput(forms.ClearableFileInput):
    """A file input that accepts several files at once."""

    allow_multiple_selected = True


class MultiplePDFField(forms.FileField):
    """Return a list of uploaded files (possibly empty)."""

    widget = MultiplePDFInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        """Clean each uploaded file with ``FileField.clean``."""
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
"""The value format of ``<input type="datetime-local">`` in every language."""


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)


class ConsultationDetailsForm(forms.Form):
    """The details of a consultation: what officials can change later."""

    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea, max_length=2000
    )
    department = forms.CharField(label=_("Department"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Opens at"), widget=_datetime_input())
    ends_at = forms.DateTimeField(label=_("Closes at"), widget=_datetime_input())


class ConsultationForm(ConsultationDetailsForm):
    """Publish a consultation: details, body and PDF attachments."""

    body = forms.CharField(
        label=_("Document"),
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=_(
            "Start a section with a line beginning with #; separate paragraphs "
            "with an empty line. Sections and paragraphs are numbered for you."
        ),
    )
    attachments = MultiplePDFField(
        label=_("PDF attachments"),
        required=False,
        help_text=_("Optional. PDF files only, at most 10 MB each."),
    )


class AttachmentForm(forms.Form):
    """Add one PDF to a published consultation."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    file = forms.FileField(
        label=_("PDF file"), help_text=_("PDF files only, at most 10 MB.")
    )


def _to_minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


class ConsultationEditForm(ConsultationDetailsForm):
    """Change a published consultation's details.

    The dates its phase fixes are read-only, with the reason as help text;
    the service refuses a changed value all the same.  The date inputs
    show minutes, so a submitted date equal to the stored one up to the
    minute counts as unchanged and keeps the stored seconds.
    """

    def __init__(
        self, *args: Any, consultation: Consultation, status: Status, **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "title": consultation.title,
                "summary": consultation.summary,
                "department": consultation.department,
                "starts_at": _to_minute(timezone.localtime(consultation.starts_at)),
                "ends_at": _to_minute(timezone.localtime(consultation.ends_at)),
            },
        )
        super().__init__(*args, **kwargs)
        self.consultation = consultation
        fixed: list[str] = []
        if status == Status.OPEN:
            fixed = ["starts_at"]
            self.fields["starts_at"].help_text = _(
                "The consultation has opened; its opening time can no longer change."
            )
            self.fields["ends_at"].help_text = _(
                "The closing time can move, but not into the past."
            )
        elif status != Status.UPCOMING:
            fixed = ["starts_at", "ends_at"]
            self.fields["ends_at"].help_text = _(
                "The consultation has closed; its dates can no longer change."
            )
        for name in fixed:
            self.fields[name].widget.attrs["readonly"] = True

    def clean(self) -> dict[str, Any]:
        """Keep a stored date that the form shows unchanged."""
        cleaned = super().clean() or {}
        for name in ("starts_at", "ends_at"):
            stored: datetime = getattr(self.consultation, name)
            value = cleaned.get(name)
            if value is not None and value == _to_minute(stored):
                cleaned[name] = stored
        return cleaned


class VersionForm(forms.Form):
    """Publish a new version of the document."""

    body = forms.CharField(
        label=_("Document"), widget=forms.Textarea(attrs={"rows": 20})
    )
    change_summary = forms.CharField(
        label=_("What changed and why"), widget=forms.Textarea, required=False
    )


class CommentForm(forms.Form):
    """Post a comment on the document, a paragraph, or a reply."""

    body = forms.CharField(
        label=_("Your comment"), widget=forms.Textarea, max_length=5000
    )
    paragraph_key = forms.CharField(
        required=False, max_length=20, widget=forms.HiddenInput
    )
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class CommentEditForm(forms.Form):
    """Change the text of one's comment."""

    body = forms.CharField(
        label=_("Your comment"), widget=forms.Textarea, max_length=5000
    )


class ReactionForm(forms.Form):
    """Agree or disagree with a comment."""

    value = forms.ChoiceField(choices=Reaction.Value.choices)


class FlagForm(forms.Form):
    """Report a comment as abusive."""

    reason = forms.CharField(label=_("Why is this comment abusive?"), max_length=500)


class HideForm(forms.Form):
    """Hide a comment with a public reason."""

    reason = forms.CharField(
        label=_("Reason shown in place of the comment"), max_length=500
    )


class ResponseForm(forms.Form):
    """Answer a comment or a campaign."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=Response.Outcome.choices)
    explanation = forms.CharField(
        label=_("Explanation"), widget=forms.Textarea, max_length=5000
    )


class ChangeLinkForm(forms.Form):
    """Link a comment to a changed paragraph of a version."""

    comment = forms.IntegerField(label=_("Comment number"), min_value=1)
    paragraph_key = forms.CharField(
        required=False, max_length=20, widget=forms.HiddenInput
    )


class ReportForm(forms.Form):
    """Publish the report."""

    summary = forms.CharField(label=_("Report summary"), widget=forms.Textarea)


class PollForm(forms.Form):
    """Attach a poll: one option per line."""

    question = forms.CharField(label=_("Question"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=Poll.Kind.choices)
    options = forms.CharField(
        label=_("Options"), widget=forms.Textarea, help_text=_("One option per line.")
    )


class PollAnswerForm(forms.Form):
    """Answer a poll (the view checks the ids belong to it)."""

    options = forms.TypedMultipleChoiceField(coerce=int, choices=())

    def __init__(self, *args: Any, poll: Poll, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["options"]
        assert isinstance(field, forms.TypedMultipleChoiceField)  # noqa: S101
        field.choices = [(o.pk, o.text) for o in poll.options.all()]


class StatementForm(forms.Form):
    """Add (official) or propose (citizen) a statement."""

    text = forms.CharField(label=_("Statement"), max_length=300)


class StatementVoteForm(forms.Form):
    """Agree, disagree or pass."""

    value = forms.TypedChoiceField(coerce=int, choices=StatementVote.Value.choices)
