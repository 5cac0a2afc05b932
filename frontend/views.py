"""Site-wide pages: the home page and the health endpoint."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from frontend.health import health_report
from frontend.selectors import home_listing


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """List the open consultations, petitions and elections."""
    listing = home_listing()
    return render(
        request,
        "frontend/home.html",
        {
            "consultations": listing.consultations,
            "petitions": listing.petitions,
            "elections": listing.elections,
            "counts": listing.counts(),
        },
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report database, channel layer and Celery reachability as JSON."""
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
