/**
 * Over the wire, with impacket at packet privacy as the management client of a running
 * scmpd whose requester sessions are driven through the admin API:
 * - while a backup session is open its shadow copies appear in QuerySnapshotsByVolume with
 *   the session's snapshot-set id;
 * - after the session is released its auto-release copies are gone and the others remain;
 * - after a restart with the same --state-dir, the persistent shadow copies and the diff
 *   areas created over MS-SCMP are still there, and the non-persistent copies are not;
 * - tshark dissects both runs' traffic with no malformed packet and no expert error.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { DEFAULT_VOLUMES as V, DEFAULT_WRITERS as W } from '../../src/store/default-host.js';
import { VSS_CTX_APP_ROLLBACK, VSS_CTX_BACKUP } from '../../src/store/vss.js';
import { AdminClient } from '../../src/admin/client.js';
import { runPython } from '../helpers/python.js';
import { spawnScmpd } from '../helpers/scmpd.js';
import { dissect, startCapture, type Capture } from '../helpers/tshark.js';

const SCRIPT = fileURLToPath(new URL('./impacket_sessions.py', import.meta.url));
const TOKEN = 'interop-token-0123456789abcdef';
const PASSWORD = 'Wonder-Land-1';
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const dir = mkdtempSync(join(tmpdir(), 'scmp-sessions-'));
const stateDir = join(dir, 'state');
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, TOKEN);
let running: ChildProcess | undefined;
afterAll(async () => {
  if (running && running.exitCode === null && running.signalCode === null) {
    const gone = new Promise((resolve) => running!.once('exit', resolve));
    running.kill('SIGKILL');
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function start() {
  const s = await spawnScmpd(['--admin-port', '0', '--state-dir', stateDir, '--admin-token-file', tokenFile, '--account', `alice:${PASSWORD}:admin`]);
  running = s.child;
  return { ...s, url: s.adminUrl! };
}

/** An admin request that must succeed. */
async function api(url: string, method: string, path: string, body: unknown = {}): Promise<any> {
  const a = await new AdminClient(url, TOKEN).request(method, path, method === 'GET' || method === 'DELETE' ? undefined : body);
  expect([method, path, a.status, (a.body as { error?: unknown } | null)?.error]).toEqual([method, path, 200, undefined]);
  return a.body;
}

/** A backup session up to DoSnapshotSet, left open: its id, set id and shadow copy ids. */
async function backup(url: string, context: number, volumes: string[]) {
  const { id } = await api(url, 'POST', '/api/sessions');
  const step = async (name: string, body: unknown = {}) => (await api(url, 'POST', `/api/sessions/${id}/${name}`, body)).result;
  await step('initialize-for-backup');
  if (context !== VSS_CTX_BACKUP) await step('set-context', { context });
  await step('set-backup-state', { selectComponents: true, backupType: 'full' });
  await step('gather-writer-metadata');
  await step('add-component', { writerId: W.sql.id, type: 'database', logicalPath: 'FILESRV01', name: 'Sales' });
  const { snapshotSetId } = await step('start-snapshot-set');
  for (const v of volumes) await step('add-to-snapshot-set', { volume: v });
  await step('prepare-for-backup');
  const made = (await step('do-snapshot-set')) as Array<{ id: string }>;
  return { id, setId: snapshotSetId as string, copies: made.map((m) => m.id) };
}

type Plan = Array<[string, ...unknown[]]>;
async function impacket(port: number, plan: Plan): Promise<any[]> {
  return (await runPython(SCRIPT, ['127.0.0.1', String(port), 'alice', PASSWORD, JSON.stringify(plan)], 120_000)).results;
}

const pairs = (r: { hr: number; items: Array<{ id: string; setId: string }> }) => {
  expect(r.hr).toBe(0);
  return r.items.map((s) => [s.id, s.setId]);
};

/** The MS-SCMP traffic of each run of scmpd dissects cleanly (privacy decrypted with the password). */
async function expectCleanDissection(c: Capture, ports: number[]) {
  const d = await dissect(c.file, ports, ['-o', `ntlmssp.nt_password:${PASSWORD}`]);
  expect(d.summary.join('\n')).toMatch(/RemoteCreateInstance response/);
  expect(d.summary.join('\n')).not.toMatch(/Fault:/);
  expect(d.malformed).toBe(0);
  expect(d.errors, d.expert).toBe(0);
}

test('impacket at privacy sees a session’s shadow copies with its set id, the auto-release ones gone at release, and persistent copies and diff areas survive a restart', async () => {
  let s = await start();
  const first = await startCapture([s.port, s.objectPort]);
  const auto = await backup(s.url, VSS_CTX_BACKUP, ['D:', 'C:']);
  const kept = await backup(s.url, VSS_CTX_APP_ROLLBACK, ['D:']);
  const [open, openC] = await impacket(s.port, [
    ['snapshots', 'D:\\'],
    ['snapshots', 'C:\\'],
  ]);
  expect(pairs(open)).toEqual(expect.arrayContaining([[auto.copies[0], auto.setId], [kept.copies[0], kept.setId]]));
  expect(pairs(openC)).toContainEqual([auto.copies[1], auto.setId]);

  expect((await api(s.url, 'DELETE', `/api/sessions/${auto.id}`)).deleted.sort()).toEqual([...auto.copies].sort());
  expect((await api(s.url, 'DELETE', `/api/sessions/${kept.id}`)).deleted).toEqual([]);
  const [afterD, afterC, add, change, forE, forD] = await impacket(s.port, [
    ['snapshots', 'D:\\'],
    ['snapshots', 'C:\\'],
    ['add', 'E:\\', 'D:\\', 512 * MiB],
    ['change', 'D:\\', 'C:\\mnt\\archive\\', 250 * GiB],
    ['for', 'E:\\'],
    ['for', 'D:\\'],
  ]);
  const idsD = pairs(afterD).map(([id]) => id);
  expect(idsD).toContain(kept.copies[0]);
  expect(idsD).not.toContain(auto.copies[0]);
  expect(pairs(afterC).map(([id]) => id)).not.toContain(auto.copies[1]);
  expect([add.hr, change.hr]).toEqual([0, 0]);
  expect(forE.items).toMatchObject([{ volume: V.refs, diffAreaVolume: V.data, maximum: String(512 * MiB) }]);
  expect(forD.items).toMatchObject([{ volume: V.data, diffAreaVolume: V.archive, maximum: String(250 * GiB) }]);

  // Before the restart: a non-persistent copy in a session left open, and a persistent one
  // made as `vssadmin create shadow` does.
  const pending = await backup(s.url, VSS_CTX_BACKUP, ['D:']);
  const shadow = await api(s.url, 'POST', '/api/shadows', { for: 'C:' });
  expect(pairs((await impacket(s.port, [['snapshots', 'D:\\']]))[0]).map(([id]) => id)).toContain(pending.copies[0]);

  await first.stop();
  await expectCleanDissection(first, [s.port, s.objectPort]);
  s.child.kill('SIGTERM');
  await new Promise((r) => s.child.once('exit', r));
  s = await start();
  const second = await startCapture([s.port, s.objectPort]);
  const [d2, c2, e2, dArea2] = await impacket(s.port, [
    ['snapshots', 'D:\\'],
    ['snapshots', 'C:\\'],
    ['for', 'E:\\'],
    ['for', 'D:\\'],
  ]);
  const d2ids = pairs(d2).map(([id]) => id);
  expect(d2ids).toContain(kept.copies[0]);
  expect(d2ids).not.toContain(pending.copies[0]);
  expect(pairs(c2)).toContainEqual([shadow.id, shadow.setId]);
  expect(e2.items).toMatchObject([{ volume: V.refs, diffAreaVolume: V.data, maximum: String(512 * MiB) }]);
  expect(dArea2.items).toMatchObject([{ volume: V.data, diffAreaVolume: V.archive, maximum: String(250 * GiB) }]);
  expect(await api(s.url, 'GET', '/api/sessions')).toEqual([]);
  await second.stop();
  await expectCleanDissection(second, [s.port, s.objectPort]);
  s.child.kill('SIGTERM');
  await new Promise((r) => s.child.once('exit', r));
}, 180_000);
