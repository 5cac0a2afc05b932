"""`make demo` smoke test: the demo server starts, serves / and /healthz, stops."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _demo_env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    # The embedded default, with the database file in a scratch folder.
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    return env


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local URL
        return response.status, response.read().decode()


def test_demo_server_serves_home_and_health(tmp_path: Path) -> None:
    """The demo migrates, loads demo data, serves / and /healthz, then stops."""
    env = _demo_env(tmp_path)
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--noinput"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    demo = subprocess.run(
        [*manage, "load_demo_data"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "official" in demo.stdout
    port = _free_port()
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert status == 200
        report = json.loads(body)
        assert report["status"] == "ok"
        assert report["checks"]["database"]["vendor"] == "sqlite"
        assert report["checks"]["celery"]["mode"] == "eager"
        status, home = _get(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert "Take part in decisions that affect you" in home
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert server.returncode is not None
