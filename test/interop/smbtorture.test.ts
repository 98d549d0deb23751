import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bounded, dissectFrames, scmpdOn, smbtorture, type DissectedFrame, type ScmpdOnPort, type TortureRun } from '../helpers/smbtorture.js';
import { startCapture, type Capture } from '../helpers/tshark.js';

/**
 * Samba's own client against scmpd: smbtorture's rpc.mgmt, every rpc.epmapper test and the
 * OXID resolver's ServerAlive and ServerAlive2, over every binding Samba offers on TCP, with
 * the host's name and with WORKGROUP as logon domain, and anonymously. Samba's client uses
 * the well-known endpoint 135 for the endpoint mapper, the OXID resolver and the activators
 * without asking the mapper, so scmpd listens on port 135, on an address of its own.
 */
const ADDRESS = '127.0.0.135';
const PORT = 135;
const USER = 'Administrator';
const PASSWORD = 'Scmp-Lab-2026!';
const TESTS = ['rpc.mgmt', 'rpc.epmapper', 'rpc.oxidresolve.oxidresolver.ServerAlive', 'rpc.oxidresolve.oxidresolver.ServerAlive2'];
/** Every test those run, as smbtorture names them. */
const EXPECTED = [
  'mgmt',
  'epmapper.Map_simple',
  'epmapper.Map_full',
  'epmapper.Lookup_simple',
  'epmapper.Lookup_terminate_search',
  'epmapper.Insert_noreplace',
  'oxidresolver.ServerAlive',
  'oxidresolver.ServerAlive2',
];
/**
 * Lookup_simple wants the last batch of an ept_lookup to carry EPT_S_NOT_REGISTERED, which is
 * what Samba's endpoint mapper answers; Windows answers status 0 and a null handle, and
 * impacket's hept_lookup (rpcdump.py) raises on anything else, so we answer as Windows does
 * (docs/decisions.md, "end of a lookup"). It must fail there and nowhere else.
 */
const KNOWN_FAILURE = {
  test: 'epmapper.Lookup_simple',
  assertion: /^\S*epmapper\.c:\d+: Expression `r\.out\.result == \( 0x16c9a0d6 \)' failed: epm_Lookup failed$/,
};
/**
 * Whether a failure's detail is that one assertion and no other. smbtorture writes its
 * comments and its failures on two streams, so a comment of the next test ("Testing
 * epm_Lookup and epm_LookupHandleFree") can land inside the bracketed detail: the lines
 * that name a source line must all be the known assertion, and there must be one.
 */
const onlyKnownAssertion = (detail: string) => {
  const asserts = detail.split('\n').filter((l) => /\.c:\d+: /.test(l));
  return asserts.length > 0 && asserts.every((l) => KNOWN_FAILURE.assertion.test(l.trim()));
};
const BINDINGS = ['connect', 'sign', 'seal', 'sign,spnego', 'seal,spnego', 'sign,ntlm', 'seal,ntlm'];

interface Run {
  label: string;
  args: string[];
  result?: TortureRun;
}
const runs: Run[] = [
  ...['FILESRV01', 'WORKGROUP'].flatMap((domain) =>
    BINDINGS.map((b) => ({ label: `[${b}] -W ${domain}`, args: [`ncacn_ip_tcp:${ADDRESS}[${b}]`, '-U', `${USER}%${PASSWORD}`, '-W', domain, ...TESTS] })),
  ),
  ...BINDINGS.map((b) => ({ label: `[${b}] anonymous`, args: [`ncacn_ip_tcp:${ADDRESS}[${b}]`, '-U%', ...TESTS] })),
];

let server: ScmpdOnPort;
let capture: Capture;

beforeAll(async () => {
  server = await scmpdOn(ADDRESS, PORT, ['--account', `${USER}:${PASSWORD}:admin`]);
  capture = await startCapture([PORT, server.objectPort], ADDRESS);
  try {
    // Two at a time: the machine has two cores, and each run is a few short sessions.
    await bounded(
      2,
      runs.map((r) => async () => {
        r.result = await smbtorture(r.args);
      }),
    );
  } finally {
    await capture.stop();
  }
}, 150_000);
afterAll(async () => {
  await server?.stop();
});

describe('smbtorture', () => {
  test.each(runs.map((r) => [r.label, r] as const))('%s: every test passes (Lookup_simple fails only at its NO_MORE_ENTRIES assertion)', (_label, r) => {
    const results = r.result!.results;
    const problems: string[] = [];
    for (const name of EXPECTED) {
      const got = results.get(name);
      if (!got) problems.push(`${name}: not run`);
      else if (name === KNOWN_FAILURE.test) {
        if (got.outcome !== 'failure' || !onlyKnownAssertion(got.detail)) problems.push(`${name}: ${got.outcome} [${got.detail}]`);
      } else if (got.outcome !== 'success') problems.push(`${name}: ${got.outcome} [${got.detail}]`);
    }
    for (const [name, got] of results) if (!EXPECTED.includes(name)) problems.push(`${name}: unexpected ${got.outcome} [${got.detail}]`);
    expect(problems, `smbtorture ${r.args.join(' ')}\n${problems.join('\n')}\n--- output (last 8000 characters) ---\n${r.result!.output.slice(-8000)}`).toEqual([]);
  });
});

describe('tshark on every session', () => {
  const ourPorts = () => [PORT, server.objectPort];
  // The capture filters on ports; another test's server on loopback may share the ephemeral one.
  const onlyOurs = ['-Y', `ip.addr == ${ADDRESS}`];
  /** Each TCP stream's auth type and level, from the first frame that names them (its bind). */
  const streamAuth = (frames: DissectedFrame[]) => {
    const auth = new Map<number, { type: number; level: number }>();
    for (const f of frames) if (f.authType !== undefined && !auth.has(f.stream)) auth.set(f.stream, { type: f.authType, level: f.authLevel ?? 0 });
    return auth;
  };
  const bad = (f: DissectedFrame) => f.malformed || f.expertError;
  const show = (fs: DissectedFrame[]) => fs.slice(0, 20).map((f) => `#${f.frame} stream ${f.stream}: ${f.info}`).join('\n');

  test('without the password: every frame we sent dissects, no malformed frame, no expert error', async () => {
    const frames = await dissectFrames(capture.file, ourPorts(), onlyOurs);
    const ours = frames.filter((f) => ourPorts().includes(f.srcPort));
    expect(ours.filter((f) => f.pktTypes.length > 0).length).toBeGreaterThan(1000);
    expect(show(ours.filter(bad))).toBe('');
  });

  test('decrypted with the password: sealed stubs read in clear; nothing we sent is malformed or an expert error', async () => {
    const frames = await dissectFrames(capture.file, ourPorts(), [...onlyOurs, '-o', `ntlmssp.nt_password:${PASSWORD}`]);
    const auth = streamAuth(frames);
    const ours = frames.filter((f) => ourPorts().includes(f.srcPort));
    const sealed = (f: DissectedFrame, type: number) => auth.get(f.stream)?.type === type && auth.get(f.stream)?.level === 6;
    // NTLM (auth type 10) and SPNEGO (9) sessions at privacy: endpoint-map annotations read from decrypted responses.
    expect(ours.some((f) => sealed(f, 10) && f.annotations.includes('Endpoint Mapper'))).toBe(true);
    expect(ours.some((f) => sealed(f, 9) && f.annotations.includes('Endpoint Mapper'))).toBe(true);
    // Wireshark 4.0 does not run its RC4 keystream over the sealed checksum of an SPNEGO-wrapped
    // NTLMSSP verifier, so in a sealed SPNEGO session it reads only the first protected message
    // of each direction in clear and the rest as garbage (Samba's requests as much as our
    // responses; Samba itself verifies every signature and decrypts every stub). There the
    // first protected response must dissect cleanly; after it, the check without the
    // password above is what holds.
    const firstProtected = new Map<number, number>();
    for (const f of ours) if (sealed(f, 9) && f.pktTypes.includes(2) && !firstProtected.has(f.stream)) firstProtected.set(f.stream, f.frame);
    expect(firstProtected.size).toBeGreaterThan(0);
    const checked = ours.filter((f) => !sealed(f, 9) || f.frame <= (firstProtected.get(f.stream) ?? Infinity));
    expect(show(checked.filter(bad))).toBe('');
  });
});
