// The trustee's console for the key ceremony (SPEC §2.2; issue #5, item 4):
// make an X25519 key in the browser and download it sealed by a passphrase
// (the PBKDF2 key file of crypto/keyfile.js), register its public key, open
// the share box, check the share against v_i, and pass the self-test.
//
// The private key, the passphrase and the share never leave the browser:
// the page only fills the existing forms (public key, test share) and
// submits them. URLs and messages come from ballots/trustee.html.

import { hexBytes, hexInt } from "./crypto/bigint.js";
import { cjson } from "./crypto/cjson.js";
import { sealKeyFile } from "./crypto/keyfile.js";
import { parseCeremonyPublic } from "./crypto/threshold.js";
import { generateKeyPair, isSupported } from "./crypto/x25519.js";
import {
  ConsoleFailure,
  ConsoleWorker,
  clearError,
  download,
  fetchText,
  readChosenFile,
  refuse,
  say,
  t,
} from "./trustee-common.js";

const root = document.getElementById("trustee-console");
const config = root.dataset;
const index = Number(config.index);
const $ = (id) => document.getElementById(id);
const state = { worker: null, publicValue: null };

function worker() {
  state.worker ??= new ConsoleWorker(config.workerUrl);
  return state.worker;
}

function failed(error, errorId = null) {
  const message = error instanceof ConsoleFailure ? error.message : t("internal", { detail: error?.message ?? String(error) });
  if (errorId) {
    $(errorId).textContent = message;
  }
  say(message, "error");
}

// ------------------------------------------------------------ 1. the key

async function onKeygen(event) {
  event.preventDefault();
  const passphrase = $("keygen-passphrase");
  const confirm = $("keygen-confirm");
  clearError("keygen-error", [passphrase, confirm]);
  const min = Number(config.minPassphrase);
  if ([...passphrase.value].length < min) {
    refuse("keygen-error", t("passphraseShort", { min }), passphrase);
    return;
  }
  if (passphrase.value !== confirm.value) {
    refuse("keygen-error", t("passphraseMismatch"), confirm);
    return;
  }
  const button = $("keygen-submit");
  button.disabled = true;
  say(t("generating"));
  try {
    const pair = await generateKeyPair();
    const file = await sealKeyFile(pair.privateKey, passphrase.value);
    pair.privateKey.fill(0);
    const name = `trustee-key-${config.electionId}-${index}.json`;
    download(file, name);
    passphrase.value = "";
    confirm.value = "";
    const field = $("id_x25519_public_key");
    field.value = hexBytes(pair.publicKey);
    root.dataset.keyFile = "downloaded";
    say(t("generated", { name }), "success");
    $("key-submit").focus();
  } catch (error) {
    failed(error, "keygen-error");
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------ 2. the share

async function onOpen(event) {
  event.preventDefault();
  root.dataset.busy = "true";
  try {
    await openShare();
  } finally {
    root.dataset.busy = "false";
  }
}

async function openShare() {
  const fileInput = $("open-key-file");
  const passphrase = $("open-passphrase");
  clearError("open-error", [fileInput, passphrase]);
  const keyFile = await readChosenFile(fileInput);
  if (keyFile === null) {
    refuse("open-error", t("keyFileMissing"), fileInput);
    return;
  }
  if (passphrase.value === "") {
    refuse("open-error", t("passphraseMissing"), passphrase);
    return;
  }
  const button = $("open-submit");
  button.disabled = true;
  $("selftest-button").disabled = true;
  root.dataset.opened = "false";
  say(t("loading"));
  try {
    const [boxText, publicText] = await Promise.all([fetchText(config.shareBoxUrl), fetchText(config.publicUrl)]);
    const publicValue = JSON.parse(publicText);
    let pub;
    try {
      pub = await parseCeremonyPublic(publicValue);
    } catch (error) {
      throw new ConsoleFailure(t("bad-public", { detail: error.message }));
    }
    const vk = pub.trustees.verificationKeys[index - 1];
    if (vk === undefined) {
      throw new ConsoleFailure(t("wrong-key"));
    }
    say(t("opening"));
    const opened = await worker().call({
      type: "open",
      keyFile,
      passphrase: passphrase.value,
      box: JSON.parse(boxText),
      index,
      n: hexInt(pub.n),
      count: pub.trustees.count,
      v: hexInt(pub.trustees.v),
      vk: hexInt(vk.vk),
    });
    passphrase.value = "";
    state.publicValue = publicValue;
    $("selftest-button").disabled = false;
    root.dataset.opened = "true";
    say(t("opened", { index: opened.index }), "success");
  } catch (error) {
    failed(error, "open-error");
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------ 3. the self-test

async function onSelftest() {
  const button = $("selftest-button");
  button.disabled = true;
  say(t("selftesting"));
  try {
    // The key proof is checked first: a few seconds; announced every 32 rounds.
    const made = await worker().call({ type: "selftest", public: state.publicValue }, (reply) => {
      if (reply.done % 32 === 0) {
        say(t("checkingKey", reply));
      }
    });
    $("id_share").value = cjson(made.share);
    say(t("selftestReady"));
    $("share-form").requestSubmit();
  } catch (error) {
    failed(error);
    button.disabled = false;
  }
}

// ------------------------------------------------------------ start

async function start() {
  if (!(await isSupported())) {
    say(t("unsupported"), "error");
    return;
  }
  const keygen = $("keygen-form");
  if (keygen) {
    keygen.addEventListener("submit", onKeygen);
    $("keygen-submit").disabled = false;
  }
  const open = $("open-form");
  if (open) {
    open.addEventListener("submit", onOpen);
    $("open-submit").disabled = false;
    $("selftest-button").addEventListener("click", onSelftest);
  }
  root.dataset.loaded = "true";
}

start();
