/**
 * Scripted faults as an independent client and dissector see them: impacket (Debian's
 * python3-impacket) reads the vetoed answer as VSS_E_PROVIDER_VETO with a null ppEnum and
 * the fault as a DCERPCException with its status; tshark dissects every frame the server
 * sent, decrypted with the password, with no malformed packet and no expert error.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { defaultHostModel } from '../../src/store/default-host.js';
import { EmulatedHost } from '../../src/store/emulated-host.js';
import { faultRuleFromJson } from '../../src/store/faults.js';
import { serializeHostModel } from '../../src/store/model-file.js';
import { VSS_E_PROVIDER_VETO } from '../../src/status/index.js';
import { runPython } from '../helpers/python.js';
import { testServer } from '../helpers/server.js';
import { dissect, startCapture, type Capture } from '../helpers/tshark.js';

const SCRIPT = fileURLToPath(new URL('./impacket_faults.py', import.meta.url));
const PASSWORD = 'Wonder-Land-1';
const emulated = new EmulatedHost(defaultHostModel());
let server: Awaited<ReturnType<typeof testServer>>;
let capture: Capture;
let out: Record<string, any>;
let before: string;

beforeAll(async () => {
  server = await testServer({ emulated, accounts: [parseAccountSpec(`alice:${PASSWORD}:admin`)] });
  const rule = (volume: string, r: Record<string, unknown>) =>
    emulated.faults.add(faultRuleFromJson({ interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', args: { pwszVolumeName: volume }, count: 1, ...r }));
  rule('c:', { action: 'hresult', status: 'VSS_E_PROVIDER_VETO' });
  rule('D:', { action: 'fault', status: 'nca_s_fault_unspec' });
  rule('E:', { action: 'drop' });
  before = serializeHostModel(emulated.store.model());
  capture = await startCapture([server.port, server.objects.port]);
  try {
    out = await runPython(SCRIPT, [server.host, String(server.port), 'alice', PASSWORD]);
  } finally {
    await capture.stop();
  }
}, 90_000);
afterAll(() => server?.close());

test('impacket reads each scripted answer as Windows would send it', () => {
  expect(out.veto).toEqual({ hr: VSS_E_PROVIDER_VETO, enum: false });
  expect(out.after_veto).toEqual({ hr: 0, enum: true });
  expect(out.fault.fault).toContain('nca_s_fault_unspec');
  // The connection reset (RST), not ended: impacket's recv raises instead of waiting.
  expect(out.drop).toEqual({ error: 'ConnectionResetError' });
  expect(emulated.faults.list().map((r) => r.fired)).toEqual([1, 1, 1]);
  expect(serializeHostModel(emulated.store.model())).toBe(before);
});

test('tshark dissects every frame, decrypted, with no malformed packet and no expert error', async () => {
  const d = await dissect(capture.file, [server.port, server.objects.port], ['-o', `ntlmssp.nt_password:${PASSWORD}`]);
  const text = d.summary.join('\n');
  expect(text).toMatch(/Fault/);
  expect(d.malformed).toBe(0);
  expect(d.errors, d.expert).toBe(0);
});
