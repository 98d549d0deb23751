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

/** Starts the built scmpd on loopback and resolves once its ready line names its endpoints. */
export function spawnScmpd(args: string[]): Promise<RunningScmpd> {
  const child = spawn(process.execPath, [SCMPD, '--listen', '127.0.0.1', '--port', '0', '--log-level', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
