/**
 * A long impacket session (issue: long sessions hang): 10,000 changes of interface on one
 * connection, each with a new presentation context and a new NTLM context at privacy, as
 * impacket's alter_ctx does. Every switch is accepted, the calls between them answered, and
 * the connection holds no more contexts than its limits while it goes on.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DEFAULT_RPC_SETTINGS } from '../../src/dcerpc/settings.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { DEBIAN_PYTHON } from '../helpers/python.js';
import { testServer } from '../helpers/server.js';

const SCRIPT = fileURLToPath(new URL('./impacket_switch.py', import.meta.url));
const SWITCHES = 10_000;

let server: Awaited<ReturnType<typeof testServer>>;
beforeAll(async () => {
  server = await testServer({ accounts: [parseAccountSpec('alice:Wonder-Land-1:admin')] });
});
afterAll(() => server?.close());

test(`${SWITCHES} switches of interface on one connection complete, within the context limits`, async () => {
  const py = spawn(DEBIAN_PYTHON, [SCRIPT, server.host, String(server.port), 'alice', 'Wonder-Land-1', String(SWITCHES)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  py.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(`impacket_switch.py ended early: ${stderr}`);
    return JSON.parse(r.value);
  };

  const run = await next();
  expect(run, stderr).toMatchObject({ switches: SWITCHES, calls: SWITCHES / 10 });
  expect(run.error).toBeUndefined();
  // While the client is still connected: what its connection holds.
  const [conn] = server.rpc.connectionStates();
  expect(conn!.presentationContexts).toBeLessThanOrEqual(DEFAULT_RPC_SETTINGS.maxContextsPerConnection);
  expect(conn!.securityContexts).toBeLessThanOrEqual(DEFAULT_RPC_SETTINGS.maxAuthContextsPerConnection);

  py.stdin.end('\n');
  const final = await next();
  expect(final).toEqual({ if_ids: expect.any(Number) });
  expect(final.if_ids).toBeGreaterThanOrEqual(2);
}, 300_000);
