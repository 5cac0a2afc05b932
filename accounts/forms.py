"""Forms of the ``accounts`` app.

Forms only parse and validate input; uniqueness is enforced by the services
(database constraints), which report clashes as ``ValidationError``.
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.identity import validate_identity_number
from accounts.models import DauysUserManager, Language, Region, User
from accounts.selectors import region_list

if TYPE_CHECKING:
    _RegionChoiceBase = forms.ModelChoiceField[Region]
    _UserModelForm = forms.ModelForm[User]
else:  # these Django classes are not subscriptable at run time
    _RegionChoiceBase = forms.ModelChoiceField
    _UserModelForm = forms.ModelForm


class RegionChoiceField(_RegionChoiceBase):
    """A region select whose labels follow the active language."""

    def label_from_instance(self, obj: Region) -> str:
        return obj.name


class IdentityNumberField(forms.CharField):
    """An identity number; spaces (common when copying) are removed.

    Nothing else is removed, so other mistakes reach the validator named by
    ``IDENTITY_NUMBER_VALIDATOR`` and are explained to the person.
    """

    default_validators = [validate_identity_number]  # noqa: RUF012

    def to_python(self, value: Any) -> str:
        return "".join(str(super().to_python(value)).split())


class TotpCodeField(forms.CharField):
    """A 6-digit code field with the right mobile keyboard and autofill."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("6-digit code"))
        kwargs.setdefault(
            "help_text", _("The code shown in your authenticator app right now.")
        )
        kwargs.setdefault("max_length", 8)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "autocomplete": "one-time-code",
                    "pattern": "[0-9]*",
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        cleaned: str = super().clean(value)
        return "".join(cleaned.split())


class RegistrationForm(forms.Form):
    """Sign-up: e-mail, name, identity number, region, language, password."""

    email = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("You will sign in with it; we send a confirmation link."),
    )
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    identity_number = IdentityNumberField(
        label=_("Identity number (IIN)"),
        max_length=32,
        help_text=_(
            "Your 12-digit individual identification number. One person may "
            "have only one account."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    region = RegionChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        empty_label=_("Choose your region"),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=Language.choices
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Enter the same password, to catch typos."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_list()  # type: ignore[attr-defined]
        language = (get_language() or "en").split("-")[0]
        if language in Language.values:
            self.fields["preferred_language"].initial = language

    def clean_email(self) -> str:
        return DauysUserManager.normalize_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        elif password1:
            candidate = User(
                email=cleaned.get("email", ""), full_name=cleaned.get("full_name", "")
            )
            try:
                password_validation.validate_password(password1, user=candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class LoginForm(AuthenticationForm):
    """Sign-in with e-mail address and password.

    The address is lower-cased before authentication, so django-axes counts
    failures for ``Alice@x`` and ``alice@x`` as one username.
    """

    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        return DauysUserManager.normalize_email(self.cleaned_data["username"])


class ProfileForm(_UserModelForm):
    """The fields people may change themselves."""

    region = RegionChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False
    )

    class Meta:
        model = User
        fields = ("full_name", "region", "preferred_language")
        labels = {  # noqa: RUF012
            "full_name": _("Full name"),
            "preferred_language": _("Preferred language"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_list()  # type: ignore[attr-defined]


class TotpCodeForm(forms.Form):
    """One TOTP code (2FA set-up confirmation and verification)."""

    code = TotpCodeField()


class TwoFactorDisableForm(forms.Form):
    """Turning 2FA off asks for the account password."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
