// Booth worker: precomputes and encrypts one ballot off the page's thread.
// Start it as a module worker:
//   new Worker("/static/js/crypto/worker.js", {type: "module"})
//
// Protocol (every message is a plain object with a `type`):
//   page → worker {type: "precompute", manifest, electionHash?}
//       Draw the ballot's randomness and make every exponentiation by n.
//       electionHash defaults to hex(H(["evote-paillier/1/manifest", manifest])).
//   worker → page {type: "progress", done, total}   after each exponentiation
//   worker → page {type: "ready", electionHash}     precomputation finished
//   page → worker {type: "encrypt", seed, choices}
//       seed: the credential's 32-byte seed (Uint8Array or 64 hex digits);
//       choices: {contest_id: [0/1 per option, manifest order]}.
//       Uses the precomputation (or makes one first) and consumes it.
//   worker → page {type: "result", ballot, tracker, trackerDisplay, audit}
//       ballot: to cast; audit: the §6 audit payload (ballot without
//       signature + openings), to post INSTEAD if the voter audits.
//       After either, send "precompute" again for the next ballot.
//   worker → page {type: "error", message, field}   e.g. choices that break
//       the contest rules; the precomputation is kept if it was not used.

import { parseHexBytes } from "./bigint.js";
import { auditPayload, electionHash as manifestHash, encryptBallot, precomputeBallot } from "./ballot.js";

const state = { manifest: null, electionHash: null, pre: null };

/**
 * Handle one message of the protocol above; `post` sends a reply.
 * (Exported so the protocol can be tested outside a worker.)
 * @param {object} message
 * @param {(reply: object) => void} post
 * @returns {Promise<void>}
 */
export async function handleMessage(message, post) {
  try {
    if (message?.type === "precompute") {
      state.manifest = message.manifest;
      state.electionHash = message.electionHash ?? (await manifestHash(message.manifest));
      state.pre = null;
      state.pre = await precomputeBallot(message.manifest, {
        onProgress: (done, total) => post({ type: "progress", done, total }),
      });
      post({ type: "ready", electionHash: state.electionHash });
    } else if (message?.type === "encrypt") {
      if (state.manifest === null) {
        throw new Error("send a precompute message with the manifest first");
      }
      const seed = typeof message.seed === "string" ? parseHexBytes(message.seed, "seed", 32) : message.seed;
      const pre = state.pre ?? (await precomputeBallot(state.manifest));
      const result = await encryptBallot(state.manifest, state.electionHash, seed, message.choices, pre);
      state.pre = null;
      post({
        type: "result",
        ballot: result.ballot,
        tracker: result.tracker,
        trackerDisplay: result.trackerDisplay,
        audit: auditPayload(result.ballot, result.openings),
      });
    } else {
      throw new Error(`unknown message type: ${JSON.stringify(message?.type)}`);
    }
  } catch (error) {
    if (state.pre?.used) {
      state.pre = null;
    }
    post({ type: "error", message: error?.message ?? String(error), field: error?.field ?? "" });
  }
}

// Inside a worker only: in Node (tests) or on a page this module just exports.
if (typeof WorkerGlobalScope !== "undefined" && globalThis instanceof WorkerGlobalScope) {
  let queue = Promise.resolve();
  globalThis.addEventListener("message", (event) => {
    // One message at a time, in order: "encrypt" waits for "precompute".
    queue = queue.then(() => handleMessage(event.data, (reply) => globalThis.postMessage(reply)));
  });
}
