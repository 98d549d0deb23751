import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { requirePackage } from './prerequisites.js';
import { promisify } from 'node:util';
import { SCMPD } from './scmpd.js';

const run = promisify(execFile);

/** One test's outcome as smbtorture reports it ("success: X", "failure: X [ … ]", "error: X [ … ]", "skip: X [ … ]"). */
export interface TortureOutcome {
  outcome: 'success' | 'failure' | 'error' | 'skip' | 'xfail';
  /** The text between the brackets: the failed assertion, with its source line. */
  detail: string;
}

/** A result line: "success: epmapper.Map_simple", or "failure: NAME [" opening its detail. */
const RESULT_LINE = /^(success|failure|error|skip|xfail): (\S+)( \[)?\s*$/;

/**
 * Reads smbtorture's subunit-like output into outcomes by test name (as smbtorture prints
 * them, without the suite's "rpc." prefix, e.g. "epmapper.Map_full").
 */
export function parseTortureOutput(output: string): Map<string, TortureOutcome> {
  const results = new Map<string, TortureOutcome>();
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = RESULT_LINE.exec(lines[i]!);
    if (!m) continue;
    const detail: string[] = [];
    if (m[3]) {
      // A bracketed block runs until a line holding only "]". smbtorture writes on two
      // streams, so the next test's result line can arrive first: it ends the block too
      // (and is read as itself); its "]" then stands alone and is skipped.
      while (++i < lines.length && lines[i] !== ']') {
        if (RESULT_LINE.test(lines[i]!)) {
          i--;
          break;
        }
        detail.push(lines[i]!);
      }
    }
    results.set(m[2]!, { outcome: m[1] as TortureOutcome['outcome'], detail: detail.join('\n').trim() });
  }
  return results;
}

export interface TortureRun {
  /** smbtorture's output, stdout and stderr together in the order written. */
  output: string;
  results: Map<string, TortureOutcome>;
}

/** Runs smbtorture; a non-zero exit (any failed test) is not an error here, the parsed outcomes say what failed. */
export async function smbtorture(args: string[], timeoutMs = 60_000): Promise<TortureRun> {
  requirePackage('samba-testsuite');
  const child = spawn('smbtorture', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  clearTimeout(timer);
  return { output, results: parseTortureOutput(output) };
}

/** Runs `tasks` with at most `limit` at a time, keeping their order in the results. */
export async function bounded<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

export interface ScmpdOnPort {
  child: ChildProcess;
  objectPort: number;
  stop(): Promise<void>;
}

/**
 * `--in-memory` when the built scmpd knows it: from then on it keeps state on disk unless
 * told otherwise, and a test run must leave nothing behind.
 */
function inMemory(): string[] {
  return execFileSync(process.execPath, [SCMPD, '--help']).toString().includes('--in-memory') ? ['--in-memory'] : [];
}

/**
 * Starts the built scmpd on `address`:`port` (Samba's client reaches the endpoint mapper,
 * the OXID resolver and the activators on the well-known 135 without asking the mapper).
 * When it cannot listen, the error is one line saying so.
 */
export function scmpdOn(address: string, port: number, extra: string[] = []): Promise<ScmpdOnPort> {
  const child = spawn(process.execPath, [SCMPD, '--listen', address, '--port', String(port), '--no-admin', '--log-level', 'error', ...inMemory(), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const ready = new RegExp(`${address.replace(/\./g, '\\.')}:${port} \\(epmap\\), ${address.replace(/\./g, '\\.')}:(\\d+) \\(object-exporter\\)`);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ child, objectPort: Number(m[1]), stop });
    });
    child.on('exit', (code) => {
      const why = err.split('\n').find((l) => l.trim()) ?? `exit code ${code}`;
      reject(new Error(`scmpd could not listen on ${address}:${port}: ${why}`));
    });
  });
}

/** One frame of a dissected capture: who sent it, in which TCP stream, and what tshark found wrong. */
export interface DissectedFrame {
  frame: number;
  stream: number;
  srcPort: number;
  /** DCE/RPC packet types in the frame (0 request, 2 response, 3 fault, 11 bind, …). */
  pktTypes: number[];
  authType: number | undefined;
  authLevel: number | undefined;
  malformed: boolean;
  /** An expert item of severity error (Malformed included). */
  expertError: boolean;
  info: string;
  /** Endpoint-mapper annotations tshark read in the frame (proof a sealed stub was decrypted). */
  annotations: string[];
}

const EXPERT_ERROR = 0x00800000;

/** Dissects `file` with `ports` decoded as DCE/RPC (plus `extra` tshark options), one record per frame. */
export async function dissectFrames(file: string, ports: number[], extra: string[] = []): Promise<DissectedFrame[]> {
  const decodeAs = ports.flatMap((p) => ['-d', `tcp.port==${p},dcerpc`]);
  const fields = ['frame.number', 'tcp.stream', 'tcp.srcport', 'dcerpc.pkt_type', 'dcerpc.auth_type', 'dcerpc.auth_level', '_ws.malformed', '_ws.expert.severity', 'epm.annotation', '_ws.col.Info'];
  const { stdout } = await run('tshark', ['-r', file, ...decodeAs, ...extra, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', ...fields.flatMap((f) => ['-e', f])], {
    maxBuffer: 256 << 20,
  });
  const nums = (s: string | undefined) => (s ? s.split(',').filter(Boolean).map(Number) : []);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const c = line.split('\t');
      return {
        frame: Number(c[0]),
        stream: Number(c[1]),
        srcPort: Number(c[2]),
        pktTypes: nums(c[3]),
        authType: nums(c[4])[0],
        authLevel: nums(c[5])[0],
        malformed: (c[6] ?? '') !== '',
        expertError: nums(c[7]).some((s) => s >= EXPERT_ERROR),
        annotations: (c[8] ?? '').split(',').filter(Boolean),
        info: c[9] ?? '',
      };
    });
}
