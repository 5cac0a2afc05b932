"""Forms of the ballots pages (parsing only; the services decide)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from ballots.models import IDENTIFIER_VALIDATOR

MAX_UPLOAD_BYTES = 16 * 1024 * 1024


class DateTimeInput(forms.DateTimeInput):
    """A ``datetime-local`` input: its value needs a "T" between date and time.

    Django's default format ("2027-03-01 06:00:00") is no valid value for
    it, so browsers would show an edited election's times empty.
    """

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M:%S")


class ElectionForm(forms.Form):
    """An election's details (times are UTC)."""

    election_id = forms.CharField(
        label=_("Election id"), max_length=64, validators=[IDENTIFIER_VALIDATOR]
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea, required=False
    )
    voting_starts_at = forms.DateTimeField(
        label=_("Voting starts (UTC)"), widget=DateTimeInput
    )
    voting_ends_at = forms.DateTimeField(
        label=_("Voting ends (UTC)"), widget=DateTimeInput
    )
    threshold = forms.IntegerField(label=_("Trustee threshold (t)"), min_value=1)
    is_test_keys = forms.BooleanField(
        label=_("Test keys (demonstrations only, never a real election)"),
        required=False,
    )


class ContestForm(forms.Form):
    """A contest with one option per line: ``option-id | title``."""

    contest_id = forms.CharField(
        label=_("Contest id"), max_length=64, validators=[IDENTIFIER_VALIDATOR]
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    min_selections = forms.IntegerField(label=_("Minimum selections"), min_value=0)
    max_selections = forms.IntegerField(label=_("Maximum selections"), min_value=0)
    options = forms.CharField(
        label=_("Options"),
        widget=forms.Textarea,
        help_text=_("One per line: option id, a vertical bar, the title."),
    )

    def clean_options(self) -> list[tuple[str, str]]:
        result = []
        for number, line in enumerate(self.cleaned_data["options"].splitlines(), 1):
            if not line.strip():
                continue
            option_id, bar, title = line.partition("|")
            if not bar or not option_id.strip() or not title.strip():
                raise forms.ValidationError(
                    _("Line %(n)s: write “option-id | title”."), params={"n": number}
                )
            result.append((option_id.strip(), title.strip()))
        return result


class TrusteeForm(forms.Form):
    """Seat a user with the trustee role, found by e-mail."""

    email = forms.EmailField(label=_("Trustee's e-mail address"))
    name = forms.CharField(
        label=_("Public name"),
        max_length=200,
        required=False,
        help_text=_("Shown in the manifest; defaults to the user's full name."),
    )

    def clean_email(self) -> User:
        user = User.objects.filter(email__iexact=self.cleaned_data["email"]).first()
        if user is None:
            raise forms.ValidationError(_("No user has this e-mail address."))
        return user


class RollForm(forms.Form):
    """A voter roll CSV: identity number, e-mail, full name."""

    file = forms.FileField(label=_("Voter roll (CSV)"))

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        try:
            text: str = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file must be UTF-8 text.")) from exc
        return text


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class CeremonyUploadForm(forms.Form):
    """The offline dealer's ``public.json`` and every ``share-<i>.json``."""

    public = forms.FileField(label=_("public.json"))
    shares = MultipleFileField(label=_("Share boxes (share-1.json, share-2.json, …)"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        files = [cleaned.get("public"), *cleaned.get("shares", [])]
        if any(f is not None and f.size > MAX_UPLOAD_BYTES for f in files):
            raise forms.ValidationError(_("A file is too large."))
        return cleaned


class TrusteeKeyForm(forms.Form):
    """A trustee's X25519 public key."""

    x25519_public_key = forms.CharField(
        label=_("X25519 public key (64 hex digits)"), max_length=64, min_length=64
    )


class TestShareForm(forms.Form):
    """A trustee's decryption share of the ceremony's test ciphertext."""

    share = forms.CharField(
        label=_("Decryption share of the test ciphertext (JSON)"), widget=forms.Textarea
    )


class TrackerForm(forms.Form):
    """Look a ballot up by its tracker (the first digits suffice)."""

    tracker = forms.CharField(
        label=_("Tracker"),
        max_length=80,
        help_text=_("The tracker shown after voting, with or without spaces."),
    )

    def clean_tracker(self) -> str:
        value = "".join(self.cleaned_data["tracker"].split()).replace("-", "").lower()
        if not 8 <= len(value) <= 64 or any(c not in "0123456789abcdef" for c in value):
            raise forms.ValidationError(
                _("Enter at least 8 hexadecimal digits of the tracker.")
            )
        return value
