import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { treeCpuMs, treeRss } from './proc.js';

/**
 * Samba's samba-dcerpcd as a peer: started by the benchmark with a private smb.conf (every
 * directory in a temporary folder, bound to 127.0.0.1 only, the rpcd helpers started at
 * once rather than on demand by smbd) when Debian's samba is installed and port 135 of
 * 127.0.0.1 is free. It listens on 135 only for the endpoint mapper, served by its
 * rpcd_epmapper worker, which (as every Samba endpoint) also answers the mgmt interface.
 */
export const SAMBA_DCERPCD = '/usr/libexec/samba/samba-dcerpcd';

export interface Samba {
  host: string;
  port: number;
  /** RSS of samba-dcerpcd and its rpcd workers together, in bytes. */
  rss(): number;
  /** CPU time (ms) of samba-dcerpcd and its rpcd workers together. */
  cpuMs(): number;
  stop(): Promise<void>;
}

function portFree(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (e: NodeJS.ErrnoException) => resolve(`port ${port} of ${host} is not free to bind (${e.code})`));
    s.listen(port, host, () => s.close(() => resolve(undefined)));
  });
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Samba started, or the reason it cannot be here. */
export async function startSamba(dir: string): Promise<Samba | { skipped: string }> {
  const host = '127.0.0.1';
  if (!existsSync(SAMBA_DCERPCD)) return { skipped: `${SAMBA_DCERPCD} is not installed (Debian's samba package)` };
  const busy = await portFree(host, 135);
  if (busy) return { skipped: busy };
  for (const d of ['lock', 'state', 'cache', 'pid', 'private', 'ncalrpc', 'log']) mkdirSync(join(dir, d), { recursive: true });
  const conf = join(dir, 'smb.conf');
  writeFileSync(
    conf,
    [
      '[global]',
      'workgroup = BENCH',
      'netbios name = SCMPBENCH',
      'server role = standalone server',
      ...['lock', 'state', 'cache', 'pid'].map((d) => `${d} directory = ${join(dir, d)}`),
      `private dir = ${join(dir, 'private')}`,
      `ncalrpc dir = ${join(dir, 'ncalrpc')}`,
      `log file = ${join(dir, 'log', 'log.%m')}`,
      `interfaces = ${host}/8`,
      'bind interfaces only = yes',
      // Without smbd to start them on demand, samba-dcerpcd starts its rpcd helpers itself.
      'rpc start on demand helpers = false',
      '',
    ].join('\n'),
  );
  let child: ChildProcess;
  let exited: string | undefined;
  try {
    child = spawn(SAMBA_DCERPCD, ['--libexec-rpcds', '-s', conf, '--foreground', '--no-process-group', '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    return { skipped: `${SAMBA_DCERPCD} could not be started: ${(e as Error).message}` };
  }
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('error', (e) => (exited = e.message));
  child.on('exit', (code, signal) => (exited ??= `exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-2).join(' ')}`));
  const until = Date.now() + 15_000;
  while (!(await reachable(host, 135))) {
    if (exited || Date.now() > until) {
      child.kill('SIGTERM');
      return { skipped: `samba-dcerpcd did not listen on ${host}:135 (${exited ?? 'not within 15 s'})` };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  return {
    host,
    port: 135,
    rss: () => treeRss(pid),
    cpuMs: () => treeCpuMs(pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
