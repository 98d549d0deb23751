/**
 * Every object interface goes through src/dcom/dispatcher.ts: over TCP, for every method of
 * every interface the object exporter serves, an unknown IPID, no IPID and the IPID of
 * another interface are the same fault, a bad ORPCTHIS the same refusal, a non-administrator
 * the same E_ACCESSDENIED, in the same order. An interface added later is in these loops
 * without a line here; one that bypasses the dispatcher fails them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RpcClient, RpcFaultError } from '../../src/client/rpc-client.js';
import { AUTH_LEVEL, PFC } from '../../src/dcerpc/constants.js';
import type { MethodDecl } from '../../src/dcerpc/interface.js';
import type { ServedInterface } from '../../src/dcerpc/registry.js';
import { isDispatched } from '../../src/dcom/dispatcher.js';
import { DCOM_E, IID_IRemUnknown, IID_IRemUnknown2, IID_IUnknown, type ComObject } from '../../src/dcom/exporter.js';
import { COM_VERSION } from '../../src/dcom/orpc.js';
import { mgmt } from '../../src/interfaces/mgmt/idl.js';
import { silentLogger } from '../../src/log.js';
import { GUID_NULL, ndrDecode } from '../../src/ndr/index.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { orpcThis } from '../helpers/dcom.js';
import { ADMIN, USER, ntlm } from '../helpers/security.js';
import { testServer } from '../helpers/server.js';

let server: Awaited<ReturnType<typeof testServer>>;
let admin: RpcClient;
let user: RpcClient;
/** The object interfaces, each with its context id on both connections and a live IPID of its own. */
let ifaces: { served: ServedInterface; contextId: number; ipid: string }[];

/** An object that answers every IID, so each interface can have an IPID without running anything. */
const ANYTHING: ComObject = { clsid: GUID_NULL, supports: () => true };

async function bindAll(creds: typeof ADMIN): Promise<RpcClient> {
  const c = await RpcClient.connect(server.host, server.objects.port);
  const [first, ...rest] = ifaces;
  await c.bindInterface(first!.served.decl, { auth: { ctx: ntlm(creds), level: AUTH_LEVEL.pkt_integrity } });
  // One new context per PDU, as Windows accepts them.
  for (const i of rest) {
    const [r] = await c.alterContext([{ contextId: i.contextId, abstractSyntax: { uuid: i.served.decl.uuid, major: 0, minor: 0 } }]);
    expect(r!.result).toBe(0);
  }
  return c;
}

beforeAll(async () => {
  server = await testServer({
    log: silentLogger,
    accounts: [parseAccountSpec(`${ADMIN.user}:${ADMIN.password}:admin`), parseAccountSpec(`${USER.user}:${USER.password}:user`)],
  });
  const { oid } = server.exporter.exportObject(ANYTHING, 'dispatcher test')!;
  const served = server.objects.registry.list().filter((s) => s.decl.uuid !== mgmt.uuid);
  ifaces = served.map((s, contextId) => ({
    served: s,
    contextId,
    ipid: s.decl.uuid === IID_IRemUnknown || s.decl.uuid === IID_IRemUnknown2 ? server.exporter.ipidRemUnknown : server.exporter.marshal(oid, s.decl.uuid, 5)!.ipid,
  }));
  admin = await bindAll(ADMIN);
  user = await bindAll(USER);
});

afterAll(async () => {
  await admin?.close();
  await user?.close();
  await server?.close();
});

/** Any size_is or length_is reads 0 while a zero value is decoded. */
const ZERO_SCOPE = new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? 0 : undefined) });
const zeroOf = (t: MethodDecl['request']) => ndrDecode(t, Buffer.alloc(2 * t.minSize + 64), true, ZERO_SCOPE) as Record<string, unknown>;

const EMPTY_STD = { flags: 0, cPublicRefs: 0, oxid: 0n, oid: 0n, ipid: GUID_NULL };

/**
 * Requests with one entry in each array where a refusal answers one entry per request entry
 * (IRemUnknown's, docs/decisions.md); with their refusal for `hr`.
 */
const ONE_ENTRY: Record<string, { args: Record<string, unknown>; refused: (hr: number) => Record<string, unknown> }> = {
  RemQueryInterface: { args: { cRefs: 1, cIids: 1, iids: [IID_IUnknown] }, refused: (hr) => ({ ppQIResults: [{ hResult: hr, std: EMPTY_STD }] }) },
  RemAddRef: { args: { cInterfaceRefs: 1, InterfaceRefs: [{ ipid: GUID_NULL, cPublicRefs: 1, cPrivateRefs: 0 }] }, refused: (hr) => ({ pResults: [hr] }) },
  RemQueryInterface2: { args: { cIids: 1, iids: [IID_IUnknown] }, refused: (hr) => ({ phr: [hr], ppMIF: [null] }) },
};

function argsFor(m: MethodDecl, ORPCthis: unknown): Record<string, unknown> {
  return { ...zeroOf(m.request), ...ONE_ENTRY[m.name]?.args, ORPCthis };
}

/** What a refused call answers: ORPCTHAT without extensions, every out-parameter zero, `hr`. */
function refusal(m: MethodDecl, hr: number): Record<string, unknown> {
  return { ...zeroOf(m.response), ...ONE_ENTRY[m.name]?.refused(hr), ORPCthat: { flags: 0, extensions: null }, hr };
}

function methods(): { iface: (typeof ifaces)[number]; m: MethodDecl; label: string }[] {
  return ifaces.flatMap((iface) =>
    iface.served.decl.opnums.flatMap((m) => (m ? [{ iface, m, label: `${iface.served.decl.name}.${m.name}` }] : [])),
  );
}

/** The call's answer, or its fault as { fault, didNotExecute }. */
async function answer(c: RpcClient, contextId: number, m: MethodDecl, args: unknown, object: string | undefined): Promise<unknown> {
  try {
    return await c.call(contextId, m, args as never, object === undefined ? {} : { object });
  } catch (e) {
    if (!(e instanceof RpcFaultError)) throw e;
    return { fault: e.status, didNotExecute: (e.flags & PFC.DID_NOT_EXECUTE) !== 0 };
  }
}

const DISCONNECTED = { fault: DCOM_E.RPC_E_DISCONNECTED, didNotExecute: true };
const badVersions = [
  { ...COM_VERSION, MajorVersion: 4 },
  { ...COM_VERSION, MajorVersion: 6 },
  { ...COM_VERSION, MinorVersion: COM_VERSION.MinorVersion + 1 },
];

/** Runs `f` for every method of every object interface and compares all answers at once. */
async function forEveryMethod(f: (x: ReturnType<typeof methods>[number]) => Promise<{ got: unknown; want: unknown }>) {
  const got: Record<string, unknown> = {};
  const want: Record<string, unknown> = {};
  for (const x of methods()) {
    const r = await f(x);
    got[x.label] = r.got;
    want[x.label] = r.want;
  }
  expect(Object.keys(got).length).toBeGreaterThanOrEqual(20);
  expect(got).toEqual(want);
}

describe('the object exporter serves only dispatched interfaces', () => {
  test('every interface on its endpoint but the management interface comes from the dispatcher', () => {
    const names = ifaces.map((i) => i.served.decl.name);
    expect(names).toEqual(expect.arrayContaining(['IRemUnknown', 'IRemUnknown2', 'IVssSnapshotMgmt', 'IVssDifferentialSoftwareSnapshotMgmt', 'IVssEnumObject', 'IVssEnumMgmtObject']));
    expect(ifaces.filter((i) => !isDispatched(i.served)).map((i) => i.served.decl.name)).toEqual([]);
  });
});

describe('the IPID: a fault RPC_E_DISCONNECTED with PFC_DID_NOT_EXECUTE on every method', () => {
  test('an unknown IPID', async () => {
    await forEveryMethod(async ({ iface, m }) => ({ got: await answer(admin, iface.contextId, m, argsFor(m, orpcThis()), randomUUID()), want: DISCONNECTED }));
  });

  test('no object UUID at all', async () => {
    await forEveryMethod(async ({ iface, m }) => ({ got: await answer(admin, iface.contextId, m, argsFor(m, orpcThis()), undefined), want: DISCONNECTED }));
  });

  test('a live IPID of another interface (the wrong IID)', async () => {
    await forEveryMethod(async ({ iface, m }) => {
      const other = ifaces.find((i) => i.ipid !== iface.ipid)!;
      return { got: await answer(admin, iface.contextId, m, argsFor(m, orpcThis()), other.ipid), want: DISCONNECTED };
    });
  });

  test('the IPID is checked before ORPCTHIS', async () => {
    await forEveryMethod(async ({ iface, m }) => ({
      got: await answer(admin, iface.contextId, m, argsFor(m, { ...orpcThis(1), version: badVersions[0] }), randomUUID()),
      want: DISCONNECTED,
    }));
  });
});

describe('ORPCTHIS: the method refused with its HRESULT, out-parameters zero, on every method', () => {
  for (const version of badVersions) {
    test(`COM version ${version.MajorVersion}.${version.MinorVersion}: RPC_E_VERSION_MISMATCH`, async () => {
      await forEveryMethod(async ({ iface, m }) => ({
        got: await answer(admin, iface.contextId, m, argsFor(m, { ...orpcThis(), version }), iface.ipid),
        want: refusal(m, DCOM_E.RPC_E_VERSION_MISMATCH),
      }));
    });
  }

  test('any flag: RPC_E_INVALID_HEADER', async () => {
    await forEveryMethod(async ({ iface, m }) => ({ got: await answer(admin, iface.contextId, m, argsFor(m, orpcThis(1)), iface.ipid), want: refusal(m, DCOM_E.RPC_E_INVALID_HEADER) }));
  });

  test('ORPCTHIS is checked before the caller', async () => {
    await forEveryMethod(async ({ iface, m }) => ({
      got: await answer(user, iface.contextId, m, argsFor(m, { ...orpcThis(), version: badVersions[0] }), iface.ipid),
      want: refusal(m, DCOM_E.RPC_E_VERSION_MISMATCH),
    }));
  });
});

describe('the caller: the policy decides, the dispatcher answers', () => {
  // IRemUnknown too (issue 18, defect 7): the process's access check covers its remote unknown.
  test('a non-administrator gets E_ACCESSDENIED on every method of every object interface, IRemUnknown(2) included, refused like any other failure', async () => {
    await forEveryMethod(async ({ iface, m }) => {
      const got = await answer(user, iface.contextId, m, argsFor(m, orpcThis()), iface.ipid);
      return { got, want: refusal(m, DCOM_E.E_ACCESSDENIED) };
    });
  });
});

describe('no MS-SCMP handler checks for itself', () => {
  // What only the dispatcher may touch: the call's object UUID, ORPCTHIS and ORPCTHAT, the
  // checks themselves, the policy, the exporter's tables, faults.
  const forbidden = [/\bcall\.object\b/, /\bORPCthis\b/, /\bORPCthat\b/, /NO_EXTENSIONS_THAT/, /checkOrpcThis|checkComVersion/, /allowsCaller/, /\bObjectExporter\b/, /\.lookup\(/, /RpcFault/];
  const dir = new URL('../../src/interfaces/scmp/', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    test(file, () => {
      const code = readFileSync(new URL(file, dir), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(forbidden.filter((re) => re.test(code)).map(String)).toEqual([]);
    });
  }
});
