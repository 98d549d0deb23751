/**
 * `scmp admin` as a vssadmin user meets it, end to end: the built scmp against a spawned
 * scmpd. Listings match the expected files for the default host; --json gives the same
 * values; global options stand anywhere; vssadmin sizes; `delete shadows /all` without
 * /for; an unknown volume is an error; changes say what happened; each failure has its
 * own exit code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_VOLUMES } from '../../src/store/default-host.js';
import type { RunningScmpd } from '../helpers/scmpd.js';
import { runScmp, scmpdWithAdminToken, type ScmpdWithToken } from '../helpers/scmp-cli.js';

const TOKEN = 'cli-test-token-0123456789abcdef';
const GiB = 1024 ** 3;
const expected = (name: string) => readFileSync(new URL(`./expected/${name}.txt`, import.meta.url), 'utf8');

let running: ScmpdWithToken;
let server: RunningScmpd;
let tokenFile: string;

beforeAll(async () => {
  running = await scmpdWithAdminToken(TOKEN);
  ({ server, tokenFile } = running);
});
afterAll(() => running?.stop());

const scmp = runScmp;
/** scmp admin with the URL and token given after the command, as a user may type them. */
const admin = (...args: string[]) => scmp(['admin', ...args, '--url', server.adminUrl!, '--token-file', tokenFile]);

describe('listings in vssadmin’s layout (default host, before any change)', () => {
  test.each(['volumes', 'providers', 'writers', 'shadows', 'shadowstorage'])('list %s matches its file in test/cli/expected', async (what) => {
    const r = await admin('list', what);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected(`list-${what}`));
  });

  test('--json anywhere gives the same values for machines: byte counts as numbers, names unescaped once parsed', async () => {
    const storage = JSON.parse((await scmp(['admin', '--json', 'list', 'shadowstorage', `--url=${server.adminUrl}`, '--token', TOKEN])).stdout);
    expect(storage).toHaveLength(2);
    expect(storage[0]).toMatchObject({ forVolume: DEFAULT_VOLUMES.data, forVolumePath: 'D:\\', storageVolume: DEFAULT_VOLUMES.archive, maximumBytes: 200 * GiB });
    expect(typeof storage[0].usedBytes).toBe('number');
    expect(storage[1].maximumBytes).toBeNull();
    const volumes = JSON.parse((await admin('list', 'volumes', '--json')).stdout);
    expect(volumes.map((v: { path: string }) => v.path)).toEqual(['C:\\', 'D:\\', 'E:\\', 'C:\\mnt\\archive\\']);
    const writers = JSON.parse((await admin('list', 'writers', '--json')).stdout);
    expect(writers[0]).toMatchObject({ name: 'System Writer', state: 'Stable', lastError: 'No error' });
    const providers = JSON.parse((await admin('--json', 'list', 'providers')).stdout);
    expect(providers).toEqual([{ name: 'Microsoft Software Shadow Copy provider 1.0', type: 'System', typeCode: 1, id: 'b5946137-7b9f-4925-af80-51abd60b20d5', version: '1.0.0.7' }]);
  });

  test('list shadows --for and vssadmin’s /for= pick one volume’s copies', async () => {
    const r = await admin('list', 'shadows', '/for=C:\\');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/Shadow Copy ID:/g)).toHaveLength(1);
    expect(r.stdout).toContain('Original Volume: (C:)');
    expect(r.stdout).toContain('Contained 2 shadow copies at creation time: 11/17/2025 11:30:11 PM');
    const on = await admin('list', 'shadowstorage', '--on', 'C:\\mnt\\archive');
    expect(on.stdout.match(/Shadow Copy Storage association/g)).toHaveLength(1);
    expect(on.stdout).toContain('For volume: (D:)');
  });

  test('a volume that is not there: exit 5 and a clear message, never an empty list', async () => {
    for (const args of [['list', 'shadows', '--for', 'Z:'], ['list', 'shadowstorage', '/for=Z:'], ['delete', 'shadowstorage', '--for', 'Z:']]) {
      const r = await admin(...args);
      expect(r.code, args.join(' ')).toBe(5);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^scmp admin: not found: "Z:" is not a volume of this host \[VSS_E_OBJECT_NOT_FOUND 0x80042308\]\n$/);
    }
  });
});

describe('exit codes and help', () => {
  test('--help (anywhere) lists the commands and every exit code', async () => {
    for (const args of [['admin', '--help'], ['admin', 'list', 'shadows', '--help'], ['help', 'admin']]) {
      const r = await scmp(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/list volumes/);
      expect(r.stdout).toMatch(/Exit codes:\n {2}0 {2}done\n {2}1 {2}the host refused.*\n {2}2 {2}usage error.*\n {2}3 {2}the admin token.*\n {2}5 {2}not found.*\n {2}6 {2}the admin API could not be reached/);
    }
  });

  test('usage 2, refusal 1, bad token 3, not found 5, unreachable 6', async () => {
    expect((await admin('list', 'frobs')).code).toBe(2);
    const badSize = await admin('add', 'shadowstorage', '--for', 'E:', '--on', 'D:', '--maxsize', '12 parsecs');
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toMatch(/--maxsize: "12 parsecs" is not a size: give bytes, a number with KB, MB, GB, TB, PB or EB/);
    const refused = await admin('create', 'shadow', '--for', 'F:');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused \(409\): .*\[VSS_E_VOLUME_NOT_SUPPORTED 0x8004230c\]/);
    const token = await scmp(['admin', 'list', 'volumes', '--url', server.adminUrl!, '--token', 'wrong-token-wrong-token']);
    expect(token.code).toBe(3);
    expect(token.stderr).toMatch(/the admin token was not accepted \(401\)/);
    expect((await admin('delete', 'shadows', '--shadow', '00000000-0000-0000-0000-000000000001')).code).toBe(5);
    const down = await scmp(['admin', 'list', 'volumes', '--url', 'http://127.0.0.1:1', '--token', TOKEN]);
    expect(down.code).toBe(6);
    expect(down.stderr).toMatch(/^scmp admin: cannot reach the admin API at http:\/\/127\.0\.0\.1:1: /);
  });
});

// Changes last: they alter what the listings above compare with.
describe('changes say what happened', () => {
  test('add, resize (vssadmin sizes: 1.5GB, 400MB, 20%) and delete shadow copy storage', async () => {
    const add = await admin('add', 'shadowstorage', '/for=E:', '/on=D:', '/maxsize=1.5GB');
    expect(add.stderr).toBe('');
    expect(add.stdout).toBe('Successfully added the shadow copy storage association\n');
    let listed = JSON.parse((await admin('list', 'shadowstorage', '--for', 'E:', '--json')).stdout);
    expect(listed[0].maximumBytes).toBe(1.5 * GiB);
    const resized = await admin('resize', 'shadowstorage', '--for', 'E:', '--on', 'D:', '--maxsize', '400mb');
    expect(resized.stdout).toBe('Successfully resized the shadow copy storage association\n');
    listed = JSON.parse((await admin('list', 'shadowstorage', '--for', 'E:', '--json')).stdout);
    expect(listed[0].maximumBytes).toBe(400 * 1024 ** 2);
    await admin('resize', 'shadowstorage', '--for', 'E:', '--on', 'D:', '--maxsize', '20%');
    listed = JSON.parse((await admin('list', 'shadowstorage', '--for', 'E:', '--json')).stdout);
    expect(listed[0].maximumBytes).toBe(Math.floor((listed[0].storageVolumeTotalBytes * 20) / 100));
    expect((await admin('list', 'shadowstorage', '--for', 'E:')).stdout).toMatch(/Maximum Shadow Copy Storage space: .* \(20%\)\n/);
    const deleted = await admin('delete', 'shadowstorage', '--for', 'E:');
    expect(deleted.stdout).toBe('Successfully deleted the shadow copy storage association\n');
    expect((await admin('list', 'shadowstorage', '--for', 'E:')).stdout).toBe('No items found that satisfy the query.\n');
  });

  test('delete shadows /all without /for deletes every client-accessible copy, and none after that is not found', async () => {
    const before = JSON.parse((await admin('list', 'shadows', '--json')).stdout) as Array<{ type: string }>;
    const accessible = before.filter((s) => s.type === 'ClientAccessible').length;
    expect(accessible).toBe(4);
    const r = await admin('delete', 'shadows', '/all', '/quiet');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`Successfully deleted ${accessible} shadow copies.\n`);
    const after = JSON.parse((await admin('list', 'shadows', '--json')).stdout) as Array<{ type: string }>;
    expect(after.map((s) => s.type)).toEqual(['ApplicationRollback', 'ApplicationRollback']);
    const again = await admin('delete', 'shadows', '/all');
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/this host has no client-accessible shadow copy/);
  });
});
