// The audited-ballot checker (SPEC §5.1, §7): fetch the audit entry from the
// board API and the manifest, check every opening here with checkAudit, and
// show the revealed choices or a loud failure naming the reason.

import { checkAudit, electionHash } from "./crypto/ballot.js";
import { format, verdictOf } from "./audit-view.js";

const root = document.getElementById("audit");
const strings = JSON.parse(document.getElementById("audit-strings").textContent);
const contests = JSON.parse(document.getElementById("audit-contests").textContent);
const verdict = document.getElementById("audit-verdict");
const alertBox = document.getElementById("audit-alert");

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`${url}: HTTP ${response.status}`);
  }
  return response.json();
}

function fail(message) {
  verdict.textContent = "";
  verdict.dataset.verified = "false";
  const paragraph = document.createElement("p");
  paragraph.className = "find-verdict find-failure";
  paragraph.id = "audit-failure";
  paragraph.textContent = message;
  alertBox.replaceChildren(paragraph);
}

function showChoices(choices) {
  const list = document.getElementById("audit-choices-list");
  for (const contest of choices) {
    const heading = document.createElement("h3");
    heading.textContent = contest.title;
    const items = document.createElement("ul");
    for (const option of contest.options) {
      const item = document.createElement("li");
      item.textContent = `${option.title}: ${option.selected ? strings.selected : strings.notSelected}`;
      items.append(item);
    }
    list.append(heading, items);
  }
  document.getElementById("audit-choices").hidden = false;
}

async function run() {
  const seq = Number(root.dataset.seq);
  const manifest = await getJson(root.dataset.manifestUrl);
  if ((await electionHash(manifest)) !== root.dataset.electionHash) {
    throw new Error("the manifest does not match the published election hash");
  }
  const { entries } = await getJson(`${root.dataset.boardUrl}?page=${Math.floor(seq / 100) + 1}`);
  const entry = entries.find((item) => item.seq === seq);
  if (!entry || entry.type !== "audit") {
    throw new Error(`entry ${seq} is not an audit`);
  }
  const shown = verdictOf(await checkAudit(manifest, entry.payload), contests, strings);
  if (!shown.ok) {
    fail(shown.message);
    return;
  }
  verdict.textContent = shown.message;
  verdict.dataset.verified = "true";
  showChoices(shown.choices);
}

if (root) {
  run().catch((error) => fail(format(strings.loadFailed, { detail: error.message })));
}
