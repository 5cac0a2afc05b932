"""The open-data API: petitions as JSON and CSV, never personal data."""

import csv
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from petitions import forms, selectors, services

CSV_FIELDS = (
    "id",
    "petition_id",
    "title",
    "topic",
    "status",
    "level",
    "region",
    "signatures",
    "opened_at",
    "closes_at",
    "closed_at",
)


def _filters(request: HttpRequest) -> dict[str, Any]:
    form = forms.SearchForm(request.GET or None)
    if not form.is_bound:
        return {}
    if not form.is_valid():
        raise ValueError(
            "; ".join(
                f"{name}: {' '.join(str(e) for e in errors)}"
                for name, errors in form.errors.items()
            )
        )
    return {k: v for k, v in form.cleaned_data.items() if v}


def _cell(value: object) -> object:
    """Write a CSV cell; text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@require_GET
def petition_list(request: HttpRequest) -> JsonResponse:
    """List public petitions (filters as on the list page), 100 per page."""
    try:
        filters = _filters(request)
    except ValueError as exc:
        return JsonResponse({"error": "invalid", "message": str(exc)}, status=400)
    page = Paginator(selectors.petition_list_public(**filters), 100).get_page(
        request.GET.get("page")
    )
    return JsonResponse(
        {
            "log_public_key": services.log_public_key(),
            "page": page.number,
            "pages": page.paginator.num_pages,
            "count": page.paginator.count,
            "results": [selectors.petition_public_json(p) for p in page.object_list],
        }
    )


@require_GET
def petition_detail(request: HttpRequest, pk: int) -> JsonResponse:
    """One public petition with counts by region and day, thresholds, links."""
    petition = selectors.petition_get(pk)
    if petition is None or not petition.is_public:
        raise Http404(_("No such petition."))
    data = selectors.petition_public_json(petition, detail=True)
    data["log_public_key"] = services.log_public_key()
    data["log_url"] = request.build_absolute_uri(
        reverse("petitions:log", args=[petition.pk])
    )
    data["heads_url"] = request.build_absolute_uri(
        reverse("petitions:heads", args=[petition.pk])
    )
    return JsonResponse(data)


@require_GET
def petition_export_csv(request: HttpRequest) -> HttpResponse:
    """Export the public petitions matching the filters as CSV."""
    try:
        filters = _filters(request)
    except ValueError as exc:
        return JsonResponse({"error": "invalid", "message": str(exc)}, status=400)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="petitions.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_FIELDS)
    for petition in selectors.petition_list_public(**filters).iterator():
        row = selectors.petition_public_json(petition)
        writer.writerow([_cell(row[f]) for f in CSV_FIELDS])
    return response
