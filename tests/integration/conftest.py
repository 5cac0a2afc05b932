"""Fixtures that start real service clients: a Celery worker on Redis."""

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app as celery_app

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Worker:
    """A running Celery worker process consuming one private queue."""

    queue: str
    process: subprocess.Popen[bytes]


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgresql://{user}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def celery_worker(django_db_setup: None, django_db_blocker: object) -> Iterator[Worker]:
    """Start ``celery worker`` on Redis against the test database.

    The worker consumes a queue private to this test, so a stray worker of
    another run can never take its tasks; the test process sends tasks
    through the real broker instead of running them eagerly.
    """
    redis_url = os.environ["REDIS_URL"]
    queue = f"test-{secrets.token_hex(6)}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "integration-test-worker-secret",
        "DEBUG": "0",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
    }
    # The worker signs logs and boards with the same keys as the test process.
    for name in ("BOARD_KEY_SECRET", "PETITION_LOG_SEED"):
        value = str(getattr(settings, name, "") or "")
        if value:
            env.setdefault(name, value)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=REPO,
        env=env,
    )
    previous = (
        celery_app.conf.task_always_eager,
        celery_app.conf.broker_url,
        celery_app.conf.result_backend,
        celery_app.conf.task_default_queue,
    )
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = redis_url
    celery_app.conf.result_backend = redis_url
    celery_app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"celery worker exited with {process.returncode}")
            if celery_app.control.ping(
                destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5
            ):
                break
        else:
            raise RuntimeError("celery worker did not answer within 60 s")
        yield Worker(queue=queue, process=process)
    finally:
        (
            celery_app.conf.task_always_eager,
            celery_app.conf.broker_url,
            celery_app.conf.result_backend,
            celery_app.conf.task_default_queue,
        ) = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
