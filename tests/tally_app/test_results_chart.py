"""The results page's bar chart (server-rendered SVG) and turnout."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.ballots.helpers import Setup
from tests.tally_app.helpers import publish

pytestmark = pytest.mark.django_db


def test_results_chart_has_percentages_bars_and_turnout(closed: Setup) -> None:
    publish(closed)
    page = Client().get(reverse("tally:results", args=[closed.election.election_id]))
    assert page.status_code == 200
    chart = page.context["chart"]
    assert (chart["counted"], chart["electorate"]) == (3, 3)
    html = page.content.decode()
    assert "Turnout: 3 counted ballots of 3 voters (100.0%)." in html
    bars = re.findall(
        r'<rect x="0" y="0" width="([0-9.]+)" height="10" fill="#1d4f91">', html
    )
    assert bars == ["66.7", "0", "33.3", "100", "33.3"]
    assert "66.7%" in html
    assert html.count('aria-hidden="true" focusable="false"') == 5


def test_bar_widths_are_not_localized(closed: Setup) -> None:
    publish(closed)
    client = Client()
    client.cookies["django_language"] = "ru"
    html = client.get(
        reverse("tally:results", args=[closed.election.election_id])
    ).content.decode()
    assert 'width="66.7"' in html
