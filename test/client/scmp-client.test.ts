/**
 * The MS-SCMP client library end to end over TCP against an in-process server: activation
 * on the endpoint-mapper port, the object exporter reached through the reply's string
 * bindings (the server lists its NetBIOS name first, which does not resolve here, then the
 * address dialled: the client skips the first), every MS-SCMP method with typed results,
 * enumerators as async iterables released when done, typed failures, references given back.
 */
import { once } from 'node:events';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AuthenticationError, ConnectionError, NotDcomHostError, TimeoutError } from '../../src/client/errors.js';
import { BindNakError, InterfaceRefusedError } from '../../src/client/rpc-client.js';
import type { ExporterAddress } from '../../src/client/exporter-bindings.js';
import { HResultError } from '../../src/client/dcom.js';
import { ScmpClient, type ScmpConnectOptions } from '../../src/client/scmp.js';
import { NTOWFv1 } from '../../src/security/ntlm/crypto.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { VSS_SYSTEM_PROVIDER_ID } from '../../src/interfaces/scmp/types.js';
import { testServer } from '../helpers/server.js';
import { echoServer } from '../helpers/echo.js';
import { testSecurity } from '../helpers/security.js';

const ADMIN = { user: 'alice', password: 'Wonder-Land-1', domain: 'FILESRV01' };
const USER = { user: 'bob', password: 'Builder-2', domain: 'FILESRV01' };
let server: Awaited<ReturnType<typeof testServer>>;
beforeAll(async () => {
  server = await testServer({
    accounts: [parseAccountSpec(`${ADMIN.user}:${ADMIN.password}:admin`), parseAccountSpec(`${USER.user}:${USER.password}:user`)],
  });
});
afterAll(() => server?.close());

const opts = (over: Partial<ScmpConnectOptions> = {}): ScmpConnectOptions => ({ host: server.host, port: server.port, ...ADMIN, ...over });

/** Whether the exporter still holds any object a client was given. */
const held = () => server.exporter.objectCount;

describe.each([
  ['spnego', 'privacy'],
  ['spnego', 'integrity'],
  ['ntlm', 'privacy'],
  ['ntlm', 'integrity'],
] as const)('%s at %s', (authType, authLevel) => {
  test('connects through the reply bindings and lists the volumes the host has', async () => {
    const c = await ScmpClient.connect(opts({ authType, authLevel }));
    try {
      expect(c.exporter.port).toBe(server.objects.port);
      const vols = await c.queryVolumesSupportedForSnapshots().toArray();
      const expected = server.store.volumesSupportedForSnapshots(VSS_SYSTEM_PROVIDER_ID, 0).map((v) => ({ name: v.mountName, displayName: v.displayName }));
      expect(vols).toEqual(expected);
      expect(vols.length).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
  });
});

const D = '\\\\?\\Volume{620cbbfe-af50-4c96-ba03-a9068d1e118b}\\';
const E = '\\\\?\\Volume{111f7d3f-813b-4f4a-9765-6492e873f6c0}\\';
const ARCHIVE = '\\\\?\\Volume{1b6a94c1-7405-4c1b-a379-f89d026372e4}\\';

test('every MS-SCMP method, typed: snapshots, storage volumes, associations added and resized', async () => {
  const c = await ScmpClient.connect(opts()); // SPNEGO at privacy, as Windows
  try {
    const snaps = await c.querySnapshotsByVolume(D).toArray();
    const expected = server.store.snapshotsByVolume(D, VSS_SYSTEM_PROVIDER_ID);
    expect(snaps.map((s) => s.id)).toEqual(expected.map((s) => s.id));
    const [first] = snaps;
    expect(first).toMatchObject({ originalVolumeName: D, providerId: VSS_SYSTEM_PROVIDER_ID, creationTimestamp: expected[0]!.creationTime });
    expect(first!.created.getTime()).toBe(Number((expected[0]!.creationTime - 116444736000000000n) / 10000n));
    expect(first!.deviceObject).toMatch(/^\\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy\d+$/);

    const diff = await c.getProviderMgmtInterface();
    expect(await c.getProviderMgmtInterface()).toBe(diff);

    const storage = await c.queryVolumesSupportedForDiffAreas(E).toArray();
    expect(storage.map((v) => v.name)).toEqual(server.store.volumesSupportedForDiffAreas(E).map((v) => v.mountName));
    for (const v of storage) expect(typeof v.freeSpace === 'bigint' && typeof v.totalSpace === 'bigint' && v.totalSpace > 0n).toBe(true);

    expect(await c.queryDiffAreasForVolume(D).toArray()).toEqual([
      { volumeName: D, diffAreaVolumeName: ARCHIVE, maximumSize: 214748364800n, allocatedSize: 5268045824n, usedSize: 5256511488n },
    ]);
    expect((await c.queryDiffAreasOnVolume(ARCHIVE).toArray()).map((a) => a.volumeName)).toEqual([D]);

    await c.addDiffArea(E, D, 1n << 30n);
    expect(server.store.diffAreasForVolume(E)).toMatchObject([{ volume: E, diffAreaVolume: D, maximumBytes: 1n << 30n }]);
    await c.changeDiffAreaMaximumSize(E, D, -1n);
    expect((await c.queryDiffAreasForVolume(E).toArray()).map((a) => a.maximumSize)).toEqual([-1n]);
    const dup = await c.addDiffArea(E, D, 1n << 30n).catch((e) => e);
    expect(dup).toBeInstanceOf(HResultError);
    expect(dup.message).toMatch(/VSS_E_OBJECT_ALREADY_EXISTS/);
    await c.changeDiffAreaMaximumSize(E, D, 0n); // VSS_ASSOC_REMOVE
    expect(server.store.diffAreasForVolume(E)).toEqual([]);
  } finally {
    await c.close();
  }
});

test('a failing method is an HResultError with the HRESULT name and value; the client goes on', async () => {
  const c = await ScmpClient.connect(opts());
  try {
    const e = await c.changeDiffAreaMaximumSize(E, ARCHIVE, 1n << 30n).catch((x) => x); // no such association
    expect(e).toBeInstanceOf(HResultError);
    expect(e.hr).toBe(0x80042308);
    expect(e.message).toMatch(/VSS_E_OBJECT_NOT_FOUND/);
    // An enumeration's failure surfaces from the iteration.
    const p = await c.querySnapshotsByVolume(D, '01234567-89ab-cdef-0123-456789abcdef').toArray().catch((x) => x);
    expect(p).toBeInstanceOf(HResultError);
    expect(p.hr).toBe(0x80042304);
    expect(p.message).toMatch(/VSS_E_PROVIDER_NOT_REGISTERED/);
    expect((await c.queryVolumesSupportedForSnapshots().toArray()).length).toBeGreaterThan(0);
  } finally {
    await c.close();
  }
});

test('an enumerator is released when the iteration breaks; close gives back every reference', async () => {
  const before = server.exporter.objectCount;
  const c = await ScmpClient.connect(opts({ batchSize: 1 }));
  expect(server.exporter.objectCount).toBe(before + 1);
  for await (const v of c.queryVolumesSupportedForSnapshots()) {
    expect(v.name).toMatch(/^\\\\\?\\Volume\{/);
    expect(server.exporter.objectCount).toBe(before + 2); // the enumerator, while iterating
    break;
  }
  expect(server.exporter.objectCount).toBe(before + 1);
  await c.getProviderMgmtInterface();
  expect(server.exporter.objectCount).toBe(before + 2);
  await c.close();
  await c.close();
  expect(server.exporter.objectCount).toBe(before);
});

test.each(['spnego', 'ntlm'] as const)('%s with the NT hash instead of the password', async (authType) => {
  const c = await ScmpClient.connect(opts({ authType, password: undefined, ntHash: NTOWFv1(ADMIN.password).toString('hex') }));
  expect((await c.queryVolumesSupportedForSnapshots().toArray()).length).toBeGreaterThan(0);
  await c.close();
});

test.each(['spnego', 'ntlm'] as const)('%s with a wrong password is an AuthenticationError', async (authType) => {
  const e = await ScmpClient.connect(opts({ authType, password: 'not-it' })).catch((x) => x);
  expect(e).toBeInstanceOf(AuthenticationError);
  expect(e.message).toMatch(/credentials were refused/);
});

test('a plain endpoint mapper is a NotDcomHostError, not a logon failure: without NTLM (bind_nak 8) and with it (activation not served)', async () => {
  const bare = await echoServer();
  const { sec } = testSecurity();
  const secured = await echoServer({}, { security: sec });
  try {
    const nak = await ScmpClient.connect(opts({ port: bare.port })).catch((x) => x);
    expect(nak).toBeInstanceOf(NotDcomHostError);
    expect(nak.cause).toBeInstanceOf(BindNakError);
    expect(nak.cause.reason).toBe(8); // authentication_type_not_recognized
    for (const authType of ['spnego', 'ntlm'] as const) {
      const refused = await ScmpClient.connect(opts({ port: secured.port, authType })).catch((x) => x);
      expect(refused).toBeInstanceOf(NotDcomHostError);
      expect(refused.cause).toBeInstanceOf(InterfaceRefusedError);
      expect(refused.message).toMatch(/IRemoteSCMActivator not accepted: result 2 reason 1/); // provider rejection, abstract syntax not supported
    }
  } finally {
    await bare.close();
    await secured.close();
  }
});

test('a user who is not an administrator is refused activation with E_ACCESSDENIED', async () => {
  const e = await ScmpClient.connect(opts(USER)).catch((x) => x);
  expect(e).toBeInstanceOf(HResultError);
  expect(e.hr).toBe(0x80070005);
  expect(e.message).toMatch(/E_ACCESSDENIED/);
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

test('the exporter is reached from the reply: its bindings in order, unreachable ones skipped', async () => {
  const dead = await closedPort();
  let offered: ExporterAddress[] = [];
  const c = await ScmpClient.connect(
    opts({
      // The reply as a multi-homed host would send it: an address this client cannot reach first.
      exporterAddresses: (fromReply) => {
        offered = fromReply;
        return [{ host: '127.0.0.1', port: dead, binding: `127.0.0.1[${dead}]` }, ...fromReply];
      },
    }),
  );
  try {
    // What the server listed: its NetBIOS name (unresolvable here), then the address dialled.
    expect(offered.map((a) => a.binding)).toEqual([`FILESRV01[${server.objects.port}]`, `127.0.0.1[${server.objects.port}]`]);
    expect(c.exporter).toEqual({ host: '127.0.0.1', port: server.objects.port, binding: `127.0.0.1[${server.objects.port}]` });
    expect((await c.queryVolumesSupportedForSnapshots().toArray()).length).toBeGreaterThan(0);
  } finally {
    await c.close();
  }
});

test('no reachable binding, or no host at all, is a ConnectionError naming what was tried', async () => {
  const dead = await closedPort();
  const before = server.exporter.objectCount;
  const e = await ScmpClient.connect(opts({ exporterAddresses: () => [{ host: '127.0.0.1', port: dead, binding: `127.0.0.1[${dead}]` }] })).catch((x) => x);
  expect(e).toBeInstanceOf(ConnectionError);
  expect(e.attempts.map((a: { target: string }) => a.target)).toEqual([`127.0.0.1[${dead}]`]);
  expect(e.message).toContain(`127.0.0.1[${dead}]`);
  // The activated object is not leaked: the client never held a channel to release it on, so
  // it is the server's garbage collection that reclaims it (not pinged).
  expect(server.exporter.objectCount).toBe(before + 1);

  const h = await ScmpClient.connect(opts({ port: dead })).catch((x) => x);
  expect(h).toBeInstanceOf(ConnectionError);
  expect(h.message).toContain(`127.0.0.1:${dead}`);
});

test('a host that accepts the connection but never answers is a TimeoutError', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => sockets.push(s.resume())); // flowing, so that the client's close is seen
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const e = await ScmpClient.connect(opts({ port: (silent.address() as net.AddressInfo).port, timeoutMs: 200 })).catch((x) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.message).toMatch(/activation/);
    // The client closed the connection it gave up on (else this waits until the test times out).
    if (!sockets[0]!.closed) await once(sockets[0]!, 'close');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

describe('pinging', () => {
  let short: Awaited<ReturnType<typeof testServer>>;
  beforeAll(async () => {
    // Objects nobody pings for 2 × 100 ms are reclaimed.
    short = await testServer({ accounts: [parseAccountSpec(`${ADMIN.user}:${ADMIN.password}:admin`)], exporter: { pingPeriodMs: 100, missedPings: 2 } });
  });
  afterAll(() => short?.close());
  const at = (pingPeriodMs: number) => ({ host: short.host, port: short.port, ...ADMIN, pingPeriodMs });
  /** Waits until the server has had more than three of its ping periods to collect. */
  const outlive = async () => {
    for (let i = 0; i < 4; i++) await new Promise((r) => setTimeout(r, 100));
  };

  test('a client connected longer than three ping periods keeps its objects', async () => {
    const c = await ScmpClient.connect(at(40));
    try {
      await c.getProviderMgmtInterface(); // a second object, added to the ping set later
      await outlive();
      expect((await c.queryVolumesSupportedForSnapshots().toArray()).length).toBeGreaterThan(0);
      expect((await c.queryDiffAreasForVolume(D).toArray()).length).toBe(1);
    } finally {
      await c.close();
    }
    expect(short.exporter.objectCount).toBe(0);
  });

  test('without pinging, the same wait loses them (what the pings prevent)', async () => {
    const c = await ScmpClient.connect(at(0));
    try {
      await outlive();
      const e = await c.queryVolumesSupportedForSnapshots().toArray().catch((x) => x);
      expect(e.status ?? e.hr).toBe(0x80010108); // RPC_E_DISCONNECTED: the object was reclaimed
    } finally {
      await c.close();
    }
  });
});
