/**
 * Issue 18, defect 7: IRemUnknown is inside the object exporter's access check. A caller with
 * role user, holding the IPID of an administrator's object, could RemQueryInterface,
 * RemAddRef and RemRelease it (and so disconnect it); Windows checks every call into the
 * process against its access permission, the remote unknown included.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { RpcClient } from '../../src/client/rpc-client.js';
import { AUTH_LEVEL } from '../../src/dcerpc/constants.js';
import { DCOM_E, IID_IUnknown } from '../../src/dcom/exporter.js';
import { IRemUnknown, IRemUnknown2 } from '../../src/interfaces/remunknown/idl.js';
import { IID_IVssSnapshotMgmt } from '../../src/interfaces/scmp/class.js';
import { IVssSnapshotMgmt } from '../../src/interfaces/scmp/snapshot-mgmt.js';
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
  });
});
afterAll(() => server.close());

const QVS = { ProviderId: 'b5946137-7b9f-4925-af80-51abd60b20d5', lContext: 0 };

test("a user-role caller cannot release, add to or query an administrator's object; the object keeps working", async () => {
  const obj = await activate(server.host, server.port, ADMIN);
  expect(obj.hr).toBe(0);
  const admin = await RpcClient.connect(server.host, server.objects.port);
  await admin.bindInterface(IVssSnapshotMgmt, { auth: { ctx: ntlm(ADMIN), level: AUTH_LEVEL.pkt_integrity } });
  const use = () => admin.call(0, IVssSnapshotMgmt.methods.QueryVolumesSupportedForSnapshots, { ORPCthis: orpcThis(), ...QVS }, { object: obj.ipid });
  expect((await use()).hr).toBe(0);

  const at = { object: server.exporter.ipidRemUnknown };
  const user = await remUnknown(server.host, server.objects.port, USER);
  // The attack of the issue: release every reference the administrator holds.
  const rel = await user.call(0, IRemUnknown.methods.RemRelease, { ORPCthis: orpcThis(), cInterfaceRefs: 1, InterfaceRefs: [{ ipid: obj.ipid, cPublicRefs: 100, cPrivateRefs: 0 }] }, at);
  expect(rel.hr).toBe(DCOM_E.E_ACCESSDENIED);
  const add = await user.call(0, IRemUnknown.methods.RemAddRef, { ORPCthis: orpcThis(), cInterfaceRefs: 1, InterfaceRefs: [{ ipid: obj.ipid, cPublicRefs: 1, cPrivateRefs: 0 }] }, at);
  expect(add.hr).toBe(DCOM_E.E_ACCESSDENIED);
  expect(add.pResults).toEqual([DCOM_E.E_ACCESSDENIED]);
  const qi = await user.call(0, IRemUnknown.methods.RemQueryInterface, { ORPCthis: orpcThis(), ripid: obj.ipid, cRefs: 1, cIids: 1, iids: [IID_IUnknown] }, at);
  expect(qi.hr).toBe(DCOM_E.E_ACCESSDENIED);
  expect(qi.ppQIResults.map((r: { hResult: number }) => r.hResult)).toEqual([DCOM_E.E_ACCESSDENIED]);
  await user.close();

  // IRemUnknown2 is the same object under another IID: refused as well.
  const user2 = await RpcClient.connect(server.host, server.objects.port);
  await user2.bindInterface(IRemUnknown2, { auth: { ctx: ntlm(USER), level: AUTH_LEVEL.pkt_integrity } });
  const rel2 = await user2.call(0, IRemUnknown2.methods.RemRelease, { ORPCthis: orpcThis(), cInterfaceRefs: 1, InterfaceRefs: [{ ipid: obj.ipid, cPublicRefs: 100, cPrivateRefs: 0 }] }, at);
  expect(rel2.hr).toBe(DCOM_E.E_ACCESSDENIED);
  const qi2 = await user2.call(0, IRemUnknown2.methods.RemQueryInterface2, { ORPCthis: orpcThis(), ripid: obj.ipid, cIids: 1, iids: [IID_IVssSnapshotMgmt] }, at);
  expect(qi2.hr).toBe(DCOM_E.E_ACCESSDENIED);
  await user2.close();

  // The administrator's object is still there, and the administrator may still release it.
  expect((await use()).hr).toBe(0);
  const own = await remUnknown(server.host, server.objects.port, ADMIN);
  expect((await own.call(0, IRemUnknown.methods.RemRelease, { ORPCthis: orpcThis(), cInterfaceRefs: 1, InterfaceRefs: [{ ipid: obj.ipid, cPublicRefs: 5, cPrivateRefs: 0 }] }, at)).hr).toBe(0);
  const gone = await use().catch((x) => x);
  expect(gone.status).toBe(DCOM_E.RPC_E_DISCONNECTED);
  await own.close();
  await admin.close();
});
