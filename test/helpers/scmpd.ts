import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SCMPD = fileURLToPath(new URL('../../dist/src/cli/scmpd.js', import.meta.url));

export interface RunningScmpd {
  child: ChildProcess;
  port: number;
  objectPort: number;
  /** The admin API's URL, when it has one. */
  adminUrl: string | undefined;
}

/**
 * scmpd's arguments as tests give them: in memory unless the test names a state directory
 * of its own, so no test ever writes into scmpd's default state directory (./state).
 */
export const inMemoryUnlessStateDir = (args: string[]): string[] => (args.some((a) => a === '--state-dir' || a.startsWith('--state-dir=') || a === '--in-memory' || a === '--help' || a === '-h') ? args : ['--in-memory', ...args]);

/** Starts the built scmpd on loopback and resolves once its ready line names its endpoints. */
export function spawnScmpd(args: string[]): Promise<RunningScmpd> {
  const child = spawn(process.execPath, [SCMPD, '--listen', '127.0.0.1', '--port', '0', '--log-level', 'error', ...inMemoryUnlessStateDir(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /127\.0\.0\.1:(\d+) \(epmap\), 127\.0\.0\.1:(\d+) \(object-exporter\)(?:; admin API (http:\/\/\S+))?\n/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), objectPort: Number(m[2]), adminUrl: m[3] });
    });
    child.on('exit', (code) => reject(new Error(`scmpd exited ${code} before it was ready: ${err}`)));
  });
}

export interface ScmpdRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Starts the built scmpd with exactly `args` (in memory unless they name a state
 * directory, unless `asGiven`): `ready` resolves with the ready line, or undefined if it
 * exits first; `exited` with everything it wrote and its exit code.
 */
export function runScmpd(args: string[], opts: { cwd?: string; asGiven?: boolean } = {}) {
  const child = spawn(process.execPath, [SCMPD, ...(opts.asGiven ? args : inMemoryUnlessStateDir(args))], { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
  const run: ScmpdRun = { stdout: '', stderr: '', code: null };
  const exited = new Promise<ScmpdRun>((resolve) => child.on('exit', (code) => resolve({ ...run, code })));
  child.stdout!.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()));
  const ready = new Promise<string | undefined>((resolve) => {
    child.stdout!.on('data', () => {
      if (run.stdout.includes('\n')) resolve(run.stdout.split('\n')[0]);
    });
    child.on('exit', () => resolve(undefined));
  });
  return { child, ready, exited };
}

/** The JSON log lines scmpd wrote on stderr. */
export const logLines = (stderr: string): Array<Record<string, any>> =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
