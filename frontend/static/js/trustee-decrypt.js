// The trustee's console for the tally (SPEC §2.3, §7; issue #5, item 4):
// open the share with the key file, download the manifest and the closed
// board, recompute the counting rule and every aggregate in the worker,
// decrypt only those, and upload the shares with their proofs — exactly
// the file `python -m tally.trustee decrypt` writes.
//
// URLs and messages come from tally/trustee.html. The key file, the
// passphrase and the share never leave the browser.

import { hexInt } from "./crypto/bigint.js";
import { parsePublicKey, parseTrusteeKeys } from "./crypto/threshold.js";
import { isSupported } from "./crypto/x25519.js";
import {
  ConsoleFailure,
  ConsoleWorker,
  clearError,
  fetchText,
  offerDownload,
  readChosenFile,
  refuse,
  say,
  t,
} from "./trustee-common.js";

const root = document.getElementById("decrypt-console");
const config = root.dataset;
const index = Number(config.index);
const $ = (id) => document.getElementById(id);
const progress = $("decrypt-progress");
const state = { worker: null };

function showProgress(reply) {
  progress.max = Math.max(1, reply.total);
  progress.value = reply.done;
  const stages = { "key-proof": "checkingKey", classify: "counting", decrypt: "decrypting" };
  const message = t(stages[reply.stage] ?? "decrypting", reply);
  progress.setAttribute("aria-valuetext", message);
  say(message);
}

function resetProgress() {
  progress.max = 1;
  progress.value = 0;
  progress.removeAttribute("aria-valuetext");
}

/** The trustees' keys of the manifest, for the share check (SPEC §2.2). */
function manifestKeys(manifestText) {
  try {
    const manifest = JSON.parse(manifestText);
    const n = parsePublicKey(manifest.public_key, "manifest.public_key");
    const trustees = parseTrusteeKeys(manifest.trustees, "manifest.trustees");
    const entry = trustees.verificationKeys[index - 1];
    if (entry === undefined) {
      throw new Error(`no trustee ${index}`);
    }
    return { n: hexInt(n), count: trustees.count, v: hexInt(trustees.v), vk: hexInt(entry.vk) };
  } catch (error) {
    throw new ConsoleFailure(t("manifest", { detail: error.message }));
  }
}

/** The error a re-rendered upload page shows, if any. */
function pageError(html) {
  const page = new DOMParser().parseFromString(html, "text/html");
  const errors = [...page.querySelectorAll("main .field-error, main .form-errors")];
  return errors.map((element) => element.textContent.trim()).filter(Boolean).join(" ");
}

/**
 * Upload the shares file through the page's own upload form (the view
 * checks it as it checks the command-line tool's file; its size limit is
 * the form's, not the JSON API's). Success is the view's redirect.
 */
async function upload(file) {
  const form = new FormData();
  form.append("shares", new Blob([file], { type: "application/json" }), "shares.json");
  let response;
  try {
    response = await fetch(config.uploadUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": config.csrfToken },
      body: form,
      redirect: "manual",
    });
  } catch {
    throw new ConsoleFailure(t("networkFailed"));
  }
  if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
    return;
  }
  let detail = "";
  try {
    detail = pageError(await response.text());
  } catch {
    // Not the page: keep the status.
  }
  throw new ConsoleFailure(t("uploadFailed", { detail: detail || `HTTP ${response.status}` }));
}

async function onDecrypt(event) {
  event.preventDefault();
  const fileInput = $("decrypt-key-file");
  const passphrase = $("decrypt-passphrase");
  clearError("decrypt-error", [fileInput, passphrase]);
  const keyFile = await readChosenFile(fileInput);
  if (keyFile === null) {
    refuse("decrypt-error", t("keyFileMissing"), fileInput);
    return;
  }
  if (passphrase.value === "") {
    refuse("decrypt-error", t("passphraseMissing"), passphrase);
    return;
  }
  const button = $("decrypt-submit");
  button.disabled = true;
  resetProgress();
  root.dataset.done = "false";
  say(t("loading"));
  try {
    const [boxText, manifestText, boardText] = await Promise.all([
      fetchText(config.shareBoxUrl),
      fetchText(config.manifestUrl),
      fetchText(config.boardUrl),
    ]);
    state.worker ??= new ConsoleWorker(config.workerUrl);
    const worker = state.worker;
    say(t("opening"));
    // Open the share first: a wrong passphrase fails before the long count.
    await worker.call({
      type: "open",
      keyFile,
      passphrase: passphrase.value,
      box: JSON.parse(boxText),
      index,
      ...manifestKeys(manifestText),
    });
    passphrase.value = "";
    const counted = await worker.call(
      { type: "count", manifestText, boardText, electionHash: config.electionHash },
      showProgress,
    );
    const invalid = Object.keys(counted.invalidCasts).length + Object.keys(counted.invalidAudits).length;
    say(t("counted", { counted: counted.counted.length, invalid }));
    if (counted.board.tree_size !== Number(config.treeSize) || counted.board.root_hash !== config.rootHash) {
      throw new ConsoleFailure(t("rootMismatch", { size: counted.board.tree_size }));
    }
    resetProgress();
    const made = await worker.call({ type: "decrypt" }, showProgress);
    const link = $("shares-download");
    offerDownload(link, made.file, `shares-${config.electionId}-${index}.json`);
    link.hidden = false;
    say(t("uploading"));
    await upload(made.file);
    root.dataset.done = "true";
    say(t("uploaded"), "success");
    // The page then shows the server's record of the accepted upload.
    window.location.assign(window.location.pathname);
  } catch (error) {
    const message = error instanceof ConsoleFailure ? error.message : t("internal", { detail: error?.message ?? String(error) });
    $("decrypt-error").textContent = message;
    say(message, "error");
    button.disabled = false;
  }
}

async function start() {
  if (!(await isSupported())) {
    say(t("unsupported"), "error");
    return;
  }
  $("decrypt-form").addEventListener("submit", onDecrypt);
  $("decrypt-submit").disabled = false;
  root.dataset.loaded = "true";
}

start();
