"""Forms of the consultation pages: they parse; the services decide."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from participation.models import Poll, Reaction, Response, StatementVote


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


class ConsultationForm(forms.Form):
    """Publish a consultation: metadata, body and PDF attachments."""

    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea, max_length=2000
    )
    department = forms.CharField(label=_("Department"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Opens at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label=_("Closes at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
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
