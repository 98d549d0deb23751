import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { figure, hold, load, type Generator } from './loadgen.js';
import { rssOf, type Samba } from './samba.js';

/**
 * Scale: many idle bound connections held by the load generator while a new client makes
 * small calls. The server is scmpd's, in its own process (bench/scale-server.ts), because
 * 10,000 connections pass the default maxConnections (4096): that one limit is raised for
 * this run. The per-source limits (maxConnectionsPerSource, maxCallsInFlightPerSource, 256)
 * stay at their defaults: the held connections come from 64 loopback source addresses
 * (about 157 each), as many clients' would.
 */
export const SCALE_SOURCES = { net: '127.9', count: 64 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function scale(gen: Generator, n: number, callMs: number, progress: (s: string) => void, samba?: Samba) {
  const rpc = { maxConnections: n + 2000 };
  const script = fileURLToPath(new URL('./scale-server.js', import.meta.url));
  const host = '127.0.0.3'; // its own loopback address: nothing else of the run shares its sockets
  const child = spawn(process.execPath, [script, host, JSON.stringify(rpc)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = out.match(/ready (\d+)/);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`scale-server exited with ${code}`)));
    });
    const pid = child.pid!;
    const calls = async () => ({
      '1conn': figure(await load(gen, host, port, 'call', 1, callMs, { warmMs: 200 })),
      '16conn': figure(await load(gen, host, port, 'call', 16, callMs, { warmMs: 200 })),
    });
    progress(`scale: the small call without idle connections`);
    await load(gen, host, port, 'call', 16, 1000); // warm-up: a new process's code paths are not yet compiled
    const without = await calls();
    await sleep(300);
    const rss0 = rssOf(pid);
    progress(`scale: opening ${n} idle bound connections from ${SCALE_SOURCES.count} source addresses`);
    const held = await hold(gen, host, port, n, SCALE_SOURCES);
    await sleep(500);
    const rss1 = rssOf(pid);
    progress(`scale: the small call while ${held.held} are held`);
    const during = await calls();
    const rss2 = rssOf(pid);
    await held.release();
    progress('scale: the small call again, the idle connections closed');
    const after = await calls();
    const out: Record<string, unknown> = {
      what: `${n} connections bound to mgmt (no authentication) and idle, held by the load generator; scmpd's RSS before and after, and the small call of a new client beside the same without them`,
      settings: {
        raised: rpc,
        why: `${n} connections pass the default maxConnections (4096); the per-source limits stay at their defaults (256), the connections spread over ${SCALE_SOURCES.count} loopback source addresses ${SCALE_SOURCES.net}.x.y`,
      },
      connections: n,
      held: held.held,
      ...(held.errors || held.refused ? { errors: held.errors, refused: held.refused } : {}),
      openMs: held.openMs,
      rssBeforeBytes: rss0,
      rssHeldBytes: rss1,
      bytesPerConnection: held.held ? Math.round((rss1 - rss0) / held.held) : null,
      rssAfterCallsBytes: rss2,
      smallCallWithout: without,
      smallCallWhileHeld: during,
      smallCallAfterRelease: after,
      // While held over without (the mean of before and after), so drift during the run falls on both.
      ratio1conn: Number(((2 * during['1conn'].perSecond) / (without['1conn'].perSecond + after['1conn'].perSecond)).toFixed(3)),
      ratio16conn: Number(((2 * during['16conn'].perSecond) / (without['16conn'].perSecond + after['16conn'].perSecond)).toFixed(3)),
    };
    if (samba) out.samba1000 = await sambaPeer(gen, samba, 1000);
    return out;
  } finally {
    child.kill('SIGKILL');
  }
}

/** Samba's memory per idle bound connection at 1,000 (its epmapper worker does not take 10,000 here). */
async function sambaPeer(gen: Generator, samba: Samba, n: number) {
  await load(gen, samba.host, samba.port, 'call', 1, 200);
  await sleep(300);
  const rss0 = samba.rss();
  const held = await hold(gen, samba.host, samba.port, n, { net: '127.10', count: 8 });
  await sleep(500);
  const rss1 = samba.rss();
  const during = figure(await load(gen, samba.host, samba.port, 'call', 1, 500, { warmMs: 100 }));
  await held.release();
  return {
    what: `samba-dcerpcd with ${n} idle bound connections: RSS of samba-dcerpcd and its rpcd workers together`,
    held: held.held,
    bytesPerConnection: held.held ? Math.round((rss1 - rss0) / held.held) : null,
    smallCall1connWhileHeld: during,
  };
}
