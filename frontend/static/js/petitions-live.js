// Live signature counter of a petition page: the server pushes
// {"type": "count", "count": N, ...} over /ws/petitions/<id>/; the counter
// sits in an aria-live region, so screen readers announce changes politely.
const section = document.querySelector("[data-petition-ws]");
// Updates may come from several server processes: one that is older than
// what the page shows (a smaller log) is ignored.
let shownLogSize = -1;

function connect(attempt) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${window.location.host}${section.dataset.petitionWs}`);
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "count" && Number.isInteger(message.count)) {
      if (Number.isInteger(message.log_size)) {
        if (message.log_size < shownLogSize) {
          return;
        }
        shownLogSize = message.log_size;
      }
      for (const element of section.querySelectorAll("[data-petition-count]")) {
        element.textContent = String(message.count);
      }
    }
  });
  socket.addEventListener("open", () => { attempt = 0; });
  socket.addEventListener("close", (event) => {
    if (event.code === 4404) {
      return;
    }
    const delay = Math.min(30000, 1000 * 2 ** attempt);
    window.setTimeout(() => connect(attempt + 1), delay);
  });
}

if (section && "WebSocket" in window) {
  connect(0);
}
