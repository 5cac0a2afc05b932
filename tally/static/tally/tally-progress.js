// Live tally progress on the official's tally page.  The server pushes
// {"type": "progress", "stage", "done", "total"} while the board is being
// counted and {"type": "state", "stage", "state"} when the tally moves on
// (tallying, awaiting_trustees, shares, published, verified).  The
// <progress> element and the status text are inside an aria-live region,
// so screen readers announce changes politely.  The translated messages
// come from the page (#tally-strings, JSON; placeholders {name}).
const panel = document.querySelector("[data-tally-url]");
const stringsElement = document.getElementById("tally-strings");
const strings = stringsElement ? JSON.parse(stringsElement.textContent) : {};
// Stages after which the page's tables (counts, shares, verdict) change.
const RELOAD_STAGES = new Set(["awaiting_trustees", "shares", "published", "verified"]);

function t(key, values = {}) {
  const template = strings[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

function showProgress(message) {
  const bar = panel.querySelector("progress");
  const text = panel.querySelector("[data-tally-text]");
  if (bar && message.total > 0) {
    bar.max = message.total;
    bar.value = message.done;
  }
  if (text) {
    text.textContent = t("checked", { done: message.done, total: message.total });
  }
}

function showState(message) {
  const text = panel.querySelector("[data-tally-text]");
  if (text) {
    text.textContent = t(message.stage);
  }
  if (RELOAD_STAGES.has(message.stage)) {
    window.setTimeout(() => window.location.reload(), 1500);
  }
}

// The first message of a socket is the tally's status now: if it moved on
// while this page loaded (an event sent before the socket joined), reload.
function checkStatus(status) {
  const verified = status.verified === null ? "none" : String(status.verified);
  const { state, shares, verified: shown } = panel.dataset;
  if (status.state !== state || String(status.shares_uploaded.length) !== shares || verified !== shown) {
    window.location.reload();
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
    } else if (message.type === "status") {
      checkStatus(message.status);
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
