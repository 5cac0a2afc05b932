"""The booth's ballot encryption in headless Chromium (issue #5).

``python -m bench booth`` (``make bench`` runs it with the others) needs
Debian's Chromium (``/usr/bin/chromium``) and Playwright for Python; it
never uses a browser that Playwright downloads.

1. Makes a 2048-bit election with one contest of five options (choose at
   most one) and one voter with :class:`~votecrypto.simulate.ElectionSimulator`
   (the safe primes take a second or two, once per run).
2. Serves ``frontend/static/`` at ``/static/`` from a small local HTTP
   server, so the browser loads exactly the files the booth loads: the
   page starts ``/static/js/crypto/worker.js`` as a module worker, as
   ``booth.js`` does, and talks to it with the booth's messages.
3. Measures, ``BENCH_BOOTH_REPEAT`` times each (default 5):

   * **precomputation**: from the ``precompute`` message (sent when the
     booth page has loaded the manifest) to the worker's ``ready``;
   * **confirm → ballot, after precomputation**: from the ``encrypt``
     message (sent when the voter presses "Encrypt my ballot") to the
     ``result`` with the ballot and its tracker, the precomputation done;
   * **confirm → ballot, cold, no precomputation**: the same when the
     worker holds no precomputation (the last one was used), so it draws
     and exponentiates the randomness after the voter confirms;
   * **confirm → ballot, cold, fresh worker**: a worker started at the
     moment of confirmation (its modules fetched and compiled), sent the
     booth's ``precompute`` then ``encrypt``: the worst a voter who
     confirms as soon as the page opens can see.

   and prints the median and the maximum of each, against the issue's
   targets (1 s after precomputation, 5 s cold).  The last ballot is
   checked with the Python verifier, so the figures are those of valid
   ballots.  Nothing is asserted about time.

Timings are ``performance.now()`` in the page, so they include the
messages between the page and the worker, and depend on what else the
machine runs (the load average is printed).
"""

import http.server
import os
import statistics
import threading
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from votecrypto.ballot import check_cast_cheap, check_cast_proofs
from votecrypto.canonical import Json
from votecrypto.simulate import ElectionSimulator

STATIC = Path(__file__).resolve().parent.parent / "frontend" / "static"
CHROMIUM = Path("/usr/bin/chromium")
BITS = 2048
OPTIONS = 5
REPEAT = max(1, int(os.environ.get("BENCH_BOOTH_REPEAT", "") or 5))
TARGET_WARM_S = 1.0
TARGET_COLD_S = 5.0
CONTEST: Json = {
    "contest_id": "c1",
    "title": "Standard contest (choose at most one of five)",
    "min_selections": 0,
    "max_selections": 1,
    "options": [
        {"option_id": f"o{i}", "title": f"Option {i}"} for i in range(1, OPTIONS + 1)
    ],
}
PAGE = (
    b"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
    b"<title>Booth benchmark</title></head><body><main>Booth benchmark</main>"
    b"</body></html>"
)
WORKER_URL = "/static/js/crypto/worker.js"

# Runs in the page: the same messages as booth.js (startPrecomputation,
# encryptInWorker), with a stopwatch around them.
MEASURE_JS = """
async ({ manifest, electionHash, seed, choices, repeat, workerUrl }) => {
  const start = () => {
    const worker = new Worker(workerUrl, { type: "module" });
    const waiting = [];
    worker.addEventListener("message", (event) => {
      const message = event.data;
      if (message.type === "progress") return;
      const next = waiting.shift();
      if (next) next(message);
    });
    worker.addEventListener("error", (event) => {
      const next = waiting.shift();
      if (next) next({ type: "error", message: String(event.message) });
    });
    const reply = () => new Promise((resolve) => waiting.push(resolve));
    return { worker, reply };
  };
  const expect = (message, type) => {
    if (message.type !== type) {
      throw new Error(`expected ${type}, got ${message.type}: ${message.message}`);
    }
    return message;
  };
  const precompute = { type: "precompute", manifest, electionHash };
  const encrypt = { type: "encrypt", seed, choices };
  const out = { precompute: [], warm: [], coldNoPre: [], coldFresh: [], ballot: null };

  const { worker, reply } = start();
  for (let i = 0; i < repeat; i++) {
    let t0 = performance.now();
    worker.postMessage(precompute);
    expect(await reply(), "ready");
    out.precompute.push(performance.now() - t0);
    t0 = performance.now();
    worker.postMessage(encrypt);
    const result = expect(await reply(), "result");
    out.warm.push(performance.now() - t0);
    out.ballot = result.ballot;
    // The precomputation is now used: the next "encrypt" draws afresh.
    t0 = performance.now();
    worker.postMessage(encrypt);
    expect(await reply(), "result");
    out.coldNoPre.push(performance.now() - t0);
  }
  worker.terminate();

  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const fresh = start();
    fresh.worker.postMessage(precompute);
    fresh.worker.postMessage(encrypt);
    expect(await fresh.reply(), "ready");
    expect(await fresh.reply(), "result");
    out.coldFresh.push(performance.now() - t0);
    fresh.worker.terminate();
  }
  return out;
}
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serve ``/`` as an empty page and ``/static/…`` from frontend/static."""

    def do_GET(self) -> None:
        if self.path in ("/", "/index.html"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)
            return
        if not self.path.startswith("/static/"):
            self.send_error(404)
            return
        self.path = self.path.removeprefix("/static")
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the figures are the output."""


def _summary(label: str, samples_ms: Sequence[float], target_s: float | None) -> None:
    median = statistics.median(samples_ms)
    worst = max(samples_ms)
    verdict = ""
    if target_s is not None:
        within = worst <= target_s * 1e3
        verdict = f"target {target_s:.0f} s: {'met' if within else 'MISSED'} (max)"
    line = (
        f"  {label:<46} {median:>9.0f} {worst:>9.0f}  {len(samples_ms):>3}  {verdict}"
    )
    print(line.rstrip())


def _check_ballot(sim: ElectionSimulator, payload: Json) -> str:
    """Return "" if the browser's ballot passes the server's checks, else why."""
    check = check_cast_cheap(
        sim.manifest,
        sim.election_hash,
        None,
        payload,
        sim.manifest.voting_starts,
    )
    if check.reason is not None or check.ballot is None:
        return f"{check.reason}: {check.detail}"
    problem = check_cast_proofs(sim.manifest, sim.election_hash, check.ballot)
    return "" if problem is None else str(problem)


def main() -> None:
    """Print the booth's encryption timings in Chromium."""
    if not CHROMIUM.exists():
        print(f"  skipped: {CHROMIUM} is missing (apt-get install chromium)")
        return
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  skipped: Playwright for Python is missing (pip install -e '.[dev]')")
        return

    sim = ElectionSimulator(
        bits=BITS,
        voters=1,
        contests=[CONTEST],
        election_id="bench-booth",
        description="Benchmark election.",
    )
    manifest_json = sim.manifest_json
    choices = {"c1": [0, 0, 1, 0, 0]}
    handler = partial(_Handler, directory=str(STATIC))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    load = os.getloadavg()
    print(
        f"  {BITS}-bit key, one contest of {OPTIONS} options (at most one); "
        f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}"
    )
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            try:
                page = browser.new_page()
                page.goto(url)
                print(f"  {browser.version} (Chromium), {REPEAT} repetitions")
                figures: dict[str, Any] = page.evaluate(
                    MEASURE_JS,
                    {
                        "manifest": manifest_json,
                        "electionHash": sim.election_hash,
                        "seed": sim.voters[0].seed.hex(),
                        "choices": choices,
                        "repeat": REPEAT,
                        "workerUrl": WORKER_URL,
                    },
                )
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()

    print(f"  {'measure':<46} {'median ms':>9} {'max ms':>9}  {'n':>3}")
    _summary("precomputation (page loaded → ready)", figures["precompute"], None)
    _summary("confirm → ballot, after precomputation", figures["warm"], TARGET_WARM_S)
    _summary(
        "confirm → ballot, cold (no precomputation)",
        figures["coldNoPre"],
        TARGET_COLD_S,
    )
    _summary(
        "confirm → ballot, cold (fresh worker)", figures["coldFresh"], TARGET_COLD_S
    )
    problem = _check_ballot(sim, figures["ballot"])
    print(
        "  the browser's last ballot passes the server's checks"
        if not problem
        else f"  the browser's last ballot FAILS the server's checks: {problem}"
    )
