"""An ASGI live server with websockets for the browser tests: Daphne in a thread.

pytest-django's ``live_server`` speaks WSGI, so it cannot open a websocket.
:func:`asgi_live_url` starts ``config.asgi.application`` under Daphne in a
background thread of the test process, once per process (Twisted's reactor
cannot be restarted), and returns its URL.

Why a thread and not a process: the in-memory channel layer of the test
settings only reaches consumers in its own process, and the test database
(SQLite in memory with a shared cache, or ``test_…`` on PostgreSQL) is
reachable from any thread of this process.  Every request and consumer
runs its database code in a thread of its own with a connection of its
own, exactly as under ``daphne config.asgi:application``, and a cast
posted to this server broadcasts to the sockets this server holds.

Tests that use it write to the database only before the browser starts
(fixtures) or through HTTP requests to this server; they may read it
afterwards.  Writing from the test body while the server handles a request
could meet SQLite's shared-cache table locks.
"""

import threading
import time
from typing import Any

# An init script (``page.add_init_script``) that counts the messages reaching
# the page's websockets, so that a test acts only once a consumer has joined
# its group (the consumers send the current state when they join).
COUNT_SOCKET_MESSAGES = """
window.socketMessages = 0;
const PageWebSocket = window.WebSocket;
window.WebSocket = class extends PageWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", () => { window.socketMessages += 1; });
  }
};
"""

_lock = threading.Lock()
_url: str | None = None
STARTUP_SECONDS = 10.0


def asgi_live_url() -> str:
    """Start Daphne on ``config.asgi.application`` once; return its base URL."""
    global _url
    with _lock:
        if _url is not None:
            return _url
        # Importing daphne.server installs Twisted's asyncio reactor: only
        # here, so that no other test pays for it.
        from daphne.server import Server
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from config.asgi import application

        started = threading.Event()
        # Static files as ``runserver`` serves them under Daphne (and as
        # channels' live server test case does): from the finders, with
        # FileResponse read in a thread, which WhiteNoise does not do.
        server = Server(
            ASGIStaticFilesHandler(application),
            endpoints=["tcp:port=0:interface=127.0.0.1"],
            signal_handlers=False,
            verbosity=0,
            ready_callable=started.set,
        )
        thread = threading.Thread(target=server.run, name="daphne", daemon=True)
        thread.start()
        if not started.wait(STARTUP_SECONDS):
            raise RuntimeError("Daphne did not start")
        # The port is known once Twisted has bound it, just after the start.
        for _ in range(int(STARTUP_SECONDS * 20)):
            if server.listening_addresses or not thread.is_alive():
                break
            time.sleep(0.05)
        if not server.listening_addresses:
            raise RuntimeError("Daphne is not listening")
        host, port = server.listening_addresses[0]
        _url = f"http://{host}:{port}"
        return _url


def wait_for_socket_message(page: Any) -> None:
    """Wait until a page that ran :data:`COUNT_SOCKET_MESSAGES` got a message.

    A function, not an expression: the pages' CSP forbids eval, which
    Playwright needs to poll an expression.
    """
    page.wait_for_function("() => window.socketMessages >= 1")
