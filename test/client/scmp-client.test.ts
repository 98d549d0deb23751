/**
 * The MS-SCMP client library end to end over TCP against an in-process server: activation
 * on the endpoint-mapper port, the object exporter reached through the reply's string
 * bindings (the server lists its NetBIOS name first, which does not resolve here, then the
 * address dialled: the client skips the first), every MS-SCMP method with typed results,
 * enumerators as async iterables released when done, typed failures, references given back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AuthenticationError, ConnectionError } from '../../src/client/errors.js';
import { HResultError } from '../../src/client/dcom.js';
import { ScmpClient, type ScmpConnectOptions } from '../../src/client/scmp.js';
import { NTOWFv1 } from '../../src/security/ntlm/crypto.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { VSS_SYSTEM_PROVIDER_ID } from '../../src/interfaces/scmp/types.js';
import { testServer } from '../helpers/server.js';

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
