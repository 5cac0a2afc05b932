"""URLs of the site-wide pages."""

from django.urls import path

from frontend import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
]
