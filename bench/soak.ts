/**
 * `npm run soak`: many clients doing real sessions against one scmpd for a while, with the
 * server's resident memory sampled each second. A session is what a monitoring product does:
 * activation at packet privacy (SPNEGO or NTLM), every MS-SCMP method — the volumes, each
 * volume's shadow copies, the differential interface, the storage volumes and associations
 * for and on each volume — every enumerator walked to its end and released, then the
 * activated object released and the connections closed.
 *
 * Settings from the environment: SOAK_CLIENTS (200), SOAK_SECONDS (120), SOAK_SAMPLE_MS
 * (1000). Output: one JSON document on stdout (sessions, calls, errors by kind, RSS samples,
 * and the first-minute versus last-minute RSS); progress on stderr every 10 s.
 * Flat memory is the result to show: the server holds nothing per finished session.
 */
import { startNode } from './child.js';
import { fileURLToPath } from 'node:url';
import { ScmpClient } from '../src/client/scmp.js';
import { rssBytes } from './proc.js';

const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 200);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const SAMPLE_MS = Number(process.env.SOAK_SAMPLE_MS ?? 1000);
const ACCOUNT = { user: 'soak', password: 'Soak-Pass-1' };
const SCMPD = fileURLToPath(new URL('../src/cli/scmpd.js', import.meta.url));

async function startScmpd(): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const { child, match } = await startNode(
    SCMPD,
    ['--in-memory', '--listen', '127.0.0.1', '--port', '0', '--no-admin', '--log-level', 'error', '--account', `${ACCOUNT.user}:${ACCOUNT.password}:admin`],
    /127\.0\.0\.1:(\d+) \(epmap\)/,
  );
  return {
    port: Number(match[1]),
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Totals {
  sessions: number;
  calls: number;
  errors: Map<string, number>;
}

/** One whole session; returns the number of RPC calls it made (activation and releases excluded). */
async function session(port: number, authType: 'spnego' | 'ntlm'): Promise<number> {
  const c = await ScmpClient.connect({ host: '127.0.0.1', port, ...ACCOUNT, domain: '', authType, authLevel: 'privacy', pingPeriodMs: 0 });
  let calls = 0;
  try {
    const volumes = await c.queryVolumesSupportedForSnapshots().toArray();
    calls += 2;
    for (const v of volumes) {
      await c.querySnapshotsByVolume(v.name).toArray();
      await c.queryVolumesSupportedForDiffAreas(v.name).toArray();
      await c.queryDiffAreasForVolume(v.name).toArray();
      await c.queryDiffAreasOnVolume(v.name).toArray();
      calls += 8;
    }
  } finally {
    await c.close();
  }
  return calls;
}

async function client(i: number, port: number, until: number, totals: Totals): Promise<void> {
  const authType = i % 2 === 0 ? 'spnego' : 'ntlm';
  while (performance.now() < until) {
    try {
      const calls = await session(port, authType);
      totals.calls += calls;
      totals.sessions++;
    } catch (e) {
      const kind = (e as Error).name ?? 'Error';
      totals.errors.set(kind, (totals.errors.get(kind) ?? 0) + 1);
    }
  }
}

const mib = (n: number | undefined) => (n === undefined ? null : Math.round((n / 1048576) * 10) / 10);

async function main(): Promise<void> {
  const server = await startScmpd();
  const totals: Totals = { sessions: 0, calls: 0, errors: new Map() };
  const samples: { s: number; rssMiB: number | null; sessions: number }[] = [];
  const started = performance.now();
  const until = started + SECONDS * 1000;
  const sampler = setInterval(() => {
    const s = Math.round((performance.now() - started) / 1000);
    samples.push({ s, rssMiB: mib(rssBytes(server.pid)), sessions: totals.sessions });
    if (s % 10 === 0) process.stderr.write(`soak [${s} s] ${totals.sessions} sessions, server RSS ${samples.at(-1)!.rssMiB} MiB, ${[...totals.errors.values()].reduce((a, b) => a + b, 0)} errors\n`);
  }, SAMPLE_MS);
  process.stderr.write(`soak: ${CLIENTS} clients for ${SECONDS} s against scmpd on port ${server.port}\n`);
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i, server.port, until, totals)));
  clearInterval(sampler);
  // Let the server finish what the last closes started, then read its memory once more.
  await new Promise((r) => setTimeout(r, 2000));
  const after = mib(rssBytes(server.pid));
  await server.stop();
  const window = Math.max(1, Math.floor(samples.length / 4));
  const avg = (xs: typeof samples) => {
    const v = xs.map((x) => x.rssMiB).filter((x): x is number => x !== null);
    return v.length ? Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 10) / 10 : null;
  };
  const elapsed = (performance.now() - started) / 1000;
  process.stdout.write(
    `${JSON.stringify(
      {
        clients: CLIENTS,
        seconds: SECONDS,
        sessions: totals.sessions,
        sessionsPerSecond: Math.round(totals.sessions / elapsed),
        calls: totals.calls,
        errors: Object.fromEntries(totals.errors),
        rssMiB: {
          firstQuarterAverage: avg(samples.slice(0, window)),
          lastQuarterAverage: avg(samples.slice(-window)),
          max: Math.max(...samples.map((x) => x.rssMiB ?? 0)),
          afterClients: after,
        },
        samples,
      },
      null,
      2,
    )}\n`,
  );
}

main().then(
  // The clients' sockets may linger in TIME_WAIT handling; the figures are out.
  () => process.exit(0),
  (e) => {
    process.stderr.write(`soak: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
