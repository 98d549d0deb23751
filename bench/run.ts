import { percentile, startNode } from './child.js';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '../src/client/rpc-client.js';
import { activate, release } from '../src/client/activation.js';
import { AdminClient } from '../src/admin/client.js';
import { mgmt } from '../src/interfaces/mgmt/idl.js';
import { AUTH_LEVEL } from '../src/dcerpc/constants.js';
import { NtlmRpcClientContext } from '../src/security/ntlm/rpc.js';
import { closeSync, fsyncSync, mkdtempSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_EXPORTER_SETTINGS, ObjectExporter } from '../src/dcom/exporter.js';
import { CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt, ShadowCopyProviderClass } from '../src/interfaces/scmp/class.js';
import { longSession } from './long-session.js';
import { cpuMs } from './proc.js';
import { buildGenerator } from './loadgen.js';
import { buildActivationGenerator, runActivations, type ActivationGenerator } from './activation-gen.js';
import { alternate, type Peer } from './peers.js';
import { startSamba, type Samba } from './samba.js';
import { enumerationWork } from './enumeration-work.js';
import { axes, enumerationPoint, fullPoll, linearFit, startHost, stopHost } from './full-poll.js';
import { scale } from './scale.js';

const BENCH_ACCOUNT = { user: 'bench', password: 'Bench-Pass-1', domain: '' };
const benchAuth = () => ({ ctx: new NtlmRpcClientContext(BENCH_ACCOUNT), level: AUTH_LEVEL.pkt_integrity });

/**
 * `npm run bench`: each figure beside a ceiling measured in the same run. The server and
 * the ceiling each run in their own process, so the client's process measures both alike.
 * Output: one JSON document on stdout; progress, one line per measurement, on stderr.
 * Every scmpd it starts runs in memory or on a state directory of its own, and every
 * temporary folder is removed at the end.
 */

const DURATION_MS = Number(process.env.BENCH_MS ?? 3000);
const benchStarted = performance.now();

/** One line of progress on stderr, so a long run shows what it is doing. */
function progress(what: string): void {
  process.stderr.write(`bench [${Math.round((performance.now() - benchStarted) / 1000)} s] ${what}\n`);
}

/** Temporary folders, removed when the benchmark ends however it ends. */
const folders: string[] = [];
function tempFolder(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  folders.push(d);
  return d;
}
process.on('exit', () => {
  for (const d of folders) rmSync(d, { recursive: true, force: true });
});
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

interface LoadResult {
  connections: number;
  calls: number;
  callsPerSecond: number;
  p50us: number;
  p99us: number;
}

interface Target {
  port: number;
  /** The ceiling speaks no bind: its clients are used as if bound. */
  bind: boolean;
  /** Bind with NTLM at this level. */
  level?: number;
}

interface Sample {
  latencies: number[];
  seconds: number;
}

/** Closed loop: each of `clients` keeps one call outstanding for `ms`. */
async function round(clients: RpcClient[], ms: number, into: Sample): Promise<void> {
  const stub = Buffer.alloc(0);
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await c.request(0, mgmt.methods.is_server_listening.opnum, stub);
        into.latencies.push(performance.now() - t0);
      }
    }),
  );
  into.seconds += (performance.now() - started) / 1000;
}

async function connectAll(t: Target, n: number): Promise<RpcClient[]> {
  const clients = await Promise.all(Array.from({ length: n }, () => RpcClient.connect('127.0.0.1', t.port)));
  for (const c of clients) {
    if (!t.bind) c.maxXmitFrag = 5840;
    else if (t.level) await c.bindInterface(mgmt, { auth: { ctx: new NtlmRpcClientContext(BENCH_ACCOUNT), level: t.level } });
    else await c.bindInterface(mgmt);
  }
  return clients;
}

function summarize(connections: number, s: Sample): LoadResult {
  const sorted = Float64Array.from(s.latencies).sort();
  return {
    connections,
    calls: s.latencies.length,
    callsPerSecond: Math.round(s.latencies.length / s.seconds),
    p50us: Math.round(percentile(sorted, 0.5) * 1000),
    p99us: Math.round(percentile(sorted, 0.99) * 1000),
  };
}

/**
 * The server and its ceiling measured in alternating rounds, so that drift in the
 * machine's speed (other load, frequency changes) falls on both alike.
 */
async function compare(server: Target, ceiling: Target, connections: number, rounds = 6) {
  const a = await connectAll(server, connections);
  const b = await connectAll(ceiling, connections);
  await round(a, 200, { latencies: [], seconds: 0 }); // warm-up
  await round(b, 200, { latencies: [], seconds: 0 });
  const sa: Sample = { latencies: [], seconds: 0 };
  const sb: Sample = { latencies: [], seconds: 0 };
  for (let i = 0; i < rounds; i++) {
    await round(a, DURATION_MS / rounds, sa);
    await round(b, DURATION_MS / rounds, sb);
  }
  await Promise.all([...a, ...b].map((c) => c.close()));
  const s = summarize(connections, sa);
  const c = summarize(connections, sb);
  return { server: s, ceiling: c, throughputRatio: Number((s.callsPerSecond / c.callsPerSecond).toFixed(3)) };
}

function objectPortOf(readyLine: string): Promise<number> {
  const m = readyLine.match(/:(\d+) \(object-exporter\)/);
  if (!m) throw new Error(`no object exporter in "${readyLine}"`);
  return Promise.resolve(Number(m[1]));
}

/**
 * Full activations, closed loop on 16 connections: bind with NTLM at integrity,
 * RemoteCreateInstance, connect to the exporter (NTLM again), RemRelease every reference.
 * Measured twice: by the C generator (bench/activation-gen.c), whose CPU time per
 * activation is a small part of scmpd's so that the figure is the server's; and by this
 * process's Node client (src/client/activation.ts), which costs more CPU than scmpd does
 * and shares the machine's cores with it.
 */
async function activations(gen: ActivationGenerator | string, port: number, objectPort: number, serverPid: number | undefined, results: Record<string, unknown>) {
  const small = (results.authenticatedCall as Record<string, { server: LoadResult }>)['integrity_16conn']!.server;
  const cores = availableParallelism();
  const perActivation = (ms: number, n: number) => Number((ms / n).toFixed(3));
  const first = await activate('127.0.0.1', port, benchAuth(), CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt, 'FILESRV01');
  if (first.hr !== 0 || (await release('127.0.0.1', objectPort, benchAuth(), first)) !== 0) throw new Error(`activation failed: 0x${first.hr.toString(16)}`);

  let generator: Record<string, unknown>;
  if (typeof gen === 'string') {
    generator = { skipped: gen };
  } else {
    progress('DCOM activations: the C generator, 16 threads');
    const cpu0 = cpuMs(serverPid);
    const main0 = cpuMs(serverPid, true);
    const r = await runActivations(gen, join(tempFolder('scmp-bench-act-'), 'script'), { ...BENCH_ACCOUNT, ipidRemUnknown: first.ipidRemUnknown, serverName: 'FILESRV01' }, '127.0.0.1', port, objectPort, 16, DURATION_MS);
    const cpu1 = cpuMs(serverPid);
    const main1 = cpuMs(serverPid, true);
    if (r.errors) throw new Error(`activation-gen: ${r.errors} activations failed`);
    const serverMs = cpu0 !== undefined && cpu1 !== undefined ? perActivation(cpu1 - cpu0, r.allCycles) : undefined;
    const mainMs = main0 !== undefined && main1 !== undefined ? perActivation(main1 - main0, r.allCycles) : undefined;
    const generatorMs = perActivation(r.cpuMs, r.allCycles);
    generator = {
      generator: gen.note,
      activations: r.cycles,
      activationsPerSecond: Math.round(r.perSecond),
      p50ms: Number((r.p50us / 1000).toFixed(2)),
      p99ms: Number((r.p99us / 1000).toFixed(2)),
      cpu: {
        what: "CPU time (user + system) per activation, warm-up included: of the generator (all its threads), of scmpd (all its threads) and of scmpd's JavaScript thread alone, whose time bounds scmpd's rate (1000 / serverMainThreadMsPerActivation)",
        generatorMsPerActivation: generatorMs,
        serverMsPerActivation: serverMs,
        serverMainThreadMsPerActivation: mainMs,
        serverThreadBoundPerSecond: mainMs ? Math.round(1000 / mainMs) : undefined,
      },
    };
  }

  progress('DCOM activations: the Node client, 16 in parallel');
  const latencies: number[] = [];
  const deadline = performance.now() + DURATION_MS;
  const serverCpu0 = cpuMs(serverPid);
  const serverMain0 = cpuMs(serverPid, true);
  const clientCpu0 = process.cpuUsage();
  const started = performance.now();
  const one = async () => {
    const t0 = performance.now();
    const a = await activate('127.0.0.1', port, benchAuth(), CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt, 'FILESRV01');
    if (a.hr !== 0) throw new Error(`activation failed: 0x${a.hr.toString(16)}`);
    if ((await release('127.0.0.1', objectPort, benchAuth(), a)) !== 0) throw new Error('RemRelease failed');
    latencies.push(performance.now() - t0);
  };
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpu0);
  const serverCpu1 = cpuMs(serverPid);
  const serverMain1 = cpuMs(serverPid, true);
  const sorted = Float64Array.from(latencies).sort();
  const mainMs = serverMain0 !== undefined && serverMain1 !== undefined ? perActivation(serverMain1 - serverMain0, latencies.length) : undefined;
  const clientMs = perActivation((clientCpu.user + clientCpu.system) / 1000, latencies.length);
  const serverMs = serverCpu0 !== undefined && serverCpu1 !== undefined ? perActivation(serverCpu1 - serverCpu0, latencies.length) : undefined;
  const nodeClient = {
    activations: latencies.length,
    activationsPerSecond: Math.round(latencies.length / seconds),
    p50ms: Number(percentile(sorted, 0.5).toFixed(2)),
    p99ms: Number(percentile(sorted, 0.99).toFixed(2)),
    cpu: {
      what: "CPU time (user + system) per activation of the bench client (this process) and of scmpd, and the rate those two costs allow when they share this machine's cores and nothing else runs",
      clientMsPerActivation: clientMs,
      serverMsPerActivation: serverMs,
      cores,
      boundPerSecond: serverMs !== undefined ? Math.round((cores * 1000) / (clientMs + serverMs)) : undefined,
      serverMainThreadMsPerActivation: mainMs,
      serverThreadBoundPerSecond: mainMs ? Math.round(1000 / mainMs) : undefined,
    },
  };
  return {
    what: 'bind with NTLM at integrity, RemoteCreateInstance, connect to the exporter with NTLM, RemRelease; 16 connections in parallel',
    connections: 16,
    // Each activation is two TCP connections, two NTLM handshakes and two calls: six round trips.
    roundTripsPerActivation: 6,
    ...('skipped' in generator ? { generator } : generator),
    nodeClient,
    ceiling: { what: 'the small call at integrity on 16 connections, same run (calls/s)', callsPerSecond: small.callsPerSecond },
  };
}

/** Heap held per exported object with one marshaled interface, measured in this process. */
const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/**
 * Acknowledged changes through the admin API (create a client-accessible shadow copy, then
 * delete it), one client, for DURATION_MS: with a state directory every change is written
 * and fsynced before the answer; without one it is memory only.
 */
async function adminChanges(stateDir: string | undefined) {
  progress(`admin API changes, ${stateDir ? 'with a state directory (each change fsynced)' : 'in memory'}`);
  const tokenFile = join(tempFolder('scmp-bench-'), 'token');
  writeFileSync(tokenFile, ADMIN_TOKEN);
  const server = await startNode(
    here('../src/cli/scmpd.js'),
    ['--listen', '127.0.0.1', '--port', '0', '--log-level', 'error', '--admin-port', '0', '--admin-token-file', tokenFile, ...(stateDir ? ['--state-dir', stateDir] : ['--in-memory'])],
    /admin API (http:\/\/\S+)/,
  );
  const admin = new AdminClient(server.match[1]!, ADMIN_TOKEN);
  const latencies: number[] = [];
  const started = performance.now();
  while (performance.now() - started < DURATION_MS) {
    let t0 = performance.now();
    const made = await admin.ok<{ id: string }>('POST', '/api/shadows', { for: 'C:' });
    latencies.push(performance.now() - t0);
    t0 = performance.now();
    await admin.ok('POST', '/api/shadows/delete', { shadow: made.id });
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  server.child.kill('SIGTERM');
  const sorted = Float64Array.from(latencies).sort();
  return { changes: latencies.length, changesPerSecond: Math.round(latencies.length / seconds), p50us: Math.round(percentile(sorted, 0.5) * 1000), p99us: Math.round(percentile(sorted, 0.99) * 1000) };
}

/** The ceiling of a durable change here: write, fsync, rename, fsync the folder, of a file the state's size. */
function durableWriteCeiling(bytes: number) {
  progress('durable write ceiling (write, fsync, rename, fsync)');
  const dir = tempFolder('scmp-fsync-');
  const data = Buffer.alloc(bytes, 0x20);
  const file = join(dir, 'state.json');
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < DURATION_MS) {
    const fd = openSync(`${file}.tmp`, 'w');
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(`${file}.tmp`, file);
    const d = openSync(dir, 'r');
    fsyncSync(d);
    closeSync(d);
    n++;
  }
  return { writes: n, writesPerSecond: Math.round(n / ((performance.now() - started) / 1000)), bytes };
}

function memoryPerObject() {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const ex = new ObjectExporter({ ...DEFAULT_EXPORTER_SETTINGS, maxObjectsPerClient: 1_000_000 });
  const N = 20_000;
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) {
    const { oid } = ex.exportObject(ShadowCopyProviderClass.create(), 'bench')!;
    ex.marshal(oid, IID_IVssSnapshotMgmt, 5);
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  return { objects: N, bytesPerObject: Math.round((after - before) / N), liveObjects: ex.objectCount };
}

/**
 * The cost of `--capture`: the small call against a second scmpd that records every segment
 * to a pcapng (with its keys file), beside the scmpd that does not, alternating rounds in the
 * same run; unauthenticated and at privacy, on 1 and 16 connections.
 */
async function captureCost(plainPort: number) {
  const dir = tempFolder('scmp-bench-capture-');
  const file = join(dir, 'bench.pcapng');
  const capturing = await startNode(
    here('../src/cli/scmpd.js'),
    ['--listen', '127.0.0.1', '--port', '0', '--log-level', 'error', '--no-admin', '--in-memory', '--account', `${BENCH_ACCOUNT.user}:${BENCH_ACCOUNT.password}:admin`, '--capture', file, '--capture-keys', join(dir, 'keys')],
    /127\.0\.0\.1:(\d+)/,
  );
  const port = Number(capturing.match[1]);
  const out: Record<string, unknown> = {};
  for (const [name, level] of [
    ['unauthenticated', undefined],
    ['privacy', AUTH_LEVEL.pkt_privacy],
  ] as const) {
    for (const n of [1, 16]) {
      progress(`small call ${name}, ${n} connection${n > 1 ? 's' : ''}, with and without --capture`);
      const r = await compare({ port, bind: true, ...(level ? { level } : {}) }, { port: plainPort, bind: true, ...(level ? { level } : {}) }, n);
      out[`${name}_${n}conn`] = { withCapture: r.server, withoutCapture: r.ceiling, ratio: r.throughputRatio };
    }
  }
  const exited = new Promise((resolve) => capturing.child.once('exit', resolve));
  capturing.child.kill('SIGTERM');
  await exited;
  return {
    what: 'mgmt is_server_listening against an scmpd with --capture (pcapng + keys) beside one without, alternating rounds',
    durationMs: DURATION_MS,
    capturedBytes: statSync(file).size,
    ...out,
  };
}

/** Samba is stopped however the run ends (its workers go with samba-dcerpcd). */
function stopAtExit(samba: Samba): void {
  process.on('exit', () => void samba.stop());
}

/**
 * The C load generator (or its Node fallback) against scmpd, the echo ceiling and Samba's
 * samba-dcerpcd, in alternating rounds: the small call (mgmt is_server_listening, no
 * authentication) on 1 and 16 connections, and connect + bind + call + close loops.
 */
async function generatorFigures(gen: ReturnType<typeof buildGenerator>, samba: Samba | { skipped: string }, scmpPort: number, echoPort: number, scmpPid: number | undefined, echoPid: number | undefined) {
  const peers: Peer[] = [
    { name: 'scmpd', host: '127.0.0.1', port: scmpPort, cpuMs: () => cpuMs(scmpPid) },
    { name: 'echo', host: '127.0.0.1', port: echoPort, cpuMs: () => cpuMs(echoPid) },
    ...('skipped' in samba ? [] : [{ name: 'samba', host: samba.host, port: samba.port, cpuMs: () => samba.cpuMs() }]),
  ];
  const out: Record<string, unknown> = {
    generator: gen.kind === 'c' ? 'C (bench/loadgen.c)' : 'Node processes (bench/loadgen-node.ts)',
    note: gen.note,
    call: 'bind mgmt v1.0 (NDR20, no authentication), then mgmt is_server_listening (24-byte request, 32-byte response)',
    peers: Object.fromEntries(peers.map((p) => [p.name, `${p.host}:${p.port}`])),
    samba: 'skipped' in samba ? { skipped: samba.skipped } : 'samba-dcerpcd --libexec-rpcds with a private smb.conf (rpc start on demand helpers = false), 127.0.0.1:135',
    durationMsPerPeer: DURATION_MS,
    rounds: 6,
    serverCpuUs: "each server's CPU time (user + system, all its processes and threads) per call answered, or per connect-bind-call-close cycle, warm-up included; where the ratios between servers come from",
  };
  for (const [mode, n] of [
    ['call', 1],
    ['call', 16],
    ['connect', 1],
    ['connect', 16],
  ] as const) {
    progress(`load generator: ${mode === 'call' ? 'small call' : 'connect, bind, call, close'}, ${n} connection${n > 1 ? 's' : ''}: ${peers.map((p) => p.name).join(', ')} in alternating rounds`);
    // Connect loops come from 16 source addresses so that TIME_WAIT's 4-tuples do not run out.
    out[`${mode}_${n}conn`] = await alternate(gen, peers, mode, n, DURATION_MS, 6, mode === 'connect' ? { net: '127.77', count: 16 } : undefined);
  }
  return out;
}

/**
 * Enumeration's cost curve (1, 10, 100 volumes × 10, 100, 512 copies each, each host in its
 * own process) and, on the 100 × 512 host, the full poll.
 */
async function enumerationAndPoll(results: Record<string, unknown>) {
  const points = [];
  // The round trips' floor: an echo answering each call with as many octets as scmpd did.
  const echo = await startNode(here('./echo-server.js'), ['sized'], /ready (\d+)/);
  const echoPort = Number(echo.match[1]);
  for (const perVolume of [10, 100, 512]) {
    for (const volumes of [1, 10, 100]) {
      progress(`enumeration, ${volumes} volume${volumes > 1 ? 's' : ''} with ${perVolume} shadow copies each`);
      const host = await startHost(volumes, perVolume);
      try {
        points.push(await enumerationPoint(host, perVolume, Math.min(500, DURATION_MS / 4), echoPort));
        if (volumes === 100 && perVolume === 512) {
          progress('full poll: activation at privacy, every shadow copy of the 100 × 512 host, release');
          results.fullPoll = await fullPoll(host, DURATION_MS);
        }
      } finally {
        await stopHost(host);
      }
    }
  }
  echo.child.kill('SIGTERM');
  const small = (results.authenticatedCall as Record<string, { server: LoadResult }>)['privacy_1conn']!.server;
  const work = enumerationWork();
  const big = points.find((p) => p.volumes === 100 && p.perVolume === 512);
  const trips = big?.roundTripFloor?.msPer1000ShadowCopies;
  results.enumeration = {
    what: 'one client, privacy, every shadow copy of every volume of a 100-volume host, Next in batches of 64 (the fastest of at least 3 enumerations on one session: ms, msPer1000ShadowCopies; their mean: meanMs; roundTripFloor: the same calls with their octet counts against an echo, no work at either end)',
    runs: points.filter((p) => p.volumes === 100),
    ceiling: { what: 'the small call at privacy on 1 connection, same run (calls/s)', callsPerSecond: small.callsPerSecond },
    work,
    floor:
      trips !== undefined && big
        ? {
            what: "100 volumes × 512: the round trips' floor (one call at a time, each waiting for the last) plus the work measured in one process (encode, seal, unseal, decode); the calls are sequential, so neither overlaps the other",
            roundTripsMsPer1000ShadowCopies: trips,
            workMsPer1000ShadowCopies: work.msPer1000ShadowCopies.total,
            sumMsPer1000ShadowCopies: Number((trips + work.msPer1000ShadowCopies.total).toFixed(2)),
            measuredMsPer1000ShadowCopies: big.msPer1000ShadowCopies,
          }
        : undefined,
  };
  // The full poll beside what its enumeration alone cannot go below (the activation, the
  // session's binds and the release come on top).
  const poll = results.fullPoll as { shadowCopiesPerPoll: number; pollsPerSecond: number } | undefined;
  if (poll && trips !== undefined) {
    const floorMs = ((trips + work.msPer1000ShadowCopies.total) * poll.shadowCopiesPerPoll) / 1000;
    results.fullPoll = {
      ...poll,
      ceiling: {
        what: "the enumeration's floor for the poll's copies (round trips + in-process work, as enumeration.floor): the polls per second it would allow with nothing else in a poll",
        enumerationFloorMs: Number(floorMs.toFixed(1)),
        pollsPerSecond: Number((1000 / floorMs).toFixed(3)),
        ratio: Number((poll.pollsPerSecond / (1000 / floorMs)).toFixed(3)),
      },
    };
  }
  results.enumerationCurve = {
    what: 'enumeration at privacy (one session, Next in batches of 64) on hosts of 1, 10, 100 volumes with 10, 100, 512 shadow copies each, after enumerations for half as long again to warm the host: ms of one full enumeration, the fastest of at least 3 (the least disturbed by other load; the fit is of these), their median and their mean',
    points: points.map((p) => ({ volumes: p.volumes, perVolume: p.perVolume, shadowCopies: p.shadowCopies, ms: p.ms, medianMs: p.medianMs, meanMs: p.meanMs, enumerations: p.enumerations, msPer1000ShadowCopies: p.msPer1000ShadowCopies, roundTripFloorMs: p.roundTripFloor?.ms })),
    fit: linearFit(points),
    linearity: axes(points),
  };
}

async function main(): Promise<void> {
  // is_server_listening: a 24-byte request, a 32-byte response (status + boolean).
  const scmpd = await startNode(
    here('../src/cli/scmpd.js'),
    ['--listen', '127.0.0.1', '--port', '0', '--log-level', 'error', '--no-admin', '--in-memory', '--account', `${BENCH_ACCOUNT.user}:${BENCH_ACCOUNT.password}:admin`],
    /127\.0\.0\.1:(\d+)/,
  );
  const echo = await startNode(here('./echo-server.js'), ['32'], /ready (\d+)/);
  const scmpPort = Number(scmpd.match[1]);
  const echoPort = Number(echo.match[1]);

  const results: Record<string, unknown> = {};
  const gen = buildGenerator(tempFolder('scmp-bench-loadgen-'));
  progress(`load generator: ${gen.note}`);
  const samba = await startSamba(tempFolder('scmp-bench-samba-'));
  if ('skipped' in samba) progress(`Samba skipped: ${samba.skipped}`);
  else stopAtExit(samba);
  results.loadgen = await generatorFigures(gen, samba, scmpPort, echoPort, scmpd.child.pid, echo.child.pid);

  const smallCall: Record<string, unknown> = {};
  for (const n of [1, 16]) {
    progress(`small call, ${n} connection${n > 1 ? 's' : ''}, against the echo ceiling`);
    smallCall[`${n}conn`] = await compare({ port: scmpPort, bind: true }, { port: echoPort, bind: false }, n);
  }
  results.smallCall = { call: 'mgmt is_server_listening (no authentication)', durationMs: DURATION_MS, ...smallCall };

  // The same call under NTLM, each level measured against the unauthenticated call and the ceiling.
  const authenticated: Record<string, unknown> = {};
  for (const [name, level] of [
    ['integrity', AUTH_LEVEL.pkt_integrity],
    ['privacy', AUTH_LEVEL.pkt_privacy],
  ] as const) {
    for (const n of [1, 16]) {
      progress(`small call at ${name}, ${n} connection${n > 1 ? 's' : ''}`);
      const vsPlain = await compare({ port: scmpPort, bind: true, level }, { port: scmpPort, bind: true }, n);
      const vsCeiling = await compare({ port: scmpPort, bind: true, level }, { port: echoPort, bind: false }, n);
      authenticated[`${name}_${n}conn`] = {
        server: vsPlain.server,
        unauthenticated: vsPlain.ceiling,
        ratioToUnauthenticated: vsPlain.throughputRatio,
        ceiling: vsCeiling.ceiling,
        ratioToCeiling: vsCeiling.throughputRatio,
      };
    }
  }
  results.authenticatedCall = { call: 'mgmt is_server_listening under NTLM', durationMs: DURATION_MS, ...authenticated };

  results.capture = await captureCost(scmpPort);

  const actGen = buildActivationGenerator(tempFolder('scmp-bench-actgen-'));
  if (typeof actGen === 'string') progress(`activation generator: ${actGen}; the Node client's figure alone`);
  results.activation = await activations(actGen, scmpPort, await objectPortOf(scmpd.match.input ?? ''), scmpd.child.pid, results);
  progress('memory per exported object');
  results.memoryPerObject = memoryPerObject();
  progress('a long session: 5,000 changes of interface on one connection, beside one at its limits');
  results.longSession = await longSession(5000);
  await enumerationAndPoll(results);

  const stateDir = tempFolder('scmp-bench-state-');
  const durable = await adminChanges(stateDir);
  const stateBytes = statSync(join(stateDir, 'state.json')).size;
  results.adminChanges = {
    what: 'admin API, one client: create a client-accessible shadow copy, then delete it; each change acknowledged',
    withStateDir: durable,
    inMemory: await adminChanges(undefined),
    ceiling: { what: 'write + fsync + rename + fsync of the folder, of a file the size of the state, in a loop', ...durableWriteCeiling(stateBytes) },
  };

  progress('scale: 10,000 idle bound connections');
  results.scale = await scale(gen, 10_000, DURATION_MS, progress, 'skipped' in samba ? undefined : samba);

  scmpd.child.kill('SIGTERM');
  echo.child.kill('SIGTERM');
  if (!('skipped' in samba)) await samba.stop();
  progress('done');
  process.stdout.write(
    JSON.stringify({ node: process.version, date: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, results }, null, 2) + '\n',
  );
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
