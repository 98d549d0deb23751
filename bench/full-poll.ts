import type { ChildProcess } from 'node:child_process';
import { percentile, startNode } from './child.js';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '../src/client/rpc-client.js';
import { activate, newOrpcThis } from '../src/client/activation.js';
import { AUTH_LEVEL } from '../src/dcerpc/constants.js';
import { decodeObjref } from '../src/dcom/objref.js';
import { IRemUnknown } from '../src/interfaces/remunknown/idl.js';
import { CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt } from '../src/interfaces/scmp/class.js';
import { IVssEnumMgmtObject, IVssEnumObject, IVssSnapshotMgmt } from '../src/interfaces/scmp/idl.js';
import { VSS_SYSTEM_PROVIDER_ID } from '../src/interfaces/scmp/types.js';
import { NtlmRpcClientContext } from '../src/security/ntlm/rpc.js';
import { replayRoundTrips, type CallOctets } from './round-trips.js';

/**
 * What a monitoring or backup product does with an SCMP host, measured on generated hosts
 * (bench/scmp-host.ts, each in its own process): the full poll (activate at privacy,
 * enumerate every shadow copy of every volume, release every reference), and what
 * enumeration costs as volumes and copies per volume grow.
 */

export const BENCH_ACCOUNT = { user: 'bench', password: 'Bench-Pass-1', domain: '' };
const privacy = () => ({ ctx: new NtlmRpcClientContext(BENCH_ACCOUNT), level: AUTH_LEVEL.pkt_privacy });
const orpc = () => newOrpcThis();
const BATCH = 64; // Next's celt, as the existing enumeration figure uses

export interface Host {
  port: number;
  objectPort: number;
  child: ChildProcess;
}

export async function startHost(volumes: number, perVolume: number): Promise<Host> {
  const script = fileURLToPath(new URL('./scmp-host.js', import.meta.url));
  const { child, match: m } = await startNode(script, [String(volumes), String(perVolume), `${BENCH_ACCOUNT.user}:${BENCH_ACCOUNT.password}:admin`], /ready (\d+) (\d+)/);
  return { port: Number(m[1]), objectPort: Number(m[2]), child };
}

export function stopHost(h: Host): Promise<void> {
  return new Promise((resolve) => {
    if (h.child.exitCode !== null || h.child.signalCode !== null) return resolve();
    h.child.once('exit', () => resolve());
    h.child.kill('SIGKILL'); // nothing of a generated host outlives it
  });
}

interface Ref {
  ipid: string;
  cPublicRefs: number;
}

function refOf(p: { abData: Buffer } | null): Ref {
  const o = decodeObjref(p!.abData);
  if (o.kind !== 'standard') throw new Error('expected a standard OBJREF');
  return { ipid: o.std.ipid, cPublicRefs: o.std.cPublicRefs };
}

/** A session on the exporter: IVssSnapshotMgmt (context 0), the two enumerators (1, 2), IRemUnknown (3), all at privacy. */
async function exporterSession(h: Host): Promise<{ c: RpcClient; mgmt: Ref; ipidRemUnknown: string }> {
  const a = await activate('127.0.0.1', h.port, privacy(), CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt, 'FILESRV01');
  if (a.hr !== 0) throw new Error(`activation failed: 0x${a.hr.toString(16)}`);
  const c = await RpcClient.connect('127.0.0.1', h.objectPort);
  await c.bindInterface(IVssSnapshotMgmt, { auth: privacy() });
  await c.alterContext([{ contextId: 1, abstractSyntax: { uuid: IVssEnumObject.uuid, major: 0, minor: 0 } }]);
  await c.alterContext([{ contextId: 2, abstractSyntax: { uuid: IVssEnumMgmtObject.uuid, major: 0, minor: 0 } }]);
  await c.alterContext([{ contextId: 3, abstractSyntax: { uuid: IRemUnknown.uuid, major: 0, minor: 0 } }]);
  return { c, mgmt: { ipid: a.ipid, cPublicRefs: a.cPublicRefs }, ipidRemUnknown: a.ipidRemUnknown };
}

/**
 * Every shadow copy of every volume, Next in batches of 64; returns the enumerators'
 * references for release. With `trace`, each call's octets out and in are appended to it.
 */
async function enumerateAll(c: RpcClient, mgmtIpid: string, trace?: CallOctets[]) {
  let calls = 0;
  let copies = 0;
  const refs: Ref[] = [];
  const call: RpcClient['call'] = !trace
    ? (...a) => c.call(...a)
    : async (...a) => {
        const [w0, r0] = [c.socket.bytesWritten, c.socket.bytesRead];
        const r = await c.call(...a);
        trace.push([c.socket.bytesWritten - w0, c.socket.bytesRead - r0]);
        return r;
      };
  const vr = await call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, { ORPCthis: orpc(), ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }, { object: mgmtIpid });
  calls++;
  if (vr.hr !== 0) throw new Error(`QueryVolumesSupportedForSnapshots: 0x${(vr.hr >>> 0).toString(16)}`);
  const volumes: string[] = [];
  const ve = refOf(vr.ppEnum);
  refs.push(ve);
  for (;;) {
    const n = await call(2, IVssEnumMgmtObject.methods.Next, { ORPCthis: orpc(), celt: BATCH }, { object: ve.ipid });
    calls++;
    for (const v of n.rgelt) volumes.push((v.Obj.value as { m_pwszVolumeName: string }).m_pwszVolumeName);
    if (n.hr !== 0) break;
  }
  for (const name of volumes) {
    const q = await call(0, IVssSnapshotMgmt.methods.QuerySnapshotsByVolume, { ORPCthis: orpc(), pwszVolumeName: name, ProviderId: VSS_SYSTEM_PROVIDER_ID }, { object: mgmtIpid });
    calls++;
    if (q.hr !== 0) throw new Error(`QuerySnapshotsByVolume: 0x${(q.hr >>> 0).toString(16)}`);
    const e = refOf(q.ppEnum);
    refs.push(e);
    for (;;) {
      const n = await call(1, IVssEnumObject.methods.Next, { ORPCthis: orpc(), celt: BATCH }, { object: e.ipid });
      calls++;
      copies += n.pceltFetched;
      if (n.hr !== 0) break;
    }
  }
  return { volumes: volumes.length, copies, calls, refs };
}

/** RemRelease of every reference, as a client's proxies do when it lets go (one call, the refs batched). */
async function releaseAll(c: RpcClient, ipidRemUnknown: string, refs: Ref[]): Promise<void> {
  const r = await c.call(
    3,
    IRemUnknown.methods.RemRelease,
    { ORPCthis: orpc(), cInterfaceRefs: refs.length, InterfaceRefs: refs.map((x) => ({ ipid: x.ipid, cPublicRefs: x.cPublicRefs, cPrivateRefs: 0 })) },
    { object: ipidRemUnknown },
  );
  if (r.hr !== 0) throw new Error(`RemRelease: 0x${(r.hr >>> 0).toString(16)}`);
}

/** One full poll; returns its duration (ms) and what it saw. */
async function onePoll(h: Host) {
  const t0 = performance.now();
  const s = await exporterSession(h);
  const e = await enumerateAll(s.c, s.mgmt.ipid);
  await releaseAll(s.c, s.ipidRemUnknown, [...e.refs, s.mgmt]);
  await s.c.close();
  return { ms: performance.now() - t0, ...e };
}


/** Full polls of one client in a closed loop for `ms` (at least `minPolls`). */
export async function fullPoll(h: Host, ms: number, minPolls = 5) {
  const times: number[] = [];
  let seen = { volumes: 0, copies: 0, calls: 0 };
  const started = performance.now();
  while (performance.now() - started < ms || times.length < minPolls) {
    const p = await onePoll(h);
    times.push(p.ms);
    seen = { volumes: p.volumes, copies: p.copies, calls: p.calls + 1 };
  }
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...times].sort((a, b) => a - b);
  return {
    what: 'one client: activation at NTLM privacy, every shadow copy of every volume (Next in batches of 64), RemRelease of every reference (mgmt and enumerators, one call); closed loop',
    volumes: seen.volumes,
    shadowCopiesPerPoll: seen.copies,
    callsPerPoll: seen.calls,
    polls: times.length,
    pollsPerSecond: Number((times.length / seconds).toFixed(3)),
    p50ms: Number(percentile(sorted, 0.5).toFixed(1)),
    p99ms: Number(percentile(sorted, 0.99).toFixed(1)),
    note: times.length < 100 ? `p99 of ${times.length} polls is their maximum but one or the maximum itself` : undefined,
  };
}

/**
 * Enumeration alone on an existing session, repeated for at least `ms` and 3 times: the
 * fastest of them (`ms`, the least disturbed by other load on the machine) and their mean.
 * With `echoPort` (bench/echo-server.ts in `sized` mode), also the floor under it: the same
 * calls' round trips with their octet counts and no work at either end (round-trips.ts).
 */
export async function enumerationPoint(h: Host, perVolume: number, ms: number, echoPort?: number) {
  const s = await exporterSession(h);
  // Enumerations first, not counted, for at least half the measuring time: the host
  // process's code is then optimised whatever its size (one enumeration of a small host is
  // a few dozen calls, too few for that; the points of the cost curve must compare alike).
  // The first one's calls' octet counts are what the round-trip floor replays.
  const trace: CallOctets[] = [];
  const warm = performance.now();
  do {
    await releaseAll(s.c, s.ipidRemUnknown, (await enumerateAll(s.c, s.mgmt.ipid, trace.length ? undefined : trace)).refs);
  } while (performance.now() - warm < ms / 2);
  const times: number[] = [];
  let last = { volumes: 0, copies: 0, calls: 0 };
  const bytes0 = s.c.stats.bytes;
  const started = performance.now();
  do {
    const t0 = performance.now();
    const e = await enumerateAll(s.c, s.mgmt.ipid);
    times.push(performance.now() - t0);
    await releaseAll(s.c, s.ipidRemUnknown, e.refs);
    last = { volumes: e.volumes, copies: e.copies, calls: e.calls };
  } while (performance.now() - started < ms || times.length < 3);
  const best = Math.min(...times);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const median = [...times].sort((a, b) => a - b)[times.length >> 1]!;
  const bytes = (s.c.stats.bytes - bytes0) / times.length;
  await releaseAll(s.c, s.ipidRemUnknown, [s.mgmt]);
  await s.c.close();
  const floor = echoPort === undefined ? undefined : await replayRoundTrips(echoPort, trace);
  return {
    volumes: last.volumes,
    perVolume,
    shadowCopies: last.copies,
    calls: last.calls,
    enumerations: times.length,
    callsPerSecond: Math.round((last.calls * 1000) / mean),
    bytesPerSecond: Math.round((bytes * 1000) / mean),
    msPer1000ShadowCopies: last.copies ? Number(((best * 1000) / last.copies).toFixed(2)) : null,
    ms: Number(best.toFixed(2)),
    meanMs: Number(mean.toFixed(2)),
    medianMs: Number(median.toFixed(2)),
    ...(floor !== undefined && last.copies
      ? { roundTripFloor: { ms: Number(floor.toFixed(2)), msPer1000ShadowCopies: Number(((floor * 1000) / last.copies).toFixed(2)) } }
      : {}),
  };
}

/**
 * Least squares of ms = a + b·volumes + c·copies over the points, each weighted by 1/ms so
 * that relative errors count alike (the points span 10 to 51,200 copies); "linear" when
 * every point is within 20% of the fit.
 */
export function linearFit(points: { volumes: number; shadowCopies: number; ms: number }[]) {
  // Weighted normal equations of a 3-parameter fit, solved by Cramer's rule.
  const rows = points.map((p) => [1 / p.ms, p.volumes / p.ms, p.shadowCopies / p.ms]);
  const m = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((s, r) => s + r[i]! * r[j]!, 0)));
  const v = [0, 1, 2].map((i) => rows.reduce((s, r) => s + r[i]!, 0));
  const det = (a: number[][]) =>
    a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!) - a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!) + a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  const coef = [0, 1, 2].map((k) => det(m.map((row, i) => row.map((x, j) => (j === k ? v[i]! : x)))) / d);
  const worst = points
    .map((p) => {
      const fit = coef[0]! + coef[1]! * p.volumes + coef[2]! * p.shadowCopies;
      return { volumes: p.volumes, shadowCopies: p.shadowCopies, ms: p.ms, fitMs: Number(fit.toFixed(2)), off: Math.abs(p.ms - fit) / p.ms };
    })
    .sort((a, b) => b.off - a.off)[0]!;
  const linear = points.every((p) => {
    const fit = coef[0]! + coef[1]! * p.volumes + coef[2]! * p.shadowCopies;
    return Math.abs(p.ms - fit) <= 0.2 * p.ms;
  });
  return {
    model: 'ms = fixed + perVolume·volumes + perCopy·shadowCopies (least squares of relative error); linear when every point is within 20% of it',
    fixedMs: Number(coef[0]!.toFixed(3)),
    msPerVolume: Number(coef[1]!.toFixed(4)),
    msPer1000ShadowCopies: Number((coef[2]! * 1000).toFixed(3)),
    linear,
    worstPoint: { volumes: worst.volumes, shadowCopies: worst.shadowCopies, ms: worst.ms, fitMs: worst.fitMs, offPercent: Number((worst.off * 100).toFixed(1)) },
  };
}

/**
 * Linearity along each axis, from the grid itself: the cost of each added volume (at a fixed
 * number of copies per volume) from 1→10 and 10→100 volumes, and of each added copy (at a
 * fixed number of volumes) from 10→100 and 100→512 per volume. Linear on an axis when the
 * two steps' marginal costs are within 25% of each other at every row of the grid.
 */
export function axes(points: { volumes: number; perVolume: number; ms: number }[]) {
  const at = (v: number, p: number) => points.find((x) => x.volumes === v && x.perVolume === p)?.ms;
  const vs = [...new Set(points.map((p) => p.volumes))].sort((a, b) => a - b);
  const ps = [...new Set(points.map((p) => p.perVolume))].sort((a, b) => a - b);
  const within = (a: number, b: number) => Math.abs(a - b) <= 0.25 * Math.max(Math.abs(a), Math.abs(b));
  const perVolume = ps.map((p) => {
    const steps = vs.slice(1).map((v, i) => (at(v, p)! - at(vs[i]!, p)!) / (v - vs[i]!));
    return { perVolume: p, msPerAddedVolume: steps.map((x) => Number(x.toFixed(3))), linear: steps.every((x) => within(x, steps[0]!)) };
  });
  const perCopy = vs.map((v) => {
    const steps = ps.slice(1).map((p, i) => ((at(v, p)! - at(v, ps[i]!)!) * 1000) / (v * (p - ps[i]!)));
    return { volumes: v, msPer1000AddedCopies: steps.map((x) => Number(x.toFixed(2))), linear: steps.every((x) => within(x, steps[0]!)) };
  });
  return {
    inVolumes: { linear: perVolume.every((r) => r.linear), steps: `${vs.join('→')} volumes`, rows: perVolume },
    inCopiesPerVolume: { linear: perCopy.every((r) => r.linear), steps: `${ps.join('→')} copies per volume`, rows: perCopy },
  };
}
