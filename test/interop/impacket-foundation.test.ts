import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runPython } from '../helpers/python.js';
import { testServer } from '../helpers/server.js';
import { dissect, startCapture, type Capture } from '../helpers/tshark.js';

const SCRIPT = fileURLToPath(new URL('./impacket_foundation.py', import.meta.url));

let server: Awaited<ReturnType<typeof testServer>>;
let capture: Capture;
let out: any;

beforeAll(async () => {
  server = await testServer();
  capture = await startCapture([server.port]);
  out = await runPython(SCRIPT, [server.host, String(server.port)]);
  await capture.stop();
}, 90_000);
afterAll(() => server?.close());

test('an ept_lookup listing in the manner of rpcdump.py shows our endpoints', () => {
  const binding = `ncacn_ip_tcp:127.0.0.1[${server.port}]`;
  expect(out.lookup).toEqual(
    expect.arrayContaining([
      { uuid: 'E1AF8308-5D1F-11C9-91A4-08002B14A0FA v3.0', binding, annotation: 'Endpoint Mapper', protocol: 'N/A' },
      { uuid: 'AFA8BD80-7D8A-11C9-BEF4-08002B102989 v1.0', binding, annotation: 'Remote Management', protocol: '[MS-RPCE]: Remote Management Interface' },
      expect.objectContaining({ uuid: '99FCFEC4-5260-101B-BBCB-00AA0021347A v0.0', binding }),
      expect.objectContaining({ uuid: '000001A0-0000-0000-C000-000000000046 v0.0', binding }),
      expect.objectContaining({ uuid: '4D9F4AB8-7D1C-11CF-861E-0020AF6E7C57 v0.0', binding }),
    ]),
  );
  expect(out.lookup).toHaveLength(5);
});

test('epm.hept_map resolves our interfaces to our port; an unknown one is not registered', () => {
  expect(out.map).toEqual({ epm: `ncacn_ip_tcp:127.0.0.1[${server.port}]`, mgmt: `ncacn_ip_tcp:127.0.0.1[${server.port}]` });
  expect(out.map_unknown).toBe(0x16c9a0d6);
});

test('every mgmt call answers', () => {
  expect(out.inq_if_ids.sort()).toEqual(
    [
      'E1AF8308-5D1F-11C9-91A4-08002B14A0FA v3.0',
      '99FCFEC4-5260-101B-BBCB-00AA0021347A v0.0',
      '000001A0-0000-0000-C000-000000000046 v0.0',
      '4D9F4AB8-7D1C-11CF-861E-0020AF6E7C57 v0.0',
    ].sort(),
  );
  expect(out.inq_stats.count).toBe(4);
  expect(out.inq_stats.statistics).toHaveLength(4);
  expect(out.inq_stats.statistics[0]).toBeGreaterThan(0);
  expect(out.inq_stats.status).toBe(0);
  expect(out.is_server_listening).toEqual({ status: 0 });
  expect(out.stop_server_listening).toMatch(/rpc_s_access_denied/);
  expect(out.inq_princ_name.status).toBe(0x6d3);
});

test('a bind offering NDR64 alone is rejected: proposed transfer syntaxes not supported', () => {
  expect(out.ndr64_only).toMatch(/provider_rejection; proposed_transfer_syntaxes_not_supported/);
});

test('tshark reads the capture of the session: no malformed packets, no expert errors', async () => {
  const d = await dissect(capture.file, [server.port]);
  expect(d.summary.filter((l) => /EPM|MGMT|DCERPC/.test(l)).length).toBeGreaterThan(20);
  expect(d.summary.some((l) => /Lookup response/.test(l))).toBe(true);
  expect(d.summary.some((l) => /Map response/.test(l))).toBe(true);
  expect(d.malformed).toBe(0);
  expect(d.errors, d.expert).toBe(0);
});
