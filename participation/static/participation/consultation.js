// Live consultation page: new comments, moderation, reactions and poll
// results arrive over the websocket of `consultation-<id>`.  Everything they
// carry is inserted with textContent, never as HTML.  The one exception is
// the opinion map: when it is recomputed, its section is fetched as HTML
// rendered (and escaped) by the server from the same template as the page.
const page = document.querySelector("[data-live-url]");
const announcer = document.getElementById("live-announcer");
const texts = document.getElementById("live-messages");
const template = document.getElementById("comment-template");
const opinionResults = document.getElementById("opinion-results");

function announce(message) {
  if (announcer) {
    announcer.textContent = message;
  }
}

function addComment(c) {
  if (document.getElementById(`comment-${c.id}`) || !template) {
    return;
  }
  const item = template.content.firstElementChild.cloneNode(true);
  item.id = `comment-${c.id}`;
  item.dataset.commentId = String(c.id);
  item.querySelector("[data-author]").textContent = c.author;
  const time = item.querySelector("[data-time]");
  time.dateTime = c.created_at;
  time.textContent = new Date(c.created_at).toLocaleString();
  item.querySelector("[data-number]").textContent = `#${c.id}`;
  item.querySelector("[data-comment-body]").textContent = c.body;
  let list = null;
  if (c.parent_id) {
    list = document.querySelector(`[data-replies-of="${c.parent_id}"]`);
  } else {
    list = document.querySelector(`[data-thread="${CSS.escape(c.paragraph_key)}"]`);
  }
  if (!list) {
    return;
  }
  list.append(item);
  if (c.paragraph_key) {
    const counter = document.querySelector(
      `[data-paragraph="${CSS.escape(c.paragraph_key)}"] [data-count]`,
    );
    if (counter) {
      counter.textContent = String(Number(counter.textContent) + 1);
    }
  }
  announce(`${texts.dataset.newComment} ${c.author}: ${c.body.slice(0, 140)}`);
}

function updateComment(c) {
  const body = document.querySelector(`#comment-${c.id} [data-comment-body]`);
  if (body) {
    body.textContent = c.body;
  }
}

function hideComment(p) {
  const body = document.querySelector(`#comment-${p.id} [data-comment-body]`);
  if (body) {
    body.textContent = `${texts.dataset.hidden} ${p.reason}`;
    body.className = "moderation-note";
  }
}

function updateReactions(p) {
  const item = document.getElementById(`comment-${p.id}`);
  if (item) {
    item.querySelector("[data-agree]").textContent = String(p.agree);
    item.querySelector("[data-disagree]").textContent = String(p.disagree);
  }
}

function updatePoll(p) {
  const form = document.querySelector(`[data-poll="${p.poll}"]`);
  if (!form) {
    return;
  }
  form.querySelector("[data-poll-answers]").textContent = String(p.answers);
  for (const [optionId, count] of p.options) {
    const cell = form.querySelector(`[data-option-count="${optionId}"]`);
    if (cell) {
      cell.textContent = String(count);
    }
  }
}

// Maps can be recomputed while a fetch is on its way: only the response to
// the latest request is shown, so an older map never replaces a newer one.
let opinionRequest = 0;

async function refreshOpinionMap() {
  if (!opinionResults) {
    return;
  }
  opinionRequest += 1;
  const request = opinionRequest;
  let html = "";
  try {
    const response = await fetch(opinionResults.dataset.opinionUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/html" },
    });
    if (!response.ok) {
      return;
    }
    html = await response.text();
  } catch {
    return;
  }
  if (request !== opinionRequest) {
    return;
  }
  // DOMParser runs no scripts, and the CSP allows none inline anyway.
  const parsed = new DOMParser().parseFromString(html, "text/html");
  opinionResults.replaceChildren(...parsed.body.childNodes);
  const summary = opinionResults.querySelector("[data-opinion-summary]");
  const updated = texts.dataset.opinionUpdated;
  announce(summary ? `${updated} ${summary.textContent}` : updated);
}

const handlers = {
  "comment.created": addComment,
  "comment.edited": updateComment,
  "comment.hidden": hideComment,
  "comment.reactions": updateReactions,
  "poll.results": updatePoll,
  "opinion.updated": refreshOpinionMap,
};

function connect(delay) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${window.location.host}${page.dataset.liveUrl}`);
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    const handler = handlers[message.type];
    if (handler) {
      handler(message.payload);
    }
  });
  socket.addEventListener("close", () => {
    window.setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
  });
}

if (page && "WebSocket" in window) {
  connect(1000);
}
