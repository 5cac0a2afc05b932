// Live turnout on an election page: the server pushes
// {"type": "turnout", "turnout": {"tree_size", "casts", "voters"}} over the
// websocket of the element with data-live-url; each element with
// data-turnout="<name>" shows the matching number.  The surrounding element
// is an aria-live region, so screen readers announce changes politely.
const region = document.querySelector("[data-turnout-url]");

function applyTurnout(turnout) {
  for (const [name, value] of Object.entries(turnout)) {
    for (const element of document.querySelectorAll(`[data-turnout="${name}"]`)) {
      element.textContent = String(value);
    }
  }
}

function connect(attempt) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${window.location.host}${region.dataset.turnoutUrl}`);
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "turnout") {
      applyTurnout(message.turnout);
    }
  });
  socket.addEventListener("close", () => {
    const delay = Math.min(30000, 1000 * 2 ** attempt);
    window.setTimeout(() => connect(attempt + 1), delay);
  });
  socket.addEventListener("open", () => { attempt = 0; });
}

if (region && "WebSocket" in window) {
  connect(0);
}
