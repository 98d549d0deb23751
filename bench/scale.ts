import type { ChildProcess } from 'node:child_process';
import { startNode } from './child.js';
import { fileURLToPath } from 'node:url';
import { figure, hold, load, type Generator } from './loadgen.js';
import { alternate } from './peers.js';
import { rssBytes } from './proc.js';
import type { Samba } from './samba.js';

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

async function startServer(host: string, rpc: object): Promise<{ port: number; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./scale-server.js', import.meta.url));
  const { child, match } = await startNode(script, [host, JSON.stringify(rpc)], /ready (\d+)/);
  return { port: Number(match[1]), child };
}

/**
 * Two identical servers: one holds the idle connections, the other none; the small call of
 * a new client is measured on both in alternating rounds, so that drift in the machine's
 * speed (other load) falls on both alike.
 */
export async function scale(gen: Generator, n: number, callMs: number, progress: (s: string) => void, samba?: Samba) {
  const rpc = { maxConnections: n + 2000 };
  // Their own loopback addresses: nothing else of the run shares their sockets.
  const servers = await Promise.all([startServer('127.0.0.3', rpc), startServer('127.0.0.4', rpc)]);
  try {
    const [loaded, idle] = servers as [{ port: number; child: ChildProcess }, { port: number; child: ChildProcess }];
    const peers = [
      { name: 'whileHeld', host: '127.0.0.3', port: loaded.port },
      { name: 'without', host: '127.0.0.4', port: idle.port },
    ];
    progress('scale: warming both servers');
    // A new process's code paths are not yet compiled; its RSS is read after they are.
    for (const p of peers) await load(gen, p.host, p.port, 'call', 16, 1000);
    await sleep(300);
    const pid = loaded.child.pid!;
    const rss0 = rssBytes(pid) ?? 0;
    progress(`scale: opening ${n} idle bound connections from ${SCALE_SOURCES.count} source addresses`);
    const held = await hold(gen, '127.0.0.3', loaded.port, n, SCALE_SOURCES);
    await sleep(500);
    const rss1 = rssBytes(pid) ?? 0;
    const calls: Record<string, unknown> = {};
    for (const c of [1, 16]) {
      progress(`scale: the small call on ${c} connection${c > 1 ? 's' : ''}, the server holding ${held.held} beside one holding none, alternating rounds`);
      calls[`${c}conn`] = await alternate(gen, peers, 'call', c, callMs, 4);
    }
    const rss2 = rssBytes(pid) ?? 0;
    await held.release();
    const out: Record<string, unknown> = {
      what: `${n} connections bound to mgmt (no authentication) and idle, held by the load generator: the server's RSS before and after; the small call of a new client on it beside an identical server holding none (whileHeld/without)`,
      settings: {
        raised: rpc,
        why: `${n} connections pass the default maxConnections (4096); the per-source limits stay at their defaults (256): the connections spread over ${SCALE_SOURCES.count} loopback source addresses ${SCALE_SOURCES.net}.x.y`,
      },
      connections: n,
      held: held.held,
      ...(held.errors || held.refused ? { errors: held.errors, refused: held.refused } : {}),
      openMs: held.openMs,
      rssBeforeBytes: rss0,
      rssHeldBytes: rss1,
      bytesPerConnection: held.held ? Math.round((rss1 - rss0) / held.held) : null,
      rssAfterCallsBytes: rss2,
      smallCall: calls,
    };
    if (samba) out.samba1000 = await sambaPeer(gen, samba, 1000);
    return out;
  } finally {
    for (const s of servers) s.child.kill('SIGKILL');
  }
}

/**
 * Samba's memory per idle bound connection, at 1,000: in a trial here samba-dcerpcd did not
 * take 10,000 (not all bound after 9 s, 676 still open at the end, a new client's calls
 * unanswered meanwhile).
 */
async function sambaPeer(gen: Generator, samba: Samba, n: number) {
  const before = figure(await load(gen, samba.host, samba.port, 'call', 1, 500, { warmMs: 100 }));
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
    smallCall1connBefore: before,
    smallCall1connWhileHeld: during,
    note: 'one samba-dcerpcd on port 135: before and while held are measured one after the other, not in alternating rounds',
  };
}
