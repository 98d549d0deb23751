/**
 * One target of `npm run fuzz` in a worker thread, so the runner can stop an input that
 * never returns (a synchronous loop cannot be interrupted from its own thread). Before
 * each input its index goes into shared memory: the runner's watchdog reads it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { allTargets } from './all.js';
import { fuzzTarget } from './engine.js';

interface Job {
  target: string;
  seed: number;
  budgetMs: number;
  fromIndex: number;
  slowMs: number;
  progress: SharedArrayBuffer;
}

const job = workerData as Job;
const at = new Int32Array(job.progress);
const target = allTargets().find((t) => t.name === job.target);
if (!target) throw new Error(`no fuzz target ${job.target}`);
const result = fuzzTarget(target, {
  seed: job.seed,
  budgetMs: job.budgetMs,
  fromIndex: job.fromIndex,
  slowMs: job.slowMs,
  onInput: (i) => Atomics.store(at, 0, i),
  onFinding: (kind, finding) => parentPort!.postMessage({ kind, finding }),
});
parentPort!.postMessage({ kind: 'done', result });
