// Live counters on the home page: the server pushes {"type": "counts", ...}
// messages over a websocket; each element with data-live-count="<name>"
// shows the matching number.  The surrounding element is an aria-live
// region, so screen readers announce changes politely.
const summary = document.querySelector("[data-live-url]");

function applyCounts(counts) {
  for (const [name, value] of Object.entries(counts)) {
    for (const element of document.querySelectorAll(`[data-live-count="${name}"]`)) {
      element.textContent = String(value);
    }
  }
}

function connect(attempt) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${window.location.host}${summary.dataset.liveUrl}`);
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "counts") {
      applyCounts(message.counts);
    }
  });
  socket.addEventListener("close", () => {
    const delay = Math.min(30000, 1000 * 2 ** attempt);
    window.setTimeout(() => connect(attempt + 1), delay);
  });
  socket.addEventListener("open", () => { attempt = 0; });
}

if (summary && "WebSocket" in window) {
  connect(0);
}
