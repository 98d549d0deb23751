import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEBIAN_PYTHON } from '../../scripts/system-packages.mjs';
import { requirePackage } from './prerequisites.js';

const run = promisify(execFile);

/** Debian's python3, which has python3-impacket (the pyenv python3 on PATH does not). */
export { DEBIAN_PYTHON };

/** Runs an interop script; it prints one JSON object on stdout. */
export async function runPython<T = any>(script: string, args: string[], timeoutMs = 60_000): Promise<T> {
  requirePackage('python3-impacket');
  try {
    const { stdout } = await run(DEBIAN_PYTHON, [script, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 });
    return JSON.parse(stdout) as T;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${script} failed: ${err.message}\n${err.stderr ?? ''}\n${err.stdout ?? ''}`);
  }
}
