"""Root URL configuration."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django_otp.admin import OTPAdminSite

# The admin requires a verified TOTP device, like every privileged page.
admin.site.__class__ = OTPAdminSite

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("frontend.urls")),
    path("accounts/", include("accounts.urls")),
    path("consultations/", include("participation.urls")),
    path("elections/", include("ballots.urls")),
    path("api/elections/", include("ballots.api_urls")),
    path("api/elections/", include("tally.api_urls")),
    path("tally/", include("tally.urls")),
    path("petitions/", include("petitions.urls")),
    path("api/petitions/", include("petitions.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
