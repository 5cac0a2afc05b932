// Live tally progress on the official's tally page.  The server pushes
// {"type": "progress", "stage", "done", "total"} while the board is being
// counted and {"type": "state", "stage", "state"} when the tally moves on.
// The <progress> element and the status text are inside an aria-live
// region, so screen readers announce changes politely.
const panel = document.querySelector("[data-tally-url]");

function showProgress(message) {
  const bar = panel.querySelector("progress");
  const text = panel.querySelector("[data-tally-text]");
  if (bar && message.total > 0) {
    bar.max = message.total;
    bar.value = message.done;
  }
  if (text) {
    text.textContent = `${panel.dataset.labelChecked} ${message.done} / ${message.total}`;
  }
}

function showState(message) {
  const text = panel.querySelector("[data-tally-text]");
  if (text) {
    text.textContent = `${panel.dataset.labelStage} ${message.stage}`;
  }
  if (message.stage === "awaiting_trustees" || message.stage === "published" || message.stage === "verified") {
    window.setTimeout(() => window.location.reload(), 1500);
  }
}

function connect(attempt) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${window.location.host}${panel.dataset.tallyUrl}`);
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "progress") {
      showProgress(message);
    } else if (message.type === "state") {
      showState(message);
    }
  });
  socket.addEventListener("close", () => {
    const delay = Math.min(30000, 1000 * 2 ** attempt);
    window.setTimeout(() => connect(attempt + 1), delay);
  });
  socket.addEventListener("open", () => { attempt = 0; });
}

if (panel && "WebSocket" in window) {
  connect(0);
}
