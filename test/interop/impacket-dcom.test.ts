import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { runPython } from '../helpers/python.js';
import { testServer } from '../helpers/server.js';
import { dissect, startCapture, type Capture } from '../helpers/tshark.js';

const SCRIPT = fileURLToPath(new URL('./impacket_dcom.py', import.meta.url));

let server: Awaited<ReturnType<typeof testServer>>;
let capture: Capture;
const out: Record<string, any> = {};

beforeAll(async () => {
  server = await testServer({
    log: silentLogger,
    accounts: [parseAccountSpec('alice:Wonder-Land-1:admin'), parseAccountSpec('bob:Builder-2:user')],
  });
  capture = await startCapture([server.port, server.objects.port]);
  for (const [name, level] of [
    ['integrity', '5'],
    ['privacy', '6'],
  ]) {
    out[name!] = await runPython(SCRIPT, [server.host, String(server.port), 'alice', 'Wonder-Land-1', level!, 'bob', 'Builder-2']);
  }
  await capture.stop();
}, 120_000);
afterAll(() => server?.close());

for (const level of ['integrity', 'privacy']) {
  test(`impacket CoCreateInstanceEx(CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt) at ${level}, then IRemUnknown on the exporter`, () => {
    const r = out[level];
    expect(r.activated).toBe(true);
    expect(r.qi_iunknown).toBe(true);
    expect(r.qi_snapshot_mgmt).toBe(true);
    expect(r.qi_other).toMatch(/E_NOINTERFACE/);
    expect(r.addref).toBe(0);
    expect(r.release).toEqual([0, 0, 0, 0, 0, 0, 0]);
    // After the last release the interface pointer is gone.
    expect(r.after_release).toMatch(/RPC_E_INVALID_OBJECT/);
  });

  test(`activation refusals at ${level}: unknown CLSID, non-administrator`, () => {
    expect(out[level].unknown_clsid).toMatch(/REGDB_E_CLASSNOTREG/);
    expect(out[level].not_admin).toMatch(/E_ACCESSDENIED/);
  });

  test(`IActivation::RemoteActivation and an anonymous ServerAlive2 at ${level}`, () => {
    expect(out[level].remote_activation).toBe(true);
    expect(out[level].server_alive2.map((s: string) => s.replace(/\0$/, ''))).toEqual(['FILESRV01', '127.0.0.1']);
  });
}

test('tshark dissects the activation sessions (activator, OXID resolver, IRemUnknown; privacy decrypted): no malformed packets, no expert errors', async () => {
  const d = await dissect(capture.file, [server.port, server.objects.port], ['-o', 'ntlmssp.nt_password:Wonder-Land-1']);
  const text = d.summary.join('\n');
  expect(text).toMatch(/RemoteCreateInstance response/);
  expect(text).toMatch(/ServerAlive2 response/);
  expect(text).toMatch(/RemQueryInterface response/);
  expect(d.malformed).toBe(0);
  expect(d.errors, d.expert).toBe(0);
});
