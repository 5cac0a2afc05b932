// What both trustee console pages share (trustee.js, trustee-decrypt.js):
// translated messages, the status line, reading files, fetching, and
// talking to the console's worker (crypto/trustee-worker.js).

const strings = JSON.parse(document.getElementById("console-strings").textContent);

/** Fill `{name}` placeholders of a translated message. */
export function t(key, values = {}) {
  const text = strings[key] ?? strings.internal;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

/** Show `message` in the page's live status line; `kind` is info, error or success. */
export function say(message, kind = "info") {
  const status = document.getElementById("console-status");
  status.textContent = message;
  status.dataset.kind = kind;
}

/** A translated message for a worker's (or a page check's) error reply. */
export function explain(reply) {
  return t(reply.code in strings ? reply.code : "internal", { detail: reply.message });
}

/** Show an error under a form and in the status line; mark `input` invalid. */
export function refuse(errorId, message, input = null) {
  document.getElementById(errorId).textContent = message;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
  say(message, "error");
}

/** Clear a form's error line and invalid marks. */
export function clearError(errorId, inputs) {
  document.getElementById(errorId).textContent = "";
  for (const input of inputs) {
    input.removeAttribute("aria-invalid");
  }
}

/** The text of the file chosen in a file input, or null. */
export async function readChosenFile(input) {
  const file = input.files?.[0];
  return file ? file.text() : null;
}

/** A failure the page reports with a translated message. */
export class ConsoleFailure extends Error {
  constructor(message) {
    super(message);
    this.name = "ConsoleFailure";
  }
}

/**
 * GET `url` (same origin, with the session) as text.
 * @throws {ConsoleFailure} with a translated message.
 */
export async function fetchText(url) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin" });
  } catch {
    throw new ConsoleFailure(t("networkFailed"));
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      detail = JSON.parse(text).detail ?? detail;
    } catch {
      // Not the API's JSON error: keep the status.
    }
    throw new ConsoleFailure(t("loadFailed", { detail }));
  }
  return text;
}

/** Offer `text` as a download named `name` through the link `anchor`. */
export function offerDownload(anchor, text, name) {
  anchor.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  anchor.download = name;
}

/** Download `text` as a file named `name` at once. */
export function download(text, name) {
  const anchor = document.createElement("a");
  offerDownload(anchor, text, name);
  anchor.hidden = true;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(anchor.href), 60_000);
}

/**
 * The console's worker: `call(message, onProgress)` resolves with its
 * answer, or rejects with a ConsoleFailure holding the translated reason.
 */
export class ConsoleWorker {
  constructor(url) {
    this.worker = new Worker(url, { type: "module" });
    this.pending = [];
    this.worker.addEventListener("message", (event) => this.onMessage(event.data));
    this.worker.addEventListener("error", () => {
      for (const call of this.pending.splice(0)) {
        call.reject(new ConsoleFailure(t("unsupported")));
      }
    });
  }

  onMessage(reply) {
    const call = this.pending[0];
    if (!call) {
      return;
    }
    if (reply.type === "progress") {
      call.onProgress?.(reply);
      return;
    }
    this.pending.shift();
    if (reply.type === "error") {
      call.reject(new ConsoleFailure(explain(reply)));
    } else {
      call.resolve(reply);
    }
  }

  call(message, onProgress = null) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject, onProgress });
      this.worker.postMessage(message);
    });
  }
}
