"""The home page, the health endpoint and the security headers."""

import json

import pytest
from django.test import Client


@pytest.mark.django_db
def test_home_lists_empty_states(client: Client) -> None:
    """With nothing open the home page shows each section's empty state."""
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "There are no open consultations right now." in body
    assert "There are no open petitions right now." in body
    assert "There are no elections open for voting right now." in body
    assert 'href="#main"' in body
    assert '<main id="main"' in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("en", "Take part in decisions that affect you"),
        ("ru", "Участвуйте в решениях, которые касаются вас"),
        ("kk", "Өзіңізге қатысты шешімдерге қатысыңыз"),
    ],
)
def test_home_is_translated(client: Client, language: str, phrase: str) -> None:
    """The home page follows the browser's language: English, Russian, Kazakh."""
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    assert phrase in body
    assert f'<html lang="{language}"' in body


@pytest.mark.django_db
def test_language_switcher_sets_language(client: Client) -> None:
    """Posting to the language switcher stores the choice for later pages."""
    response = client.post("/i18n/setlang/", {"language": "kk", "next": "/"})
    assert response.status_code == 302
    assert client.get("/").content.decode().count('<html lang="kk"') == 1


@pytest.mark.django_db
def test_security_headers_on_every_page(client: Client) -> None:
    """Pages carry CSP, frame, referrer and content-type protections."""
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_healthz_reports_each_service(client: Client) -> None:
    """/healthz answers JSON with the database, channel layer and Celery."""
    response = client.get("/healthz")
    assert response.status_code == 200
    report = json.loads(response.content)
    assert report["status"] == "ok"
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["channel_layer"] == {
        "ok": True,
        "backend": "InMemoryChannelLayer",
    }
    assert report["checks"]["celery"] == {"ok": True, "mode": "eager", "workers": 0}


@pytest.mark.django_db
def test_healthz_reports_unreachable_worker(client: Client, settings: object) -> None:
    """With a broker but no worker answering, /healthz says 503 degraded."""
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.task_always_eager = True
    assert response.status_code == 503
    report = json.loads(response.content)
    assert report["status"] == "degraded"
    assert report["checks"]["celery"]["ok"] is False
    assert report["checks"]["celery"]["workers"] == 0


def test_healthz_refuses_post(client: Client) -> None:
    """/healthz is read-only."""
    assert client.post("/healthz").status_code == 405
