import { afterAll, beforeAll, expect, test } from 'vitest';
import { RpcClient } from '../../src/client/rpc-client.js';
import { AUTH_LEVEL } from '../../src/dcerpc/constants.js';
import { DCOM_E, IID_IUnknown } from '../../src/dcom/exporter.js';
import { IObjectExporter } from '../../src/interfaces/oxid/idl.js';
import { IRemUnknown } from '../../src/interfaces/remunknown/idl.js';
import { silentLogger } from '../../src/log.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { activate, orpcThis, remUnknown } from '../helpers/dcom.js';
import { ADMIN, USER, ntlm } from '../helpers/security.js';
import { testServer } from '../helpers/server.js';

let server: Awaited<ReturnType<typeof testServer>>;
beforeAll(async () => {
  server = await testServer({
    log: silentLogger,
    accounts: [parseAccountSpec(`${ADMIN.user}:${ADMIN.password}:admin`), parseAccountSpec(`${USER.user}:${USER.password}:user`)],
    // A short ping period so that collection happens within the test.
    exporter: { pingPeriodMs: 200, missedPings: 2 },
  });
});
afterAll(() => server.close());

test('garbage collection: a pinged object survives, an unpinged one is released and its IPIDs rejected', async () => {
  const pinged = await activate(server.host, server.port);
  const lonely = await activate(server.host, server.port);
  expect(pinged.hr).toBe(0);
  expect(lonely.hr).toBe(0);
  expect(pinged.oxid).toBe(server.exporter.oxid);

  const resolver = await RpcClient.connect(server.host, server.port);
  await resolver.bindInterface(IObjectExporter, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_integrity } });
  const set = await resolver.call(0, IObjectExporter.methods.ComplexPing, {
    pSetId: 0n,
    SequenceNum: 1,
    cAddToSet: 1,
    cDelFromSet: 0,
    AddToSet: [pinged.oid],
    DelFromSet: null,
  });
  expect(set.status).toBe(0);
  expect(set.pSetId).not.toBe(0n);
  // Keep the set alive for well past period × missed pings (400 ms).
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 100));
    expect((await resolver.call(0, IObjectExporter.methods.SimplePing, { pSetId: set.pSetId })).status).toBe(0);
  }
  const unk = await remUnknown(server.host, server.objects.port);
  const qi = (ipid: string) =>
    unk.call(0, IRemUnknown.methods.RemQueryInterface, { ORPCthis: orpcThis(), ripid: ipid, cRefs: 1, cIids: 1, iids: [IID_IUnknown] }, { object: server.exporter.ipidRemUnknown });
  expect((await qi(pinged.ipid)).hr).toBe(0);
  expect((await qi(lonely.ipid)).hr).toBe(DCOM_E.RPC_E_INVALID_OBJECT);
  // A call addressed to the released object's IPID is refused too.
  const e = await unk.call(0, IRemUnknown.methods.RemRelease, { ORPCthis: orpcThis(), cInterfaceRefs: 0, InterfaceRefs: [] }, { object: lonely.ipid }).catch((x) => x);
  expect(e.status).toBe(DCOM_E.RPC_E_DISCONNECTED);
  // Once pinging stops, the pinged one goes too, and so does its set.
  await new Promise((r) => setTimeout(r, 700));
  expect((await resolver.call(0, IObjectExporter.methods.SimplePing, { pSetId: set.pSetId })).status).toBe(DCOM_E.OR_INVALID_SET);
  expect((await qi(pinged.ipid)).hr).toBe(DCOM_E.RPC_E_INVALID_OBJECT);
  await unk.close();
  await resolver.close();
});

test('a non-administrator gets E_ACCESSDENIED; an unknown CLSID REGDB_E_CLASSNOTREG', async () => {
  expect((await activate(server.host, server.port, USER)).hr).toBe(DCOM_E.E_ACCESSDENIED);
  expect((await activate(server.host, server.port, ADMIN, '01234567-89ab-cdef-0123-456789abcdef')).hr).toBe(DCOM_E.REGDB_E_CLASSNOTREG);
});

test('activation below packet integrity is refused by the policy', async () => {
  const c = await RpcClient.connect(server.host, server.port);
  const { IRemoteSCMActivator } = await import('../../src/interfaces/scm/idl.js');
  await c.bindInterface(IRemoteSCMActivator, { auth: { ctx: ntlm(), level: AUTH_LEVEL.connect } });
  const e = await c.call(0, IRemoteSCMActivator.methods.RemoteCreateInstance, { ORPCthis: orpcThis(1), pUnkOuter: null, pActProperties: null }).catch((x) => x);
  expect(e.status).toBe(5);
  await c.close();
});

test('ServerAlive2 answers anonymous callers with COM version 5.7 and the resolver bindings', async () => {
  const c = await RpcClient.connect(server.host, server.port);
  await c.bindInterface(IObjectExporter);
  const r = await c.call(0, IObjectExporter.methods.ServerAlive2, {});
  expect(r.pComVersion).toEqual({ MajorVersion: 5, MinorVersion: 7 });
  expect(r.status).toBe(0);
  const text = String.fromCharCode(...r.ppdsaOrBindings!.aStringArray);
  expect(text).toContain('FILESRV01');
  expect(text).toContain('127.0.0.1');
  await c.close();
});

test('ResolveOxid and ResolveOxid2 give the exporter bindings with its port; an unknown OXID OR_INVALID_OXID', async () => {
  const c = await RpcClient.connect(server.host, server.port);
  await c.bindInterface(IObjectExporter, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_integrity } });
  const args = { pOxid: server.exporter.oxid, cRequestedProtseqs: 1, arRequestedProtseqs: [7] };
  const r2 = await c.call(0, IObjectExporter.methods.ResolveOxid2, args);
  expect(r2.status).toBe(0);
  expect(r2.pipidRemUnknown).toBe(server.exporter.ipidRemUnknown);
  expect(r2.pComVersion).toEqual({ MajorVersion: 5, MinorVersion: 7 });
  expect(r2.pAuthnHint).toBeGreaterThanOrEqual(AUTH_LEVEL.pkt_integrity);
  const text = String.fromCharCode(...r2.ppdsaOxidBindings!.aStringArray);
  expect(text).toContain(`127.0.0.1[${server.objects.port}]`);
  expect(text).toContain(`FILESRV01[${server.objects.port}]`);
  const r1 = await c.call(0, IObjectExporter.methods.ResolveOxid, args);
  expect(r1.ppdsaOxidBindings).toEqual(r2.ppdsaOxidBindings);
  expect((await c.call(0, IObjectExporter.methods.ResolveOxid2, { ...args, pOxid: 42n })).status).toBe(DCOM_E.OR_INVALID_OXID);
  await c.close();
});

test('RemoteGetClassObject hands out the class object (IClassFactory)', async () => {
  const { IRemoteSCMActivator } = await import('../../src/interfaces/scm/idl.js');
  const { encodeActivationPropertiesIn, decodeActivationPropertiesOut } = await import('../../src/dcom/activation/blob.js');
  const { CLSID_ShadowCopyProvider } = await import('../../src/interfaces/scmp/class.js');
  const { IID_IClassFactory } = await import('../../src/dcom/classes.js');
  const c = await RpcClient.connect(server.host, server.port);
  await c.bindInterface(IRemoteSCMActivator, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_privacy } });
  const abData = encodeActivationPropertiesIn({ clsid: CLSID_ShadowCopyProvider, iids: [IID_IClassFactory, '99999999-0000-0000-0000-000000000000'], serverName: 'FILESRV01' });
  const r = await c.call(0, IRemoteSCMActivator.methods.RemoteGetClassObject, { ORPCthis: orpcThis(1), pActProperties: { ulCntData: abData.length, abData } });
  expect(r.hr).toBe(0);
  const out = decodeActivationPropertiesOut(r.ppActProperties!.abData);
  expect(out.propsOut.hresults).toEqual([0, DCOM_E.E_NOINTERFACE]);
  expect(out.propsOut.interfaces[1]).toBeNull();
  await c.close();
});

test('RemQueryInterface2 returns full OBJREFs; ORPCTHIS with a newer COM version is refused', async () => {
  const { IRemUnknown2 } = await import('../../src/interfaces/remunknown/idl.js');
  const { decodeObjref } = await import('../../src/dcom/objref.js');
  const { IID_IVssSnapshotMgmt } = await import('../../src/interfaces/scmp/class.js');
  const obj = await activate(server.host, server.port);
  const c = await RpcClient.connect(server.host, server.objects.port);
  await c.bindInterface(IRemUnknown2, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_integrity } });
  const r = await c.call(
    0,
    IRemUnknown2.methods.RemQueryInterface2,
    { ORPCthis: orpcThis(), ripid: obj.ipid, cIids: 2, iids: [IID_IVssSnapshotMgmt, '99999999-0000-0000-0000-000000000000'] },
    { object: server.exporter.ipidRemUnknown },
  );
  expect(r.hr).toBe(0);
  expect(r.phr).toEqual([0, DCOM_E.E_NOINTERFACE]);
  const objref = decodeObjref(r.ppMIF[0]!.abData);
  expect(objref).toMatchObject({ kind: 'standard', iid: IID_IVssSnapshotMgmt, std: { oid: obj.oid, ipid: obj.ipid, oxid: server.exporter.oxid } });
  expect(r.ppMIF[1]).toBeNull();
  const newer = { ...orpcThis(), version: { MajorVersion: 5, MinorVersion: 8 } };
  const v = await c.call(0, IRemUnknown2.methods.RemRelease, { ORPCthis: newer, cInterfaceRefs: 0, InterfaceRefs: [] }, { object: server.exporter.ipidRemUnknown });
  expect(v.hr).toBe(DCOM_E.RPC_E_VERSION_MISMATCH);
  await c.close();
});

test('the object exporter binds IVssSnapshotMgmt and routes calls by IPID; a released IPID is disconnected', async () => {
  const { IVssSnapshotMgmt } = await import('../../src/interfaces/scmp/snapshot-mgmt.js');
  const obj = await activate(server.host, server.port);
  const c = await RpcClient.connect(server.host, server.objects.port);
  await c.bindInterface(IVssSnapshotMgmt, { auth: { ctx: ntlm(), level: AUTH_LEVEL.pkt_privacy } });
  const args = { ORPCthis: orpcThis(), ProviderId: 'b5946137-7b9f-4925-af80-51abd60b20d5', lContext: 0 };
  const ok = await c.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, args, { object: obj.ipid });
  expect(ok.hr).toBe(0);
  expect(ok.ppEnum).not.toBeNull();
  expect((await c.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, { ...args, ORPCthis: orpcThis(1) }, { object: obj.ipid })).hr).toBe(DCOM_E.RPC_E_INVALID_HEADER);
  // The IPID of another interface, or none, is not this object's IVssSnapshotMgmt.
  const wrong = await c.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, args, { object: server.exporter.ipidRemUnknown }).catch((x) => x);
  expect(wrong.status).toBe(DCOM_E.RPC_E_DISCONNECTED);
  const unk = await remUnknown(server.host, server.objects.port);
  await unk.call(0, IRemUnknown.methods.RemRelease, { ORPCthis: orpcThis(), cInterfaceRefs: 1, InterfaceRefs: [{ ipid: obj.ipid, cPublicRefs: 5, cPrivateRefs: 0 }] }, { object: server.exporter.ipidRemUnknown });
  const gone = await c.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, args, { object: obj.ipid }).catch((x) => x);
  expect(gone.status).toBe(DCOM_E.RPC_E_DISCONNECTED);
  await unk.close();
  await c.close();
});
