"""Reachability checks of the services Dauys depends on (used by /healthz)."""

import secrets
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app


def check_database() -> dict[str, Any]:
    """Run a trivial query on the default database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "unreachable"
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


async def _channel_round_trip() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    channel = await layer.new_channel()
    token = secrets.token_hex(8)
    await layer.send(channel, {"type": "health.check", "token": token})
    message = await layer.receive(channel)
    return bool(message.get("token") == token)


def check_channel_layer() -> dict[str, Any]:
    """Send a message through the channel layer to itself and read it back."""
    backend = str(settings.CHANNEL_LAYERS["default"]["BACKEND"]).rsplit(".", 1)[-1]
    try:
        ok = async_to_sync(_channel_round_trip)()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "backend": backend, "error": type(exc).__name__}
    return {"ok": ok, "backend": backend}


def check_celery(timeout: float = 1.0) -> dict[str, Any]:
    """Report whether tasks run eagerly or some worker answers a ping."""
    if celery_app.conf.task_always_eager:
        return {"ok": True, "mode": "eager", "workers": 0}
    try:
        replies = celery_app.control.ping(timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        return {
            "ok": False,
            "mode": "worker",
            "workers": 0,
            "error": type(exc).__name__,
        }
    return {"ok": bool(replies), "mode": "worker", "workers": len(replies)}


def health_report() -> dict[str, Any]:
    """Return every check and an overall status."""
    checks = {
        "database": check_database(),
        "channel_layer": check_channel_layer(),
        "celery": check_celery(),
    }
    status = "ok" if all(check["ok"] for check in checks.values()) else "degraded"
    return {"status": status, "checks": checks}
