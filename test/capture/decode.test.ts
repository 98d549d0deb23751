/**
 * The capture decoder on real bytes: an in-process server records every connection through
 * its tap (both directions, in order, with the key-file lines of its security contexts);
 * our ScmpClient and impacket talk to it; the recording is replayed into CaptureDecoder as a
 * capture reader would, and the calls it reports are compared with what the clients saw.
 */
import { fromNdrValue } from '../../src/dcom/bindings.js';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DecodedCall } from '../../src/capture/calls.js';
import { CaptureDecoder } from '../../src/capture/decode.js';
import { HResultError } from '../../src/client/dcom.js';
import { RpcClient, RpcFaultError } from '../../src/client/rpc-client.js';
import { ScmpClient, type ScmpConnectOptions } from '../../src/client/scmp.js';
import { IObjectExporter } from '../../src/interfaces/oxid/idl.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { NTOWFv1 } from '../../src/security/ntlm/crypto.js';
import { DEFAULT_VOLUMES as V } from '../../src/store/default-host.js';
import { IID_IUnknown } from '../../src/dcom/exporter.js';
import { IRemUnknown } from '../../src/interfaces/remunknown/idl.js';
import { statusName } from '../../src/status/index.js';
import { activate, orpcThis, remUnknown } from '../helpers/dcom.js';
import { runPython } from '../helpers/python.js';
import { testServer } from '../helpers/server.js';
import { decodeRecording, recordingTap, type RecordedEvent } from './recording.js';

const ADMIN = { user: 'alice', password: 'Wonder-Land-1', domain: 'FILESRV01' };
const SCRIPT = fileURLToPath(new URL('../interop/impacket_sessions.py', import.meta.url));
const rec = recordingTap();
let server: Awaited<ReturnType<typeof testServer>>;
beforeAll(async () => {
  server = await testServer({ accounts: [parseAccountSpec(`${ADMIN.user}:${ADMIN.password}:admin`)], tap: rec.tap });
});
afterAll(() => server?.close());

const opts = (over: Partial<ScmpConnectOptions> = {}): ScmpConnectOptions => ({ host: server.host, port: server.port, ...ADMIN, pingPeriodMs: 0, ...over });

/** Every string anywhere in a decoded value. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) Object.values(v).forEach((x) => strings(x, out));
  return out;
}

const named = (calls: DecodedCall[], iface: string, method: string) => calls.filter((c) => c.interface?.name === iface && c.method === method);

/** A session with our client using every MS-SCMP method, and what it saw. */
async function scmpSession(over: Partial<ScmpConnectOptions>) {
  const r = rec.start();
  const c = await ScmpClient.connect(opts(over));
  try {
    const volumes = await c.queryVolumesSupportedForSnapshots().toArray();
    const snapshots = await c.querySnapshotsByVolume(V.data).toArray();
    await c.addDiffArea(V.refs, V.archive, 1n << 30n);
    await c.changeDiffAreaMaximumSize(V.refs, V.archive, 2n << 30n);
    const forVolume = await c.queryDiffAreasForVolume(V.refs).toArray();
    const onVolume = await c.queryDiffAreasOnVolume(V.archive).toArray();
    const diffVolumes = await c.queryVolumesSupportedForDiffAreas(V.refs).toArray();
    const missing = await c.changeDiffAreaMaximumSize(V.system, V.archive, 1n << 30n).catch((e) => e);
    expect(missing).toBeInstanceOf(HResultError);
    await c.changeDiffAreaMaximumSize(V.refs, V.archive, 0n); // removes the association again
    return { r, seen: { volumes, snapshots, forVolume, onVolume, diffVolumes, missing: missing as HResultError } };
  } finally {
    await c.close();
  }
}

/** What every decoded session must show, whatever the route to its keys. */
function expectSessionDecoded(calls: DecodedCall[], seen: Awaited<ReturnType<typeof scmpSession>>['seen'], protection: 'decrypted' | 'verified') {
  expect(calls.length).toBeGreaterThan(10);
  for (const c of calls) {
    expect(c.interface?.name, JSON.stringify({ callId: c.callId, conv: c.conversation })).toBeDefined();
    expect(c.method).toBeDefined();
    expect([c.requestError, c.responseError, c.notes]).toEqual([undefined, undefined, undefined]);
    expect(c.protection).toBe(protection);
    expect(c.status?.name).toBeDefined();
  }
  // Activation on port 135 ties the IPID to IVssSnapshotMgmt; the enumerators come back as OBJREFs.
  expect(named(calls, 'IRemoteSCMActivator', 'RemoteCreateInstance')).toHaveLength(1);
  const q = named(calls, 'IVssSnapshotMgmt', 'QueryVolumesSupportedForSnapshots');
  expect(q).toHaveLength(1);
  expect(q[0]!.objectInterface).toBe('IVssSnapshotMgmt');
  for (const c of calls.filter((c) => c.object !== undefined)) expect(c.objectInterface).toBe(c.interface!.name);
  const gpmi = named(calls, 'IVssSnapshotMgmt', 'GetProviderMgmtInterface');
  expect(gpmi.length).toBeGreaterThan(0);
  expect(named(calls, 'IVssDifferentialSoftwareSnapshotMgmt', 'AddDiffArea')[0]!.objectInterface).toBe('IVssDifferentialSoftwareSnapshotMgmt');

  // The volumes: the first IVssEnumMgmtObject::Next after QueryVolumesSupportedForSnapshots.
  const mgmtNext = named(calls, 'IVssEnumMgmtObject', 'Next');
  const volNames = strings(mgmtNext[0]!.response);
  for (const v of seen.volumes) expect(volNames).toContain(v.name);
  // The snapshots and their set ids.
  const snapText = strings(named(calls, 'IVssEnumObject', 'Next').map((c) => c.response));
  expect(seen.snapshots.length).toBeGreaterThan(0);
  for (const s of seen.snapshots) {
    expect(snapText).toContain(s.id);
    expect(snapText).toContain(s.setId);
  }
  // Arguments by their IDL names; HRESULTs by name.
  const add = named(calls, 'IVssDifferentialSoftwareSnapshotMgmt', 'AddDiffArea')[0]!;
  expect(add.request).toMatchObject({ pwszVolumeName: V.refs, pwszDiffAreaVolumeName: V.archive, llMaximumDiffSpace: 1n << 30n });
  expect(add.status).toEqual({ value: 0, name: 'S_OK' });
  const changes = named(calls, 'IVssDifferentialSoftwareSnapshotMgmt', 'ChangeDiffAreaMaximumSize');
  expect(changes.map((c) => c.status?.name)).toEqual(['S_OK', 'VSS_E_OBJECT_NOT_FOUND', 'S_OK']);
  expect(changes[1]!.status!.value).toBe(seen.missing.hr);
  const diffText = strings(mgmtNext.map((c) => c.response));
  for (const a of [...seen.forVolume, ...seen.onVolume]) expect(diffText).toContain(a.diffAreaVolumeName);
  // Requests before responses, paired by call id on their connection.
  for (const c of calls) expect(c.responseTimeNs! > c.requestTimeNs!).toBe(true);
}

describe.each([
  ['spnego', 'privacy', 'decrypted'],
  ['spnego', 'integrity', 'verified'],
  ['ntlm', 'privacy', 'decrypted'],
  ['ntlm', 'integrity', 'verified'],
] as const)('ScmpClient over %s at %s', (authType, authLevel, protection) => {
  let session: Awaited<ReturnType<typeof scmpSession>>;
  beforeAll(async () => {
    session = await scmpSession({ authType, authLevel });
  });

  test('with the password: every call decoded, by name, with the results the client saw', () => {
    const { calls, notes } = decodeRecording(session.r.events, { password: ADMIN.password });
    expect(notes).toEqual([]);
    expectSessionDecoded(calls, session.seen, protection);
  });

  test('with the NT hash', () => {
    const { calls } = decodeRecording(session.r.events, { ntHash: NTOWFv1(ADMIN.password) });
    expectSessionDecoded(calls, session.seen, protection);
  });

  test('with the key file and no password', () => {
    expect(session.r.keyLines).toHaveLength(2); // the activation's connection and the exporter's
    const { calls } = decodeRecording(session.r.events, { keysFile: session.r.keyLines });
    expectSessionDecoded(calls, session.seen, protection);
  });

  test('with a wrong password: bad-key, never a crash', () => {
    const { calls } = decodeRecording(session.r.events, { password: 'not-the-password' });
    expect(calls.length).toBeGreaterThan(10);
    for (const c of calls) {
      expect(c.protection).toBe('bad-key');
      expect(c.notes?.join(' ')).toMatch(/password is not FILESRV01\\alice's/);
      // Names still come from the cleartext headers.
      expect(c.interface?.name).toBeDefined();
      if (protection === 'decrypted') expect(c.requestError).toMatch(/sealed/);
      else expect(c.requestError).toBeUndefined();
    }
  });

  test('with nothing: no-key', () => {
    const { calls } = decodeRecording(session.r.events);
    for (const c of calls) expect(c.protection).toBe('no-key');
  });
});

describe('gaps', () => {
  let events: RecordedEvent[];
  beforeAll(async () => {
    events = (await scmpSession({ authType: 'spnego', authLevel: 'privacy' })).r.events;
  });

  /** The exporter connection's request chunks (client to server) after its handshake. */
  function requestChunks() {
    const exporterConv = events.find((e) => e.kind === 'open' && e.conv.id === 2)!.conv;
    return events.map((e, i) => ({ e, i })).filter(({ e }) => e.kind === 'toServer' && e.conv === exporterConv && e.data[2] === 0);
  }

  test('a lost request: a note, the call reported without it, and every later call still decrypted', () => {
    const reqs = requestChunks();
    expect(reqs.length).toBeGreaterThan(6);
    const lostAt = reqs[4]!.i;
    const lost = events[lostAt] as Extract<RecordedEvent, { data: Buffer }>;
    const lostCallId = lost.data.readUInt32LE(12);
    const calls: DecodedCall[] = [];
    const notes: string[] = [];
    const d = new CaptureDecoder({ keys: { password: ADMIN.password }, onCall: (c) => calls.push(c), onNote: (n) => notes.push(n.message) });
    events.forEach((e, i) => {
      if (i === lostAt) return d.gap(e.conv, 'toServer', e.timeNs, lost.data.length);
      if (e.kind === 'open') d.open(e.conv, e.timeNs);
      else if (e.kind === 'close') d.close(e.conv, e.timeNs, 'fin');
      else d.data(e.conv, e.kind, e.timeNs, e.data);
    });
    d.finish();
    expect(notes).toEqual([`${lost.data.length} octets missing client→server: resynchronising on the next PDU header`, `resynchronised on a request PDU (call_id ${lostCallId + 1}) after 0 octets`]);
    const orphan = calls.find((c) => c.conversation === 2 && c.callId === lostCallId)!;
    expect(orphan.notes).toEqual(['no request in the capture']);
    const later = calls.filter((c) => c.conversation === 2 && c.requestTimeNs !== undefined && c.requestTimeNs > lost.timeNs);
    expect(later.length).toBeGreaterThan(3);
    for (const c of later) {
      expect(c.protection).toBe('decrypted');
      expect([c.requestError, c.responseError]).toEqual([undefined, undefined]);
    }
  });

  test('a gap inside a PDU: the stream resynchronises on the next header', () => {
    const reqs = requestChunks();
    const cutAt = reqs[3]!.i;
    const cut = events[cutAt] as Extract<RecordedEvent, { data: Buffer }>;
    const calls: DecodedCall[] = [];
    const notes: string[] = [];
    const d = new CaptureDecoder({ keys: { password: ADMIN.password }, onCall: (c) => calls.push(c), onNote: (n) => notes.push(n.message) });
    events.forEach((e, i) => {
      if (e.kind === 'open') d.open(e.conv, e.timeNs);
      else if (e.kind === 'close') d.close(e.conv, e.timeNs, 'fin');
      else if (i === cutAt) {
        // Its first 10 octets arrive, the next 20 are lost, then the rest.
        d.data(e.conv, e.kind, e.timeNs, cut.data.subarray(0, 10));
        d.gap(e.conv, e.kind, e.timeNs, 20);
        d.data(e.conv, e.kind, e.timeNs, cut.data.subarray(30));
      } else d.data(e.conv, e.kind, e.timeNs, e.data);
    });
    d.finish();
    expect(notes[0]).toBe('20 octets missing client→server: resynchronising on the next PDU header');
    expect(notes[1]).toMatch(/^resynchronised on a \w+ PDU \(call_id \d+\) after \d+ octets$/);
    expect(notes).toHaveLength(2);
    const later = calls.filter((c) => c.conversation === 2 && c.requestTimeNs !== undefined && c.requestTimeNs > cut.timeNs);
    expect(later.length).toBeGreaterThan(3);
    for (const c of later) expect(c.protection).toBe('decrypted');
  });
});

test('impacket at privacy: the calls and results impacket saw', async () => {
  const r = rec.start();
  const plan = [['snapshots', V.data], ['add', V.refs, V.archive, 1 << 30], ['for', V.refs], ['change', V.refs, V.archive, 0], ['snapshots', V.system]];
  const out = await runPython<{ results: Array<{ hr: number; items?: Array<Record<string, unknown>> | null }> }>(SCRIPT, [server.host, String(server.port), ADMIN.user, ADMIN.password, JSON.stringify(plan)]);
  const { calls, notes } = decodeRecording(r.events, { password: ADMIN.password });
  expect(notes).toEqual([]);
  for (const c of calls) {
    expect(c.interface?.name).toBeDefined();
    expect(c.method).toBeDefined();
    expect([c.requestError, c.responseError]).toEqual([undefined, undefined]);
    expect(c.protection).toBe('decrypted');
  }
  const snaps = named(calls, 'IVssSnapshotMgmt', 'QuerySnapshotsByVolume');
  expect(snaps.map((c) => (c.request as { pwszVolumeName: string }).pwszVolumeName)).toEqual([V.data, V.system]);
  expect(snaps.map((c) => c.status!.value)).toEqual([out.results[0]!.hr, out.results[4]!.hr].map((h) => h >>> 0));
  const snapText = strings(named(calls, 'IVssEnumObject', 'Next').map((c) => c.response));
  for (const item of out.results[0]!.items!) {
    expect(snapText).toContain(String(item.id).toLowerCase());
    expect(snapText).toContain(String(item.setId).toLowerCase());
  }
  expect(named(calls, 'IVssDifferentialSoftwareSnapshotMgmt', 'AddDiffArea')[0]!.status!.value).toBe(out.results[1]!.hr >>> 0);
  // impacket reaches the differential interface through RemQueryInterface or GetProviderMgmtInterface: its IPID is known either way.
  for (const c of calls.filter((c) => c.object !== undefined)) expect(c.objectInterface).toBe(c.interface!.name);
  const qi = calls.filter((c) => c.method === 'RemQueryInterface');
  for (const c of qi) expect(c.status?.name).toBe('S_OK');
});

test('faults by name; calls on the endpoint mapper port without authentication', async () => {
  const r = rec.start();
  const c = await RpcClient.connect(server.host, server.port);
  await c.bindInterface(IObjectExporter);
  const alive = await c.call(0, IObjectExporter.methods.ServerAlive2, {});
  const f = await c.request(0, 77, Buffer.alloc(0)).catch((e) => e);
  expect(f).toBeInstanceOf(RpcFaultError);
  await c.close();
  const { calls } = decodeRecording(r.events);
  expect(calls).toHaveLength(2);
  expect(calls[0]).toMatchObject({ interface: { name: 'IObjectExporter' }, method: 'ServerAlive2', protection: 'none', status: { value: 0, name: 'S_OK' } });
  // The DUALSTRINGARRAY is shown as its bindings: the same ones the client read.
  expect((calls[0]!.response as { ppdsaOrBindings: unknown }).ppdsaOrBindings).toEqual(fromNdrValue(alive.ppdsaOrBindings!));
  expect(strings(calls[0]!.response)).toEqual(['FILESRV01', '127.0.0.1', '', '']);
  expect(calls[1]!.method).toBeUndefined();
  expect(calls[1]).toMatchObject({ opnum: 77, fault: { status: 0x1c010002, name: 'nca_s_op_rng_error' }, requestError: 'opnum 77 is not declared for IObjectExporter' });
});

test('activation and RemQueryInterface tie IPIDs to interfaces; calls on them are named by them', async () => {
  const r = rec.start();
  const obj = await activate(server.host, server.port, ADMIN);
  const unk = await remUnknown(server.host, server.objects.port, ADMIN);
  const bogus = '99999999-0000-0000-0000-000000000000';
  const q = await unk.call(
    0,
    IRemUnknown.methods.RemQueryInterface,
    { ORPCthis: orpcThis(), ripid: obj.ipid, cRefs: 1, cIids: 2, iids: [IID_IUnknown, bogus] },
    { object: server.exporter.ipidRemUnknown },
  );
  const unknownIpid = q.ppQIResults![0]!.std.ipid;
  expect(unknownIpid).not.toBe(obj.ipid);
  // A call addressed to the IPID QueryInterface gave: the decoder names it IUnknown.
  const refs = { cInterfaceRefs: 1, InterfaceRefs: [{ ipid: unknownIpid, cPublicRefs: 1, cPrivateRefs: 0 }] };
  await unk.call(0, IRemUnknown.methods.RemRelease, { ORPCthis: orpcThis(), ...refs }, { object: unknownIpid }).catch((e) => e);
  await unk.close();
  const { calls } = decodeRecording(r.events, { password: ADMIN.password });
  expect(calls.map((c) => [c.interface?.name, c.method, c.objectInterface, c.protection])).toEqual([
    ['IRemoteSCMActivator', 'RemoteCreateInstance', undefined, 'verified'],
    ['IRemUnknown', 'RemQueryInterface', 'IRemUnknown', 'verified'],
    ['IRemUnknown', 'RemRelease', 'IUnknown', 'verified'],
  ]);
  const qi = calls[1]!;
  expect(qi.request).toMatchObject({ ripid: obj.ipid, cIids: 2, iids: [IID_IUnknown, bogus] });
  expect((qi.response as { ppQIResults: Array<{ hResult: number }> }).ppQIResults.map((x) => statusName(x.hResult))).toEqual(['S_OK', 'E_NOINTERFACE']);
  expect(qi.status).toEqual({ value: q.hr, name: statusName(q.hr) });
});
