"""Forms of the petitions app (parsing only; the services decide)."""

from typing import TYPE_CHECKING, ClassVar

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from petitions.models import AbuseReport, Petition, Topic

REASON_CODE = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,63}$",
    _("Use lower-case letters, digits and hyphens (for example bot-farm)."),
)


if TYPE_CHECKING:
    _PetitionModelForm = forms.ModelForm[Petition]
else:
    _PetitionModelForm = forms.ModelForm


class PetitionForm(_PetitionModelForm):
    """A new petition: text, topic, level and territory."""

    class Meta:
        model = Petition
        fields: ClassVar = ["title", "body", "topic", "level", "region"]
        widgets: ClassVar = {"body": forms.Textarea(attrs={"rows": 12})}
        help_texts: ClassVar = {
            "region": _("Required for district and regional petitions."),
        }


class SearchForm(forms.Form):
    """Search and filters of the petition list."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any status")),
            (Petition.Status.OPEN, Petition.Status.OPEN.label),
            (Petition.Status.CLOSED, Petition.Status.CLOSED.label),
            (Petition.Status.REJECTED, Petition.Status.REJECTED.label),
            (Petition.Status.DUPLICATE, Petition.Status.DUPLICATE.label),
        ],
    )
    topic = forms.ChoiceField(
        label=_("Topic"), required=False, choices=[("", _("Any topic")), *Topic.choices]
    )
    region = forms.ModelChoiceField(
        label=_("Territory"),
        required=False,
        queryset=Region.objects.all(),
        empty_label=_("Any territory"),
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("signatures", _("Most signatures")),
            ("recent", _("Most recent")),
            ("closing", _("Closing soonest")),
        ],
    )


class SignForm(forms.Form):
    """Sign a petition, optionally asking for e-mail updates."""

    wants_updates = forms.BooleanField(
        label=_(
            "E-mail me when this petition reaches a threshold, gets a response "
            "or closes"
        ),
        required=False,
    )


class RejectForm(forms.Form):
    """A moderator's rejection."""

    reason = forms.ChoiceField(
        label=_("Reason"), choices=Petition.RejectionReason.choices
    )
    explanation = forms.CharField(
        label=_("Public explanation"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )


class DuplicateForm(forms.Form):
    """A moderator marks a petition as a duplicate of another."""

    original = forms.IntegerField(
        label=_("Number of the existing petition"), min_value=1
    )
    explanation = forms.CharField(
        label=_("Public explanation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class HideForm(forms.Form):
    """A moderator hides abusive content."""

    explanation = forms.CharField(
        label=_("Public explanation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class InvalidateForm(forms.Form):
    """Bulk invalidation of signatures by IP range, e-mail domain or alert."""

    alert = forms.IntegerField(required=False, widget=forms.HiddenInput)
    ip_prefix = forms.CharField(label=_("IP range"), required=False, max_length=64)
    email_domain = forms.CharField(
        label=_("E-mail domain"), required=False, max_length=255
    )
    reason = forms.CharField(
        label=_("Reason code (published in the log)"),
        max_length=64,
        validators=[REASON_CODE],
    )
    explanation = forms.CharField(
        label=_("Public explanation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class ResponseForm(forms.Form):
    """An official response."""

    department = forms.CharField(label=_("Department"), max_length=200)
    text = forms.CharField(
        label=_("Response"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=20_000,
    )


class ReportForm(forms.Form):
    """A citizen's report of abusive content."""

    reason = forms.ChoiceField(
        label=_("What is wrong"), choices=AbuseReport.Reason.choices
    )
    details = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QueueForm(forms.Form):
    """Filters of the moderation queue."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Needs attention")), *Petition.Status.choices],
    )
    reported = forms.BooleanField(label=_("With open reports"), required=False)
    alerted = forms.BooleanField(label=_("With burst alerts"), required=False)
