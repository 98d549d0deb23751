/**
 * Scripted faults end to end: an in-process server with rules, called by ScmpClient over TCP.
 * Each action changes only the answer of the call it matches; the store stays as it was.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ConnectionError, HResultError, RpcFaultError, TimeoutError } from '../../src/client/errors.js';
import { ScmpClient, type ScmpConnectOptions } from '../../src/client/scmp.js';
import { createLogger } from '../../src/log.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { faultRuleFromJson } from '../../src/store/faults.js';
import { serializeHostModel } from '../../src/store/model-file.js';
import { VSS_E_PROVIDER_VETO, E_ACCESSDENIED, nca_s_fault_unspec, nca_s_op_rng_error, nca_s_unk_if } from '../../src/status/index.js';
import { RpcClient } from '../../src/client/rpc-client.js';
import { IObjectExporter } from '../../src/interfaces/oxid/idl.js';
import { testServer } from '../helpers/server.js';
import { EmulatedHost } from '../../src/store/emulated-host.js';
import { defaultHostModel } from '../../src/store/default-host.js';

/** testServer names the address `host`: the emulated host is kept here. */
const emulated = new EmulatedHost(defaultHostModel());

const ADMIN = { user: 'alice', password: 'Wonder-Land-1', domain: 'FILESRV01' };
const lines: Array<Record<string, any>> = [];
let server: Awaited<ReturnType<typeof testServer>>;
beforeAll(async () => {
  server = await testServer({
    emulated,
    accounts: [parseAccountSpec(`${ADMIN.user}:${ADMIN.password}:admin`)],
    log: createLogger('info', (l) => lines.push(JSON.parse(l))),
    faults: [faultRuleFromJson({ interface: 'IVssSnapshotMgmt', method: 'QueryVolumesSupportedForSnapshots', action: 'hresult', status: 'E_ACCESSDENIED', count: 1 })],
  });
});
afterAll(() => server?.close());
beforeEach(() => {
  lines.length = 0;
});

const opts = (over: Partial<ScmpConnectOptions> = {}): ScmpConnectOptions => ({ host: server.host, port: server.port, ...ADMIN, ...over });
const fired = () => lines.filter((l) => l.msg === 'scripted fault fired');
const add = (rule: Record<string, unknown>) => emulated.faults.add(faultRuleFromJson({ interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', ...rule }));
const C = 'C:\\';

async function withClient<T>(f: (c: ScmpClient) => Promise<T>, over: Partial<ScmpConnectOptions> = {}): Promise<T> {
  const c = await ScmpClient.connect(opts(over));
  try {
    return await f(c);
  } finally {
    await c.close().catch(() => {});
  }
}

const snapshotsOf = (c: ScmpClient, v = C) => c.querySnapshotsByVolume(v).toArray();
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

test('a rule given to startScmp fires on the next matching call only (count 1)', async () => {
  await withClient(async (c) => {
    const e = await failure(c.queryVolumesSupportedForSnapshots().toArray());
    expect(e).toBeInstanceOf(HResultError);
    expect((e as HResultError).hr).toBe(E_ACCESSDENIED >>> 0);
    expect((await c.queryVolumesSupportedForSnapshots().toArray()).length).toBeGreaterThan(0);
  });
  expect(fired()).toHaveLength(1);
});

describe('actions', () => {
  beforeEach(() => {
    emulated.faults.clear();
  });

  test('hresult: the method answers VSS_E_PROVIDER_VETO with its out-parameters zeroed; the store is unchanged', async () => {
    const before = JSON.stringify(serializeHostModel(server.store.model()));
    add({ action: 'hresult', status: 'VSS_E_PROVIDER_VETO', args: { pwszVolumeName: 'c:' } });
    await withClient(async (c) => {
      const e = await failure(snapshotsOf(c));
      expect(e).toBeInstanceOf(HResultError);
      expect((e as HResultError).hr).toBe(VSS_E_PROVIDER_VETO);
      expect((e as Error).message).toContain('VSS_E_PROVIDER_VETO');
      // Another volume is not matched: the real answer.
      await expect(snapshotsOf(c, 'D:\\')).resolves.toEqual(expect.any(Array));
    });
    expect(JSON.stringify(serializeHostModel(server.store.model()))).toBe(before);
    expect(fired()).toEqual([expect.objectContaining({ msg: 'scripted fault fired', rule: expect.any(Number), interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', action: 'hresult', status: 'VSS_E_PROVIDER_VETO' })]);
  });

  test('fault: a fault PDU with the status, RpcFaultError by name; the connection stays usable', async () => {
    add({ action: 'fault', status: 'nca_s_fault_unspec', count: 1 });
    await withClient(async (c) => {
      const e = await failure(snapshotsOf(c));
      expect(e).toBeInstanceOf(RpcFaultError);
      expect((e as RpcFaultError).status).toBe(nca_s_fault_unspec);
      expect((e as Error).message).toContain('nca_s_fault_unspec');
      await expect(snapshotsOf(c)).resolves.toEqual(expect.any(Array));
    });
  });

  test('fault on a port-135 interface (the activator): connecting fails with the status', async () => {
    emulated.faults.add(faultRuleFromJson({ interface: 'IRemoteSCMActivator', method: 'RemoteCreateInstance', action: 'fault', status: 'RPC_E_DISCONNECTED', count: 1 }));
    const e = await failure(ScmpClient.connect(opts()));
    expect(fired()).toEqual([expect.objectContaining({ interface: 'IRemoteSCMActivator', method: 'RemoteCreateInstance', action: 'fault' })]);
    expect(e).toBeDefined();
    expect(String(e)).toContain('RPC_E_DISCONNECTED');
  });

  test('hresult on a port-135 interface: its out-parameters zeroed, the return value set', async () => {
    emulated.faults.add(faultRuleFromJson({ interface: 'IRemoteSCMActivator', method: 'RemoteCreateInstance', action: 'hresult', status: 'E_OUTOFMEMORY', count: 1 }));
    const e = await failure(ScmpClient.connect(opts()));
    expect(String(e)).toContain('E_OUTOFMEMORY');
    expect(fired()).toEqual([expect.objectContaining({ interface: 'IRemoteSCMActivator', method: 'RemoteCreateInstance', action: 'hresult', status: 'E_OUTOFMEMORY' })]);
    await withClient(async (c) => expect(await snapshotsOf(c)).toEqual(expect.any(Array)));
  });

  test('delay: the real answer after the wait', async () => {
    await withClient(async (c) => {
      const real = await snapshotsOf(c);
      add({ action: 'delay', ms: 30, count: 1 });
      expect(await snapshotsOf(c)).toEqual(real);
      expect(fired()).toEqual([expect.objectContaining({ action: 'delay', ms: 30 })]);
    });
  });

  test('delay longer than the client waits: the client times out', async () => {
    add({ action: 'delay', ms: 120_000, count: 1 });
    const e = await withClient((c) => failure(snapshotsOf(c)), { timeoutMs: 1500 });
    expect(e).toBeInstanceOf(TimeoutError);
  });

  test('drop: the connection is reset, the client sees a connection error', async () => {
    add({ action: 'drop', count: 1 });
    const e = await withClient((c) => failure(snapshotsOf(c)));
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(HResultError);
    expect(e).not.toBeInstanceOf(RpcFaultError);
    expect(e).not.toBeInstanceOf(TimeoutError);
    expect(String((e as Error).message)).toMatch(/ECONNRESET|closed|reset/i);
    void ConnectionError;
  });

  test('hang: no answer at all, the client timeout fires; later calls on a new connection are answered', async () => {
    add({ action: 'hang', count: 1 });
    const e = await withClient((c) => failure(snapshotsOf(c)), { timeoutMs: 1500 });
    expect(e).toBeInstanceOf(TimeoutError);
    await withClient(async (c) => expect(await snapshotsOf(c)).toEqual(expect.any(Array)));
  });

  test('probability with a seed: the same calls fail on every run', async () => {
    const run = async () => {
      emulated.faults.clear();
      add({ action: 'hresult', status: 'VSS_E_PROVIDER_VETO', probability: 0.5, seed: 42 });
      return withClient(async (c) => {
        let s = '';
        for (let i = 0; i < 12; i++) s += (await failure(snapshotsOf(c))) ? 'x' : '.';
        return s;
      });
    };
    const first = await run();
    expect(await run()).toBe(first);
    expect(first).toContain('x');
    expect(first).toContain('.');
  });
});

describe('a rule by opnum, before the runtime looks the opnum up or decodes the stub', () => {
  test("an opnum the interface lacks gets the rule's fault instead of nca_s_op_rng_error; without the rule, the runtime's own", async () => {
    const rule = emulated.faults.add(faultRuleFromJson({ interface: 'IObjectExporter', opnum: 99, action: 'fault', status: 'nca_s_unk_if', count: 1 }));
    try {
      const c = await RpcClient.connect(server.host, server.port);
      try {
        await c.bindInterface(IObjectExporter);
        const first = await failure(c.request(0, 99, Buffer.alloc(0)));
        expect((first as RpcFaultError).status).toBe(nca_s_unk_if);
        const second = await failure(c.request(0, 99, Buffer.alloc(0)));
        expect((second as RpcFaultError).status).toBe(nca_s_op_rng_error);
      } finally {
        await c.close();
      }
    } finally {
      emulated.faults.remove(rule.id);
    }
    expect(fired()).toEqual([expect.objectContaining({ interface: 'IObjectExporter', opnum: 99, action: 'fault', status: 'nca_s_unk_if' })]);
  });

  test('a stub that does not decode gets the rule\'s answer (here a dropped connection), not rpc_x_bad_stub_data', async () => {
    const rule = emulated.faults.add(faultRuleFromJson({ interface: 'IObjectExporter', opnum: 0, action: 'drop' }));
    try {
      const c = await RpcClient.connect(server.host, server.port);
      await c.bindInterface(IObjectExporter);
      const e = await failure(c.request(0, 0, Buffer.alloc(3)));
      expect(e).not.toBeInstanceOf(RpcFaultError);
      expect(c.isClosed).toBe(true);
    } finally {
      emulated.faults.remove(rule.id);
    }
  });
});
