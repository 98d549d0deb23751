/**
 * `scmp capture show` judged against the client that made the calls and against another
 * recorder: an impacket MS-SCMP session at packet privacy is recorded twice, by scmpd itself
 * (--capture) and by tshark on the loopback interface (pcapng, and converted by editcap to
 * pcap with microsecond times). All three files give the same calls, decrypted with the
 * password, and those calls carry what impacket itself was answered: the shadow copies it
 * listed, the HRESULTs it got, the associations it read.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DEFAULT_VOLUMES as V } from '../../src/store/default-host.js';
import { runPython } from '../helpers/python.js';
import { runScmp } from '../helpers/scmp-cli.js';
import { spawnScmpd } from '../helpers/scmpd.js';
import { startCapture } from '../helpers/tshark.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./impacket_sessions.py', import.meta.url));
const ADMIN = { user: 'alice', password: 'Wonder-Land-1' };
const dir = mkdtempSync(join(tmpdir(), 'scmp-capture-show-'));
const ours = join(dir, 'scmpd.pcapng');
const pcap = join(dir, 'tshark.pcap');
let theirs: string;

interface Result {
  hr: number;
  items?: Array<Record<string, unknown>> | null;
}
let impacket: { results: Result[] };
const plan = [
  ['snapshots', V.data],
  ['add', V.refs, V.archive, 1 << 30],
  ['for', V.refs],
  ['change', V.refs, V.archive, 0],
  ['snapshots', 'Z:\\'],
];

beforeAll(async () => {
  const server = await spawnScmpd(['--account', `${ADMIN.user}:${ADMIN.password}:admin`, '--no-admin', '--capture', ours]);
  try {
    const tshark = await startCapture([server.port, server.objectPort]);
    impacket = await runPython(SCRIPT, ['127.0.0.1', String(server.port), ADMIN.user, ADMIN.password, JSON.stringify(plan)]);
    await tshark.stop();
    theirs = tshark.file;
  } finally {
    server.child.kill('SIGTERM');
    if (server.child.exitCode === null) await once(server.child, 'exit');
  }
  // pcap with microsecond times, as tcpdump writes it.
  await run('editcap', ['-F', 'pcap', theirs, pcap]);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The calls of a capture, as --json gives them, without their times (each recorder has its own clock). */
async function calls(file: string): Promise<Array<Record<string, any>>> {
  const r = await runScmp(['capture', 'show', file, '--password', ADMIN.password, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>)
    .map(({ requestTime: _q, responseTime: _r, ...rest }) => rest);
}

/** The calls the plan makes, in order, as impacket makes them. */
const METHODS = ['RemoteCreateInstance', 'QuerySnapshotsByVolume', 'Next', 'GetProviderMgmtInterface', 'AddDiffArea', 'QueryDiffAreasForVolume', 'Next', 'ChangeDiffAreaMaximumSize', 'QuerySnapshotsByVolume', 'Next'];

const named = (cs: Array<Record<string, any>>, method: string) => cs.filter((c) => c.method === method);

test('scmpd’s capture, tshark’s pcapng and its pcap give the same calls, every one decoded and decrypted', async () => {
  const [a, b, c] = await Promise.all([calls(ours), calls(theirs), calls(pcap)]);
  expect(a.map((x) => x.method)).toEqual(METHODS);
  expect(b).toEqual(a);
  expect(c).toEqual(a);
  for (const call of a) {
    expect(call.method, JSON.stringify(call)).not.toBeNull();
    expect(call.protection).toBe('decrypted');
    expect(call.requestError ?? call.responseError).toBeUndefined();
  }
  expect(named(a, 'RemoteCreateInstance')).toHaveLength(1);
});

test('the calls carry what impacket was answered', async () => {
  const cs = await calls(ours);
  const byVolume = named(cs, 'QuerySnapshotsByVolume');
  expect(byVolume.map((c) => c.request.pwszVolumeName)).toEqual([V.data, 'Z:\\']);
  expect(byVolume.map((c) => c.status.value)).toEqual([impacket.results[0]!.hr >>> 0, impacket.results[4]!.hr >>> 0]);
  expect(byVolume[1]!.status.name).toBe('S_OK'); // a volume that is not there: an empty enumerator (decisions.md)
  // Every shadow copy impacket drained from D:'s enumerator is in a decoded IVssEnumObject::Next.
  const nexts = JSON.stringify(cs.filter((c) => c.objectInterface === 'IVssEnumObject' && c.method === 'Next').map((c) => c.response));
  expect(impacket.results[0]!.items!.length).toBeGreaterThan(0);
  for (const item of impacket.results[0]!.items!) expect(nexts).toContain(`"m_SnapshotId":"${String(item.id).toLowerCase()}"`);
  const add = named(cs, 'AddDiffArea')[0]!;
  expect(add.request).toMatchObject({ pwszVolumeName: V.refs, pwszDiffAreaVolumeName: V.archive, llMaximumDiffSpace: 1 << 30 });
  expect(add.status.value).toBe(impacket.results[1]!.hr >>> 0);
  const change = named(cs, 'ChangeDiffAreaMaximumSize')[0]!;
  expect([change.request.llMaximumDiffSpace, change.status.value]).toEqual([0, impacket.results[3]!.hr >>> 0]);
  // The association impacket read back: volume, storage and maximum, in a decoded IVssEnumMgmtObject::Next.
  const areas = JSON.stringify(cs.filter((c) => c.objectInterface === 'IVssEnumMgmtObject' && c.method === 'Next').map((c) => c.response));
  expect(impacket.results[2]!.items).toHaveLength(1);
  for (const item of impacket.results[2]!.items!) {
    expect(areas).toContain(`"m_pwszVolumeName":${JSON.stringify(item.volume)},"m_pwszDiffAreaVolumeName":${JSON.stringify(item.diffAreaVolume)}`);
    expect(areas).toContain(`"m_llMaximumDiffSpace":${item.maximum}`);
  }
});
