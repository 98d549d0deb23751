/**
 * `npm run fuzz`: the CI test's targets (bench/fuzz/all.ts) for longer, one worker thread
 * per target in turn. Prints one JSON document on stdout: per target the inputs run,
 * crashes (a throw other than the layer's own decode error, with its input), hangs (an
 * input still running after --hang-ms: the worker is stopped and the run resumes after it),
 * slow inputs, and the process's peak memory. Progress goes to stderr.
 *
 *   npm run fuzz                       60 s per target, seed from the clock
 *   npm run fuzz -- --seconds 600 --seed 12345 --targets pdu,ndr:epm --hang-ms 10000
 *
 * Exit status: 0 when nothing was found, 1 otherwise. Any input reported is made again
 * from its seed and index (engine.ts makeInput).
 */
import { Worker } from 'node:worker_threads';
import { allTargets } from './all.js';
import { describeError, makeInput, type Finding, type TargetResult } from './engine.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const seconds = Number(arg('seconds', process.env.FUZZ_SECONDS ?? '60'));
const seed = Number(arg('seed', String(Date.now() % 0x7fffffff))) >>> 0;
const hangMs = Number(arg('hang-ms', '10000'));
const slowMs = Number(arg('slow-ms', '1000'));
const only = arg('targets', '');
const targets = allTargets().filter((t) => !only || only.split(',').includes(t.name));
if (targets.length === 0) {
  process.stderr.write(`fuzz: no target named ${only}; targets: ${allTargets().map((t) => t.name).join(', ')}\n`);
  process.exit(2);
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

interface Report extends TargetResult {
  hangs: Finding[];
  peakRssBytes: number;
}

/** Runs `name` from `fromIndex` for `budgetMs`; resolves with its result or with the index it hung at. */
function runWorker(name: string, fromIndex: number, budgetMs: number, report: Report): Promise<{ result?: TargetResult; hungAt?: number; error?: string }> {
  const progress = new SharedArrayBuffer(4);
  const at = new Int32Array(progress);
  Atomics.store(at, 0, fromIndex);
  const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { target: name, seed, budgetMs, fromIndex, slowMs, progress } });
  return new Promise((resolve) => {
    let last = -1;
    let since = Date.now();
    const watchdog = setInterval(() => {
      const now = Atomics.load(at, 0);
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since > hangMs) {
        clearInterval(watchdog);
        void w.terminate().then(() => resolve({ hungAt: now }));
      }
    }, 200);
    w.on('message', (m: { kind: 'crash' | 'slow'; finding: Finding } | { kind: 'done'; result: TargetResult }) => {
      // Findings arrive as they are made: a hang later in the same worker loses none.
      if (m.kind === 'done') {
        clearInterval(watchdog);
        void w.terminate().then(() => resolve({ result: m.result }));
      } else if (m.kind === 'crash') report.crashes.push(m.finding);
      else report.slow.push(m.finding);
    });
    w.once('error', (e) => {
      clearInterval(watchdog);
      // A worker that died (a stack overflow past the engine's catch, out of memory) is a crash at the input it was on.
      resolve({ error: describeError(e), hungAt: Atomics.load(at, 0) });
    });
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const reports: Report[] = [];
  for (const t of targets) {
    const report: Report = { target: t.name, inputs: 0, crashes: [], slowest: { index: -1, ms: 0 }, slow: [], hangs: [], peakRssBytes: 0 };
    const end = Date.now() + seconds * 1000;
    let from = 0;
    peakRss = process.memoryUsage().rss;
    while (Date.now() < end) {
      const r = await runWorker(t.name, from, end - Date.now(), report);
      if (r.result) {
        report.inputs += r.result.inputs;
        if (r.result.slowest.ms > report.slowest.ms) report.slowest = r.result.slowest;
        break;
      }
      const i = r.hungAt!;
      const { input, pick } = makeInput(t, seed, i);
      const finding = { index: i, input: input.subarray(0, 512).toString('hex'), pick, error: r.error ?? `no return after ${hangMs} ms` };
      if (r.error) report.crashes.push(finding);
      else report.hangs.push(finding);
      report.inputs += i - from + 1;
      from = i + 1;
    }
    report.peakRssBytes = peakRss;
    reports.push(report);
    process.stderr.write(`fuzz: ${t.name}: ${report.inputs} inputs, ${report.crashes.length} crashes, ${report.hangs.length} hangs, slowest ${report.slowest.ms} ms\n`);
  }
  clearInterval(sampler);
  const totals = {
    inputs: reports.reduce((n, r) => n + r.inputs, 0),
    crashes: reports.reduce((n, r) => n + r.crashes.length, 0),
    hangs: reports.reduce((n, r) => n + r.hangs.length, 0),
    peakRssBytes: Math.max(...reports.map((r) => r.peakRssBytes)),
  };
  const out = { command: `npm run fuzz -- --seconds ${seconds} --seed ${seed}`, seed, secondsPerTarget: seconds, hangMs, elapsedSeconds: Math.round((Date.now() - started) / 1000), totals, targets: reports };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  process.exitCode = totals.crashes + totals.hangs > 0 ? 1 : 0;
}

void main();
