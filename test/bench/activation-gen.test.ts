import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildActivationGenerator, runActivations, type ActivationGenerator } from '../../bench/activation-gen.js';
import { activate, release } from '../../src/client/activation.js';
import { AUTH_LEVEL } from '../../src/dcerpc/constants.js';
import { CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt } from '../../src/interfaces/scmp/class.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { NtlmRpcClientContext } from '../../src/security/ntlm/rpc.js';
import { testServer } from '../helpers/server.js';
import { requirePackage } from '../helpers/prerequisites.js';

/**
 * The activation load generator does real activations: scmpd accepts its NTLMv2 handshakes
 * (NTProofStr, key exchange and MIC checked), its signed requests (signatures checked), and
 * every reference it is handed goes back by RemRelease (the exporter ends empty). Its MD5,
 * HMAC and RC4 are the C program's own, so these are their test vectors too. Counts, never
 * speeds.
 */
const ACCOUNT = { user: 'bench', password: 'Bench-Pass-1', domain: '' };
let dir: string;
let gen: ActivationGenerator;
let server: Awaited<ReturnType<typeof testServer>>;
let ipidRemUnknown: string;

beforeAll(async () => {
  requirePackage('gcc');
  requirePackage('libc6-dev');
  dir = mkdtempSync(join(tmpdir(), 'scmp-actgen-test-'));
  const built = buildActivationGenerator(dir);
  if (typeof built === 'string') throw new Error(built);
  gen = built;
  server = await testServer({ accounts: [parseAccountSpec(`${ACCOUNT.user}:${ACCOUNT.password}:admin`)] });
  const auth = () => ({ ctx: new NtlmRpcClientContext(ACCOUNT), level: AUTH_LEVEL.pkt_integrity });
  const a = await activate('127.0.0.1', server.port, auth(), CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt, 'FILESRV01');
  expect(await release('127.0.0.1', server.objects.port, auth(), a)).toBe(0);
  ipidRemUnknown = a.ipidRemUnknown;
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bench activation generator', () => {
  it('says why there is none without a compiler (the benchmark then keeps the Node client\'s figure alone)', () => {
    const none = buildActivationGenerator(dir, join(dir, 'no-such-compiler'));
    expect(typeof none).toBe('string');
    expect(none).toMatch(/no compiler|failed/);
  });

  it('activates and releases, every handshake and signature accepted, and leaves no object behind', async () => {
    const r = await runActivations(gen, join(dir, 'script'), { ...ACCOUNT, ipidRemUnknown, serverName: 'FILESRV01' }, '127.0.0.1', server.port, server.objects.port, 4, 400, 50);
    expect(r.errors).toBe(0);
    expect(r.firstError).toBeUndefined();
    expect(r.cycles).toBeGreaterThan(0);
    expect(r.allCycles).toBeGreaterThanOrEqual(r.cycles);
    expect(r.hist.reduce((s, [, n]) => s + n, 0)).toBe(r.cycles);
    expect(r.cpuMs).toBeGreaterThan(0);
    expect(server.exporter.objectCount).toBe(0);
  });

  it('counts every activation as failed when the password is wrong, and the server keeps nothing', async () => {
    const r = await runActivations(gen, join(dir, 'script-bad'), { ...ACCOUNT, password: 'wrong', ipidRemUnknown, serverName: 'FILESRV01' }, '127.0.0.1', server.port, server.objects.port, 2, 200, 0);
    expect(r.cycles).toBe(0);
    expect(r.errors).toBeGreaterThan(0);
    // rpc_auth_3 has no answer: the refusal is the request's fault (access denied).
    expect(r.firstError).toBe('RemoteCreateInstance: fault');
    expect(server.exporter.objectCount).toBe(0);
  });

  it('ends, with every cycle failed, against a port that accepts and never answers (each wait limited by --timeout)', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const t0 = performance.now();
      const r = await runActivations(gen, join(dir, 'script-silent'), { ...ACCOUNT, ipidRemUnknown, serverName: 'FILESRV01' }, '127.0.0.1', port, server.objects.port, 2, 500, 0, 150);
      expect(r.cycles).toBe(0);
      expect(r.errors).toBeGreaterThan(0);
      expect(r.firstError).toBe("NTLM bind on the activator's port");
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  it('fails, not hangs, against an exporter it was not told of', async () => {
    const r = await runActivations(gen, join(dir, 'script-other'), { ...ACCOUNT, ipidRemUnknown: '11111111-2222-3333-4444-555555555555', serverName: 'FILESRV01' }, '127.0.0.1', server.port, server.objects.port, 2, 200, 0);
    expect(r.cycles).toBe(0);
    expect(r.errors).toBeGreaterThan(0);
    expect(r.firstError).toBe("RemoteCreateInstance: another exporter's ipidRemUnknown");
  });
});
