/**
 * `scmp capture show` on a capture scmpd recorded itself (--capture, --capture-keys) while
 * the built `scmp` listed the default host over MS-SCMP: SPNEGO at privacy, NTLM at
 * integrity. The calls come out by name with their arguments and results, decrypted with
 * the password, the NT hash or the key file; without them they are marked, not guessed;
 * --json and --filter; broken files and bad command lines have their exit codes.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { NTOWFv1 } from '../../src/security/ntlm/crypto.js';
import { DEFAULT_SNAPSHOTS } from '../../src/store/default-host.js';
import { runScmp } from '../helpers/scmp-cli.js';
import { spawnScmpd } from '../helpers/scmpd.js';

const ADMIN = { user: 'alice', password: 'Wonder-Land:1@x' };
let dir: string;
let file: string;
let keys: string;
let listed: { shadows: string; storage: unknown[] };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scmp-capture-show-'));
  file = join(dir, 'session.pcapng');
  keys = join(dir, 'session.keys');
  const server = await spawnScmpd(['--account', `${ADMIN.user}:${ADMIN.password}:admin`, '--no-admin', '--capture', file, '--capture-keys', keys]);
  try {
    const at = ['--port', String(server.port)];
    const shadows = await runScmp(['list', 'shadows', `${ADMIN.user}:${ADMIN.password}@127.0.0.1`, '--for', 'C:', ...at]);
    const storage = await runScmp(['list', 'shadowstorage', `${ADMIN.user}:${ADMIN.password}@127.0.0.1`, '--json', '--auth-type', 'ntlm', '--auth-level', 'integrity', ...at]);
    expect([shadows.code, storage.code]).toEqual([0, 0]);
    listed = { shadows: shadows.stdout, storage: JSON.parse(storage.stdout) };
  } finally {
    server.child.kill('SIGTERM');
    if (server.child.exitCode === null) await once(server.child, 'exit');
  }
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const show = (...args: string[]) => runScmp(['capture', 'show', file, ...args]);
/** The JSON lines of a --json run. */
const records = (stdout: string) => stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, any>);

describe('decoded calls', () => {
  test('with the password: activation, every MS-SCMP call by name, sealed ones decrypted and signed ones verified', async () => {
    const r = await show('--password', ADMIN.password);
    expect(r.code).toBe(0);
    for (const call of [
      'IRemoteSCMActivator::RemoteCreateInstance',
      'IVssSnapshotMgmt::QueryVolumesSupportedForSnapshots',
      'IVssEnumMgmtObject::Next',
      'IVssSnapshotMgmt::QuerySnapshotsByVolume',
      'IVssEnumObject::Next',
      'IVssSnapshotMgmt::GetProviderMgmtInterface',
      'IVssDifferentialSoftwareSnapshotMgmt::QueryDiffAreasForVolume',
    ]) {
      expect(r.stdout).toContain(call);
    }
    expect(r.stdout).toContain('[sealed, decrypted]');
    expect(r.stdout).toContain('[signed, verified]');
    expect(r.stdout).not.toMatch(/no key|does not verify/);
    // What scmp printed is what the capture says the host answered.
    const c = DEFAULT_SNAPSHOTS.systemBackup;
    expect(listed.shadows).toContain(`Shadow Copy ID: {${c}}`);
    expect(r.stdout).toContain(`m_SnapshotId: {${c}}`);
    expect(r.stdout).toContain('m_pwszSnapshotDeviceObject: "\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy3"');
    // Inside the MInterfacePointers: the activation properties and the OBJREFs, by their names.
    expect(r.stdout).toMatch(/ActivationProperties:\n\s+destCtx: 2\n/);
    expect(r.stdout).toContain('classId: {0b5a2c52-3eb9-470a-96e2-6c6d4570e40f}');
    expect(r.stdout).toMatch(/kind: "OBJREF_STANDARD"\n\s+iid: \{fa7df749-66e7-4986-a27f-e2f04ae53772\}\n\s+interface: "IVssSnapshotMgmt"/);
    expect(r.stdout).toMatch(/networkAddr: "127\.0\.0\.1\[\d+\]"/);
    expect(r.stdout).toMatch(/kind: "OBJREF_STANDARD"\n\s+iid: \{[0-9a-f-]{36}\}\n\s+interface: "IVssEnumObject"/);
    expect(r.stderr).toMatch(/scmp: \d+ calls in 4 DCE\/RPC connections \(pcapng, \d+ packets, 4 TCP connections, 0 packets not TCP\)/);
  });

  test('the NT hash and the key file decrypt the same calls; without either the calls are marked, not decoded', async () => {
    const [withPassword, withHash, withKeys, without] = await Promise.all([
      show('--password', ADMIN.password, '--json'),
      show('-hashes', `:${NTOWFv1(ADMIN.password).toString('hex')}`, '--json'),
      show('--keys', keys, '--json'),
      show('--json'),
    ]);
    for (const r of [withPassword, withHash, withKeys, without]) expect(r.code).toBe(0);
    const calls = records(withPassword.stdout);
    expect(records(withHash.stdout)).toEqual(calls);
    expect(records(withKeys.stdout)).toEqual(calls);
    const bare = records(without.stdout);
    expect(bare.map((c) => [c.callId, c.method])).toEqual(calls.map((c) => [c.callId, c.method]));
    expect(bare.filter((c) => c.protection === 'no-key').length).toBeGreaterThan(0);
    expect(bare.every((c) => c.protection === 'no-key' || c.protection === 'none')).toBe(true);
  });

  test('a wrong password is named as such, call by call', async () => {
    const r = await show('--password', 'not-it', '--json');
    expect(r.code).toBe(0);
    const protectedCalls = records(r.stdout).filter((c) => c.protection !== 'none');
    expect(protectedCalls.length).toBeGreaterThan(0);
    expect(protectedCalls.every((c) => c.protection === 'bad-key')).toBe(true);
  });

  test('--json: exact numbers and the same values scmp list --json printed; --filter keeps the calls named', async () => {
    const r = await show('--keys', keys, '--json', '--filter', 'IVssEnumMgmtObject::Next,QueryDiffAreasForVolume');
    const calls = records(r.stdout);
    expect(new Set(calls.map((c) => `${c.interface?.name ?? c.objectInterface}::${c.method}`))).toEqual(new Set(['IVssEnumMgmtObject::Next', 'IVssDifferentialSoftwareSnapshotMgmt::QueryDiffAreasForVolume']));
    expect(r.stderr).toMatch(/, \d+ shown \(/);
    // Every association scmp listed is in a decoded Next answer, its maximum an exact JSON number.
    const text = r.stdout;
    for (const a of listed.storage as { forVolume: string; maximumBytes: number | null }[]) {
      expect(text).toContain(JSON.stringify(a.forVolume));
      if (a.maximumBytes !== null) expect(text).toContain(`"m_llMaximumDiffSpace":${a.maximumBytes}`);
    }
  });
});

describe('bad input', () => {
  test('a file that is no capture, a truncated one and a missing one: exit 8 with the reason; usage errors: exit 2', async () => {
    const junk = join(dir, 'junk.pcapng');
    writeFileSync(junk, 'this is not a capture file at all\n');
    const whole = (await import('node:fs')).readFileSync(file);
    const cut = join(dir, 'cut.pcapng');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2) + 3));
    const [notCapture, truncated, missing, noFile, badHash, both] = await Promise.all([
      runScmp(['capture', 'show', junk]),
      runScmp(['capture', 'show', cut, '--password', ADMIN.password]),
      runScmp(['capture', 'show', join(dir, 'absent.pcapng')]),
      runScmp(['capture', 'show']),
      runScmp(['capture', 'show', file, '-hashes', 'nothex']),
      runScmp(['capture', 'show', file, '--password', 'x', '-hashes', `:${'0'.repeat(32)}`]),
    ]);
    expect([notCapture.code, truncated.code, missing.code]).toEqual([EXIT.CAPTURE, EXIT.CAPTURE, EXIT.CAPTURE]);
    expect(notCapture.stderr).toMatch(/magic|not a pcap/i);
    expect(truncated.stderr).toMatch(/read only in part/);
    expect(truncated.stdout).toContain('IRemoteSCMActivator::RemoteCreateInstance'); // the calls before the cut
    expect(missing.stderr).toMatch(/ENOENT|no such file/i);
    expect([noFile.code, badHash.code, both.code]).toEqual([EXIT.USAGE, EXIT.USAGE, EXIT.USAGE]);
    expect(noFile.stderr).toMatch(/needs a FILE/);
  });

  test('scmp help capture show is its page', async () => {
    const r = await runScmp(['help', 'capture', 'show']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: scmp capture show FILE/);
  });
});
