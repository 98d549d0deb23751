import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { NTOWFv1 } from '../../src/security/ntlm/crypto.js';
import { runPython } from '../helpers/python.js';
import { testServer } from '../helpers/server.js';
import { dissect, startCapture, type Capture } from '../helpers/tshark.js';

const NTLM_SCRIPT = fileURLToPath(new URL('./impacket_auth.py', import.meta.url));
const SPNEGO_SCRIPT = fileURLToPath(new URL('./impacket_spnego.py', import.meta.url));
const USER = 'alice';
const PASSWORD = 'Wonder-Land-1';

let server: Awaited<ReturnType<typeof testServer>>;
let capture: Capture;
let ntlmOut: any;
let spnegoOut: any;

beforeAll(async () => {
  server = await testServer({ log: silentLogger, accounts: [parseAccountSpec(`${USER}:${PASSWORD}:admin`)] });
  capture = await startCapture([server.port]);
  const args = [server.host, String(server.port), USER, PASSWORD, NTOWFv1(PASSWORD).toString('hex')];
  ntlmOut = await runPython(NTLM_SCRIPT, args);
  spnegoOut = await runPython(SPNEGO_SCRIPT, args);
  await capture.stop();
}, 90_000);
afterAll(() => server?.close());

test('NTLM at connect, integrity and privacy: endpoint-mapper and management calls answer', () => {
  for (const level of ['connect', 'integrity', 'privacy']) {
    expect(ntlmOut[`ntlm_${level}`], level).toEqual({ lookup: 5, stats: 4, listening_status: 0 });
  }
});

test('pass-the-hash with the NT hash', () => {
  expect(ntlmOut.pass_the_hash).toBe(5);
});

test('wrong password and unknown user are rejected, whatever the domain; a domain the host does not know is its own', () => {
  for (const k of ['wrong_password', 'unknown_user', 'wrong_password_other_domain']) expect(ntlmOut[k], k).toMatch(/rpc_s_access_denied/);
  expect(ntlmOut.other_domain).toBe('accepted');
});

test('an anonymous bind still reaches the endpoint mapper', () => {
  expect(ntlmOut.anonymous_lookup).toBe(5);
});

test('SPNEGO (NTLM inside) at integrity and privacy, built from impacket spnego and ntlm', () => {
  for (const level of ['integrity', 'privacy']) {
    expect(spnegoOut[level], level).toMatchObject({ negState: 'accept_completed', mic_verified: true, inq_stats_count: 4, is_listening: 1 });
  }
  expect(spnegoOut.kerberos_only).toMatchObject({ negState: 'reject' });
});

test("SPNEGO as a domain-joined Windows client offers it (MS-KRB5, KRB5, NEGOEX, NTLMSSP and a Kerberos optimistic token): NTLM chosen, then signed and sealed calls", () => {
  for (const level of ['windows_integrity', 'windows_privacy']) {
    expect(spnegoOut[level], level).toMatchObject({
      // MS-SPNG 3.2.5.2 / RFC 4178: accept-incomplete naming the mechanism chosen, and no token for the one not chosen.
      first: { negState: 'accept_incomplete', supportedMech_is_ntlm: true, has_token: false, has_mic: false },
      negState: 'accept_completed',
      mic_verified: true,
      inq_stats_count: 4,
      is_listening: 1,
    });
  }
});

test('tshark, given the password, decrypts the privacy sessions: the calls show in clear, nothing of ours malformed', async () => {
  const d = await dissect(capture.file, [server.port], ['-o', `ntlmssp.nt_password:${PASSWORD}`]);
  expect(d.summary.some((l) => /Lookup request/.test(l))).toBe(true);
  expect(d.summary.some((l) => /Lookup response/.test(l))).toBe(true);
  expect(d.summary.filter((l) => /inq_stats response|is_server_listening response/i.test(l)).length).toBeGreaterThanOrEqual(6);
  expect(d.summary.filter((l) => /inq_stats request/i.test(l)).length).toBeGreaterThanOrEqual(3);
  // Every frame we send dissects. impacket seals requests padded to 4 octets rather than
  // 16, and Wireshark cannot take apart the two of its privacy requests whose stub is
  // shorter than a block; those are the peer's frames, and the only errors allowed.
  expect(d.malformedFrom.filter((p) => p === server.port)).toEqual([]);
  expect(d.malformedFrom.length).toBeLessThanOrEqual(2);
  expect(d.errors).toBe(d.malformedFrom.length);
});
