import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The load generator as the benchmark uses it: bench/loadgen.c compiled with the system
 * compiler into a temporary folder, or, without a compiler, bench/loadgen-node.ts run as
 * several processes (the connections split between them) — each speaks the same bytes
 * and prints the same JSON.
 */

export type LoadMode = 'call' | 'connect' | 'hold';

export interface LoadRun {
  mode: LoadMode;
  connections: number;
  alive?: number;
  seconds: number;
  calls?: number;
  cycles?: number;
  perSecond: number;
  errors: number;
  refused: number;
  p50us: number;
  p99us: number;
  /** Every call the server answered, warm-up included (absent from older generators). */
  answered?: number;
  hist: [number, number][];
}

export interface Generator {
  kind: 'c' | 'node';
  /** What was built or why the fallback, for the JSON document. */
  note: string;
  argv(args: string[]): { file: string; args: string[] }[];
}

const CLIENT_PROCESSES = 2; // the machine's cores; more would only share them

/** The checkout's root (this file runs from dist/bench or, under the tests, from bench). */
export function checkoutRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** $CC, else /usr/bin/cc, else cc on the PATH. */
export const defaultCompiler = (): string => process.env.CC ?? (existsSync('/usr/bin/cc') ? '/usr/bin/cc' : 'cc');

/**
 * Compiles bench/NAME.c into `dir` with `cc -O2` and `flags`: the executable's path, or a
 * line saying why there is none (no source, no compiler, the compiler's first error).
 */
export function compileBenchC(name: string, dir: string, cc: string, flags: string[] = [], libs: string[] = []): { exe: string } | { why: string } {
  const source = join(checkoutRoot(), 'bench', `${name}.c`);
  const exe = join(dir, name);
  if (!existsSync(source)) return { why: `bench/${name}.c not found` };
  const built = spawnSync(cc, ['-O2', ...flags, '-o', exe, source, ...libs], { encoding: 'utf8' });
  if (built.error) return { why: `no compiler (${cc}: ${built.error.message})` };
  if (built.status !== 0) return { why: `${cc} failed: ${built.stderr.trim().split('\n')[0]}` };
  return { exe };
}

/**
 * Compiles bench/loadgen.c into `dir` (with $CC, else /usr/bin/cc, else cc); without a
 * compiler, the Node generator in CLIENT_PROCESSES processes.
 */
export function buildGenerator(dir: string, cc = defaultCompiler()): Generator {
  const built = compileBenchC('loadgen', dir, cc);
  if ('exe' in built) {
    return { kind: 'c', note: `bench/loadgen.c compiled with ${cc} -O2`, argv: (args) => [{ file: built.exe, args }] };
  }
  const script = join(checkoutRoot(), 'dist', 'bench', 'loadgen-node.js');
  return {
    kind: 'node',
    note: `${built.why}: the Node generator (bench/loadgen-node.ts) in ${CLIENT_PROCESSES} processes instead; its figures are bounded by the client`,
    argv: (args) => {
      // HOST PORT MODE CONNS MS …: the connections split between the processes.
      const n = Number(args[3]);
      const k = Math.min(CLIENT_PROCESSES, n);
      return Array.from({ length: k }, (_, i) => ({
        file: process.execPath,
        args: [script, args[0]!, args[1]!, args[2]!, String(Math.floor(n / k) + (i < n % k ? 1 : 0)), ...args.slice(4)],
      }));
    },
  };
}

/**
 * Runs a generator that prints one JSON document on stdout: the document, and its stderr
 * when `keepStderr` (otherwise stderr goes to ours, the bench's progress). A non-zero exit
 * or no JSON rejects.
 */
export function runJson<T>(file: string, args: string[], keepStderr = false): Promise<{ json: T; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', keepStderr ? 'pipe' : 'inherit'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${file} exited with ${code}: ${err.trim() || out.slice(0, 200)}`));
      try {
        resolve({ json: JSON.parse(out) as T, stderr: err });
      } catch (e) {
        reject(new Error(`${file} printed no JSON: ${(e as Error).message}: ${out.slice(0, 200)}`));
      }
    });
  });
}

export interface LoadOptions {
  warmMs?: number;
  /** Spread client sockets over this many loopback source addresses A.B.x.y. */
  sources?: { net: string; count: number };
}

/** One run of the generator (its processes in parallel, merged). */
export async function load(gen: Generator, host: string, port: number, mode: 'call' | 'connect', connections: number, ms: number, o: LoadOptions = {}): Promise<LoadRun> {
  const args = [host, String(port), mode, String(connections), String(Math.round(ms))];
  if (o.warmMs) args.push('--warm', String(o.warmMs));
  if (o.sources) args.push('--src', o.sources.net, String(o.sources.count));
  const runs = await Promise.all(gen.argv(args).map(async (a) => (await runJson<LoadRun>(a.file, a.args)).json));
  return merge(runs, true);
}

/**
 * Rounds of one figure as one (their times add up), or processes of one run (`parallel`:
 * they ran side by side, so the run lasted as long as the longest); histograms merged exactly.
 */
export function merge(runs: LoadRun[], parallel = false): LoadRun {
  const hist = new Map<number, number>();
  for (const r of runs) for (const [us, n] of r.hist) hist.set(us, (hist.get(us) ?? 0) + n);
  const sorted = [...hist.entries()].sort((a, b) => a[0] - b[0]);
  const done = sorted.reduce((s, [, n]) => s + n, 0);
  const pct = (p: number) => {
    let seen = 0;
    for (const [us, n] of sorted) if ((seen += n) > Math.floor(done * p)) return us;
    return 0;
  };
  const first = runs[0]!;
  const seconds = parallel ? Math.max(...runs.map((r) => r.seconds)) : runs.reduce((s, r) => s + r.seconds, 0);
  const count = runs.reduce((s, r) => s + (r.calls ?? r.cycles ?? 0), 0);
  return {
    mode: first.mode,
    connections: parallel ? runs.reduce((s, r) => s + r.connections, 0) : first.connections,
    seconds,
    ...(first.mode === 'connect' ? { cycles: count } : { calls: count }),
    perSecond: seconds > 0 ? count / seconds : 0,
    errors: runs.reduce((s, r) => s + r.errors, 0),
    refused: runs.reduce((s, r) => s + r.refused, 0),
    p50us: pct(0.5),
    p99us: pct(0.99),
    ...(runs.every((r) => r.answered !== undefined) ? { answered: runs.reduce((s, r) => s + r.answered!, 0) } : {}),
    hist: sorted,
  };
}

/** A figure for the JSON document: the histogram left out. */
export function figure(r: LoadRun) {
  return {
    connections: r.connections,
    ...(r.mode === 'connect' ? { cycles: r.cycles } : { calls: r.calls }),
    perSecond: Math.round(r.perSecond),
    p50us: r.p50us,
    p99us: r.p99us,
    ...(r.errors || r.refused ? { errors: r.errors, refused: r.refused } : {}),
  };
}

export interface Held {
  held: number;
  errors: number;
  refused: number;
  openMs: number;
  release(): Promise<void>;
}

/** `n` connections bound and left idle until release(); a Node fallback holds them in its processes. */
export async function hold(gen: Generator, host: string, port: number, n: number, sources: { net: string; count: number }): Promise<Held> {
  const parts = gen.argv([host, String(port), 'hold', String(n), '0', '--src', sources.net, String(sources.count)]);
  const children = parts.map((a) => spawn(a.file, a.args, { stdio: ['pipe', 'pipe', 'ignore'] }));
  const reports = await Promise.all(
    children.map(
      (child) =>
        new Promise<{ held: number; errors: number; refused: number; openMs: number }>((resolve, reject) => {
          let out = '';
          child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            const nl = out.indexOf('\n');
            if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
          });
          child.on('exit', (code) => reject(new Error(`hold exited with ${code}`)));
        }),
    ),
  );
  return {
    held: reports.reduce((s, r) => s + r.held, 0),
    errors: reports.reduce((s, r) => s + r.errors, 0),
    refused: reports.reduce((s, r) => s + r.refused, 0),
    openMs: Math.max(...reports.map((r) => r.openMs)),
    release: () =>
      Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.stdin!.end();
            }),
        ),
      ).then(() => undefined),
  };
}
