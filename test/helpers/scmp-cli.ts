/**
 * The built `scmp` command as a user runs it, and a spawned scmpd whose admin API has a
 * known token: what the CLI tests share.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnScmpd, type RunningScmpd } from './scmpd.js';

const SCMP = fileURLToPath(new URL('../../dist/src/cli/scmp.js', import.meta.url));

export interface ScmpRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built scmp with `args`: TZ=UTC, stdin not a terminal, only `env` from the environment. */
export function runScmp(args: string[], env: Record<string, string> = {}): Promise<ScmpRun> {
  const child = spawn(process.execPath, [SCMP, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...env } });
  const r: ScmpRun = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (r.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (r.stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ ...r, code })));
}

/**
 * The built scmp on a pseudo-terminal (util-linux `script`), as a person at a shell runs it:
 * `typed` is sent once the terminal shows `prompt`. Returns everything the terminal showed
 * (stdout and stderr together, with what the terminal echoed) and the exit code.
 */
export function runScmpOnTerminal(args: string[], prompt: string, typed: string, env: Record<string, string> = {}): Promise<{ code: number | null; screen: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, SCMP, ...args].map(quote).join(' ');
  // -q: no banner; -e: the child's exit code; -c: the command; /dev/null: no typescript file.
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', TZ: 'UTC', TERM: 'dumb', ...env } });
  let screen = '';
  let sent = false;
  const seen = (d: Buffer) => {
    screen += d.toString();
    if (!sent && screen.includes(prompt)) {
      sent = true;
      child.stdin.write(typed);
    }
  };
  child.stdout.on('data', seen);
  child.stderr.on('data', seen);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen })));
}

export interface ScmpdWithToken {
  server: RunningScmpd;
  tokenFile: string;
  /** Stops the server and removes the token's folder. */
  stop(): void;
}

/** A spawned scmpd (in memory) whose admin API, on an ephemeral port, takes `token`. */
export async function scmpdWithAdminToken(token: string, extra: string[] = []): Promise<ScmpdWithToken> {
  const dir = mkdtempSync(join(tmpdir(), 'scmp-cli-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`);
  try {
    const server = await spawnScmpd(['--admin-port', '0', '--admin-token-file', tokenFile, ...extra]);
    return {
      server,
      tokenFile,
      stop: () => {
        server.child.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
