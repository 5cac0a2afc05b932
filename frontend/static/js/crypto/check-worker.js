// Helper worker of the trustee's console: checks board entries on their
// own (SPEC §7, counting.js `checkEntry`, the proofs of each "check" in one
// batch: `checkBatch`) for check-pool.js, which starts
// several of these from the trustee worker and merges their verdicts.
// Only public data comes here (the manifest and board entries); the
// trustee's share stays in trustee-worker.js.
//
// Protocol (every message a plain object with a `type`; in order):
//   pool → {type: "init", manifest, electionHash}
//   pool → {type: "check", entries}        cast and audit board entries
//   ← {type: "verdict", verdict}           one per entry, in order, once the batch is checked
//   ← {type: "checked"}                    after the last entry of a "check"
//   ← {type: "error", message}             a check threw (a bug, not a reason)

import { checkBatch } from "./counting.js";

const state = { manifest: null, electionHash: null };

/**
 * Handle one message of the protocol above; `post` sends a reply.
 * (Exported so the protocol runs in Node's worker threads for the tests.)
 * @param {object} message
 * @param {(reply: object) => void} post
 * @returns {Promise<void>}
 */
export async function handleCheckMessage(message, post) {
  try {
    if (message?.type === "init") {
      state.manifest = message.manifest;
      state.electionHash = message.electionHash;
    } else if (message?.type === "check") {
      if (state.manifest === null) {
        throw new Error("check before init");
      }
      for (const verdict of await checkBatch(state.manifest, state.electionHash, message.entries)) {
        post({ type: "verdict", verdict });
      }
      post({ type: "checked" });
    } else {
      throw new Error(`unknown message type: ${JSON.stringify(String(message?.type))}`);
    }
  } catch (error) {
    post({ type: "error", message: error?.message ?? String(error) });
  }
}

// Inside a worker only: in Node (tests) this module just exports.
if (typeof WorkerGlobalScope !== "undefined" && globalThis instanceof WorkerGlobalScope) {
  let queue = Promise.resolve();
  globalThis.addEventListener("message", (event) => {
    queue = queue.then(() => handleCheckMessage(event.data, (reply) => globalThis.postMessage(reply)));
  });
}
