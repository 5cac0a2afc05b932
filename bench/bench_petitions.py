"""Petition signing throughput over HTTP, and the live counter's lag.

``python -m bench petitions`` (needs PostgreSQL; Redis optional):

1. creates a scratch database ``dauys_bench_<pid>`` next to ``DATABASE_URL``
   (default ``postgresql://postgres@127.0.0.1:5432/postgres``), migrates it,
   and loads one open petition and ``BENCH_SIGNERS`` signed-in citizens;
2. starts the web servers as the README deploys them: gunicorn's WSGI
   workers (``BENCH_WORKERS``, default 3, with ``BENCH_THREADS`` threads
   each, default 8) for HTTP and daphne for the websockets, joined by the
   Redis channel layer (``REDIS_URL``); ``BENCH_LAYOUT=daphne`` serves both
   from ``BENCH_SERVERS`` daphne processes instead (without Redis, one
   daphne serves everything);
3. ``BENCH_CLIENTS`` client processes (default 4) each keep
   ``BENCH_CONNECTIONS`` connections (default 8) busy POSTing signatures
   (JSON answers), first ``BENCH_WARMUP`` of them to warm the servers up,
   then ``BENCH_SIGNERS`` measured ones: the figures are the signatures per
   second, the CPU each costs the servers, PostgreSQL and the clients, and
   the request latencies;
4. a websocket client watches the petition's live counter while single
   signatures are posted: the lag is from sending the POST to the new
   count arriving on the socket;
5. checks the log verifies with the final count, then drops the database.

Under ASGI every request runs its sync code in a fresh thread, so Django's
persistent connections (``CONN_MAX_AGE``) do not persist: each request opens
a PostgreSQL connection.  ``?pool=true`` on ``DATABASE_URL`` (Django's psycopg
pool; needs the ``psycopg_pool`` package) makes the servers reuse them.
``BENCH_NETWORKS=many`` (the default) has every signer come from a network
and e-mail domain of its own, as on a popular petition; ``one`` sends all
signatures from one address and domain, so burst alerts stay open for the
whole run (the worst case).
"""

import base64
import hashlib
import http.client
import json
import multiprocessing
import os
import secrets
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

REPO = Path(__file__).resolve().parent.parent
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "400"))
SIGNERS = int(os.environ.get("BENCH_SIGNERS", "800"))
SERVERS = int(os.environ.get("BENCH_SERVERS", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
LAYOUT = os.environ.get("BENCH_LAYOUT", "gunicorn")
NETWORKS = os.environ.get("BENCH_NETWORKS", "many")
LAG_SAMPLES = int(os.environ.get("BENCH_LAG_SAMPLES", "30"))
SEED = "be" * 32
CSRF = "benchcsrftoken0123456789abcdefgh"  # 32 characters, as Django stores it


# ---------------------------------------------------------------- database


def _urls() -> tuple[str, str]:
    """Return (admin URL, scratch database URL)."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = "postgresql://postgres@127.0.0.1:5432/postgres"
    parsed = urlparse(base)
    admin = urlunparse(parsed._replace(path="/postgres", query=""))
    scratch = urlunparse(parsed._replace(path=f"/dauys_bench_{os.getpid()}"))
    return admin, scratch


def _admin_sql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def _env(database_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        # Django's psycopg pool (``?pool=true`` in DATABASE_URL, needs
        # psycopg_pool) replaces persistent connections.
        "DB_CONN_MAX_AGE": "0" if "pool=true" in database_url else "60",
        "PETITION_LOG_SEED": SEED,
        "PETITIONS_SIGN_LIMIT_ACCOUNT": "1000000",
        "PETITIONS_SIGN_LIMIT_IP": "1000000",
        "LOG_LEVEL": "WARNING",
        # The clients play the TLS proxy: they send X-Forwarded-For.
        "TRUSTED_PROXY_COUNT": "1",
        "CELERY_BROKER_URL": "",
        # Counters and sessions of this run only (rate limits, burst
        # counters: a later run's petition may have the same id).
        "CACHE_KEY_PREFIX": f"dauys-bench-{os.getpid()}",
    }
    env.pop("CI", None)
    return env


SETUP = r"""
import json, sys
import django
django.setup()
from django.contrib.auth.models import Group
from importlib import import_module
from django.conf import settings
from django.utils import timezone
from accounts.models import Region, User
from petitions.models import Level
from petitions.services import petition_approve, petition_create, petition_submit
from accounts.roles import assign_role

n = int(sys.argv[1])
region = Region.objects.filter(population__isnull=False).first()
now = timezone.now()
users = User.objects.bulk_create(
    User(email=f"bench{i}@" + (f"mail{i % 50}.example" if sys.argv[2] == "many"
                                else "example.org"),
         full_name=f"Bench {i}", region=region,
         email_verified_at=now, password="!")
    for i in range(n + 2)
)
citizen = Group.objects.get(name="citizen")
User.groups.through.objects.bulk_create(
    User.groups.through(user_id=u.pk, group_id=citizen.pk) for u in users
)
moderator = User.objects.create(email="bench-mod@example.org", full_name="M",
                                password="!")
assign_role(user=moderator, role="moderator")
creator = users[-1]
petition = petition_create(creator=creator, title="Benchmark petition", body="Load.",
                           topic="other", level=Level.objects.get(code="national"),
                           region=None)
petition.sponsors_required = 0
petition.save()
petition_submit(petition=petition, user=creator)
petition_approve(petition=petition, moderator=moderator)
# Sessions are stored as signing in stores them (``cached_db`` with Redis).
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
cookies = []
for user in users[:-1]:
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[-1]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    cookies.append(session.session_key)
print(json.dumps({"petition": petition.pk, "sessions": cookies}))
"""

CHECK = r"""
import json, sys
import django
django.setup()
from petitions.models import Petition
from petitions.services import heads_jsonl, log_jsonl, log_public_key
from votecrypto.petition_log import verify_log
p = Petition.objects.get(pk=int(sys.argv[1]))
report = verify_log(log_jsonl(p), heads_jsonl(p), bytes.fromhex(log_public_key()),
                    claimed_count=p.signature_count)
print(json.dumps({"ok": report.ok, "count": p.signature_count,
                  "entries": report.entries, "heads": p.heads.count()}))
"""


def _python(code: str, env: dict[str, str], *args: str) -> Any:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- servers


def _spawn(
    servers: list[subprocess.Popen[bytes]], env: dict[str, str], *args: str
) -> None:
    servers.append(
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )


def _daphne(
    servers: list[subprocess.Popen[bytes]], env: dict[str, str], port: int
) -> None:
    _spawn(
        servers,
        env,
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "config.asgi:application",
    )


def _start_servers(
    servers: list[subprocess.Popen[bytes]], env: dict[str, str]
) -> tuple[list[int], int]:
    """Start the web servers; return (HTTP ports, websocket port).

    ``gunicorn`` (the default, as the README deploys it): one gunicorn with
    ``BENCH_WORKERS`` WSGI workers serves HTTP, one daphne serves the
    websockets, and the Redis channel layer joins them.  ``daphne``: HTTP
    and websockets on ``BENCH_SERVERS`` daphne processes.
    """
    redis = bool(os.environ.get("REDIS_URL"))
    if LAYOUT == "gunicorn" and redis:
        http_port, ws_port = _free_port(), _free_port()
        _spawn(
            servers,
            env,
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--bind",
            f"127.0.0.1:{http_port}",
            "config.wsgi:application",
        )
        _daphne(servers, env, ws_port)
        for port in (http_port, ws_port):
            _wait_for_port(port)
        return [http_port], ws_port
    ports = [_free_port() for _ in range(max(1, SERVERS) if redis else 1)]
    for port in ports:
        _daphne(servers, env, port)
    for port in ports:
        _wait_for_port(port)
    return ports, ports[0]


# ---------------------------------------------------------------- CPU


def _processes() -> dict[int, tuple[int, str, float]]:
    """Return pid -> (parent pid, command name, CPU seconds) from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (
            int(fields[1]),
            name,
            (int(fields[11]) + int(fields[12])) / ticks,
        )
    return found


def _cpu(roots: list[int]) -> tuple[float, float]:
    """Return CPU seconds used so far by the servers' trees and by PostgreSQL."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _name, _cpu) in table.items():
        children.setdefault(parent, []).append(pid)
    servers = 0.0
    stack = list(roots)
    while stack:
        pid = stack.pop()
        if pid in table:
            servers += table[pid][2]
            stack.extend(children.get(pid, []))
    postgres = sum(cpu for _p, name, cpu in table.values() if name == "postgres")
    return servers, postgres


# ---------------------------------------------------------------- HTTP


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def _address(session: str) -> str:
    """The signer's address as the TLS proxy would forward it.

    ``many``: each signer from a network of its own (a /24 out of the
    session key); ``one``: everybody from 127.0.0.1, which keeps the burst
    alerts of one range and one domain open for the whole run.
    """
    if NETWORKS != "many":
        return "127.0.0.1"
    a, b, c = hashlib.sha256(session.encode()).digest()[:3]
    return f"10.{a}.{b}.{c % 250 + 1}"


def _sign(conn: http.client.HTTPConnection, petition: int, session: str) -> int:
    conn.request(
        "POST",
        f"/petitions/{petition}/sign/",
        body="",
        headers={
            "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
            "X-Forwarded-For": _address(session),
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "Host": "127.0.0.1",
        },
    )
    response = conn.getresponse()
    response.read()
    return response.status


def _request(petition: int, session: str) -> bytes:
    """Return the bytes of one signing POST (built before the clock starts)."""
    return (
        f"POST /petitions/{petition}/sign/ HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        f"Cookie: sessionid={session}; csrftoken={CSRF}\r\n"
        f"X-CSRFToken: {CSRF}\r\n"
        f"X-Forwarded-For: {_address(session)}\r\n"
        "Accept: application/json\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


class _Connection:
    """One keep-alive connection of a client: one request in flight at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.sent = 0.0

    def send(self, request: bytes) -> socket.socket:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.sent = time.perf_counter()
        self.sock.sendall(request)
        return self.sock

    def response(self) -> int | None:
        """Read what arrived; return the status once the response is whole."""
        assert self.sock is not None  # noqa: S101 (a request was sent)
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        head, found, body = self.buffer.partition(b"\r\n\r\n")
        if not found and chunk:
            return None
        headers = head.decode("latin-1").lower()
        length = 0
        for line in headers.split("\r\n")[1:]:
            name, _colon, value = line.partition(":")
            if name == "content-length":
                length = int(value)
        if chunk and len(body) < length:
            return None
        if not chunk or "connection: close" in headers:
            self.sock.close()
            self.sock = None
        return int(headers.split(" ", 2)[1]) if head else 0


_ClientResult = tuple[list[float], int, float, float, float]


def _client(args: tuple[int, int, list[str], int]) -> _ClientResult:
    """Sign once with each session over ``connections`` concurrent connections.

    Return the latencies, the failures, the CPU seconds this client used,
    and when it started and finished (``perf_counter``, the same clock in
    every process here).  Requests are built before the clock starts and the responses
    are read with plain sockets, so the load generator takes as little of
    the machine's CPU as it can.
    """
    port, petition, sessions, connections = args
    requests = [_request(petition, session) for session in sessions]
    started = time.process_time()
    began = time.perf_counter()
    selector = selectors.DefaultSelector()
    latencies: list[float] = []
    failures = 0
    queue = iter(requests)
    for _ in range(min(connections, len(requests))):
        conn = _Connection(port)
        selector.register(conn.send(next(queue)), selectors.EVENT_READ, conn)
    while selector.get_map():
        for key, _events in selector.select():
            conn = key.data
            status = conn.response()
            if status is None:
                continue
            latencies.append(time.perf_counter() - conn.sent)
            failures += status != 200
            selector.unregister(key.fileobj)
            following = next(queue, None)
            if following is not None:
                selector.register(conn.send(following), selectors.EVENT_READ, conn)
            elif conn.sock is not None:
                conn.sock.close()
    ended = time.perf_counter()
    return latencies, failures, time.process_time() - started, began, ended


# ---------------------------------------------------------------- websocket


class _Socket:
    """The smallest websocket client that reads a server's text frames."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://127.0.0.1:{port}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"websocket refused: {head[:80]!r}")

    def _exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("websocket closed")
            data += chunk
        return data

    def receive(self) -> Any:
        first, second = self._exact(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._exact(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._exact(8))
        payload = self._exact(length)
        if first & 0x0F != 1:
            return self.receive()
        return json.loads(payload)

    def close(self) -> None:
        self.sock.close()


# ---------------------------------------------------------------- main


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    """Run the benchmark and print its figures."""
    admin_url, scratch_url = _urls()
    try:
        _admin_sql(admin_url, f'CREATE DATABASE "{urlparse(scratch_url).path[1:]}"')
    except Exception as exc:  # noqa: BLE001 (any connection problem: skip)
        print(f"skipped: needs PostgreSQL ({exc.__class__.__name__}: {exc})")
        return
    env = _env(scratch_url)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "migrate",
                "--noinput",
                "--skip-checks",
                "-v",
                "0",
            ],
            cwd=REPO,
            env=env,
            check=True,
            timeout=600,
        )
        setup = _python(SETUP, env, str(WARMUP + SIGNERS + LAG_SAMPLES), NETWORKS)
        petition: int = setup["petition"]
        sessions: list[str] = setup["sessions"]
        http_ports, ws_port = _start_servers(servers, env)
        warm = http.client.HTTPConnection("127.0.0.1", http_ports[0], timeout=30)
        warm.request("GET", f"/petitions/{petition}/", headers={"Host": "127.0.0.1"})
        warm.getresponse().read()

        warmup = sessions[:WARMUP]
        load = sessions[WARMUP : WARMUP + SIGNERS]
        lag_sessions = sessions[WARMUP + SIGNERS :]

        def run(
            signers: list[str],
        ) -> list[tuple[list[float], int, float, float, float]]:
            jobs = [
                (
                    http_ports[i % len(http_ports)],
                    petition,
                    signers[i::CLIENTS],
                    CONNECTIONS,
                )
                for i in range(CLIENTS)
            ]
            with multiprocessing.get_context("spawn").Pool(CLIENTS) as pool:
                return pool.map(_client, jobs)

        # Every server process loads its code and connections on its first
        # requests: the figures are for a server that has warmed up.
        run(warmup)
        cpu_before = _cpu([server.pid for server in servers])
        results = run(load)
        cpu_after = _cpu([server.pid for server in servers])
        elapsed = max(r[4] for r in results) - min(r[3] for r in results)
        latencies = [x for r in results for x in r[0]]
        failures = sum(r[1] for r in results)
        client_cpu = sum(r[2] for r in results)
        pooled = "pool=true" in scratch_url
        connections = (
            "pooled"
            if pooled
            else "per-request"
            if http_ports == [ws_port] or LAYOUT == "daphne"
            else "persistent"
        )
        server = (
            f"gunicorn, {WORKERS} workers x {THREADS} threads"
            if LAYOUT == "gunicorn"
            else LAYOUT
        )
        print(
            f"signing over HTTP: {len(latencies)} signatures, {CLIENTS} client "
            f"processes x {CONNECTIONS} connections, {server}, one petition, "
            f"{connections} database connections, signers from {NETWORKS} network(s)"
        )
        print(f"  throughput: {len(latencies) / elapsed:.1f} signatures/s")
        per = 1000 / max(1, len(latencies))
        web_ms = (cpu_after[0] - cpu_before[0]) * per
        db_ms = (cpu_after[1] - cpu_before[1]) * per
        print(
            f"  CPU per signature: web servers {web_ms:.1f} ms, "
            f"PostgreSQL {db_ms:.1f} ms (backends alive at the end), "
            f"load generator {client_cpu * per:.1f} ms"
        )
        print(
            f"  latency: median {statistics.median(latencies) * 1000:.1f} ms, "
            f"p95 {_quantile(latencies, 0.95) * 1000:.1f} ms, failures {failures}"
        )

        watcher = _Socket(ws_port, f"/ws/petitions/{petition}/")
        watcher.receive()
        conn = http.client.HTTPConnection("127.0.0.1", http_ports[-1], timeout=30)
        lags = []
        for session in lag_sessions:
            sent = time.perf_counter()
            _sign(conn, petition, session)
            while True:
                message = watcher.receive()
                if message.get("type") == "count":
                    break
            lags.append(time.perf_counter() - sent)
        watcher.close()
        where = (
            "the same server" if http_ports == [ws_port] else "another server process"
        )
        print(f"live counter lag (POST sent to count received, via {where}):")
        print(
            f"  median {statistics.median(lags) * 1000:.1f} ms, "
            f"p95 {_quantile(lags, 0.95) * 1000:.1f} ms over {len(lags)} signatures"
        )
        check = _python(CHECK, env, str(petition))
        print(
            f"log check: {'VERIFIED' if check['ok'] else 'NOT VERIFIED'}, "
            f"count {check['count']}, {check['entries']} entries, "
            f"{check['heads']} signed heads (group commit: "
            f"{check['entries'] / max(1, check['heads']):.1f} entries per head)"
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
        _admin_sql(
            admin_url,
            f'DROP DATABASE IF EXISTS "{urlparse(scratch_url).path[1:]}" WITH (FORCE)',
        )


if __name__ == "__main__":
    main()
