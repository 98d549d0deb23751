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
