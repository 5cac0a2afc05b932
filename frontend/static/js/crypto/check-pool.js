// Parallel checks of the board (SPEC §7) for the trustee's console: the
// checks of each entry on its own (structure, encodings, signature,
// ciphertexts, proofs of a cast; openings of an audit) are independent and
// by far the longest part of a count, so check-worker.js instances make
// them side by side, the proofs of each chunk in one batch (SPEC §3:
// counting.js `checkBatch`). counting.js `classifyEntries` then applies the
// rules that depend on the order (early/late are per entry; replay, audited
// and the counting rule) on the merged verdicts, exactly as after the
// sequential checks: the verdicts are the same (except with probability
// below 2^−128, for a key of safe primes), only found sooner.
//
// The helpers get only public data (the manifest and the entries). A
// helper that cannot start (no nested workers, a load failure) is dropped
// and its entries are checked by the others, or here when none is left.

import { checkEntriesBatched } from "./counting.js";

/** At most this many helper workers. */
export const MAX_WORKERS = 8;
/** Entries sent to a helper at a time, at most. */
export const MAX_CHUNK = 16;

/**
 * How many helpers to start for `concurrency` logical processors
 * (`navigator.hardwareConcurrency`, absent in some browsers): 1…8.
 * @param {unknown} concurrency
 * @returns {number}
 */
export function poolSize(concurrency) {
  const cores = Number.isSafeInteger(concurrency) ? concurrency : 1;
  return Math.max(1, Math.min(MAX_WORKERS, cores));
}

/**
 * Cut the entries into consecutive chunks, small enough that idle helpers
 * keep taking work (about four chunks per helper, 1…16 entries each).
 * @template T
 * @param {T[]} items
 * @param {number} workers
 * @returns {T[][]}
 */
export function chunkEntries(items, workers) {
  const size = Math.max(1, Math.min(MAX_CHUNK, Math.floor(items.length / (Math.max(1, workers) * 4))));
  const chunks = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}

/**
 * The verdicts found in any order, in `seq` order, refusing anything but
 * exactly one verdict per item.
 * @param {{seq: number}[]} items
 * @param {{seq: number}[]} verdicts
 * @returns {{seq: number}[]}
 */
export function mergeVerdicts(items, verdicts) {
  const bySeq = new Map();
  for (const verdict of verdicts) {
    if (bySeq.has(verdict.seq)) {
      throw new Error(`two verdicts for seq ${verdict.seq}`);
    }
    bySeq.set(verdict.seq, verdict);
  }
  if (bySeq.size !== items.length || items.some((item) => !bySeq.has(item.seq))) {
    throw new Error("the helpers did not return one verdict per entry");
  }
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
}

function spawnBrowserWorker() {
  return new Worker(new URL("./check-worker.js", import.meta.url), { type: "module" });
}

/**
 * A `check` for counting.js `classifyEntries` that checks the entries in
 * `size` helper workers (check-worker.js).
 * @param {object} [options]
 * @param {number} [options.size] Helpers; from `navigator.hardwareConcurrency` when absent.
 * @param {() => {postMessage: Function, addEventListener: Function, terminate: Function}} [options.spawn]
 *   Starts one helper (a module Worker by default; tests pass Node's).
 * @returns {(manifest: object, electionHash: string, items: object[], onProgress?: (done: number, total: number) => void) => Promise<object[]>}
 */
export function checkInWorkers(options = {}) {
  const size = options.size ?? poolSize(globalThis.navigator?.hardwareConcurrency);
  const spawn = options.spawn ?? spawnBrowserWorker;
  return (manifest, electionHash, items, onProgress = undefined) =>
    runPool(manifest, electionHash, items, onProgress, poolSize(size), spawn);
}

function runPool(manifest, electionHash, items, onProgress, size, spawn) {
  const total = items.length;
  const queue = chunkEntries(items, size);
  const verdicts = [];
  const helpers = new Set();
  let done = 0;
  let finished = false;
  let local = false;
  let running = false;

  return new Promise((resolve, reject) => {
    const stopAll = () => {
      for (const helper of helpers) {
        helper.worker.terminate();
      }
      helpers.clear();
    };
    const fail = (error) => {
      if (!finished) {
        finished = true;
        stopAll();
        reject(error);
      }
    };
    const progress = () => {
      done += 1;
      onProgress?.(done, total);
    };
    const settle = () => {
      if (finished || running || queue.length > 0 || [...helpers].some((helper) => helper.chunk !== null)) {
        return;
      }
      finished = true;
      stopAll();
      try {
        resolve(mergeVerdicts(items, verdicts));
      } catch (error) {
        reject(error);
      }
    };
    // No helper left with work still queued: check the rest in this thread.
    const checkHere = () => {
      if (local || finished || helpers.size > 0 || queue.length === 0) {
        return;
      }
      local = true;
      running = true;
      const rest = queue.splice(0).flat();
      const before = done;
      checkEntriesBatched(manifest, electionHash, rest, (count) => {
        done = before + count;
        onProgress?.(done, total);
      }).then((found) => {
        running = false;
        verdicts.push(...found);
        settle();
      }, fail);
    };
    const give = (helper) => {
      const chunk = queue.shift();
      if (chunk === undefined) {
        helper.chunk = null;
        helpers.delete(helper);
        helper.worker.terminate();
        settle();
        return;
      }
      helper.chunk = chunk;
      helper.found = [];
      helper.worker.postMessage({ type: "check", entries: chunk });
    };
    const drop = (helper) => {
      if (!helpers.has(helper)) {
        return;
      }
      helpers.delete(helper);
      helper.worker.terminate();
      if (helper.chunk !== null) {
        // Keep what it found; give back the entries it had not checked.
        verdicts.push(...helper.found);
        const seen = new Set(helper.found.map((verdict) => verdict.seq));
        const left = helper.chunk.filter((entry) => !seen.has(entry.seq));
        helper.chunk = null;
        if (left.length > 0) {
          queue.unshift(left);
        }
      }
      for (const other of helpers) {
        if (other.chunk === null) {
          give(other);
        }
      }
      checkHere();
      settle();
    };

    for (let i = 0; i < Math.min(size, queue.length); i++) {
      let worker;
      try {
        worker = spawn();
      } catch {
        break;
      }
      const helper = { worker, chunk: null, found: [] };
      helpers.add(helper);
      worker.addEventListener("message", (event) => {
        if (finished || !helpers.has(helper)) {
          return;
        }
        const reply = event.data;
        if (reply?.type === "verdict") {
          helper.found.push(reply.verdict);
          progress();
        } else if (reply?.type === "checked") {
          verdicts.push(...helper.found);
          helper.found = [];
          give(helper);
        } else {
          fail(new Error(reply?.type === "error" ? reply.message : "unexpected reply from a check worker"));
        }
      });
      worker.addEventListener("error", (event) => {
        // A helper that failed to load or broke: not the trustee worker's error.
        event?.preventDefault?.();
        if (!finished) {
          drop(helper);
        }
      });
      worker.postMessage({ type: "init", manifest, electionHash });
    }
    for (const helper of [...helpers]) {
      give(helper);
    }
    checkHere();
    settle();
  });
}
