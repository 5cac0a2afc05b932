// Time a count in one thread, exactly and with the proofs in batches
// (SPEC §3: counting.js `checkEntriesBatched`), and in worker threads
// (check-pool.js, batched):
//   node frontend/tests/js/bench-count.mjs manifest.json board.jsonl [workers]
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

import { checkInWorkers } from "../../static/js/crypto/check-pool.js";
import { checkEntriesBatched, computeTally, parseBoardJsonl } from "../../static/js/crypto/counting.js";
import { spawnNodeCheckWorker } from "./check-worker-node.mjs";

const [manifestPath, boardPath, workers] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const entries = parseBoardJsonl(readFileSync(boardPath, "utf8"));
const size = Number(workers ?? availableParallelism());

async function time(label, options) {
  const start = performance.now();
  const counting = await computeTally(manifest, entries, options);
  const seconds = (performance.now() - start) / 1000;
  console.log(`${label}: ${seconds.toFixed(1)} s for ${entries.length - 1} entries, ${counting.counted.length} counted`);
  return counting;
}

const one = await time("one thread, exact", {});
const batched = await time("one thread, batched", { check: checkEntriesBatched });
const many = await time(`${size} worker threads, batched`, { check: checkInWorkers({ size, spawn: () => spawnNodeCheckWorker() }) });
const same = [batched, many].every((counting) => JSON.stringify(counting.verdicts) === JSON.stringify(one.verdicts));
console.log(same ? "same verdicts" : "DIFFERENT VERDICTS");
