"""Admin for users and regions.

Identity numbers are masked in the user list; the signer secret is never
shown (it is excluded from every fieldset and list).
"""

from typing import TYPE_CHECKING, ClassVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.identity import mask_identity_number
from accounts.models import Region, User

if TYPE_CHECKING:
    _CreationForm = AdminUserCreationForm[User]
    _ChangeForm = UserChangeForm[User]
    _UserAdminBase = DjangoUserAdmin[User]
    _RegionAdminBase = admin.ModelAdmin[Region]
else:  # these Django classes are not subscriptable at run time
    _CreationForm = AdminUserCreationForm
    _ChangeForm = UserChangeForm
    _UserAdminBase = DjangoUserAdmin
    _RegionAdminBase = admin.ModelAdmin


class DauysUserCreationForm(_CreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class DauysUserChangeForm(_ChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(_UserAdminBase):
    form = DauysUserChangeForm
    add_form = DauysUserCreationForm
    list_display = (
        "email",
        "full_name",
        "masked_identity_number",
        "region",
        "is_email_verified",
        "is_staff",
        "is_active",
    )
    list_filter = ("is_staff", "is_active", "groups", "region")
    # "=" makes identity number search exact-match only: no partial probing.
    search_fields = ("email", "full_name", "=identity_number")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined", "email_verified_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Person"),
            {
                "fields": (
                    "full_name",
                    "identity_number",
                    "region",
                    "preferred_language",
                    "email_verified_at",
                )
            },
        ),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "password1", "password2"),
            },
        ),
    )

    @admin.display(description=_("identity number"))
    def masked_identity_number(self, obj: User) -> str:
        return mask_identity_number(obj.identity_number)

    @admin.display(description=_("e-mail verified"), boolean=True)
    def is_email_verified(self, obj: User) -> bool:
        return obj.is_email_verified


@admin.register(Region)
class RegionAdmin(_RegionAdminBase):
    list_display = ("name_en", "name_ru", "name_kk", "kind", "population", "parent")
    list_filter = ("kind",)
    search_fields = ("code", "name_en", "name_ru", "name_kk")
    prepopulated_fields: ClassVar = {"code": ("name_en",)}
    ordering = ("sort_order", "name_en")
