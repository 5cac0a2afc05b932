"""Forms of the tally app."""

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_SHARES_BYTES = 16 * 1024 * 1024


class SharesUploadForm(forms.Form):
    """A trustee's decryption shares file (``python -m tally.trustee decrypt``)."""

    shares = forms.FileField(
        label=_("Your decryption shares (shares.json)"),
        help_text=_("The file written by “python -m tally.trustee decrypt --out”."),
    )

    def clean_shares(self) -> bytes:
        """Return the file's bytes (at most 16 MiB)."""
        upload = self.cleaned_data["shares"]
        if upload.size > MAX_SHARES_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        data: bytes = upload.read()
        return data
