import { method, rpcInterface } from '../../src/dcerpc/interface.js';
import { implement, InterfaceRegistry } from '../../src/dcerpc/registry.js';
import { RpcServer } from '../../src/dcerpc/server.js';
import type { Authorizer, SecurityProvider } from '../../src/dcerpc/auth.js';
import type { RpcSettings } from '../../src/dcerpc/settings.js';
import { serveEpm } from '../../src/interfaces/epm/server.js';
import { serveMgmt } from '../../src/interfaces/mgmt/server.js';
import { silentLogger } from '../../src/log.js';
import { GUID, GUID_NULL, conformantBytes, u32, unique, wstring } from '../../src/ndr/index.js';

/** A test-only interface: echoes stubs of any size, adds numbers, answers late. */
export const echo = rpcInterface({
  name: 'echo',
  uuid: '5b1b0c8e-1f5e-4c1e-9a4b-2d8f3c7a6e01',
  version: [1, 0],
  methods: {
    echo: method(0, 'echo', { len: u32, data: conformantBytes({ sizeIs: (s) => s.len }) }, { len: u32, data: conformantBytes({ sizeIs: (s) => s.len }) }),
    add: method(1, 'add', { a: u32, b: u32 }, { sum: u32 }),
    slow: method(2, 'slow', { ms: u32, tag: u32 }, { tag: u32 }),
    whoami: method(3, 'whoami', {}, { object: GUID }),
    caller: method(4, 'caller', {}, { user: unique(wstring), level: u32 }),
    stubSize: method(5, 'stubSize', { len: u32, data: conformantBytes({ sizeIs: (s) => s.len }) }, { stubLength: u32 }),
  },
});

export interface EchoServerOptions {
  security?: SecurityProvider;
  authorize?: Authorizer;
}

export async function echoServer(settings: Partial<RpcSettings> = {}, opts: EchoServerOptions = {}) {
  const rpc = new RpcServer({ settings, log: silentLogger, ...opts });
  const registry = new InterfaceRegistry();
  registry
    .add(
      implement(echo, {
        echo: (a) => ({ len: a.len, data: a.data }),
        add: (a) => ({ sum: (a.a + a.b) >>> 0 }),
        slow: (a) => new Promise((resolve) => setTimeout(() => resolve({ tag: a.tag }), Math.min(a.ms, 1000))),
        whoami: (_a, call) => ({ object: call.object ?? GUID_NULL }),
        caller: (_a, call) => ({ user: call.auth ? call.auth.identity.user : null, level: call.auth?.level ?? 1 }),
        stubSize: (_a, call) => ({ stubLength: call.stubLength }),
      }),
    )
    .add(serveMgmt({ stats: rpc.stats, principalName: () => undefined }))
    .add(
      serveEpm(() =>
        rpc.endpoints.flatMap((ep) =>
          ep.registry.list().map((s) => ({ iface: { uuid: s.decl.uuid, major: s.decl.major, minor: s.decl.minor }, port: ep.port, annotation: s.annotation })),
        ),
      ),
    );
  const ep = await rpc.listen('test', registry, ['127.0.0.1'], 0);
  return { rpc, host: '127.0.0.1', port: ep.port, close: () => rpc.close() };
}
