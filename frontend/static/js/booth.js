// The voting booth (SPEC §4.1, §5, §5.1, §6): voting code → choices →
// review → encrypt (in the worker) → cast or audit → verified receipt.
//
// The voting code, the credential's seed and the openings never leave the
// browser (an audit publishes the openings on purpose). The page's HTML
// (ballots/booth.html) holds the steps, the URLs (data attributes of
// #booth) and the translated messages (#booth-strings, JSON).

import { hexBytes } from "./crypto/bigint.js";
import { electionHash as manifestHash, trackerDisplay } from "./crypto/ballot.js";
import { cjson } from "./crypto/cjson.js";
import { credentialFromCode } from "./crypto/credentials.js";
import { VotingCodeError } from "./crypto/errors.js";
import { checkReceipt } from "./crypto/receipt.js";

const root = document.getElementById("booth");
const config = root.dataset;
const strings = JSON.parse(document.getElementById("booth-strings").textContent);
const $ = (id) => document.getElementById(id);
const statusEl = $("booth-status");
const progress = $("booth-progress");

const state = {
  manifest: null,
  electionHash: null,
  seed: null,
  choices: null,
  result: null,
  worker: null,
  ready: false,
  pending: null,
};

/** Fill `{name}` placeholders of a translated message. */
function t(key, values = {}) {
  return strings[key].replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

function say(message, kind = "info") {
  statusEl.textContent = message;
  statusEl.dataset.kind = kind;
}

function showStep(id) {
  for (const section of root.querySelectorAll(".booth-step")) {
    section.hidden = section.id !== id;
  }
  const heading = $(id).querySelector("h2");
  heading?.focus();
}

// ------------------------------------------------------------ the worker

function startPrecomputation() {
  state.ready = false;
  progress.value = 0;
  progress.removeAttribute("aria-valuetext");
  state.worker.postMessage({ type: "precompute", manifest: state.manifest, electionHash: state.electionHash });
}

function onWorkerMessage(event) {
  const message = event.data;
  if (message.type === "progress") {
    progress.max = message.total;
    progress.value = message.done;
    progress.setAttribute("aria-valuetext", t("preparing", message));
  } else if (message.type === "ready") {
    state.ready = true;
    progress.value = progress.max;
    progress.setAttribute("aria-valuetext", strings.prepared);
    root.dataset.ready = "true";
  } else if (message.type === "result" || message.type === "error") {
    const pending = state.pending;
    state.pending = null;
    if (pending) {
      pending(message);
    } else if (message.type === "error") {
      say(t("encryptFailed", { detail: message.message }), "error");
    }
  }
}

function encryptInWorker(choices) {
  return new Promise((resolve) => {
    state.pending = resolve;
    state.worker.postMessage({ type: "encrypt", seed: state.seed, choices });
  });
}

// ------------------------------------------------------------ step 1: code

async function onCode(event) {
  event.preventDefault();
  const input = $("voting-code");
  const error = $("voting-code-error");
  error.textContent = "";
  input.removeAttribute("aria-invalid");
  let credential;
  try {
    credential = await credentialFromCode(input.value, state.manifest.election_id);
  } catch (problem) {
    if (!(problem instanceof VotingCodeError)) {
      throw problem;
    }
    return refuseCode(strings.codeFormat);
  }
  if (!state.manifest.credentials.includes(hexBytes(credential.publicKey))) {
    return refuseCode(strings.codeInvalid);
  }
  state.seed = credential.seed;
  input.value = "";
  say(strings.codeAccepted);
  showStep("step-choose");
}

function refuseCode(message) {
  const input = $("voting-code");
  $("voting-code-error").textContent = message;
  input.setAttribute("aria-invalid", "true");
  say(message, "error");
  input.focus();
}

// ------------------------------------------------------------ step 2: choices

function buildContests() {
  const container = $("contests");
  container.replaceChildren();
  for (const [index, contest] of state.manifest.contests.entries()) {
    const fieldset = document.createElement("fieldset");
    fieldset.className = "contest";
    fieldset.dataset.contestId = contest.contest_id;
    const legend = document.createElement("legend");
    legend.textContent = contest.title;
    const hint = document.createElement("p");
    hint.className = "help";
    hint.id = `contest-${index}-hint`;
    const { min_selections: min, max_selections: max } = contest;
    if (min === max) {
      hint.textContent = t("chooseExactly", { n: min });
    } else if (min === 0) {
      hint.textContent = t("chooseUpTo", { max });
    } else {
      hint.textContent = t("chooseRange", { min, max });
    }
    const error = document.createElement("p");
    error.className = "field-error";
    error.id = `contest-${index}-error`;
    fieldset.setAttribute("aria-describedby", `${hint.id} ${error.id}`);
    fieldset.append(legend, hint);
    const type = max === 1 ? "radio" : "checkbox";
    for (const [position, option] of contest.options.entries()) {
      const id = `choice-${index}-${position}`;
      const wrapper = document.createElement("div");
      wrapper.className = "choice";
      const input = document.createElement("input");
      input.type = type;
      input.id = id;
      input.name = `contest-${index}`;
      input.value = option.option_id;
      input.dataset.option = "true";
      input.addEventListener("change", () => checkContest(fieldset, contest, false));
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = option.title;
      wrapper.append(input, label);
      fieldset.append(wrapper);
    }
    if (type === "radio" && min === 0) {
      // A chosen radio button cannot be unticked: offer the blank vote.
      const id = `choice-${index}-blank`;
      const wrapper = document.createElement("div");
      wrapper.className = "choice";
      const input = document.createElement("input");
      input.type = "radio";
      input.id = id;
      input.name = `contest-${index}`;
      input.value = "";
      input.checked = true;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = strings.blankChoice;
      wrapper.append(input, label);
      fieldset.append(wrapper);
    }
    fieldset.append(error);
    container.append(fieldset);
  }
}

/** The problem with one contest's choices, shown in its fieldset, or null. */
function checkContest(fieldset, contest, final) {
  const boxes = [...fieldset.querySelectorAll("input[data-option]")];
  const count = boxes.filter((box) => box.checked).length;
  const { min_selections: min, max_selections: max, title } = contest;
  let problem = null;
  if (count > max) {
    problem = t("tooMany", { contest: title, count, max });
  } else if (final && count < min) {
    problem = t("tooFew", { contest: title, count, min });
  }
  fieldset.querySelector(".field-error").textContent = problem ?? "";
  if (problem) {
    fieldset.setAttribute("aria-invalid", "true");
  } else {
    fieldset.removeAttribute("aria-invalid");
  }
  return problem;
}

function onChoose(event) {
  event.preventDefault();
  const fieldsets = [...$("contests").querySelectorAll("fieldset")];
  const problems = state.manifest.contests
    .map((contest, index) => checkContest(fieldsets[index], contest, true))
    .filter((problem) => problem !== null);
  if (problems.length > 0) {
    $("choose-error").textContent = strings.fixChoices;
    say([strings.fixChoices, ...problems].join(" "), "error");
    fieldsets.find((fieldset) => fieldset.hasAttribute("aria-invalid"))?.querySelector("input")?.focus();
    return;
  }
  $("choose-error").textContent = "";
  state.choices = {};
  const list = $("review-list");
  list.replaceChildren();
  for (const [index, contest] of state.manifest.contests.entries()) {
    const boxes = [...fieldsets[index].querySelectorAll("input[data-option]")];
    state.choices[contest.contest_id] = boxes.map((box) => (box.checked ? 1 : 0));
    const dt = document.createElement("dt");
    dt.textContent = contest.title;
    const dd = document.createElement("dd");
    const chosen = contest.options.filter((_option, position) => boxes[position].checked).map((option) => option.title);
    dd.textContent = chosen.length ? chosen.join(", ") : strings.noChoice;
    list.append(dt, dd);
  }
  say(strings.reviewReady);
  showStep("step-review");
}

// ------------------------------------------------------------ step 4: encrypt

async function onEncrypt() {
  const button = $("review-encrypt");
  button.disabled = true;
  say(strings.encrypting);
  const message = await encryptInWorker(state.choices);
  button.disabled = false;
  if (message.type === "error") {
    say(t("encryptFailed", { detail: message.message }), "error");
    return;
  }
  state.result = message;
  $("tracker-display").textContent = message.trackerDisplay;
  $("cast-button").disabled = false;
  $("audit-button").disabled = false;
  say(strings.encrypted);
  showStep("step-tracker");
}

// ------------------------------------------------------------ posting

async function post(url, value) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken },
      body: cjson(value),
    });
  } catch {
    return { ok: false, detail: strings.networkFailed };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    return { ok: false, detail: body?.detail ?? `HTTP ${response.status}` };
  }
  return { ok: true, body };
}

// ------------------------------------------------------------ step 5: cast

async function onCast() {
  $("cast-button").disabled = true;
  $("audit-button").disabled = true;
  say(strings.casting);
  const answer = await post(config.castUrl, state.result.ballot);
  if (!answer.ok) {
    $("cast-button").disabled = false;
    $("audit-button").disabled = false;
    say(t("castFailed", { detail: answer.detail }), "error");
    return;
  }
  await showReceipt(answer.body, state.result.ballot);
}

async function boardEntry(seq) {
  const page = Math.floor(seq / 100) + 1;
  const response = await fetch(`${config.boardUrl}?page=${page}`, { credentials: "same-origin" });
  if (!response.ok) {
    return undefined;
  }
  const { entries } = await response.json();
  return entries.find((entry) => entry.seq === seq);
}

async function showReceipt(receipt, ballot) {
  say(strings.verifying);
  $("receipt-tracker").textContent = trackerDisplay(receipt.tracker);
  $("receipt-tracker-full").textContent = receipt.tracker;
  $("receipt-seq").textContent = String(receipt.seq);
  $("receipt-head-size").textContent = t("headSize", { size: receipt.head.tree_size });
  const time = $("receipt-head-time");
  time.textContent = receipt.head.timestamp;
  time.dateTime = receipt.head.timestamp;
  $("receipt-head-root").textContent = receipt.head.root_hash;
  $("receipt-head-signature").textContent = receipt.head.signature;
  const download = $("receipt-download");
  download.href = URL.createObjectURL(new Blob([`${cjson(receipt)}\n`], { type: "application/json" }));
  download.download = `receipt-${config.electionId}-${receipt.seq}.json`;
  $("receipt-find").href = `${config.findUrl}?tracker=${encodeURIComponent(receipt.tracker)}`;
  const verdict = $("receipt-verdict");
  verdict.textContent = "";
  showStep("step-receipt");

  const problems = [];
  let entry;
  try {
    entry = await boardEntry(receipt.seq);
  } catch {
    entry = undefined;
  }
  if (receipt.tracker !== state.result.tracker) {
    problems.push("the receipt's tracker is not your ballot's");
  }
  if (entry && cjson(entry.payload) !== cjson(ballot)) {
    problems.push(`board entry ${receipt.seq} is not your ballot`);
  }
  const checked = await checkReceipt(receipt, {
    boardPublicKey: state.manifest.board_public_key,
    entry,
    electionHash: state.electionHash,
  });
  problems.push(...checked.problems);
  if (problems.length === 0) {
    verdict.textContent = strings.verified;
    verdict.dataset.verified = "true";
    say(strings.verified, "success");
  } else {
    const message = t("verifyFailed", { detail: problems.join("; ") });
    verdict.textContent = message;
    verdict.dataset.verified = "false";
    say(message, "error");
  }
}

// ------------------------------------------------------------ audit

async function onAudit() {
  $("cast-button").disabled = true;
  $("audit-button").disabled = true;
  say(strings.auditing);
  const answer = await post(config.auditUrl, state.result.audit);
  if (!answer.ok) {
    $("cast-button").disabled = false;
    $("audit-button").disabled = false;
    say(t("auditFailed", { detail: answer.detail }), "error");
    return;
  }
  $("audit-tracker").textContent = state.result.trackerDisplay;
  const titles = new Map(
    state.manifest.contests.map((contest) => [
      contest.contest_id,
      { title: contest.title, options: new Map(contest.options.map((option) => [option.option_id, option.title])) },
    ]),
  );
  const body = $("openings-body");
  body.replaceChildren();
  for (const opening of state.result.audit.openings) {
    const contest = titles.get(opening.contest_id);
    const row = document.createElement("tr");
    for (const text of [contest.title, contest.options.get(opening.option_id), String(opening.plaintext), opening.randomness]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    row.lastChild.className = "full-hex";
    body.append(row);
  }
  state.result = null;
  // The audited encryption is spent: precompute afresh for the next one.
  startPrecomputation();
  say(strings.audited);
  showStep("step-audit");
}

function onReencrypt() {
  say(strings.reviewReady);
  showStep("step-review");
}

// ------------------------------------------------------------ start

async function start() {
  let manifest;
  try {
    const response = await fetch(config.manifestUrl, { credentials: "same-origin" });
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}`);
    }
    manifest = await response.json();
  } catch {
    say(strings.loadFailed, "error");
    return;
  }
  const hash = await manifestHash(manifest);
  if (hash !== config.electionHash) {
    say(strings.hashMismatch, "error");
    return;
  }
  state.manifest = manifest;
  state.electionHash = hash;
  state.worker = new Worker(config.workerUrl, { type: "module" });
  state.worker.addEventListener("message", onWorkerMessage);
  startPrecomputation();
  buildContests();
  $("code-form").addEventListener("submit", (event) => {
    onCode(event).catch((error) => say(String(error?.message ?? error), "error"));
  });
  $("choose-form").addEventListener("submit", onChoose);
  $("review-change").addEventListener("click", () => showStep("step-choose"));
  $("review-encrypt").addEventListener("click", onEncrypt);
  $("cast-button").addEventListener("click", onCast);
  $("audit-button").addEventListener("click", onAudit);
  $("reencrypt-button").addEventListener("click", onReencrypt);
  $("receipt-print").addEventListener("click", () => window.print());
  $("code-submit").disabled = false;
  root.dataset.loaded = "true";
  say($("step-code-heading").textContent);
}

start();
