/**
 * The dispatcher and the activation plumbing of src/dcom without sockets: a handler's
 * refusals (thrown or rejected), what escapes, refusals that cannot be zeroed, the
 * bindings a client is given and the interface pointers the marshaller makes.
 */
import { describe, expect, test } from 'vitest';
import { RpcFault } from '../../src/dcerpc/fault.js';
import type { CallContext, ConnectionInfo } from '../../src/dcerpc/registry.js';
import { AUTHN_SVC, TOWER_ID } from '../../src/dcom/bindings.js';
import { clientKey } from '../../src/dcom/client-key.js';
import { ObjectDispatcher, isDispatched } from '../../src/dcom/dispatcher.js';
import { DCOM_E, ObjectExporter, type ComObject } from '../../src/dcom/exporter.js';
import { HostBindings } from '../../src/dcom/host-bindings.js';
import { dcomInterface, orpcMethod } from '../../src/dcom/interface.js';
import { Marshaller, PUBLIC_REFS } from '../../src/dcom/marshaller.js';
import { decodeObjref } from '../../src/dcom/objref.js';
import { COM_VERSION, MInterfacePointer, NO_EXTENSIONS_THAT } from '../../src/dcom/orpc.js';
import { OrpcRefusal, refuse } from '../../src/dcom/refusal.js';
import { GUID_NULL, HRESULT, range, u32, unique } from '../../src/ndr/index.js';

const IID_ITest = '11111111-2222-3333-4444-555555555555';
const ITest = dcomInterface({
  name: 'ITest',
  iid: IID_ITest,
  methods: {
    Get: orpcMethod(3, 'Get', { n: u32 }, { ppOut: unique(MInterfacePointer), count: u32, hr: HRESULT }),
    Later: orpcMethod(4, 'Later', {}, { hr: HRESULT }),
  },
});

function call(over: Partial<CallContext> & { localAddress?: string } = {}): CallContext {
  const conn = { remoteAddress: '192.0.2.7', localAddress: over.localAddress ?? '::ffff:192.0.2.1' } as unknown as ConnectionInfo;
  return { conn, callId: 1, opnum: 3, object: undefined, auth: undefined, stubLength: 0, ...over };
}

const ORPCthis = { version: { ...COM_VERSION }, flags: 0, reserved1: 0, cid: GUID_NULL, extensions: null };

function setup(impl: Record<string, (a: any, c: any) => any>) {
  const exporter = new ObjectExporter();
  const marshaller = new Marshaller(exporter, new HostBindings('FILESRV01'));
  const d = new ObjectDispatcher({ marshaller, allowsCaller: () => true }).register(ITest, impl as never);
  const object: ComObject = { clsid: GUID_NULL, supports: (iid) => iid === IID_ITest };
  const { oid } = exporter.exportObject(object, 'k')!;
  const ipid = exporter.marshal(oid, IID_ITest, 1)!.ipid;
  const [served] = d.served();
  return { served: served!, ipid, object, exporter };
}

describe('ObjectDispatcher', () => {
  test('a method gets the object its IPID names and its answer gets ORPCTHAT', () => {
    let seen: unknown;
    const { served, ipid, object } = setup({
      Get: (a, c) => {
        seen = c.target;
        return { ppOut: null, count: a.n + 1, hr: 0 };
      },
      Later: () => ({ hr: 0 }),
    });
    expect(isDispatched(served)).toBe(true);
    expect(served.handlers[3]!({ ORPCthis, n: 41 }, call({ object: ipid }))).toEqual({ ORPCthat: NO_EXTENSIONS_THAT, ppOut: null, count: 42, hr: 0 });
    expect(seen).toBe(object);
  });

  test('a thrown OrpcRefusal is the refusal: out-parameters zero, hr the failure', async () => {
    const { served, ipid } = setup({ Get: () => refuse(0x80070057), Later: async () => refuse(DCOM_E.E_OUTOFMEMORY) });
    expect(served.handlers[3]!({ ORPCthis, n: 1 }, call({ object: ipid }))).toEqual({ ORPCthat: NO_EXTENSIONS_THAT, ppOut: null, count: 0, hr: 0x80070057 });
    await expect(served.handlers[4]!({ ORPCthis }, call({ object: ipid, opnum: 4 }))).resolves.toEqual({ ORPCthat: NO_EXTENSIONS_THAT, hr: DCOM_E.E_OUTOFMEMORY });
  });

  test('any other error escapes to the runtime (a fault), and an unknown IPID is a fault before the method runs', async () => {
    let ran = false;
    const { served, ipid } = setup({
      Get: () => {
        ran = true;
        throw new TypeError('defect');
      },
      Later: async () => {
        throw new TypeError('later defect');
      },
    });
    expect(() => served.handlers[3]!({ ORPCthis, n: 1 }, call({ object: GUID_NULL }))).toThrow(RpcFault);
    expect(ran).toBe(false);
    expect(() => served.handlers[3]!({ ORPCthis, n: 1 }, call({ object: ipid }))).toThrow(TypeError);
    await expect(served.handlers[4]!({ ORPCthis }, call({ object: ipid, opnum: 4 }))).rejects.toThrow('later defect');
    expect(new OrpcRefusal(0x80004002).message).toContain('0x80004002');
  });

  test('an interface whose out-parameters have no zero form is refused at registration, not at a refused call', () => {
    const IOdd = dcomInterface({ name: 'IOdd', iid: IID_ITest, methods: { M: orpcMethod(3, 'M', {}, { n: range(u32, 1, 5), hr: HRESULT }) } });
    const d = new ObjectDispatcher({ marshaller: new Marshaller(new ObjectExporter(), new HostBindings('H')), allowsCaller: () => true });
    expect(() => d.register(IOdd, { M: () => ({ n: 1, hr: 0 }) })).toThrow(/IOdd\.M.*register a refusal/);
    expect(() => d.register(IOdd, { M: () => ({ n: 1, hr: 0 }) }, { M: (hr) => ({ n: 1, hr }) })).not.toThrow();
  });

  test('a class that lacks a method of its interface is refused at registration', () => {
    const d = new ObjectDispatcher({ marshaller: new Marshaller(new ObjectExporter(), new HostBindings('H')), allowsCaller: () => true });
    expect(() => d.register(ITest, { Get: () => ({ ppOut: null, count: 0, hr: 0 }) } as never)).toThrow(/ITest\.Later/);
  });
});

describe('activation plumbing', () => {
  test('string bindings: the host name, then the address the client dialled (IPv4-mapped unwrapped); the exporter adds its port', () => {
    const b = new HostBindings('FILESRV01');
    b.objectPort = 49700;
    const c = call();
    expect(b.resolver(c).stringBindings).toEqual([
      { towerId: TOWER_ID.ncacn_ip_tcp, networkAddr: 'FILESRV01' },
      { towerId: TOWER_ID.ncacn_ip_tcp, networkAddr: '192.0.2.1' },
    ]);
    expect(b.exporter(call({ localAddress: 'fe80::1' })).stringBindings.map((s) => s.networkAddr)).toEqual(['FILESRV01[49700]', 'fe80::1[49700]']);
    expect(b.resolver(c).securityBindings.map((s) => s.authnSvc)).toEqual([AUTHN_SVC.gss_negotiate, AUTHN_SVC.winnt]);
  });

  test('the client key is the address and the user; anonymous callers share one per address', () => {
    expect(clientKey(call())).toBe('192.0.2.7|');
    expect(clientKey(call({ auth: { identity: { user: 'alice' } } as never }))).toBe('192.0.2.7|alice');
  });

  test('exportInterface: a new object for the caller as an OBJREF_STANDARD with 5 references and the resolver bindings; undefined past the limit', () => {
    const exporter = new ObjectExporter({ pingPeriodMs: 120_000, missedPings: 3, maxObjectsPerClient: 1, maxPingSetsPerClient: 1, maxInterfacesPerObject: 4 });
    const m = new Marshaller(exporter, new HostBindings('FILESRV01'));
    const object: ComObject = { clsid: GUID_NULL, supports: () => true };
    const ptr = m.exportInterface(object, IID_ITest, call())!;
    expect(ptr.ulCntData).toBe(ptr.abData.length);
    const o = decodeObjref(ptr.abData);
    if (o.kind !== 'standard') throw new Error('not standard');
    expect(o.std.cPublicRefs).toBe(PUBLIC_REFS);
    expect(o.std.oxid).toBe(exporter.oxid);
    expect(exporter.lookup(o.std.ipid)?.object).toBe(object);
    expect(o.resolver.stringBindings.map((s) => s.networkAddr)).toEqual(['FILESRV01', '192.0.2.1']);
    expect(m.exportInterface(object, IID_ITest, call())).toBeUndefined();
  });
});
