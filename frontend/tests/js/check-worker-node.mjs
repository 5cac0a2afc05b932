// check-worker.js in a Node worker thread, for the tests of check-pool.js:
// imported from the main thread it exports `spawnNodeCheckWorker`, which
// starts this file as a worker thread looking like a Web Worker to the pool.
import { isMainThread, parentPort, Worker } from "node:worker_threads";

import { handleCheckMessage } from "../../static/js/crypto/check-worker.js";

/**
 * Start one helper as check-pool.js `checkInWorkers` expects it.
 * @param {URL} [url] The worker's module (this file by default).
 */
export function spawnNodeCheckWorker(url = new URL(import.meta.url)) {
  const worker = new Worker(url);
  return {
    postMessage: (message) => worker.postMessage(message),
    addEventListener: (type, listener) =>
      worker.on(type, type === "message" ? (data) => listener({ data }) : (error) => listener({ error, preventDefault() {} })),
    terminate: () => worker.terminate(),
  };
}

if (!isMainThread && parentPort !== null) {
  let queue = Promise.resolve();
  parentPort.on("message", (message) => {
    queue = queue.then(() => handleCheckMessage(message, (reply) => parentPort.postMessage(reply)));
  });
}
