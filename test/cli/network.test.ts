/**
 * `scmp`'s network verbs end to end: the built scmp against a spawned scmpd over MS-SCMP
 * (DCOM on the endpoint-mapper port). Every verb with SPNEGO and NTLM at integrity and
 * privacy, with a password and with -hashes; listings equal the expected files (TZ=UTC)
 * and, with --json, what the admin API reports; each failure has its message and exit code.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { parseTarget } from '../../src/cli/target.js';
import { NTOWFv1 } from '../../src/security/ntlm/crypto.js';
import { DEFAULT_VOLUMES } from '../../src/store/default-host.js';
import { echoServer } from '../helpers/echo.js';
import { ADMIN as TEST_ADMIN, testSecurity } from '../helpers/security.js';
import type { RunningScmpd } from '../helpers/scmpd.js';
import { runScmp, runScmpOnTerminal, scmpdWithAdminToken, type ScmpdWithToken } from '../helpers/scmp-cli.js';

const SCMP = fileURLToPath(new URL('../../dist/src/cli/scmp.js', import.meta.url));
const TOKEN = 'network-test-token-0123456789abcdef';
const ADMIN = { user: 'alice', password: 'Wonder-Land:1@x' };
const USER = { user: 'bob', password: 'Builder-2' };
const HASH = NTOWFv1(ADMIN.password).toString('hex');
const expected = (name: string) => readFileSync(new URL(`./expected/${name}.txt`, import.meta.url), 'utf8');

let running: ScmpdWithToken;
let server: RunningScmpd;
let tokenFile: string;

beforeAll(async () => {
  running = await scmpdWithAdminToken(TOKEN, ['--account', `${ADMIN.user}:${ADMIN.password}:admin`, '--account', `${USER.user}:${USER.password}:user`]);
  ({ server, tokenFile } = running);
});
afterAll(() => running?.stop());

const scmp = runScmp;
const target = (who: { user: string; password?: string } = ADMIN) => `${who.user}${who.password !== undefined ? `:${who.password}` : ''}@127.0.0.1`;
/** A network verb against the spawned scmpd as the administrator, with extra options. */
const net_ = (words: string[], ...extra: string[]) => scmp([...words, target(), '--port', String(server.port), ...extra]);
const admin = (...args: string[]) => scmp(['admin', ...args, '--url', server.adminUrl!, '--token-file', tokenFile, '--json']);

describe('listings (default host, before any change)', () => {
  test.each([
    ['volumes', 'list-volumes'],
    ['shadows', 'list-shadows'],
    ['shadowstorage', 'network-list-shadowstorage'],
  ])('list %s matches test/cli/expected/%s.txt', async (what, file) => {
    const r = await net_(['list', what]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected(file));
  });

  test('--json gives the values the admin API reports', async () => {
    const [vols, aVols, shadows, aShadows, storage, aStorage] = (await Promise.all([
      net_(['list', 'volumes'], '--json'),
      admin('list', 'volumes'),
      net_(['list', 'shadows'], '--json'),
      admin('list', 'shadows'),
      net_(['list', 'shadowstorage'], '--json'),
      admin('list', 'shadowstorage'),
    ])).map((r) => JSON.parse(r.stdout));
    // MS-SCMP's volume listing carries no size; everything else is the same.
    expect(vols).toEqual(aVols.map(({ totalBytes: _t, ...v }: Record<string, unknown>) => v));
    expect(shadows).toEqual(aShadows);
    expect(shadows.length).toBeGreaterThan(0);
    const byFor = (a: { forVolume: string }, b: { forVolume: string }) => a.forVolume.localeCompare(b.forVolume);
    expect([...storage].sort(byFor)).toEqual([...aStorage].sort(byFor));
    expect(storage).toHaveLength(2);
  });

  test('--for and /for= pick one volume; --on picks the storage volume', async () => {
    const [forC, slashFor, onArchive] = await Promise.all([
      net_(['list', 'shadows', '--for', 'C:']),
      net_(['list', 'shadowstorage', '/for=D:\\'], '--json'),
      net_(['list', 'shadowstorage', '--on', 'C:\\mnt\\archive'], '--json'),
    ]);
    expect(forC.code).toBe(0);
    expect(forC.stdout.match(/Shadow Copy ID:/g)).toHaveLength(1);
    expect(forC.stdout).toContain('Original Volume: (C:)');
    expect(JSON.parse(slashFor.stdout).map((d: { forVolume: string }) => d.forVolume)).toEqual([DEFAULT_VOLUMES.data]);
    expect(JSON.parse(onArchive.stdout)).toMatchObject([{ forVolume: DEFAULT_VOLUMES.data, storageVolume: DEFAULT_VOLUMES.archive }]);
  });
});

/** The E: association as the admin API reports it (undefined: none). */
async function eStorage(): Promise<{ maximumBytes: number | null; storageVolumePath: string } | undefined> {
  const all = JSON.parse((await admin('list', 'shadowstorage')).stdout);
  return all.find((d: { forVolume: string }) => d.forVolume === DEFAULT_VOLUMES.refs);
}

describe.each([
  ['spnego', 'privacy'],
  ['spnego', 'integrity'],
  ['ntlm', 'privacy'],
  ['ntlm', 'integrity'],
] as const)('%s at %s', (authType, authLevel) => {
  const how = ['--auth-type', authType, '--auth-level', authLevel];
  test('every verb with a password in the target, and with -hashes', async () => {
    const withHash = (words: string[], ...extra: string[]) => scmp([...words, `FILESRV01/${ADMIN.user}@127.0.0.1`, '-hashes', `:${HASH}`, '--port', String(server.port), ...how, ...extra]);
    const lists = await Promise.all([net_(['list', 'volumes'], ...how), withHash(['list', 'shadows']), withHash(['list', 'shadowstorage'], '--for', 'D:')]);
    for (const r of lists) expect([r.code, r.stderr]).toEqual([0, '']);
    expect(lists[0]!.stdout).toBe(expected('list-volumes'));
    expect(lists[1]!.stdout).toBe(expected('list-shadows'));

    const add = await net_(['add', 'shadowstorage', '/for=E:', '/on=D:', '/maxsize=10%'], ...how);
    expect([add.code, add.stdout, add.stderr]).toEqual([0, 'Successfully added the shadow copy storage association\n', '']);
    const dTotal = JSON.parse((await admin('list', 'volumes')).stdout).find((v: { path: string }) => v.path === 'D:\\').totalBytes;
    expect(await eStorage()).toMatchObject({ storageVolumePath: 'D:\\', maximumBytes: Math.floor(dTotal / 10) });

    const resize = await withHash(['resize', 'shadowstorage', '--for', 'E:', '--on', 'D:', '--maxsize', '1.5GB']);
    expect([resize.code, resize.stdout]).toEqual([0, 'Successfully resized the shadow copy storage association\n']);
    expect((await eStorage())!.maximumBytes).toBe(1.5 * 1024 ** 3);
    const unbounded = await net_(['resize', 'shadowstorage', '--for=E:', '--on=D:', '--maxsize=UNBOUNDED'], ...how);
    expect(unbounded.code).toBe(0);
    expect((await eStorage())!.maximumBytes).toBeNull();

    const del = await withHash(['delete', 'shadowstorage', '--for', 'E:']);
    expect([del.code, del.stdout]).toEqual([0, 'Successfully deleted the shadow copy storage association\n']);
    expect(await eStorage()).toBeUndefined();
  });
});

describe('failures: message and exit code', () => {
  test('wrong password and unknown user: logon failure (7); non-administrator: access denied (4)', async () => {
    const port = String(server.port);
    const [wrong, unknown, user, userNtlm] = await Promise.all([
      scmp(['list', 'shadows', target({ user: ADMIN.user, password: 'not-it' }), '--port', port]),
      scmp(['list', 'volumes', target({ user: 'nobody', password: 'x' }), '--port', port, '--auth-type', 'ntlm']),
      scmp(['list', 'volumes', target(USER), '--port', port]),
      scmp(['delete', 'shadowstorage', target(USER), '--for', 'D:', '--port', port, '--auth-type', 'ntlm', '--auth-level', 'integrity']),
    ]);
    for (const r of [wrong, unknown]) {
      expect(r.code).toBe(EXIT.LOGON);
      expect(r.stderr).toMatch(/^scmp: logon failure: the user name or password was not accepted/);
    }
    for (const r of [user, userNtlm]) {
      expect(r.code).toBe(EXIT.ACCESS_DENIED);
      expect(r.stderr).toMatch(/^scmp: access denied .*not an administrator.*E_ACCESSDENIED/);
    }
    expect(JSON.parse((await admin('list', 'shadowstorage')).stdout).map((d: { forVolume: string }) => d.forVolume)).toContain(DEFAULT_VOLUMES.data);
  });

  test('an unknown volume or association: not found (5)', async () => {
    const [vol, assoc] = await Promise.all([net_(['list', 'shadows', '--for', 'Z:']), net_(['delete', 'shadowstorage', '--for', 'E:'])]);
    expect([vol.code, vol.stderr]).toEqual([EXIT.NOT_FOUND, 'scmp: not found: the host has no volume Z: [VSS_E_OBJECT_NOT_FOUND 0x80042308]\n']);
    expect(assoc.code).toBe(EXIT.NOT_FOUND);
    expect(assoc.stderr).toMatch(/no shadow copy storage association for E:/);
  });

  test('the password from $SCMP_PASSWORD; none and no terminal: a usage error saying how to give it', async () => {
    const fromEnv = await scmp(['list', 'volumes', `${ADMIN.user}@127.0.0.1`, '--port', String(server.port)], { SCMP_PASSWORD: ADMIN.password });
    expect([fromEnv.code, fromEnv.stdout]).toEqual([0, expected('list-volumes')]);
    const none = await scmp(['list', 'volumes', `${ADMIN.user}@127.0.0.1`, '--port', String(server.port)]);
    expect(none.code).toBe(EXIT.USAGE);
    expect(none.stderr).toMatch(/no password: give it in the target .*SCMP_PASSWORD.*-hashes/);
  });

  test('no password given on a terminal: scmp asks for it and the terminal does not show it', async () => {
    const r = await runScmpOnTerminal(['list', 'volumes', `${ADMIN.user}@127.0.0.1`, '--port', String(server.port)], 'Password:', `${ADMIN.password}\r`);
    expect(r.code).toBe(0);
    expect(r.screen).toMatch(/^Password:/);
    expect(r.screen).not.toContain(ADMIN.password);
    expect(r.screen.replace(/\r\n/g, '\n')).toContain(expected('list-volumes'));
    // A wrong one typed at the prompt is a logon failure like any other.
    const wrong = await runScmpOnTerminal(['list', 'volumes', `${ADMIN.user}@127.0.0.1`, '--port', String(server.port)], 'Password:', 'not-it\r');
    expect(wrong.code).toBe(EXIT.LOGON);
    expect(wrong.screen).not.toContain('not-it');
  });

  test('usage errors (2): no target, bad size, bad -hashes, unknown option, bad --auth-type, a resize to 0', async () => {
    const port = String(server.port);
    const runs = await Promise.all([
      scmp(['list', 'shadows']),
      scmp(['add', 'shadowstorage', target(), '--for', 'E:', '--on', 'D:', '--maxsize', '12 parsecs', '--port', port]),
      scmp(['list', 'volumes', `${ADMIN.user}@127.0.0.1`, '-hashes', 'nothex']),
      scmp(['list', 'volumes', target(), '--frob']),
      scmp(['list', 'volumes', target(), '--auth-type', 'kerberos']),
      scmp(['add', 'shadowstorage', target(), '--for', 'E:']),
      scmp(['resize', 'shadowstorage', target(), '--for', 'C:', '--on', 'C:', '--maxsize', '0', '--port', port]),
    ]);
    for (const r of runs) expect([r.code, r.stdout]).toEqual([EXIT.USAGE, '']);
    expect(runs[0]!.stderr).toMatch(/needs a TARGET/);
    expect(runs[1]!.stderr).toMatch(/--maxsize: "12 parsecs" is not a size/);
    expect(runs[2]!.stderr).toMatch(/-hashes takes LMHASH:NTHASH/);
    expect(runs[3]!.stderr).toMatch(/unknown option --frob/);
    expect(runs[4]!.stderr).toMatch(/--auth-type is spnego or ntlm/);
    expect(runs[5]!.stderr).toMatch(/needs --on/);
    // 0 is VSS_ASSOC_REMOVE: a resize must not delete (and nothing was changed).
    expect(runs[6]!.stderr).toMatch(/a maximum of 0 removes the association/);
  });

  test('create shadow and delete shadows say MS-SCMP cannot, and point to scmp admin (2)', async () => {
    for (const words of [['create', 'shadow'], ['delete', 'shadows']]) {
      const r = await scmp([...words, target(), '--for', 'C:']);
      expect(r.code).toBe(EXIT.USAGE);
      expect(r.stderr).toMatch(/not possible over the network: MS-SCMP .* no method that creates or deletes a shadow copy/);
      expect(r.stderr).toMatch(/scmp admin (create shadow|delete shadows)/);
    }
  });

  test('unreachable host, a port that closes, a plain endpoint mapper, a silent port: connection failure (6)', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const closer = net.createServer((c) => c.destroy());
    // Reads the bind, then resets: the same port-that-closes, its RST certain.
    const resetter = net.createServer((c) => c.once('data', () => c.resetAndDestroy()));
    const silent = net.createServer(() => undefined);
    await Promise.all([closer, resetter, silent].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    const epm = await echoServer();
    // A plain endpoint mapper that takes NTLM: the bind goes through, the activation interface is refused.
    const securedEpm = await echoServer({}, { security: testSecurity().sec });
    try {
      const portOf = (s: net.Server) => String((s.address() as net.AddressInfo).port);
      const [refused, closes, resets, plain, securedPlain, quiet] = await Promise.all([
        scmp(['list', 'volumes', target(), '--port', String(closedPort)]),
        scmp(['list', 'volumes', target(), '--port', portOf(closer)]),
        scmp(['list', 'volumes', target(), '--port', portOf(resetter)]),
        scmp(['list', 'volumes', target(), '--port', String(epm.port), '--timeout', '5']),
        // The refusal is the answer: it comes long before this 60 s limit (a wait would fail the test).
        scmp(['list', 'volumes', target(TEST_ADMIN), '--port', String(securedEpm.port), '--timeout', '60']),
        scmp(['list', 'volumes', target(), '--port', portOf(silent), '--timeout', '0.5']),
      ]);
      for (const r of [refused, closes, resets, plain, securedPlain, quiet]) expect([r.code, r.stderr]).toEqual([EXIT.CONNECTION, expect.any(String)]);
      expect(refused.stderr).toMatch(/^scmp: cannot reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
      // Closed before or after our bind arrived (FIN or RST): the port answered, not as a DCOM host.
      expect(closes.stderr).toMatch(/does not answer as a DCOM host/);
      expect(resets.stderr).toMatch(/does not answer as a DCOM host .*ECONNRESET/);
      expect(plain.stderr).toMatch(/does not answer as a DCOM host .*refused the bind \(bind_nak, reason 8\); try the other --auth-type/);
      expect(securedPlain.stderr).toMatch(/does not answer as a DCOM host .*IRemoteSCMActivator not accepted/);
      expect(quiet.stderr).toMatch(/did not answer in time: .* within 500 ms \(--timeout sets the limit in seconds\)/);
    } finally {
      closer.close();
      resetter.close();
      silent.close();
      await epm.close();
      await securedEpm.close();
    }
  });
});

describe('manual', () => {
  test('scmp --help lists every verb and exit code; scmp help VERB and VERB --help show its page', async () => {
    const [main, page, inline, unknown] = await Promise.all([scmp(['--help']), scmp(['help', 'add', 'shadowstorage']), scmp(['list', 'shadowstorage', '--help']), scmp(['help', 'frob'])]);
    expect(main.code).toBe(0);
    for (const verb of ['list volumes', 'list shadows', 'list shadowstorage', 'add shadowstorage', 'resize shadowstorage', 'delete shadowstorage', 'create shadow', 'admin']) expect(main.stdout).toContain(verb);
    for (const [code, name] of Object.entries({ 0: 'done', 2: 'usage error', 4: 'access denied', 5: 'not found', 6: 'the host could not be reached', 7: 'logon failure' })) expect(main.stdout).toMatch(new RegExp(`\\n {2}${code} {2}${name}`));
    expect(page.stdout).toMatch(/^Usage: scmp add shadowstorage TARGET --for VOLUME --on VOLUME --maxsize SIZE/);
    expect(page.stdout).toContain('-hashes LMHASH:NTHASH');
    expect(inline.stdout).toMatch(/^Usage: scmp list shadowstorage/);
    expect(unknown.code).toBe(EXIT.USAGE);
  });
});

describe('TARGET', () => {
  test('impacket’s form: the host after the last @, the password after the first :', () => {
    expect(parseTarget('CORP/alice:p@ss:w@rd@host.example')).toEqual({ domain: 'CORP', user: 'alice', password: 'p@ss:w@rd', host: 'host.example' });
    expect(parseTarget('alice@[::1]')).toEqual({ domain: '', user: 'alice', password: undefined, host: '::1' });
    expect(parseTarget('10.0.0.5')).toEqual({ domain: '', user: undefined, password: undefined, host: '10.0.0.5' });
    expect(() => parseTarget('alice@')).toThrow(/names no host/);
  });
});
