/**
 * Client-side DCOM: proxies over one channel to the object exporter. A proxy opens its
 * interface's presentation context on first use, its calls carry ORPCTHIS and lose
 * ORPCTHAT, returned interface pointers become proxies, failing HRESULTs are typed errors
 * with their names, and closing the channel gives every reference back.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { activate } from '../../src/client/activation.js';
import { DcomChannel, HResultError } from '../../src/client/dcom.js';
import { AUTH_LEVEL } from '../../src/dcerpc/constants.js';
import { GUID_NULL } from '../../src/ndr/guid.js';
import { CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt } from '../../src/interfaces/scmp/class.js';
import { IVssDifferentialSoftwareSnapshotMgmt, IVssEnumMgmtObject, IVssSnapshotMgmt } from '../../src/interfaces/scmp/idl.js';
import { IID_IVssDifferentialSoftwareSnapshotMgmt, VSS_SYSTEM_PROVIDER_ID } from '../../src/interfaces/scmp/types.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { NtlmRpcClientContext } from '../../src/security/ntlm/rpc.js';
import { testServer } from '../helpers/server.js';

const CREDS = { user: 'alice', password: 'Wonder-Land-1', domain: '' };
let server: Awaited<ReturnType<typeof testServer>>;
beforeAll(async () => {
  server = await testServer({ accounts: [parseAccountSpec(`${CREDS.user}:${CREDS.password}:admin`)] });
});
afterAll(() => server?.close());

const auth = () => ({ ctx: new NtlmRpcClientContext(CREDS), level: AUTH_LEVEL.pkt_privacy });

async function open() {
  const a = await activate(server.host, server.port, auth(), CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt);
  expect(a.hr).toBe(0);
  const ch = await DcomChannel.open({ host: server.host, port: server.objects.port, auth: auth(), ipidRemUnknown: a.ipidRemUnknown });
  return { ch, mgmt: ch.proxy(IVssSnapshotMgmt, a.ipid, a.cPublicRefs) };
}

/** Whether the exporter still serves `ipid`: a released object answers RPC_E_DISCONNECTED. */
async function alive(ipid: string): Promise<boolean> {
  const { ch, mgmt } = await open();
  const stale = ch.proxy(IVssSnapshotMgmt, ipid, 0);
  const r = await stale.call('QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 }).then(
    () => true,
    (e) => {
      expect(e.status).toBe(0x80010108);
      return false;
    },
  );
  await mgmt.release();
  await ch.close();
  return r;
}

test('calls by name, enumerators as proxies, every reference given back at close', async () => {
  const { ch, mgmt } = await open();
  const r = await mgmt.call('QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 });
  expect(r.hr).toBe(0);
  expect('ORPCthat' in r).toBe(false);
  const e = ch.unmarshal(IVssEnumMgmtObject, r.ppEnum)!;
  const names: string[] = [];
  for (;;) {
    const batch = await e.call('Next', { celt: 2 });
    for (const item of batch.rgelt) names.push((item as any).Obj.value.m_pwszVolumeName);
    if (batch.hr === 1) break; // S_FALSE: the end
  }
  expect(names.length).toBeGreaterThan(1);
  expect(new Set(names).size).toBe(names.length);

  const g = await mgmt.call('GetProviderMgmtInterface', { ProviderId: VSS_SYSTEM_PROVIDER_ID, InterfaceId: IID_IVssDifferentialSoftwareSnapshotMgmt });
  const diff = ch.unmarshal(IVssDifferentialSoftwareSnapshotMgmt, g.ppItf)!;
  expect(diff.ipid).not.toBe(mgmt.ipid);
  expect(await alive(mgmt.ipid)).toBe(true);

  await ch.close();
  // Every reference was given back: the objects are gone from the exporter.
  for (const p of [mgmt, e, diff]) expect(await alive(p.ipid), p.decl.name).toBe(false);
});

test('a failing HRESULT is an HResultError with its name; the channel goes on', async () => {
  const { ch, mgmt } = await open();
  const e = await mgmt.call('GetProviderMgmtInterface', { ProviderId: GUID_NULL, InterfaceId: IID_IVssDifferentialSoftwareSnapshotMgmt }).catch((x) => x);
  expect(e).toBeInstanceOf(HResultError);
  expect(e.hr).toBe(0x80042304);
  expect(e.message).toMatch(/VSS_E_PROVIDER_NOT_REGISTERED/);
  expect((await mgmt.call('QueryVolumesSupportedForSnapshots', { ProviderId: VSS_SYSTEM_PROVIDER_ID, lContext: 0 })).hr).toBe(0);
  await ch.close();
});

test('a released proxy gives its references back at once; release is idempotent', async () => {
  const { ch, mgmt } = await open();
  await mgmt.release();
  await mgmt.release();
  expect(mgmt.publicRefs).toBe(0);
  expect(await alive(mgmt.ipid)).toBe(false);
  await ch.close();
});
