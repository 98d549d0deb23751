/**
 * `scmp replay` of RemRelease. impacket releases nothing, so the interop replays never send
 * one; our own client does: `scmp list shadows` gives back every reference it holds (the
 * management object and each enumerator) in IRemUnknown::RemRelease when it closes. Each
 * REMINTERFACEREF names an IPID, a volatile value (src/interfaces/volatile.ts): the replay
 * must send the IPIDs the live server gave, or the live server would refuse references it
 * never handed out. Recorded by scmpd itself (--capture), replayed against a fresh scmpd.
 * RemRelease answers S_OK whatever IPIDs it names, so the answer alone cannot tell: the last
 * test looks into the live server's object exporter, which must hold nothing afterwards.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { replay } from '../../src/replay/engine.js';
import { readRecording } from '../../src/replay/recording.js';
import { parseAccountSpec } from '../../src/security/accounts.js';
import { runScmp } from '../helpers/scmp-cli.js';
import { spawnScmpd } from '../helpers/scmpd.js';
import { testServer } from '../helpers/server.js';

const PASSWORD = 'Wonder-Land-1';
const ACCOUNTS = ['--account', `alice:${PASSWORD}:admin`];
const dir = mkdtempSync(join(tmpdir(), 'scmp-replay-release-'));
const capture = join(dir, 'scmpd.pcapng');

interface Call {
  method: string;
  objectInterface?: string;
  request: Record<string, any>;
  response: Record<string, any> | null;
}

let recorded: Call[];

beforeAll(async () => {
  const server = await spawnScmpd([...ACCOUNTS, '--no-admin', '--capture', capture]);
  try {
    const listed = await runScmp(['list', 'shadows', `alice:${PASSWORD}@127.0.0.1`, '--port', String(server.port)]);
    expect(listed.code, listed.stderr).toBe(0);
  } finally {
    server.child.kill('SIGTERM');
    if (server.child.exitCode === null) await once(server.child, 'exit');
  }
  const shown = await runScmp(['capture', 'show', capture, '--password', PASSWORD, '--json']);
  expect(shown.code, shown.stderr).toBe(0);
  recorded = shown.stdout.trim().split('\n').map((l) => JSON.parse(l) as Call);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const releases = (calls: Call[]) => calls.filter((c) => c.method === 'RemRelease');

test('the recorded session gives its references back: RemRelease naming the IPIDs the session was handed', () => {
  const released = releases(recorded).flatMap((c) => c.request.InterfaceRefs as Array<{ ipid: string; cPublicRefs: number }>);
  expect(released.length).toBeGreaterThan(1);
  // Every IPID released is one an earlier answer of the session handed out.
  const handedOut = JSON.stringify(recorded.filter((c) => c.method !== 'RemRelease').map((c) => c.response));
  for (const r of released) {
    expect(r.cPublicRefs).toBeGreaterThan(0);
    expect(handedOut.toLowerCase()).toContain(r.ipid.replace(/[{}]/g, '').toLowerCase());
  }
});

test('replayed against a fresh scmpd with scmp replay: every RemRelease, and every other call, answered as recorded', async () => {
  const server = await spawnScmpd([...ACCOUNTS, '--no-admin']);
  try {
    const r = await runScmp(['replay', capture, '--target', `alice:${PASSWORD}@127.0.0.1`, '--port', String(server.port), '--capture-password', PASSWORD, '--json']);
    expect(r.code, r.stderr + r.stdout.slice(0, 2000)).toBe(0);
    const report = JSON.parse(r.stdout) as { summary: Record<string, number>; calls: Array<{ call: string; outcome: string; differences: unknown[] }> };
    const released = report.calls.filter((c) => c.call === 'IRemUnknown::RemRelease');
    expect(released.length).toBe(releases(recorded).length);
    for (const c of released) expect(c).toMatchObject({ outcome: 'match', differences: [] });
    expect(report.calls.filter((c) => c.outcome !== 'match')).toEqual([]);
    expect(report.summary).toMatchObject({ differences: 0, failed: 0, notReplayed: 0 });
  } finally {
    server.child.kill('SIGTERM');
    if (server.child.exitCode === null) await once(server.child, 'exit');
  }
});

test('after the replay the live object exporter holds no object: the releases named the live IPIDs', async () => {
  const server = await testServer({ accounts: [parseAccountSpec(`alice:${PASSWORD}:admin`)] });
  try {
    const rec = await readRecording(capture, { password: PASSWORD });
    let peak = 0;
    const report = await replay(rec.calls, {
      target: { host: '127.0.0.1', port: server.port, user: 'alice', domain: '', password: PASSWORD, timeoutMs: 10_000 },
      // The live server holds the session's objects while the calls run.
      onResult: () => (peak = Math.max(peak, server.exporter.objectCount)),
    });
    expect(report.summary).toMatchObject({ differences: 0, failed: 0, notReplayed: 0 });
    expect(peak).toBeGreaterThan(0);
    expect(server.exporter.objectCount).toBe(0);
  } finally {
    await server.close();
  }
});
